// The workflow read tables (schemas/migrations/002_workflow.sql) against a
// real PostgreSQL: the projections' row changes written by the projector's
// BatchWriter and read back, the tables matching the TableSpecs, the queue
// views' order, and the partial indexes serving the queue queries. Every
// test gets a fresh migrated database.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "consumers/pg/batch_writer.hpp"
#include "events/envelope.hpp"
#include "events/time.hpp"
#include "projections/activities/projection.hpp"
#include "projections/activity_runs/projection.hpp"
#include "projections/approvals/projection.hpp"
#include "projections/audit_log/projection.hpp"
#include "projections/media_buys/projection.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/records.hpp"

namespace lf::pg {
namespace {

using projections::RowBatch;
using projections::SqlType;
using projections::TableSpec;

constexpr const char* kTenant = "3d5a1f0e-6b7c-4d8e-9f01-23456789abcd";
constexpr const char* kOtherTenant = "9e8d7c6b-5a49-4382-b1c0-fedcba987654";
using lf::testing::EventSpec;

// Commit records of one tenant, one second apart (tests/support/records.hpp).
class Log : public lf::testing::RecordLog {
 public:
  explicit Log(std::string tenant_id) : RecordLog(std::move(tenant_id), {.ulid_seed = 23}) {}
};

// The workflow projections, in registry order.
std::vector<std::unique_ptr<projections::Projection>> workflow_projections() {
  std::vector<std::unique_ptr<projections::Projection>> out;
  out.push_back(std::make_unique<projections::MediaBuys>());
  out.push_back(std::make_unique<projections::Approvals>());
  out.push_back(std::make_unique<projections::Activities>());
  out.push_back(std::make_unique<projections::ActivityRuns>());
  out.push_back(std::make_unique<projections::AuditLog>());
  return out;
}

std::string activity_created(const std::string& id, const std::string& assignee_type, const std::string& assignee,
                             const std::string& priority, const std::optional<std::string>& due_date) {
  const std::string assignee_field = assignee_type == "agent" ? "assignee_agent_role" : "assignee_user_id";
  return R"({"activity_id":")" + id + R"(","title":"Task )" + id + R"(","type":"copywriting","assignee_type":")" +
         assignee_type + R"(",")" + assignee_field + R"(":")" + assignee + R"(","priority":")" + priority +
         R"(","is_approval_gate":false)" + (due_date ? R"(,"due_date":")" + *due_date + "\"" : std::string()) + "}";
}

class WorkflowTables : public ::testing::Test {
 protected:
  WorkflowTables() : connection_(lf::testing::fresh_database_url()), projections_(workflow_projections()) {}

  // Maps records [from, to) of `log` through every workflow projection into
  // one batch and writes it in one transaction, as the projector does.
  void project(const Log& log, std::size_t from, std::size_t to) {
    RowBatch batch;
    for (std::size_t i = from; i < to; ++i) {
      for (const auto& projection : projections_) {
        projection->apply(projections::RecordAt{0, static_cast<int64_t>(i), &log.at(i)}, batch);
      }
    }
    pqxx::work work(connection_);
    writer_.write(work, batch);
    work.commit();
  }

  pqxx::connection connection_;
  BatchWriter writer_;
  std::vector<std::unique_ptr<projections::Projection>> projections_;
};

// ---------------------------------------------------------------- schema

const char* udt_name(SqlType type) {
  switch (type) {
    case SqlType::text: return "text";
    case SqlType::int64: return "int8";
    case SqlType::boolean: return "bool";
    case SqlType::timestamptz: return "timestamptz";
    case SqlType::date: return "date";
    case SqlType::jsonb: return "jsonb";
    case SqlType::uuid: return "uuid";
    case SqlType::int32: return "int4";
  }
  return "?";
}

TEST_F(WorkflowTables, EveryTableMatchesItsTableSpecColumnsTypesAndKey) {
  pqxx::read_transaction work(connection_);
  for (const auto& projection : projections_) {
    for (const TableSpec* table : projection->tables()) {
      SCOPED_TRACE(table->name);
      std::map<std::string, std::string> found;
      for (const pqxx::row& row : work.exec_params(
               "SELECT column_name, udt_name FROM information_schema.columns "
               "WHERE table_schema = current_schema() AND table_name = $1",
               table->name)) {
        found.emplace(row[0].as<std::string>(), row[1].as<std::string>());
      }
      std::map<std::string, std::string> expected;
      for (const projections::Column& column : table->columns) expected.emplace(column.name, udt_name(column.type));
      EXPECT_EQ(found, expected);

      std::vector<std::string> key;
      for (const pqxx::row& row : work.exec_params(
               "SELECT a.attname FROM pg_index i "
               "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true "
               "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
               "WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n",
               table->name)) {
        key.push_back(row[0].as<std::string>());
      }
      std::vector<std::string> expected_key;
      for (std::size_t index : table->key) expected_key.push_back(table->columns[index].name);
      EXPECT_EQ(key, expected_key);
      ASSERT_FALSE(key.empty());
      EXPECT_EQ(key.front(), "tenant_id");
    }
  }
}

