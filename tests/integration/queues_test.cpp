// The activity queues of the seed dialect (docs/domains/workflow.md
// "Queues"; schemas/migrations/006_seed_dialect.sql) against a real
// PostgreSQL with every migration applied: activities written through the
// activities projection and the projector's BatchWriter, then read with the
// seed's "human's pending activity queue" query exactly as the doc prints it
// and through the agent_queue and human_queue views. Review steps come first
// in a human's queue, then urgent before high before normal before low, then
// the earlier due date; each read is served by its partial index, in index
// order.
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "consumers/pg/batch_writer.hpp"
#include "events/time.hpp"
#include "projections/activities/projection.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/records.hpp"

namespace lf::pg {
namespace {

using lf::testing::EventSpec;
using projections::Activities;
using projections::Null;
using projections::RowBatch;
using projections::Timestamp;
using projections::Value;

constexpr const char* kTenant = "5b2e8f14-0c3d-4a5e-8f6b-7c8d9e0f1a2b";
constexpr const char* kOtherTenant = "c4d5e6f7-1829-4a3b-9c4d-5e6f7a8b9c0d";

// The seed's query, from the doc itself, so the doc stays what runs.
std::string seed_human_queue_query() {
  std::ifstream file(LEDGERFLOW_WORKFLOW_DOC);
  EXPECT_TRUE(file.good()) << LEDGERFLOW_WORKFLOW_DOC;
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const std::size_t section = doc.find("\n## Queues\n");
  EXPECT_NE(section, std::string::npos) << "docs/domains/workflow.md has no Queues section";
  const std::size_t open = doc.find("```sql\n", section);
  EXPECT_NE(open, std::string::npos) << "the Queues section prints no SQL";
  const std::size_t start = open + 7;
  const std::size_t close = doc.find("```", start);
  EXPECT_NE(close, std::string::npos);
  if (section == std::string::npos || open == std::string::npos || close == std::string::npos)
    return "";
  return doc.substr(start, close - start);
}

const std::string kAgentQueue =
    "SELECT activity_id FROM agent_queue WHERE tenant_id = $1 AND assignee_agent_role = $2";
const std::string kHumanQueue =
    "SELECT activity_id FROM human_queue WHERE tenant_id = $1 AND assignee_user_id = $2";

// activity.created (v2).
EventSpec created(const std::string& id, const std::string& assignee_type,
                  const std::optional<std::string>& assignee, const std::string& priority,
                  const std::optional<std::string>& due_date, bool review_step = false) {
  std::string payload = R"({"activity_id":")" + id + R"(","title":"Task )" + id + R"(","type":")" +
                        (review_step ? "review" : "write") + R"(","assignee_type":")" +
                        assignee_type + "\"";
  if (assignee) {
    payload += std::string(assignee_type == "agent" ? R"(,"assignee_agent_role":")"
                                                    : R"(,"assignee_user_id":")") +
               *assignee + "\"";
  }
  payload +=
      R"(,"priority":")" + priority + R"(","is_approval_gate":)" + (review_step ? "true" : "false");
  if (due_date) payload += R"(,"due_date":")" + *due_date + "\"";
  payload += "}";
  return {"activity.created", "activity/" + id, payload, 2};
}

EventSpec started(const std::string& id) {
  return {"activity.started", "activity/" + id, R"({"activity_id":")" + id + "\"}"};
}

EventSpec submitted(const std::string& id, const std::string& approval_id) {
  return {"activity.submitted_for_approval", "activity/" + id,
          R"({"activity_id":")" + id + R"(","approval_id":")" + approval_id +
              R"(","review_activity_id":")" + id + "\"}",
          2};
}

class Queues : public ::testing::Test {
 protected:
  Queues() : connection_(lf::testing::fresh_database_url()) {}

  // Maps every record of `log` through the activities projection into one
  // batch and writes it in one transaction, as the projector does.
  void project(const lf::testing::RecordLog& log) {
    RowBatch batch;
    for (std::size_t i = 0; i < log.size(); ++i) {
      Activities{}.apply(projections::RecordAt{0, static_cast<int64_t>(i), &log.at(i)}, batch);
    }
    write(batch);
  }

  void write(const RowBatch& batch) {
    pqxx::work work(connection_);
    writer_.write(work, batch);
    work.commit();
  }

  std::vector<std::string> ids(const std::string& sql, const std::string& tenant,
                               const std::string& assignee) {
    pqxx::read_transaction work(connection_);
    std::vector<std::string> out;
    for (const pqxx::row& row : work.exec_params(sql, tenant, assignee))
      out.push_back(row[0].as<std::string>());
    return out;
  }

