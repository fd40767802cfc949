// import.activities through the engine's pure path (intake checks with the
// command schema, engine::decide, the event schema, engine::evolve): the
// platform's activities enter the state with the status it left them in and
// go on live from there; every row is checked as the lifecycle would (ids,
// parents, statuses an assignee can reach, times in order and not in the
// future); the shared chunk order and live-event rules on
// activities/<tenant>; the state in a snapshot.
#include <gtest/gtest.h>

#include "engine/intake.hpp"
#include "engine/tenant.hpp"
#include "engine/workflow/import_activities.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tests/support/json.hpp"
#include "tests/unit/engine/tenant_driver.hpp"

namespace lf::engine {
namespace {

constexpr const char* kTenant = "9c1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a70";
const std::string kImportA(64, 'a');

using testing::at;
using testing::expect_refused;

const int64_t kNow = at("2026-04-20T12:00:00Z");

// The tenant as the engine holds it, driven command by command; the
// workflow state's derived indexes and links checked after every command.
class Tenant : public testing::TenantDriver {
 public:
  explicit Tenant(int64_t now_ms) : TenantDriver(kTenant, now_ms) {}
  Decision import(const std::string& payload) { return run("import.activities", payload); }
  Decision run(const std::string& type, const std::string& payload) {
    Decision decision = TenantDriver::run(type, payload);
    EXPECT_EQ(workflow::state_invariant_violation(state().workflow), std::nullopt)
        << "after " << type;
    return decision;
  }
};

// A chunk of `rows` (each {"line":..,"activity":{..},"status":..,...}).
std::string chunk(const std::vector<std::string>& rows, int64_t number = 0, int64_t chunks = 1,
                  bool append = false) {
  return testing::import_chunk(kImportA, "activities.csv", rows, number, chunks, append);
}

// One row: `id` of `status`, assigned to an agent (a human with `user`).
std::string row(int64_t line, const std::string& id, const std::string& status,
                const std::string& extra = "", const std::string& activity_extra = "",
                const std::string& user = "") {
  const std::string assignee =
      user.empty() ? R"("assignee_type":"agent","assignee_agent_role":"copywriter")"
                   : R"("assignee_type":"human","assignee_user_id":")" + user + "\"";
  return R"({"line":)" + std::to_string(line) + R"(,"activity":{"activity_id":")" + id +
         R"(","title":"Write )" + id + R"(","type":"write",)" + assignee +
         R"(,"priority":"medium")" + activity_extra + R"(},"status":")" + status +
         R"(","created_on":"2025-06-01T09:00:00Z")" + extra + "}";
}

TEST(ImportActivities, ActivitiesEnterTheStateAsThePlatformLeftThemAndGoOnLive) {
  Tenant tenant(kNow);
  const Decision decision = tenant.import(chunk(
      {row(2, "a-todo", "assigned"),
       row(3, "a-work", "in_progress", R"(,"started_on":"2025-06-02T09:00:00Z")"),
       row(4, "a-done", "completed",
           R"(,"started_on":"2025-06-02T09:00:00Z","completed_on":"2025-06-03T09:00:00Z","output_summary":{"words":900},"output_ref":"64b0")"),
       row(5, "a-review", "created", "",
           R"(,"is_approval_gate":true,"parent_activity_id":"a-work")", "user:rita")}));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  ASSERT_EQ(decision.events().size(), 1u);
  EXPECT_EQ(decision.events()[0].type, "activities.imported");
  EXPECT_EQ(decision.events()[0].stream, workflow::activity_imports_stream(kTenant));
  const auto& activities = tenant.state().workflow.activities;
  ASSERT_EQ(activities.size(), 4u);
  EXPECT_EQ(activities.at("a-todo").status, workflow::ActivityStatus::assigned);
  EXPECT_EQ(activities.at("a-todo").priority, workflow::Priority::normal);  // medium
  EXPECT_EQ(activities.at("a-done").status, workflow::ActivityStatus::completed);
  EXPECT_TRUE(activities.at("a-review").is_approval_gate);
  EXPECT_EQ(activities.at("a-review").assignee_type, workflow::AssigneeType::human);
  // The event keeps the original times; updated_on is the latest of them.
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads().back());
  const rapidjson::Value& rows = (*payload)["rows"];
  EXPECT_EQ(json_string(rows[2], "created_on"), "2025-06-01T09:00:00.000Z");
  EXPECT_EQ(json_string(rows[2], "updated_on"), "2025-06-03T09:00:00.000Z");
  EXPECT_EQ(json_string(rows[0]["created"], "priority"), "normal");

  // Live commands go on from the imported statuses; a final one is history.
  EXPECT_TRUE(tenant.run("activity.start", R"({"activity_id":"a-todo"})").accepted());
  EXPECT_TRUE(tenant.run("activity.complete", R"({"activity_id":"a-work"})").accepted());
  expect_refused(tenant.run("activity.start", R"({"activity_id":"a-done"})"), "invalid_transition",
                 "a-done is completed");
  EXPECT_TRUE(
      tenant
          .run(
              "activity.submit_for_approval",
              R"({"activity_id":"a-review","approval_id":"ap-1","reviewer_id":"user:rita","approval_expires_at":"2026-04-23T12:00:00Z"})")
          .accepted());
  expect_refused(
      tenant.run(
          "activity.create",
          R"({"activity_id":"a-todo","title":"x","type":"write","assignee_type":"agent","assignee_agent_role":"r","priority":"low"})"),
      "duplicate_activity", "a-todo");
}