TEST_F(WorkflowTables, QueueViewsHaveTheDocumentedColumns) {
  pqxx::read_transaction work(connection_);
  auto columns = [&work](const std::string& view) {
    std::vector<std::string> names;
    for (const pqxx::row& row : work.exec_params(
             "SELECT column_name FROM information_schema.columns "
             "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
             view)) {
      names.push_back(row[0].as<std::string>());
    }
    return names;
  };
  EXPECT_EQ(columns("agent_queue"),
            (std::vector<std::string>{"tenant_id", "assignee_agent_role", "activity_id", "title", "type", "status",
                                      "priority", "priority_rank", "due_date", "created_at"}));
  EXPECT_EQ(columns("human_queue"),
            (std::vector<std::string>{"tenant_id", "assignee_user_id", "activity_id", "title", "type", "status",
                                      "priority", "priority_rank", "due_date", "created_at"}));
}

// ---------------------------------------------------------------- rows

TEST_F(WorkflowTables, AWorkflowWrittenByTheBatchWriterReadsBack) {
  Log log(kTenant);
  log.record({{"media_buy.created", "media_buy/mb-1",
               R"({"media_buy_id":"mb-1","principal_id":"acme","campaign_name":"Spring","start_date":"2026-12-01",)"
               R"("end_date":"2026-12-31","packages":[{"package_id":"p1","product_id":"display","budget":150000,)"
               R"("pricing":{"model":"cpm","rate":250},"targeting":{"geo":["FR","DE"]}},)"
               R"({"package_id":"p2","product_id":"video","budget":50000}],"budget_total":200000,)"
               R"("requires_approval":true,"approval_id":"mb-1:approval"})"},
              {"approval.requested", "approval/mb-1:approval",
               R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"type":"media_buy",)"
               R"("risk_level":"medium","title":"Approve Spring","expires_at":"2026-11-13T12:00:00Z"})"}});
  log.record({{"activity.created", "activity/a-1",
               activity_created("a-1", "agent", "copywriter", "high", std::string("2026-11-20"))}});
  log.record({{"activity.started", "activity/a-1", R"({"activity_id":"a-1"})"}});
  project(log, 0, log.size());  // inserts by COPY (the second record's patch merged into its insert)

  log.record({{"approval.approved", "approval/mb-1:approval",
               R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"reviewed_by":"rita",)"
               R"("notes":"fine","chosen_option":"B"})"},
              {"media_buy.approved", "media_buy/mb-1",
               R"({"media_buy_id":"mb-1","approval_id":"mb-1:approval","reviewed_by":"rita"})"}},
             "user:rita");
  log.record({{"activity.run_started", "activity/a-1",
               R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":50,"reservation_id":"run:r-1",)"
               R"("expires_at":"2026-11-10T13:00:00Z"})"}},
             "agent:copywriter");
  log.record({{"activity.run_finished", "activity/a-1",
               R"({"activity_id":"a-1","run_id":"r-1","status":"completed","credits_used":30,"credits_charged":30,)"
               R"("credits_released":50,"input_tokens":1200,"output_tokens":800,"duration_ms":5300})"}},
             "agent:copywriter");
  log.record({{"command.rejected", std::string("audit/") + kTenant,
               R"({"command_type":"media_buy.pause","reason":"invalid_transition","message":"mb-1 is approved",)"
               R"("target_stream":"media_buy/mb-1"})"}});
  log.record({{"audit.recorded", std::string("audit/") + kTenant,
               R"({"operation":"export","resource_type":"report","resource_id":"rep-1","success":true,)"
               R"("details":{"rows":12}})"}},
             "user:ops");
  project(log, 3, log.size());  // patches by UPDATE ... FROM unnest, new runs and audit rows by COPY

  pqxx::read_transaction work(connection_);
  const pqxx::row buy = work.exec_params1(
      "SELECT status, status_reason IS NULL, start_date::text, end_date::text, budget_total, requires_approval, "
      "approval_id, (extract(epoch from created_at) * 1000)::bigint, (extract(epoch from updated_at) * 1000)::bigint "
      "FROM media_buys WHERE tenant_id = $1 AND media_buy_id = $2",
      kTenant, "mb-1");
  EXPECT_EQ(buy[0].as<std::string>(), "approved");
  EXPECT_TRUE(buy[1].as<bool>());
  EXPECT_EQ(buy[2].as<std::string>(), "2026-12-01");
  EXPECT_EQ(buy[3].as<std::string>(), "2026-12-31");
  EXPECT_EQ(buy[4].as<int64_t>(), 200000);
  EXPECT_TRUE(buy[5].as<bool>());
  EXPECT_EQ(buy[6].as<std::string>(), "mb-1:approval");
  EXPECT_EQ(buy[7].as<int64_t>(), Log::time_of(0));
  EXPECT_EQ(buy[8].as<int64_t>(), Log::time_of(3));

  const pqxx::result packages = work.exec_params(
      "SELECT package_id, budget, pricing->>'model', targeting = $2::jsonb, pricing IS NULL, targeting IS NULL "
      "FROM media_buy_packages WHERE tenant_id = $1 ORDER BY package_id",
      kTenant, R"({"geo": ["FR", "DE"]})");
  ASSERT_EQ(packages.size(), 2U);
  EXPECT_EQ(packages[0][0].as<std::string>(), "p1");
  EXPECT_EQ(packages[0][1].as<int64_t>(), 150000);
  EXPECT_EQ(packages[0][2].as<std::string>(), "cpm");
  EXPECT_TRUE(packages[0][3].as<bool>());
  EXPECT_TRUE(packages[1][4].as<bool>());
  EXPECT_TRUE(packages[1][5].as<bool>());

  const pqxx::row approval = work.exec_params1(
      "SELECT status, reviewed_by, reviewer_notes, chosen_option, (extract(epoch from resolved_at) * 1000)::bigint, "
      "(extract(epoch from expires_at) * 1000)::bigint FROM approvals WHERE tenant_id = $1 AND approval_id = $2",
      kTenant, "mb-1:approval");
  EXPECT_EQ(approval[0].as<std::string>(), "approved");
  EXPECT_EQ(approval[1].as<std::string>(), "rita");
  EXPECT_EQ(approval[2].as<std::string>(), "fine");
  EXPECT_EQ(approval[3].as<std::string>(), "B");
  EXPECT_EQ(approval[4].as<int64_t>(), Log::time_of(3));
  EXPECT_EQ(approval[5].as<int64_t>(), *parse_rfc3339_ms("2026-11-13T12:00:00Z"));

  const pqxx::row activity = work.exec_params1(
      "SELECT status, priority_rank, due_date::text, assignee_agent_role, assignee_user_id IS NULL "
      "FROM activities WHERE tenant_id = $1 AND activity_id = $2",
      kTenant, "a-1");
  EXPECT_EQ(activity[0].as<std::string>(), "in_progress");
  EXPECT_EQ(activity[1].as<int>(), 1);
  EXPECT_EQ(activity[2].as<std::string>(), "2026-11-20");
  EXPECT_EQ(activity[3].as<std::string>(), "copywriter");
  EXPECT_TRUE(activity[4].as<bool>());

  const pqxx::row run = work.exec_params1(
      "SELECT activity_id, status, credits_reserved, credits_used, credits_charged, input_tokens, output_tokens, "
      "duration_ms, (extract(epoch from finished_at) * 1000)::bigint FROM activity_runs "
      "WHERE tenant_id = $1 AND run_id = $2",
      kTenant, "r-1");
  EXPECT_EQ(run[0].as<std::string>(), "a-1");
  EXPECT_EQ(run[1].as<std::string>(), "completed");
  EXPECT_EQ(run[2].as<int64_t>(), 50);
  EXPECT_EQ(run[3].as<int64_t>(), 30);
  EXPECT_EQ(run[4].as<int64_t>(), 30);
  EXPECT_EQ(run[5].as<int64_t>(), 1200);
  EXPECT_EQ(run[6].as<int64_t>(), 800);
  EXPECT_EQ(run[7].as<int64_t>(), 5300);
  EXPECT_EQ(run[8].as<int64_t>(), Log::time_of(5));

  std::size_t events = 0;
  for (std::size_t i = 0; i < log.size(); ++i) events += log.at(i).events.size();
  EXPECT_EQ(work.exec_params1("SELECT count(*) FROM audit_log WHERE tenant_id = $1", kTenant)[0].as<std::size_t>(),
            events);
  const pqxx::row rejected = work.exec_params1(
      "SELECT operation, resource_type, resource_id, principal_id, success, error_message, "
      "details->>'reason' FROM audit_log WHERE tenant_id = $1 AND event_id = $2",
      kTenant, log.at(6).events[0].header.event_id);
  EXPECT_EQ(rejected[0].as<std::string>(), "media_buy.pause");
  EXPECT_EQ(rejected[1].as<std::string>(), "media_buy");
  EXPECT_EQ(rejected[2].as<std::string>(), "mb-1");
  EXPECT_EQ(rejected[3].as<std::string>(), "user:ana");
  EXPECT_FALSE(rejected[4].as<bool>());
  EXPECT_EQ(rejected[5].as<std::string>(), "invalid_transition: mb-1 is approved");
  EXPECT_EQ(rejected[6].as<std::string>(), "invalid_transition");
  const pqxx::row recorded = work.exec_params1(
      "SELECT operation, principal_id IS NULL, (details->>'rows')::int FROM audit_log "
      "WHERE tenant_id = $1 AND event_id = $2",
      kTenant, log.at(7).events[0].header.event_id);
  EXPECT_EQ(recorded[0].as<std::string>(), "export");
  EXPECT_TRUE(recorded[1].as<bool>());
  EXPECT_EQ(recorded[2].as<int>(), 12);
}

