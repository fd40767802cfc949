// import.media_buys through the engine's pure path (intake checks with the
// command schema, engine::decide, the event schema, engine::evolve): the
// Prebid sales agent's buys with their packages enter the state in the
// status the platform left them in, at their original created_at, and a
// non-final one goes on live; the live media_buy.create rules refuse a bad
// row with its line; the shared chunk order and live-event rules; the
// progress and the live-event count across a snapshot.
#include <gtest/gtest.h>

#include "engine/intake.hpp"
#include "engine/tenant.hpp"
#include "engine/workflow/import_buys.hpp"
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
  Decision import_buys(const std::string& payload) { return run("import.media_buys", payload); }
};

// A chunk of `rows` (each {"line":..,"status":..,"created_at":..,"media_buy":{..}}).
std::string chunk(const std::vector<std::string>& rows, int64_t number = 0, int64_t chunks = 1,
                  bool append = false, const std::string& import_id = kImportA) {
  return testing::import_chunk(import_id, "buys.csv", rows, number, chunks, append);
}

// A buy row as the importer writes it: the seed's budget as PostgreSQL
// prints a float, pricing as its JSON.
std::string buy(
    int64_t line, const std::string& id, const std::string& status,
    const std::string& created_at = "2025-06-01T09:30:00.250Z",
    const std::string& packages =
        R"([{"package_id":"pk-1","product_id":"prod-1","budget":"5000.5","pricing":{"cpm":12.5}},{"package_id":"pk-2","product_id":"prod-2","budget":"0.25"}])",
    const std::string& dates = R"("start_date":"2025-06-01","end_date":"2025-07-31")") {
  std::string lines;  // the packages at lines 4, 5, ...
  for (std::size_t at = packages.find("package_id"), n = 4; at != std::string::npos;
       at = packages.find("package_id", at + 1), ++n)
    lines += (lines.empty() ? "" : ",") + std::to_string(n);
  return R"({"line":)" + std::to_string(line) + R"(,"package_lines":[)" + lines +
         R"(],"status":")" + status + R"(","created_at":")" + created_at +
         R"(","media_buy":{"media_buy_id":")" + id +
         R"(","principal_id":"pr-1","campaign_name":"Spring",)" + dates + R"(,"packages":)" +
         packages + R"(,"requires_approval":false}})";
}

const int64_t kNow = at("2026-04-20T12:00:00Z");

workflow::BuyStatus status_of(const Tenant& tenant, const std::string& id) {
  return tenant.state().workflow.media_buys.at(id).status;
}

TEST(ImportMediaBuys, BuysLandInTheirStatusAtTheirTimesAndNonFinalOnesGoOnLive) {
  Tenant tenant(kNow);
  const Decision decision =
      tenant.import_buys(chunk({buy(2, "b-pending", "pending"), buy(3, "b-approved", "approved"),
                                buy(4, "b-active", "active"), buy(5, "b-paused", "paused"),
                                buy(6, "b-done", "completed"), buy(7, "b-failed", "failed")}));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  ASSERT_EQ(decision.events().size(), 1u);
  EXPECT_EQ(decision.events()[0].type, "media_buy.imported");
  EXPECT_EQ(decision.events()[0].stream, workflow::media_buys_import_stream(kTenant));
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads().back());
  const rapidjson::Value& buys = (*payload)["buys"];
  ASSERT_EQ(buys.Size(), 6u);
  EXPECT_EQ(json_string(buys[0], "created_at"), "2025-06-01T09:30:00.250Z");
  EXPECT_EQ(json_string(buys[3], "status"), "paused");
  // The buy as media_buy.created carries it: exact minor units, the total.
  const rapidjson::Value& first = buys[0]["buy"];
  EXPECT_EQ(json_int64(first["packages"][0], "budget_minor"), 500050);
  EXPECT_EQ(json_int64(first["packages"][1], "budget_minor"), 25);
  EXPECT_EQ(json_int64(first, "budget_total_minor"), 500075);
  EXPECT_EQ(json_string(first, "currency"), "USD");
  EXPECT_FALSE(json_bool(first, "requires_approval").value_or(true));

  using workflow::BuyStatus;
  EXPECT_EQ(status_of(tenant, "b-paused"), BuyStatus::paused);
  EXPECT_EQ(tenant.state().workflow_imports.media_buys.by_kind.at("media_buys").chunks_committed,
            1);
  EXPECT_EQ(workflow::state_invariant_violation(tenant.state().workflow), std::nullopt);
  // Live commands go on from the imported statuses...
  ASSERT_TRUE(tenant.run("media_buy.approve", R"({"media_buy_id":"b-pending"})").accepted());
  ASSERT_TRUE(tenant.run("media_buy.activate", R"({"media_buy_id":"b-approved"})").accepted());
  ASSERT_TRUE(tenant.run("media_buy.pause", R"({"media_buy_id":"b-active"})").accepted());
  ASSERT_TRUE(tenant.run("media_buy.resume", R"({"media_buy_id":"b-paused"})").accepted());
  EXPECT_EQ(status_of(tenant, "b-pending"), BuyStatus::approved);
  EXPECT_EQ(status_of(tenant, "b-approved"), BuyStatus::active);
  EXPECT_EQ(status_of(tenant, "b-active"), BuyStatus::paused);
  EXPECT_EQ(status_of(tenant, "b-paused"), BuyStatus::active);
  // ... a final one is history, and an imported id stays taken.
  expect_refused(tenant.run("media_buy.resume", R"({"media_buy_id":"b-done"})"),
                 "invalid_transition", "media buy b-done is completed");
  expect_refused(tenant.run("media_buy.activate", R"({"media_buy_id":"b-failed"})"),
                 "invalid_transition", "is failed");
  expect_refused(
      tenant.run(
          "media_buy.create",
          R"({"media_buy_id":"b-done","principal_id":"p","campaign_name":"c","start_date":"2026-05-01","end_date":"2026-05-02","packages":[{"package_id":"x","product_id":"y","budget":1}],"requires_approval":false})"),
      "duplicate_media_buy", "b-done");
}