TEST(ImportActivities, RowsTheLifecycleCouldNotReachAreRefusedWithTheirLine) {
  Tenant tenant(kNow);
  expect_refused(tenant.import(chunk({row(2, "a-1", "created"), row(3, "a-1", "created")})),
                 "duplicate_activity", "activities.csv:3: activity a-1 already exists");
  expect_refused(
      tenant.import(chunk({row(2, "a-1", "created", "", R"(,"parent_activity_id":"nope")")})),
      "unknown_parent", "activities.csv:2: activity a-1: no parent activity nope");
  expect_refused(tenant.import(chunk({row(4, "a-1", "assigned", "", "", "user:rita")})),
                 "invalid_transition", "activities.csv:4: activity a-1 is a human's and assigned");
  expect_refused(tenant.import(chunk({row(5, "a-1", "in_progress")})), "invalid_transition",
                 "in_progress without started_on");
  expect_refused(tenant.import(chunk({row(6, "a-1", "completed")})), "invalid_transition",
                 "completed without completed_on");
  expect_refused(
      tenant.import(chunk({row(7, "a-1", "failed", R"(,"completed_on":"2025-06-03T09:00:00Z")")})),
      "invalid_transition", "failed but has completed_on");
  expect_refused(
      tenant.import(
          chunk({row(8, "a-1", "in_progress", R"(,"started_on":"2025-05-01T09:00:00Z")")})),
      "timestamps_out_of_order",
      "activities.csv:8: activity a-1: started_on 2025-05-01T09:00:00.000Z is before its "
      "created_on");
  expect_refused(
      tenant.import(chunk({row(9, "a-1", "created", R"(,"updated_on":"2026-04-20T12:06:00Z")")})),
      "invalid_created_on", "updated_on 2026-04-20T12:06:00.000Z is after the engine's clock");
  // The schema names the statuses (the CLI's converter names the column).
  expect_refused(tenant.import(chunk({row(10, "a-1", "paused")})), "schema_violation",
                 "/rows/0/status");
  expect_refused(
      tenant.import(chunk(
          {R"({"line":11,"activity":{"activity_id":"a-1","title":"t","type":"write","assignee_type":"agent","assignee_agent_role":"r","priority":"low","is_approval_gate":true},"status":"created","created_on":"2025-06-01T09:00:00Z"})"})),
      "invalid_row", "line 11: invalid_payload: a review step");
  EXPECT_TRUE(tenant.state().workflow.activities.empty());
  EXPECT_EQ(tenant.state().activity_imports, workflow::StreamImports{});
}