  // EXPLAIN of `sql` with sequential scans off, as one string.
  std::string plan(const std::string& sql, const std::string& tenant, const std::string& assignee) {
    pqxx::work work(connection_);
    work.exec("SET LOCAL enable_seqscan = off");
    std::string out;
    for (const pqxx::row& row : work.exec_params("EXPLAIN " + sql, tenant, assignee)) {
      out += row[0].as<std::string>() + "\n";
    }
    return out;
  }

  pqxx::connection connection_;
  BatchWriter writer_;
};

// A human's to-do list: review steps first, then by priority (the enum's
// order, urgent first), then the earlier due date, undated last.
TEST_F(Queues, TheSeedsHumanQueueQueryListsReviewStepsFirstThenByPriorityThenDueDate) {
  lf::testing::RecordLog log(kTenant, {.check_payloads = true, .ulid_seed = 31});
  const std::string user = "u-1";
  log.record({created("review-low", "human", user, "low", "2026-11-12", true)});
  log.record({submitted("review-low", "ap-review-low")});  // awaiting_approval: in the queue
  log.record({created("review-urgent", "human", user, "urgent", std::nullopt, true)});
  log.record({created("task-urgent-late", "human", user, "urgent", "2026-12-01")});
  log.record({created("task-urgent-soon", "human", user, "urgent", "2026-11-15")});
  log.record({created("task-high", "human", user, "high", "2026-11-11")});
  log.record({created("task-normal-undated", "human", user, "normal", std::nullopt)});
  log.record({created("task-normal-due", "human", user, "normal", "2026-11-20")});
  log.record({created("task-low", "human", user, "low", "2026-11-10")});
  log.record({created("work-awaiting", "human", user, "normal", "2026-11-18")});
  log.record({started("work-awaiting")});
  log.record({submitted("work-awaiting", "ap-work")});
  // Back from a revision: a human's work returns to created, into the queue.
  log.record({created("back-from-revision", "human", user, "high", "2026-11-16")});
  log.record({started("back-from-revision")});
  log.record({submitted("back-from-revision", "ap-back")});
  log.record(
      {{"activity.revision_requested", "activity/back-from-revision",
        R"({"activity_id":"back-from-revision","approval_id":"ap-back","reviewed_by":"rita",)"
        R"("revision_note":"shorter","status":"created"})",
        2}});
  // Not in u-1's queue: being worked on, done, another user's, an unassigned
  // review step, one handed to another user.
  log.record({created("in-progress", "human", user, "urgent", "2026-11-09")});
  log.record({started("in-progress")});
  log.record({created("done", "human", user, "urgent", "2026-11-09")});
  log.record({started("done")});
  log.record({{"activity.completed", "activity/done", R"({"activity_id":"done"})", 2}});
  log.record({created("other-user", "human", std::string("u-2"), "urgent", "2026-11-09")});
  log.record({created("unassigned-review", "human", std::nullopt, "urgent", "2026-11-09", true)});
  log.record({created("handed-over", "human", user, "urgent", "2026-11-09")});
  log.record(
      {{"activity.assigned", "activity/handed-over",
        R"({"activity_id":"handed-over","assignee_type":"human","assignee_user_id":"u-2","status":"created"})",
        2}});
  project(log);
  lf::testing::RecordLog other(kOtherTenant, {.check_payloads = true, .ulid_seed = 32});
  other.record({created("other-tenant", "human", user, "urgent", "2026-11-09", true)});
  project(other);

  const std::vector<std::string> expected{
      "review-urgent",      "review-low",    "task-urgent-soon", "task-urgent-late",    "task-high",
      "back-from-revision", "work-awaiting", "task-normal-due",  "task-normal-undated", "task-low"};
  const std::string seed_query = seed_human_queue_query();
  ASSERT_NE(seed_query.find("ORDER BY a.is_approval_gate DESC, a.priority, a.due_date"),
            std::string::npos)
      << seed_query;
  EXPECT_EQ(ids(seed_query, kTenant, user), expected);
  // The view lists the same rows in the same order.
  EXPECT_EQ(ids(kHumanQueue, kTenant, user), expected);
  EXPECT_EQ(ids(seed_query, kOtherTenant, user), (std::vector<std::string>{"other-tenant"}));

  // The seed's columns, as the seed's types: priority is the enum.
  pqxx::read_transaction work(connection_);
  const pqxx::row first = work.exec_params(seed_query, kTenant, user)[0];
  EXPECT_EQ(first["title"].as<std::string>(), "Task review-urgent");
  EXPECT_EQ(first["type"].as<std::string>(), "review");
  EXPECT_EQ(first["priority"].as<std::string>(), "urgent");
  EXPECT_TRUE(first["is_approval_gate"].as<bool>());
  EXPECT_TRUE(first["due_date"].is_null());
  EXPECT_EQ(
      work.exec1("SELECT pg_typeof(priority)::text FROM activities LIMIT 1")[0].as<std::string>(),
      "activity_priority");
}

