// import.approvals through the engine's pure path (intake checks with the
// command schema, engine::decide, the event schema, engine::evolve): the
// seeds' approval rows enter the state in the status the platform left them
// in; a pending one is linked to the media buy or activity waiting on it and
// decided live, its outcome moving the subject; a row its status, times or
// subject contradict is refused with its line; re-runs, live events and the
// snapshot.
#include <gtest/gtest.h>

#include "engine/intake.hpp"
#include "engine/tenant.hpp"
#include "engine/workflow/import_approvals.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
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
  Decision import_approvals(const std::string& payload) { return run("import.approvals", payload); }
};

std::string chunk(const std::string& file, const std::vector<std::string>& rows, int64_t number = 0,
                  int64_t chunks = 1, bool append = false,
                  const std::string& import_id = kImportA) {
  return testing::import_chunk(import_id, file, rows, number, chunks, append);
}

// An approval row as the importer writes it; `extra` adds the outcome.
std::string approval(int64_t line, const std::string& id, const std::string& subject_kind,
                     const std::string& subject_id, const std::string& status,
                     const std::string& extra = "",
                     const std::string& created_on = "2026-04-18T09:00:00Z",
                     const std::string& expires_at = "2026-04-21T09:00:00Z") {
  return R"({"line":)" + std::to_string(line) + R"(,"request":{"approval_id":")" + id +
         R"(","subject":{"kind":")" + subject_kind + R"(","id":")" + subject_id +
         R"("},"type":"content_review","risk_level":"high","title":"Review )" + id +
         R"(","reviewer_id":"u-rev","expires_at":")" + expires_at + R"("},"status":")" + status +
         R"(","created_on":")" + created_on + "\"" + extra + "}";
}

const std::string kDecided =
    R"(,"reviewed_by":"u-rev","reviewer_notes":"fine","resolved_at":"2026-04-19T10:00:00Z")";
const std::string kBuyRow =
    R"({"line":2,"package_lines":[2],"status":"pending","created_at":"2026-04-18T08:00:00Z","media_buy":{"media_buy_id":"b-1","principal_id":"p","campaign_name":"c","start_date":"2026-05-01","end_date":"2026-05-31","packages":[{"package_id":"k","product_id":"p","budget":"10"}],"requires_approval":false}})";

const int64_t kNow = at("2026-04-20T12:00:00Z");

const char* kCreateWork =
    R"({"activity_id":"a-1","title":"Write","type":"write","assignee_type":"agent","assignee_agent_role":"writer","priority":"normal","is_approval_gate":false})";

TEST(ImportApprovals, APendingApprovalOfAnImportedBuyIsDecidedLiveAndMovesTheBuy) {
  Tenant tenant(kNow);
  ASSERT_TRUE(tenant.import_buys(chunk("buys.csv", {kBuyRow})).accepted());
  const Decision decision = tenant.import_approvals(
      chunk("approvals.csv", {approval(2, "ap-1", "media_buy", "b-1", "pending"),
                              approval(3, "ap-old", "creative", "cr-9", "approved", kDecided)}));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  ASSERT_EQ(decision.events().size(), 1u);
  EXPECT_EQ(decision.events()[0].type, "approval.imported");
  EXPECT_EQ(decision.events()[0].stream, workflow::approvals_import_stream(kTenant));
  const workflow::State& state = tenant.state().workflow;
  EXPECT_EQ(state.media_buys.at("b-1").pending_approval_id, "ap-1");
  EXPECT_TRUE(state.media_buys.at("b-1").requires_approval);
  EXPECT_TRUE(state.approvals.at("ap-1").linked);
  EXPECT_EQ(state.approvals.at("ap-old").status, workflow::ApprovalStatus::approved);
  EXPECT_FALSE(state.approvals.at("ap-old").review.has_value());
  EXPECT_EQ(workflow::state_invariant_violation(state), std::nullopt);
  // The buy waits on its approval now; the approval's outcome moves it.
  expect_refused(tenant.run("media_buy.approve", R"({"media_buy_id":"b-1"})"), "approval_required",
                 "ap-1");
  const Decision approved =
      tenant.run("approval.approve", R"({"approval_id":"ap-1","reviewed_by":"u-rev"})");
  ASSERT_TRUE(approved.accepted()) << approved.rejection().message;
  ASSERT_EQ(approved.events().size(), 2u);
  EXPECT_EQ(approved.events()[1].type, "media_buy.approved");
  EXPECT_EQ(tenant.state().workflow.media_buys.at("b-1").status, workflow::BuyStatus::approved);
  // A decided one is history.
  expect_refused(tenant.run("approval.reject", R"({"approval_id":"ap-old","reviewed_by":"x"})"),
                 "invalid_transition", "");
}

TEST(ImportApprovals, APendingApprovalOfAnActivityAwaitingItIsLinkedAndItsOutcomeFlows) {
  Tenant tenant(kNow);
  ASSERT_TRUE(tenant.run("activity.create", kCreateWork).accepted());
  // As import.activities leaves a review step awaiting its approval.
  workflow::Activity& work = tenant.mutable_state().workflow.activities.at("a-1");
  work.status = workflow::ActivityStatus::awaiting_approval;
  work.is_approval_gate = true;
  const Decision decision = tenant.import_approvals(
      chunk("approvals.csv", {approval(2, "ap-1", "activity", "a-1", "pending")}));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  EXPECT_EQ(tenant.state().workflow.activities.at("a-1").pending_approval_id, "ap-1");
  ASSERT_TRUE(tenant.state().workflow.approvals.at("ap-1").review.has_value());
  EXPECT_EQ(tenant.state().workflow.approvals.at("ap-1").review->activity_id, "a-1");
  EXPECT_EQ(workflow::state_invariant_violation(tenant.state().workflow), std::nullopt);
  const Decision approved = tenant.run(
      "approval.approve", R"({"approval_id":"ap-1","reviewed_by":"u-rev","chosen_option":"A"})");
  ASSERT_TRUE(approved.accepted()) << approved.rejection().message;
  EXPECT_EQ(approved.events().back().type, "activity.approved");
  EXPECT_EQ(tenant.state().workflow.activities.at("a-1").status,
            workflow::ActivityStatus::approved);
}

