// import.audit_logs through the engine's pure path (intake checks with the
// command schema, engine::decide, the event schema, engine::evolve): the
// seeds' audit rows at their original occurred_at without the live 7-day
// bound, nothing in the future, the shared chunk order and live-event rules
// on audit/<tenant>, and the progress in a snapshot.
#include <gtest/gtest.h>

#include "engine/intake.hpp"
#include "engine/tenant.hpp"
#include "engine/workflow/import_audit.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tests/support/json.hpp"
#include "tests/unit/engine/tenant_driver.hpp"

namespace lf::engine {
namespace {

constexpr const char* kTenant = "9c1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6e";
const std::string kImportA(64, 'a');

using testing::at;
using testing::expect_refused;

// The tenant as the engine holds it, driven command by command.
class Tenant : public testing::TenantDriver {
 public:
  explicit Tenant(int64_t now_ms) : TenantDriver(kTenant, now_ms) {}
  Decision import_audit(const std::string& payload) { return run("import.audit_logs", payload); }
};

// A chunk of `rows` (each {"line":..,"record":{..}}).
std::string chunk(const std::vector<std::string>& rows, int64_t number = 0, int64_t chunks = 1,
                  bool append = false) {
  return testing::import_chunk(kImportA, "audit.csv", rows, number, chunks, append);
}

// The four shapes: Prebid (operation, principal, adapter), the ad platform
// (action, user_id as a number, ip, timestamp), the marketing platform
// (action, changes, request), Leadmetrics' base record (event_type,
// created_at).
const std::vector<std::string> kShapes{
    R"({"line":2,"record":{"operation":"create_media_buy","principal_id":"p-1","principal_name":"Acme","adapter_id":"gam","success":false,"error_message":"timeout","details":{"buy":"b-1"},"occurred_at":"2025-01-02T03:04:05.678Z"}})",
    R"({"line":3,"record":{"action":"campaign.update","user_id":42,"resource_type":"campaign","resource_id":"c-9","details":{},"ip_address":"10.0.0.1","timestamp":"2025-02-01T00:00:00Z"}})",
    R"({"line":4,"record":{"action":"update","resource_type":"rule","resource_id":"7","old_value":{"on":false},"new_value":{"on":true},"changed_fields":["on"],"user_agent":"curl","request_id":"r-1","endpoint":"/rules/7","http_method":"PATCH","created_at":"2025-03-01T00:00:00+05:30"}})",
    R"({"line":5,"record":{"event_type":"login","principal_id":"u-1","created_at":"2026-04-20T11:59:00Z"}})"};

const int64_t kNow = at("2026-04-20T12:00:00Z");

TEST(ImportAuditLogs, TheSeedsFourShapesLandAtTheirOwnTimesWithoutTheLiveBound) {
  Tenant tenant(kNow);
  const Decision decision = tenant.import_audit(chunk(kShapes));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  ASSERT_EQ(decision.events().size(), 1u);
  EXPECT_EQ(decision.events()[0].type, "audit.logs_imported");
  EXPECT_EQ(decision.events()[0].stream, audit_stream(kTenant));
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads().back());
  const rapidjson::Value& rows = (*payload)["rows"];
  ASSERT_EQ(rows.Size(), 4u);
  EXPECT_EQ(json_string(rows[0]["record"], "occurred_at"), "2025-01-02T03:04:05.678Z");
  EXPECT_EQ(json_string(rows[1]["record"], "operation"), "campaign.update");  // action's alias
  EXPECT_EQ(json_string(rows[1]["record"], "principal_id"), "42");
  EXPECT_EQ(json_string(rows[2]["record"], "occurred_at"), "2025-02-28T18:30:00.000Z");
  EXPECT_EQ(json_int64(rows[3], "line"), 5);
  EXPECT_EQ(tenant.state().audit_imports.by_kind.at("audit_logs").chunks_committed, 1);
  // Live, the same year-old row is refused: its bound is for live delivery.
  expect_refused(
      tenant.run("audit.record", R"({"operation":"x","occurred_at":"2025-01-02T03:04:05Z"})"),
      "invalid_occurred_at", "7 days");
}

TEST(ImportAuditLogs, RowsInTheFutureOrWithoutATimeAreRefusedWithTheirLine) {
  Tenant tenant(kNow);
  expect_refused(
      tenant.import_audit(
          chunk({kShapes[0],
                 R"({"line":6,"record":{"operation":"x","occurred_at":"2026-04-20T12:06:00Z"}})"})),
      "invalid_occurred_at", "audit.csv:6: occurred_at 2026-04-20T12:06:00.000Z is after");
  expect_refused(tenant.import_audit(chunk({R"({"line":7,"record":{"operation":"x"}})"})),
                 "invalid_row", "line 7: an imported audit row needs its time");
  expect_refused(
      tenant.import_audit(chunk(
          {R"({"line":8,"record":{"operation":"x","ip_address":"not-an-ip","created_at":"2025-01-01T00:00:00Z"}})"})),
      "invalid_row", "line 8: invalid_payload: ip_address not-an-ip");
  EXPECT_EQ(tenant.state().audit_imports, workflow::StreamImports{});
}

TEST(ImportAuditLogs, ReRunsChunksLiveEventsAndTheSnapshot) {
  Tenant tenant(kNow);
  const std::string first = chunk({kShapes[0], kShapes[1]}, 0, 2);
  const std::string second = chunk({kShapes[2], kShapes[3]}, 1, 2);
  expect_refused(tenant.import_audit(second), "chunk_out_of_order", "a new import starts");
  ASSERT_TRUE(tenant.import_audit(first).accepted());
  Result<TenantState> restored = testing::snapshot_round_trip(tenant.state());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->audit_imports, tenant.state().audit_imports);
  EXPECT_EQ(restored->audit_imports.events, 1);
  ASSERT_TRUE(tenant.import_audit(second).accepted());
  expect_refused(tenant.import_audit(first), "already_imported", "chunk 0 of 2");

  Tenant live(kNow);
  ASSERT_TRUE(live.run("audit.record", R"({"operation":"x"})").accepted());
  expect_refused(live.import_audit(chunk(kShapes)), "tenant_has_live_events",
                 "1 live audit event(s)");
  EXPECT_TRUE(live.import_audit(chunk(kShapes, 0, 1, true)).accepted());
}

}  // namespace
}  // namespace lf::engine