TEST(ImportMediaBuys, ABadRowIsRefusedWithItsLineAsTheLiveCommandWouldBe) {
  Tenant tenant(kNow);
  const std::string good = buy(2, "b-1", "active");
  // An unknown status fails the command's schema (the CLI's converter names
  // the column before: tests/unit/importer).
  expect_refused(tenant.import_buys(chunk({good, buy(3, "b-2", "running")})), "schema_violation",
                 "/rows/1/status");
  expect_refused(tenant.import_buys(chunk({good, buy(3, "b-1", "paused")})), "duplicate_media_buy",
                 "buys.csv:3 (packages at lines 4, 5): media buy b-1 already");
  expect_refused(tenant.import_buys(
                     chunk({good, buy(3, "b-2", "active", "2025-06-01T09:30:00Z",
                                      R"([{"package_id":"pk","product_id":"p","budget":"1"}])",
                                      R"("start_date":"2025-06-02","end_date":"2025-06-01")")})),
                 "invalid_dates",
                 "buys.csv:3 (packages at lines 4): end_date 2025-06-01 is before");
  expect_refused(
      tenant.import_buys(chunk({buy(
          6, "b-3", "pending", "2025-06-01T09:30:00Z",
          R"([{"package_id":"pk","product_id":"p","budget":"1"},{"package_id":"pk","product_id":"q","budget":"2"}])")})),
      "duplicate_package", "buys.csv:6 (packages at lines 4, 5): package pk appears twice");
  expect_refused(tenant.import_buys(
                     chunk({buy(7, "b-4", "pending", "2025-06-01T09:30:00Z",
                                R"([{"package_id":"pk","product_id":"p","budget":"1.001"}])")})),
                 "invalid_row", "buys.csv:7: invalid_amount");
  expect_refused(tenant.import_buys(chunk({buy(8, "b-5", "pending", "2026-04-20T12:06:00Z")})),
                 "invalid_created_at",
                 "buys.csv:8 (packages at lines 4, 5): created_at "
                 "2026-04-20T12:06:00.000Z is after the engine's clock");
  // An imported buy opens no approval: its approval is imported as one.
  std::string with_approval = good;
  with_approval.replace(with_approval.find(R"("requires_approval":false)"), 25,
                        R"("requires_approval":true)");
  expect_refused(tenant.import_buys(chunk({with_approval})), "schema_violation", "");
  EXPECT_TRUE(tenant.state().workflow.media_buys.empty());
  EXPECT_EQ(tenant.state().workflow_imports, workflow::WorkflowImports{});
}

TEST(ImportMediaBuys, ReRunsChunksLiveEventsAndTheSnapshot) {
  Tenant tenant(kNow);
  const std::string first = chunk({buy(2, "b-1", "active"), buy(3, "b-2", "pending")}, 0, 2);
  const std::string second = chunk({buy(4, "b-3", "paused")}, 1, 2);
  expect_refused(tenant.import_buys(second), "chunk_out_of_order", "a new import starts");
  ASSERT_TRUE(tenant.import_buys(first).accepted());
  // A live move between the chunks is a live event of an imported buy.
  ASSERT_TRUE(tenant.run("media_buy.pause", R"({"media_buy_id":"b-1"})").accepted());
  Result<TenantState> restored = testing::snapshot_round_trip(tenant.state());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->workflow_imports, tenant.state().workflow_imports);
  EXPECT_EQ(restored->workflow_imports.media_buys.events, 1);
  EXPECT_EQ(restored->workflow_imports.media_buys.live_events, 1);
  EXPECT_EQ(restored->workflow.media_buys, tenant.state().workflow.media_buys);
  ASSERT_TRUE(tenant.import_buys(second).accepted());
  expect_refused(tenant.import_buys(first), "already_imported", "chunk 0 of 2");
  const std::string kImportB(64, 'b');
  expect_refused(tenant.import_buys(chunk({buy(9, "b-9", "active")}, 0, 1, false, kImportB)),
                 "import_conflict", "--append");
  EXPECT_TRUE(
      tenant.import_buys(chunk({buy(9, "b-9", "active")}, 0, 1, true, kImportB)).accepted());
  EXPECT_EQ(status_of(tenant, "b-9"), workflow::BuyStatus::active);

  Tenant live(kNow);
  ASSERT_TRUE(
      live.run(
              "media_buy.create",
              R"({"media_buy_id":"l-1","principal_id":"p","campaign_name":"c","start_date":"2026-05-01","end_date":"2026-05-02","packages":[{"package_id":"x","product_id":"y","budget":1}],"requires_approval":false})")
          .accepted());
  expect_refused(live.import_buys(chunk({buy(2, "b-1", "active")})), "tenant_has_live_events",
                 "1 live media buy event(s)");
  EXPECT_TRUE(live.import_buys(chunk({buy(2, "b-1", "active")}, 0, 1, true)).accepted());
  // Other domains' live events do not count.
  Tenant other(kNow);
  ASSERT_TRUE(other.run("audit.record", R"({"operation":"x"})").accepted());
  EXPECT_TRUE(other.import_buys(chunk({buy(2, "b-1", "active")})).accepted());
}

}  // namespace
}  // namespace lf::engine