TEST_F(WorkflowTables, APackageWithoutItsBuyIsRefusedAtCommit) {
  RowBatch batch;
  batch.insert(projections::MediaBuys::packages_table(),
               {std::string(kTenant), std::string("mb-x"), std::string("p1"), std::string("display"), int64_t{1},
                projections::Null{}, projections::Null{}});
  {
    pqxx::work work(connection_);
    writer_.write(work, batch);  // the key is checked at the commit
    EXPECT_THROW(work.commit(), pqxx::sql_error);
  }
  pqxx::read_transaction check(connection_);
  EXPECT_EQ(check.exec1("SELECT count(*) FROM media_buy_packages")[0].as<int>(), 0);
}

// ---------------------------------------------------------------- queues

std::vector<std::string> read_queue(pqxx::connection& connection, const std::string& sql, const std::string& tenant,
                                    const std::string& assignee) {
  pqxx::read_transaction work(connection);
  std::vector<std::string> ids;
  for (const pqxx::row& row : work.exec_params(sql, tenant, assignee)) ids.push_back(row[0].as<std::string>());
  return ids;
}

const std::string kAgentQueue =
    "SELECT activity_id FROM agent_queue WHERE tenant_id = $1 AND assignee_agent_role = $2 "
    "ORDER BY priority_rank, due_date NULLS LAST, created_at, activity_id";