TEST(ImportActivities, ReRunsChunksLiveEventsAndTheSnapshot) {
  Tenant tenant(kNow);
  const std::string first = chunk({row(2, "a-1", "created")}, 0, 2);
  const std::string second =
      chunk({row(3, "a-2", "created", "", R"(,"parent_activity_id":"a-1")")}, 1, 2);
  expect_refused(tenant.import(second), "chunk_out_of_order", "a new import starts");
  ASSERT_TRUE(tenant.import(first).accepted());
  Result<TenantState> restored = testing::snapshot_round_trip(tenant.state());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->activity_imports, tenant.state().activity_imports);
  EXPECT_EQ(restored->activity_imports.by_kind.at("activities").chunks_committed, 1);
  EXPECT_EQ(restored->workflow, tenant.state().workflow);
  ASSERT_TRUE(tenant.import(second).accepted());  // its parent came in the first chunk
  expect_refused(tenant.import(first), "already_imported", "chunk 0 of 2");
  EXPECT_EQ(tenant.state().workflow.activities.size(), 2u);

  // A tenant with live activity events takes an import only with --append,
  // and then a row reusing a live id is a duplicate.
  Tenant live(kNow);
  ASSERT_TRUE(
      live.run(
              "activity.create",
              R"({"activity_id":"a-1","title":"x","type":"write","assignee_type":"agent","assignee_agent_role":"r","priority":"low"})")
          .accepted());
  expect_refused(live.import(chunk({row(2, "a-2", "created")})), "tenant_has_live_events",
                 "1 live activity event(s)");
  expect_refused(live.import(chunk({row(2, "a-1", "created")}, 0, 1, true)), "duplicate_activity",
                 "activities.csv:2");
  EXPECT_TRUE(live.import(chunk({row(2, "a-2", "created", "", R"(,"parent_activity_id":"a-1")")}, 0,
                                1, true))
                  .accepted());
}

// ---- activity_runs -----------------------------------------------------------------

// The tenant's ledger: an allocation, a finished run's hold (reserved 100,
// released, 60 consumed), and an open hold of 300 for run-open.
std::string ledger() {
  return R"({"import_id":")" + std::string(64, 'c') +
         R"(","chunk":0,"chunks":1,"source":{"file":"ledger.csv","first_line":2,"last_line":6},"rows":[)"
         R"({"line":2,"type":"allocated","credits":1000,"balance_after":1000,"created_at":"2025-06-01T00:00:00Z"},)"
         R"({"line":3,"type":"reserved","credits":-100,"balance_after":900,"activity_run_id":"run-done","created_at":"2025-06-02T09:00:00Z"},)"
         R"({"line":4,"type":"released","credits":100,"balance_after":1000,"activity_run_id":"run-done","created_at":"2025-06-02T10:00:00Z"},)"
         R"({"line":5,"type":"consumed","credits":-60,"balance_after":940,"activity_run_id":"run-done","created_at":"2025-06-02T10:00:00Z"},)"
         R"({"line":6,"type":"reserved","credits":-300,"balance_after":640,"activity_run_id":"run-open","created_at":"2025-06-03T09:00:00Z"}]})";
}

std::string runs(const std::vector<std::string>& rows, int64_t number = 0, int64_t chunks = 1) {
  std::string text = R"({"import_id":")" + std::string(64, 'b') + R"(","chunk":)" +
                     std::to_string(number) + R"(,"chunks":)" + std::to_string(chunks) +
                     R"(,"source":{"file":"runs.csv","first_line":2,"last_line":9},"rows":[)";
  for (std::size_t i = 0; i < rows.size(); ++i) text += (i > 0 ? "," : "") + rows[i];
  return text + "]}";
}

std::string run_row(int64_t line, const std::string& id, const std::string& activity,
                    const std::string& status, const std::string& extra = "") {
  return R"({"line":)" + std::to_string(line) + R"(,"run_id":")" + id + R"(","activity_id":")" +
         activity + R"(","status":")" + status +
         R"(","adapter_type":"claude","model_id":"claude-sonnet","started_on":"2025-06-02T09:00:00Z")" +
         extra + "}";
}

const std::string kEnded = R"(,"ended_on":"2025-06-02T10:00:00Z")";

// A tenant with its ledger and its activities imported: w-1 in progress,
// w-2 completed.
Tenant tenant_with_work() {
  Tenant tenant(kNow);
  EXPECT_TRUE(tenant.run("import.credit_ledger", ledger()).accepted());
  EXPECT_TRUE(
      tenant
          .import(chunk({row(2, "w-1", "in_progress", R"(,"started_on":"2025-06-01T10:00:00Z")"),
                         row(3, "w-2", "completed", R"(,"completed_on":"2025-06-02T09:00:00Z")")}))
          .accepted());
  return tenant;
}