TEST(ImportApprovals, RowsTheLiveLifecycleContradictsAreRefusedWithTheirLine) {
  Tenant tenant(kNow);
  ASSERT_TRUE(tenant.run("activity.create", kCreateWork).accepted());
  auto refused = [&](const std::string& row, const std::string& reason,
                     const std::string& message) {
    expect_refused(tenant.import_approvals(chunk("approvals.csv", {row})), reason, message);
  };
  refused(approval(4, "ap-1", "activity", "a-404", "approved", kDecided), "unknown_subject",
          "approvals.csv:4: approval ap-1: no activity a-404");
  refused(approval(5, "ap-1", "media_buy", "b-404", "rejected", kDecided), "unknown_subject",
          "approvals.csv:5: approval ap-1: no media buy b-404");
  refused(approval(6, "ap-1", "activity", "a-1", "pending"), "invalid_transition",
          "pending, but activity a-1 is created, not awaiting_approval");
  refused(approval(7, "ap-1", "activity", "a-1", "approved"), "invalid_transition",
          "approved: a decided approval has its reviewed_by and resolved_at");
  refused(approval(8, "ap-1", "creative", "c", "pending", kDecided), "invalid_transition",
          "pending: a pending approval has no resolved_at");
  refused(approval(9, "ap-1", "creative", "c", "expired", R"(,"reviewed_by":"u")"),
          "invalid_transition", "");
  refused(approval(10, "ap-1", "creative", "c", "approved", kDecided, "2026-04-19T11:00:00Z"),
          "timestamps_out_of_order",
          "resolved_at 2026-04-19T10:00:00.000Z is before its created_on");
  refused(approval(11, "ap-1", "creative", "c", "approved", kDecided, "2026-04-18T09:00:00Z",
                   "2026-04-19T09:00:00Z"),
          "expired", "approved at 2026-04-19T10:00:00.000Z, after it expired at");
  refused(approval(12, "ap-1", "creative", "c", "pending", "", "2026-04-20T12:06:00Z",
                   "2026-04-23T00:00:00Z"),
          "invalid_created_on", "approvals.csv:12: approval ap-1: created_on");
  refused(approval(13, "ap-1", "creative", "c", "pending", "", "2026-04-18T09:00:00Z",
                   "2026-04-18T09:00:00Z"),
          "timestamps_out_of_order", "expires_at");
  expect_refused(tenant.import_approvals(
                     chunk("approvals.csv", {approval(2, "ap-1", "creative", "c", "pending"),
                                             approval(3, "ap-1", "creative", "c", "pending")})),
                 "duplicate_approval", "approvals.csv:3: approval ap-1");
  EXPECT_TRUE(tenant.state().workflow.approvals.empty());
  EXPECT_EQ(tenant.state().workflow_imports, workflow::WorkflowImports{});
  // Resolved approvals of an existing activity are history: accepted.
  const std::string expired =
      approval(14, "ap-e", "activity", "a-1", "expired", R"(,"resolved_at":"2026-04-19T09:00:00Z")",
               "2026-04-16T09:00:00Z", "2026-04-19T09:00:00Z");
  EXPECT_TRUE(tenant.import_approvals(chunk("approvals.csv", {expired})).accepted());
}

TEST(ImportApprovals, ReRunsLiveEventsTimersAndTheSnapshot) {
  Tenant tenant(kNow);
  const std::string first =
      chunk("approvals.csv", {approval(2, "ap-1", "creative", "c-1", "pending")}, 0, 2);
  const std::string second =
      chunk("approvals.csv", {approval(3, "ap-2", "creative", "c-2", "rejected", kDecided)}, 1, 2);
  ASSERT_TRUE(tenant.import_approvals(first).accepted());
  Result<TenantState> restored = testing::snapshot_round_trip(tenant.state());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->workflow_imports, tenant.state().workflow_imports);
  EXPECT_EQ(restored->workflow_imports.approvals.events, 1);
  EXPECT_EQ(restored->workflow.approvals, tenant.state().workflow.approvals);
  ASSERT_TRUE(tenant.import_approvals(second).accepted());
  expect_refused(tenant.import_approvals(first), "already_imported", "chunk 0 of 2");
  // The pending one expires on the engine's clock like a live one.
  tenant.advance(2 * 86'400'000);
  tenant.fire_timers();
  EXPECT_EQ(tenant.state().workflow.approvals.at("ap-1").status, workflow::ApprovalStatus::expired);

  Tenant live(kNow);
  const Decision requested = live.run(
      "approval.request",
      R"({"approval_id":"l-1","subject":{"kind":"creative","id":"c"},"type":"creative","risk_level":"low","title":"t","expires_at":"2026-04-25T00:00:00Z"})");
  ASSERT_TRUE(requested.accepted()) << requested.rejection().message;
  const std::string rows =
      chunk("approvals.csv", {approval(2, "ap-1", "creative", "c", "pending")});
  expect_refused(live.import_approvals(rows), "tenant_has_live_events", "1 live approval event(s)");
  EXPECT_TRUE(
      live.import_approvals(
              chunk("approvals.csv", {approval(2, "ap-1", "creative", "c", "pending")}, 0, 1, true))
          .accepted());
}

}  // namespace
}  // namespace lf::engine