const std::string kHumanQueue =
    "SELECT activity_id FROM human_queue WHERE tenant_id = $1 AND assignee_user_id = $2 "
    "ORDER BY priority_rank, due_date NULLS LAST, created_at, activity_id";

TEST_F(WorkflowTables, QueuesHoldOpenActivitiesByPriorityThenDueDate) {
  Log log(kTenant);
  auto create = [&log](const std::string& id, const std::string& type, const std::string& assignee,
                       const std::string& priority, const std::optional<std::string>& due) {
    log.record({{"activity.created", "activity/" + id, activity_created(id, type, assignee, priority, due)}});
  };
  create("low-due", "agent", "writer", "low", "2026-11-12");
  create("high-nodue", "agent", "writer", "high", std::nullopt);
  create("high-late", "agent", "writer", "high", "2026-12-01");
  create("high-soon", "agent", "writer", "high", "2026-11-15");
  create("urgent", "agent", "writer", "urgent", std::nullopt);
  create("high-soon-2", "agent", "writer", "high", "2026-11-15");  // same due date, created later
  create("other-role", "agent", "editor", "urgent", std::nullopt);
  create("waiting", "agent", "writer", "urgent", std::nullopt);
  create("done", "agent", "writer", "urgent", std::nullopt);
  create("bounced", "agent", "writer", "medium", std::nullopt);
  create("handed-over", "agent", "writer", "urgent", "2026-11-11");
  create("human-1", "human", "u-1", "medium", "2026-11-20");
  create("human-2", "human", "u-1", "medium", "2026-11-18");
  log.record({{"activity.started", "activity/waiting", R"({"activity_id":"waiting"})"}});
  log.record({{"activity.submitted_for_approval", "activity/waiting", R"({"activity_id":"waiting"})"}});
  log.record({{"activity.cancelled", "activity/done", R"({"activity_id":"done"})"}});
  log.record({{"activity.started", "activity/bounced", R"({"activity_id":"bounced"})"}});
  log.record({{"activity.submitted_for_approval", "activity/bounced", R"({"activity_id":"bounced","approval_id":"ap-b"})"}});
  log.record({{"activity.rejected", "activity/bounced",
               R"({"activity_id":"bounced","approval_id":"ap-b","reviewed_by":"rita","rejection_note":"redo"})"}});
  log.record({{"activity.assigned", "activity/handed-over",
               R"({"activity_id":"handed-over","assignee_type":"human","assignee_user_id":"u-1"})"}});
  project(log, 0, 13);             // the creations
  project(log, 13, log.size());    // the moves, as patches

  Log other(kOtherTenant);
  other.record({{"activity.created", "activity/x", activity_created("x", "agent", "writer", "urgent", std::nullopt)}});
  project(other, 0, other.size());

  EXPECT_EQ(read_queue(connection_, kAgentQueue, kTenant, "writer"),
            (std::vector<std::string>{"urgent", "high-soon", "high-soon-2", "high-late", "high-nodue", "bounced",
                                      "low-due"}));
  EXPECT_EQ(read_queue(connection_, kAgentQueue, kTenant, "editor"), (std::vector<std::string>{"other-role"}));
  EXPECT_EQ(read_queue(connection_, kHumanQueue, kTenant, "u-1"),
            (std::vector<std::string>{"handed-over", "human-2", "human-1"}));
  EXPECT_EQ(read_queue(connection_, kAgentQueue, kOtherTenant, "writer"), (std::vector<std::string>{"x"}));
}