TEST(ImportActivityRuns, FinishedRunsAreHistoryARunningOneTakesOverItsImportedHold) {
  Tenant tenant = tenant_with_work();
  const Decision decision = tenant.run(
      "import.activity_runs",
      runs({run_row(2, "run-done", "w-1", "completed",
                    kEnded + R"(,"input_tokens":1200,"output_tokens":800,"cost_usd":"0.042318")"),
            run_row(3, "run-open", "w-1", "running")}));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  EXPECT_EQ(decision.events()[0].type, "activity_runs.imported");
  EXPECT_EQ(decision.events()[0].stream, workflow::activity_imports_stream(kTenant));
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads().back());
  const rapidjson::Value& rows = (*payload)["rows"];
  EXPECT_EQ(json_int64(rows[0]["usage"], "cost_usd_micros"), 42'318);
  EXPECT_FALSE(rows[0].HasMember("reservation_id"));  // history: its hold closed with the ledger
  EXPECT_EQ(json_string(rows[1], "reservation_id"), "import:run-open");
  EXPECT_EQ(json_int64(rows[1], "credits_reserved"), 300);
  const workflow::State& state = tenant.state().workflow;
  EXPECT_EQ(state.runs.at("run-done").status, workflow::RunStatus::completed);
  const workflow::Run& open = state.runs.at("run-open");
  EXPECT_EQ(open.status, workflow::RunStatus::running);
  EXPECT_EQ(open.reservation_id, "import:run-open");
  EXPECT_EQ(open.estimated_credits, 300);
  EXPECT_EQ(state.run_by_reservation.at("import:run-open"), "run-open");
  EXPECT_EQ(workflow::state_invariant_violation(state), std::nullopt);

  // The hold is the run's now: only the run closes it, live.
  expect_refused(
      tenant.run("credits.consume", R"({"reservation_id":"import:run-open","credits":10})"),
      "reservation_owned_by_run", "belongs to run run-open");
  expect_refused(tenant.run("activity.finish_run",
                            R"({"run_id":"run-done","status":"completed","credits_used":1})"),
                 "invalid_transition", "already finished");
  ASSERT_TRUE(tenant
                  .run("activity.finish_run",
                       R"({"run_id":"run-open","status":"completed","credits_used":200})")
                  .accepted());
  EXPECT_FALSE(tenant.state().credits.reservations.contains("import:run-open"));
  EXPECT_EQ(tenant.state().workflow.runs.at("run-open").status, workflow::RunStatus::completed);
}

TEST(ImportActivityRuns, RunsTheLifecycleCouldNotHaveAreRefusedWithTheirLine) {
  Tenant tenant = tenant_with_work();
  auto refused = [&](const std::string& row, const std::string& reason, const std::string& part) {
    expect_refused(tenant.run("import.activity_runs", runs({row})), reason, part);
  };
  refused(run_row(2, "run-x", "nope", "completed", kEnded), "unknown_activity",
          "runs.csv:2: run run-x: no activity nope");
  refused(run_row(3, "run-x", "w-2", "running"), "invalid_transition",
          "runs.csv:3: run run-x: running, but activity w-2 is completed");
  refused(run_row(4, "run-x", "w-1", "running"), "unknown_reservation",
          "no open hold import:run-x");
  refused(run_row(5, "run-x", "w-1", "completed"), "invalid_transition",
          "completed without ended_on");
  refused(run_row(6, "run-x", "w-1", "running", kEnded), "invalid_transition",
          "running but has ended_on");
  refused(run_row(7, "run-x", "w-1", "failed", R"(,"ended_on":"2025-06-02T08:00:00Z")"),
          "timestamps_out_of_order", "ended_on 2025-06-02T08:00:00.000Z is before its started_on");
  refused(run_row(8, "run-open", "w-1", "failed", kEnded), "invalid_transition",
          "its hold import:run-open is still open");
  expect_refused(
      tenant.run("import.activity_runs", runs({run_row(2, "run-y", "w-1", "failed", kEnded),
                                               run_row(3, "run-y", "w-1", "failed", kEnded)})),
      "duplicate_run", "runs.csv:3: run run-y: already exists");
  EXPECT_TRUE(tenant.state().workflow.runs.empty());
  EXPECT_FALSE(tenant.state().activity_imports.by_kind.contains("activity_runs"));
}

TEST(ImportActivityRuns, TheImportedRunsSurviveASnapshot) {
  Tenant tenant = tenant_with_work();
  ASSERT_TRUE(
      tenant
          .run("import.activity_runs", runs({run_row(2, "run-done", "w-1", "completed", kEnded),
                                             run_row(3, "run-open", "w-1", "running")}))
          .accepted());
  Result<TenantState> restored = testing::snapshot_round_trip(tenant.state());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->workflow, tenant.state().workflow);
  EXPECT_EQ(restored->activity_imports, tenant.state().activity_imports);
  EXPECT_EQ(restored->activity_imports.by_kind.at("activity_runs").chunks_committed, 1);
}

}  // namespace
}  // namespace lf::engine