// An agent's to-do list: created and assigned work (a revision sends it back
// to assigned), urgent first, then the earlier due date, undated last, then
// the older.
TEST_F(Queues, TheAgentQueueListsCreatedAndAssignedWorkByPriorityThenDueDate) {
  lf::testing::RecordLog log(kTenant, {.check_payloads = true, .ulid_seed = 33});
  const std::string role = "writer";
  log.record({created("low-due", "agent", role, "low", "2026-11-12")});
  log.record({created("high-late", "agent", role, "high", "2026-12-01")});
  log.record({created("high-soon", "agent", role, "high", "2026-11-15")});
  log.record({created("urgent-undated", "agent", role, "urgent", std::nullopt)});
  log.record(
      {created("high-soon-2", "agent", role, "high", "2026-11-15")});  // same day, created later
  log.record({created("normal-undated", "agent", role, "normal", std::nullopt)});
  log.record(
      {{"activity.assigned", "activity/normal-undated",
        R"({"activity_id":"normal-undated","assignee_type":"agent","assignee_agent_role":"writer",)"
        R"("status":"assigned"})",
        2}});
  log.record({created("revised", "agent", role, "normal", "2026-11-10")});
  log.record({started("revised")});
  log.record({submitted("revised", "ap-revised")});
  log.record({{"activity.revision_requested", "activity/revised",
               R"({"activity_id":"revised","approval_id":"ap-revised","reviewed_by":"rita",)"
               R"("revision_note":"tighter","status":"assigned"})",
               2}});
  // Out of the queue: in progress, waiting for review, rejected, cancelled,
  // another role's, handed to a human.
  log.record({created("working", "agent", role, "urgent", "2026-11-09")});
  log.record({started("working")});
  log.record({created("waiting", "agent", role, "urgent", "2026-11-09")});
  log.record({started("waiting")});
  log.record({submitted("waiting", "ap-waiting")});
  log.record({created("rejected", "agent", role, "urgent", "2026-11-09")});
  log.record({started("rejected")});
  log.record({submitted("rejected", "ap-rejected")});
  log.record(
      {{"activity.rejected", "activity/rejected",
        R"({"activity_id":"rejected","approval_id":"ap-rejected","reviewed_by":"rita","rejection_note":"no"})"}});
  log.record({created("cancelled", "agent", role, "urgent", "2026-11-09")});
  log.record({{"activity.cancelled", "activity/cancelled", R"({"activity_id":"cancelled"})"}});
  log.record({created("other-role", "agent", std::string("editor"), "urgent", std::nullopt)});
  log.record({created("handed-over", "agent", role, "urgent", "2026-11-09")});
  log.record(
      {{"activity.assigned", "activity/handed-over",
        R"({"activity_id":"handed-over","assignee_type":"human","assignee_user_id":"u-1","status":"created"})",
        2}});
  project(log);

  EXPECT_EQ(ids(kAgentQueue, kTenant, role),
            (std::vector<std::string>{"urgent-undated", "high-soon", "high-soon-2", "high-late",
                                      "revised", "normal-undated", "low-due"}));
  EXPECT_EQ(ids(kAgentQueue, kTenant, "editor"), (std::vector<std::string>{"other-role"}));
  EXPECT_EQ(ids(kHumanQueue, kTenant, "u-1"), (std::vector<std::string>{"handed-over"}));
}

// Every (assignee type, status) pair: a view lists the row exactly when
// projections::queue_of names it.
TEST_F(Queues, EachViewListsExactlyTheStatusesOfItsQueue) {
  const std::vector<std::string> statuses = {"created",           "assigned", "in_progress",
                                             "awaiting_approval", "approved", "rejected",
                                             "completed",         "failed",   "cancelled"};
  const projections::TableSpec& table = Activities::table();
  RowBatch batch;
  std::set<std::string> expected_agent;
  std::set<std::string> expected_human;
  for (const char* const type_name : {"agent", "human"}) {
    const std::string type(type_name);
    for (const std::string& status : statuses) {
      const std::string id = type + "-" + status;
      std::vector<Value> row(table.columns.size(), Value{Null{}});
      auto set = [&](const char* column, Value value) {
        row[table.column_index(column)] = std::move(value);
      };
      set("tenant_id", std::string(kTenant));
      set("activity_id", id);
      set("title", id);
      set("type", std::string("write"));
      set("status", status);
      set("assignee_type", type);
      set(type == "agent" ? "assignee_agent_role" : "assignee_user_id", std::string("x"));
      set("priority", std::string("normal"));
      set("is_approval_gate", false);
      set("created_at", Timestamp{lf::testing::kRecordLogStartMs});
      set("updated_at", Timestamp{lf::testing::kRecordLogStartMs});
      if (status == "completed") set("completed_on", Timestamp{lf::testing::kRecordLogStartMs});
      batch.insert(table, std::move(row));
      const std::optional<std::string_view> queue = projections::queue_of(type, status);
      if (queue == std::optional<std::string_view>("agent_queue")) expected_agent.insert(id);
      if (queue == std::optional<std::string_view>("human_queue")) expected_human.insert(id);
    }
  }
  write(batch);
  auto listed = [this](const std::string& view) {
    pqxx::read_transaction work(connection_);
    std::set<std::string> out;
    for (const pqxx::row& row : work.exec("SELECT activity_id FROM " + view))
      out.insert(row[0].as<std::string>());
    return out;
  };
  EXPECT_EQ(listed("agent_queue"), expected_agent);
  EXPECT_EQ(listed("human_queue"), expected_human);
  EXPECT_EQ(expected_agent, (std::set<std::string>{"agent-created", "agent-assigned"}));
  EXPECT_EQ(expected_human, (std::set<std::string>{"human-created", "human-awaiting_approval"}));
}