std::string explain(pqxx::connection& connection, const std::string& sql, const std::string& tenant,
                    const std::string& assignee) {
  pqxx::read_transaction work(connection);
  std::string plan;
  for (const pqxx::row& row : work.exec_params("EXPLAIN " + sql, tenant, assignee)) {
    plan += row[0].as<std::string>() + "\n";
  }
  return plan;
}

TEST_F(WorkflowTables, QueueQueriesUseThePartialIndexesOnAFullTable) {
  constexpr int kActivities = 20'000;
  constexpr int kAssignees = 40;      // per kind: each queue holds about 1/80 of the table
  constexpr int kEventsPerRecord = 100;
  const char* const priorities[] = {"urgent", "high", "medium", "low"};
  Log log(kTenant);
  std::vector<EventSpec> events;
  for (int i = 0; i < kActivities; ++i) {
    const std::string id = "a-" + std::to_string(i);
    const bool agent = i % 2 == 0;
    const std::string assignee = (agent ? "role-" : "user-") + std::to_string((i / 2) % kAssignees);
    const std::optional<std::string> due =
        i % 3 == 0 ? std::nullopt : std::optional<std::string>(format_date_days(20'400 + i % 90));
    events.push_back({"activity.created", "activity/" + id,
                      activity_created(id, agent ? "agent" : "human", assignee, priorities[i % 4], due)});
    if (events.size() == kEventsPerRecord) {
      log.record(events);
      events.clear();
    }
  }
  const std::size_t creations = log.size();
  // A third of them closed: out of the queues and their indexes.
  for (int i = 0; i < kActivities; i += 3) {
    const std::string id = "a-" + std::to_string(i);
    events.push_back({"activity.cancelled", "activity/" + id, R"({"activity_id":")" + id + "\"}"});
    if (events.size() == kEventsPerRecord) {
      log.record(events);
      events.clear();
    }
  }
  if (!events.empty()) log.record(events);
  project(log, 0, creations);
  project(log, creations, log.size());
  {
    pqxx::nontransaction work(connection_);
    work.exec("ANALYZE activities");
  }

  const std::vector<std::string> queue = read_queue(connection_, kAgentQueue, kTenant, "role-7");
  EXPECT_GT(queue.size(), 100U);
  EXPECT_LT(queue.size(), 300U);

  const std::string agent_plan = explain(connection_, kAgentQueue, kTenant, "role-7");
  EXPECT_NE(agent_plan.find("Index"), std::string::npos) << agent_plan;
  EXPECT_NE(agent_plan.find("activities_agent_queue"), std::string::npos) << agent_plan;
  EXPECT_EQ(agent_plan.find("Seq Scan on activities"), std::string::npos) << agent_plan;
  EXPECT_EQ(agent_plan.find("Sort"), std::string::npos) << agent_plan;  // read in index order

  const std::string human_plan = explain(connection_, kHumanQueue, kTenant, "user-7");
  EXPECT_NE(human_plan.find("Index"), std::string::npos) << human_plan;
  EXPECT_NE(human_plan.find("activities_human_queue"), std::string::npos) << human_plan;
  EXPECT_EQ(human_plan.find("Seq Scan on activities"), std::string::npos) << human_plan;
}

}  // namespace
}  // namespace lf::pg