// A review step may wait unassigned; any other human activity names its user.
TEST_F(Queues, OnlyAReviewStepMayBeAHumanActivityWithoutAUser) {
  lf::testing::RecordLog log(kTenant, {.ulid_seed = 34});
  log.record({created("unassigned-review", "human", std::nullopt, "high", std::nullopt, true)});
  project(log);
  lf::testing::RecordLog bad(kTenant, {.ulid_seed = 35});
  bad.record({created("unassigned-task", "human", std::nullopt, "high", std::nullopt, false)});
  EXPECT_THROW(project(bad), pqxx::check_violation);
}

// Each queue read is an index scan of its partial index, in index order (no
// sort), on a table where the queues are a small part.
TEST_F(Queues, EachQueueReadUsesItsPartialIndexInIndexOrder) {
  constexpr int kActivities = 20'000;
  constexpr int kAssignees = 40;  // per kind: each queue holds about 1/80 of the table
  constexpr std::size_t kEventsPerRecord = 100;
  const char* const priorities[] = {"urgent", "high", "normal", "low"};
  lf::testing::RecordLog log(kTenant, {.ulid_seed = 36});
  std::vector<EventSpec> events;
  auto flush = [&](bool force) {
    if (events.empty() || (!force && events.size() < kEventsPerRecord)) return;
    log.record(events);
    events.clear();
  };
  for (int i = 0; i < kActivities; ++i) {
    const std::string id = "a-" + std::to_string(i);
    const bool agent = i % 2 == 0;
    const std::string assignee = (agent ? "role-" : "user-") + std::to_string((i / 2) % kAssignees);
    const std::optional<std::string> due =
        i % 3 == 0 ? std::nullopt : std::optional<std::string>(format_date_days(20'400 + i % 90));
    events.push_back(created(id, agent ? "agent" : "human", assignee, priorities[i % 4], due,
                             !agent && i % 10 == 1));
    flush(false);
  }
  flush(true);
  // A third of them closed: out of the queues and their indexes.
  for (int i = 0; i < kActivities; i += 3) {
    const std::string id = "a-" + std::to_string(i);
    events.push_back({"activity.cancelled", "activity/" + id, R"({"activity_id":")" + id + "\"}"});
    flush(false);
  }
  flush(true);
  project(log);
  {
    pqxx::nontransaction work(connection_);
    work.exec("ANALYZE activities");
  }

  struct Read {
    std::string name;
    std::string sql;
    std::string assignee;
    std::string index;
  };
  const std::vector<Read> reads = {
      {"the seed's human queue query", seed_human_queue_query(), "user-7",
       "idx_activities_human_queue"},
      {"human_queue", kHumanQueue, "user-7", "idx_activities_human_queue"},
      {"agent_queue", kAgentQueue, "role-7", "idx_activities_agent_queue"},
  };
  for (const Read& read : reads) {
    SCOPED_TRACE(read.name);
    const std::vector<std::string> rows = ids(read.sql, kTenant, read.assignee);
    EXPECT_GT(rows.size(), 100U);
    EXPECT_LT(rows.size(), 300U);
    const std::string explained = plan(read.sql, kTenant, read.assignee);
    EXPECT_NE(explained.find("Scan using " + read.index + " on activities"), std::string::npos)
        << explained;  // an Index Scan or an Index Only Scan
    EXPECT_EQ(explained.find("Sort"), std::string::npos) << explained;  // read in index order
    EXPECT_EQ(explained.find("Seq Scan"), std::string::npos) << explained;
  }
}

}  // namespace
}  // namespace lf::pg
