// The workflow read tables (schemas/migrations/002_workflow.sql as
// 006_seed_dialect.sql changed them) against a real PostgreSQL: the
// projections' row changes written by the projector's BatchWriter and read
// back, exact budgets and costs, and the tables matching the TableSpecs. The
// queues are in queues_test. Every test gets a fresh migrated database.
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
#include "schemas/resources.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/records.hpp"

namespace lf::pg {
namespace {

using projections::RowBatch;
using projections::SqlType;
using projections::TableSpec;

constexpr const char* kTenant = "3d5a1f0e-6b7c-4d8e-9f01-23456789abcd";
using lf::testing::EventSpec;

// Commit records of one tenant, one second apart (tests/support/records.hpp).
class Log : public lf::testing::RecordLog {
 public:
  explicit Log(std::string tenant_id)
      : RecordLog(std::move(tenant_id), {.check_payloads = true, .ulid_seed = 23}) {}
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

// activity.created (v2).
std::string activity_created(const std::string& id, const std::string& assignee_type,
                             const std::string& assignee, const std::string& priority,
                             const std::optional<std::string>& due_date) {
  const std::string assignee_field =
      assignee_type == "agent" ? "assignee_agent_role" : "assignee_user_id";
  return R"({"activity_id":")" + id + R"(","title":"Task )" + id +
         R"(","type":"write","assignee_type":")" + assignee_type + R"(",")" + assignee_field +
         R"(":")" + assignee + R"(","priority":")" + priority + R"(","is_approval_gate":false)" +
         (due_date ? R"(,"due_date":")" + *due_date + "\"" : std::string()) + "}";
}

class WorkflowTables : public ::testing::Test {
 protected:
  WorkflowTables()
      : connection_(lf::testing::fresh_database_url()), projections_(workflow_projections()) {}

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

// The udt_name of a column of this TableSpec type. A text column may be a
// varchar of the seed's length (the batch writer's text values fit either).
std::string udt_name(const projections::Column& column, const std::string& found) {
  switch (column.type) {
    case SqlType::text:
      return found == "varchar" ? "varchar" : "text";
    case SqlType::int64:
      return "int8";
    case SqlType::boolean:
      return "bool";
    case SqlType::timestamptz:
      return "timestamptz";
    case SqlType::date:
      return "date";
    case SqlType::jsonb:
      return "jsonb";
    case SqlType::uuid:
      return "uuid";
    case SqlType::int32:
      return "int4";
    case SqlType::numeric:
      return "numeric";
    case SqlType::inet:
      return "inet";
    case SqlType::enumeration:
      return column.enum_type;
  }
  return "?";
}

TEST_F(WorkflowTables, EveryTableMatchesItsTableSpecColumnsTypesAndKey) {
  pqxx::read_transaction work(connection_);
  for (const auto& projection : projections_) {
    for (const TableSpec* table : projection->tables()) {
      SCOPED_TRACE(table->name);
      std::map<std::string, std::string> found;
      for (const pqxx::row& row :
           work.exec_params("SELECT column_name, udt_name FROM information_schema.columns "
                            "WHERE table_schema = current_schema() AND table_name = $1",
                            table->name)) {
        found.emplace(row[0].as<std::string>(), row[1].as<std::string>());
      }
      std::map<std::string, std::string> expected;
      for (const projections::Column& column : table->columns) {
        auto actual = found.find(column.name);
        expected.emplace(column.name,
                         udt_name(column, actual == found.end() ? "" : actual->second));
      }
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
            (std::vector<std::string>{"tenant_id", "assignee_agent_role", "activity_id", "title",
                                      "type", "status", "priority", "due_date", "created_at",
                                      "parent_activity_id", "revision_note"}));
  EXPECT_EQ(
      columns("human_queue"),
      (std::vector<std::string>{"tenant_id", "assignee_user_id", "activity_id", "title", "type",
                                "status", "priority", "is_approval_gate", "approval_id", "due_date",
                                "created_at", "parent_activity_id", "revision_note"}));
}

// ---------------------------------------------------------------- rows

TEST_F(WorkflowTables, AWorkflowWrittenByTheBatchWriterReadsBack) {
  Log log(kTenant);
  log.record(
      {{"media_buy.created", "media_buy/mb-1",
        R"({"media_buy_id":"mb-1","principal_id":"acme","campaign_name":"Spring","start_date":"2026-12-01",)"
        R"("end_date":"2026-12-31","currency":"KWD","packages":[{"package_id":"p1","product_id":"display",)"
        R"("budget_minor":999999999999999,"pricing":{"model":"cpm","rate":250},"targeting":{"geo":["FR","DE"]}},)"
        R"({"package_id":"p2","product_id":"video","budget_minor":1}],"budget_total_minor":1000000000000000,)"
        R"("requires_approval":true,"approval_id":"mb-1:approval"})",
        2},
       {"approval.requested", "approval/mb-1:approval",
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"type":"media_buy",)"
        R"("risk_level":"medium","title":"Approve Spring","escalate_to":"boss",)"
        R"("expires_at":"2026-11-13T12:00:00Z"})",
        2}});
  log.record(
      {{"activity.created", "activity/a-1",
        activity_created("a-1", "agent", "copywriter", "high", std::string("2026-11-20")), 2}});
  log.record({{"activity.started", "activity/a-1", R"({"activity_id":"a-1"})"}});
  project(log, 0,
          log.size());  // inserts by COPY (the second record's patch merged into its insert)

  log.record(
      {{"approval.approved", "approval/mb-1:approval",
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"reviewed_by":"rita",)"
        R"("notes":"fine","chosen_option":"B"})",
        2},
       {"media_buy.approved", "media_buy/mb-1",
        R"({"media_buy_id":"mb-1","approval_id":"mb-1:approval","reviewed_by":"rita"})"}},
      "user:rita");
  log.record(
      {{"activity.run_started", "activity/a-1",
        R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":50,"reservation_id":"run:r-1",)"
        R"("adapter_type":"ollama","model_id":"llama3.1:8b","expires_at":"2026-11-10T13:00:00Z"})",
        2}},
      "agent:copywriter");
  log.record(
      {{"activity.run_finished", "activity/a-1",
        R"({"activity_id":"a-1","run_id":"r-1","status":"completed","credits_used":30,"credits_charged":30,)"
        R"("credits_released":50,"usage":{"input_tokens":1200,"output_tokens":800,"duration_ms":5300,)"
        R"("cost_usd_micros":1}})",
        3}},
      "agent:copywriter");
  log.record(
      {{"command.rejected", std::string("audit/") + kTenant,
        R"({"command_type":"media_buy.pause","reason":"invalid_transition","message":"mb-1 is approved",)"
        R"("target_stream":"media_buy/mb-1"})"}});
  log.record(
      {{"audit.recorded", std::string("audit/") + kTenant,
        R"({"operation":"export","resource_type":"report","resource_id":"rep-1","success":true,)"
        R"("details":{"rows":12},"occurred_at":"2026-11-10T11:59:00Z","ip_address":"2001:DB8:0:0::1",)"
        R"("http_method":"POST","old_value":null,"new_value":[1,"two"]})",
        2}},
      "user:ops");
  log.record({{"audit.recorded", std::string("audit/") + kTenant,
               R"({"operation":"get_products","success":true,"ip_address":"198.51.100.23"})", 2}},
             "user:ops");
  project(log, 3,
          log.size());  // patches by UPDATE ... FROM unnest, new runs and audit rows by COPY

  pqxx::read_transaction work(connection_);
  // Budgets: exact amounts in the currency's major unit beside the minor
  // units (KWD has 3 minor digits; 999999999999.999 is no double).
  const pqxx::row buy = work.exec_params1(
      "SELECT status, status_reason IS NULL, start_date::text, end_date::text, currency, "
      "budget_total::text, "
      "budget_total_minor, budget_total = 1000000000000::numeric, requires_approval, approval_id, "
      "(extract(epoch from created_at) * 1000)::bigint, (extract(epoch from updated_at) * "
      "1000)::bigint "
      "FROM media_buys WHERE tenant_id = $1 AND media_buy_id = $2",
      kTenant, "mb-1");
  EXPECT_EQ(buy[0].as<std::string>(), "approved");
  EXPECT_TRUE(buy[1].as<bool>());
  EXPECT_EQ(buy[2].as<std::string>(), "2026-12-01");
  EXPECT_EQ(buy[3].as<std::string>(), "2026-12-31");
  EXPECT_EQ(buy[4].as<std::string>(), "KWD");
  EXPECT_EQ(buy[5].as<std::string>(), "1000000000000.000");
  EXPECT_EQ(buy[6].as<int64_t>(), 1'000'000'000'000'000);
  EXPECT_TRUE(buy[7].as<bool>());
  EXPECT_TRUE(buy[8].as<bool>());
  EXPECT_EQ(buy[9].as<std::string>(), "mb-1:approval");
  EXPECT_EQ(buy[10].as<int64_t>(), Log::time_of(0));
  EXPECT_EQ(buy[11].as<int64_t>(), Log::time_of(3));

  const pqxx::result packages = work.exec_params(
      "SELECT package_id, currency, budget::text, budget_minor, pricing->>'model', targeting = "
      "$2::jsonb, "
      "pricing IS NULL, targeting IS NULL FROM media_buy_packages WHERE tenant_id = $1 ORDER BY "
      "package_id",
      kTenant, R"({"geo": ["FR", "DE"]})");
  ASSERT_EQ(packages.size(), 2U);
  EXPECT_EQ(packages[0][0].as<std::string>(), "p1");
  EXPECT_EQ(packages[0][1].as<std::string>(), "KWD");
  EXPECT_EQ(packages[0][2].as<std::string>(), "999999999999.999");
  EXPECT_EQ(packages[0][3].as<int64_t>(), 999'999'999'999'999);
  EXPECT_EQ(packages[0][4].as<std::string>(), "cpm");
  EXPECT_TRUE(packages[0][5].as<bool>());
  EXPECT_EQ(packages[1][2].as<std::string>(), "0.001");
  EXPECT_TRUE(packages[1][6].as<bool>());
  EXPECT_TRUE(packages[1][7].as<bool>());

  const pqxx::row approval = work.exec_params1(
      "SELECT status, reviewed_by, reviewer_notes, chosen_option, (extract(epoch from resolved_at) "
      "* 1000)::bigint, "
      "(extract(epoch from expires_at) * 1000)::bigint, type::text, escalate_to, "
      "(extract(epoch from created_on) * 1000)::bigint FROM approvals WHERE tenant_id = $1 AND "
      "approval_id = $2",
      kTenant, "mb-1:approval");
  EXPECT_EQ(approval[0].as<std::string>(), "approved");
  EXPECT_EQ(approval[1].as<std::string>(), "rita");
  EXPECT_EQ(approval[2].as<std::string>(), "fine");
  EXPECT_EQ(approval[3].as<std::string>(), "B");
  EXPECT_EQ(approval[4].as<int64_t>(), Log::time_of(3));
  EXPECT_EQ(approval[5].as<int64_t>(), *parse_rfc3339_ms("2026-11-13T12:00:00Z"));
  EXPECT_EQ(approval[6].as<std::string>(), "media_buy");
  EXPECT_EQ(approval[7].as<std::string>(), "boss");
  EXPECT_EQ(approval[8].as<int64_t>(), Log::time_of(0));

  const pqxx::row activity = work.exec_params1(
      "SELECT status, priority::text, due_date::text, assignee_agent_role, assignee_user_id IS "
      "NULL, "
      "(extract(epoch from started_on) * 1000)::bigint FROM activities WHERE tenant_id = $1 AND "
      "activity_id = $2",
      kTenant, "a-1");
  EXPECT_EQ(activity[0].as<std::string>(), "in_progress");
  EXPECT_EQ(activity[1].as<std::string>(), "high");
  EXPECT_EQ(activity[5].as<int64_t>(), Log::time_of(2));
  EXPECT_EQ(activity[2].as<std::string>(), "2026-11-20");
  EXPECT_EQ(activity[3].as<std::string>(), "copywriter");
  EXPECT_TRUE(activity[4].as<bool>());

  const pqxx::row run = work.exec_params1(
      "SELECT activity_id, status, credits_reserved, credits_used, credits_charged, input_tokens, "
      "output_tokens, "
      "duration_ms, (extract(epoch from ended_on) * 1000)::bigint, cost_usd::text, adapter_type, "
      "model_id, "
      "error IS NULL FROM activity_runs "
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
  EXPECT_EQ(run[9].as<std::string>(), "0.000001");
  EXPECT_EQ(run[10].as<std::string>(), "ollama");
  EXPECT_EQ(run[11].as<std::string>(), "llama3.1:8b");
  EXPECT_TRUE(run[12].as<bool>());

  std::size_t events = 0;
  for (std::size_t i = 0; i < log.size(); ++i) events += log.at(i).events.size();
  EXPECT_EQ(work.exec_params1("SELECT count(*) FROM audit_log WHERE tenant_id = $1", kTenant)[0]
                .as<std::size_t>(),
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
      "SELECT operation, principal_id IS NULL, (details->>'rows')::int, ip_address, "
      "family(ip_address), "
      "http_method, jsonb_typeof(old_value), new_value::text, (extract(epoch from occurred_at) * "
      "1000)::bigint, "
      "(extract(epoch from recorded_at) * 1000)::bigint FROM audit_log WHERE tenant_id = $1 AND "
      "event_id = $2",
      kTenant, log.at(7).events[0].header.event_id);
  EXPECT_EQ(recorded[0].as<std::string>(), "export");
  EXPECT_TRUE(recorded[1].as<bool>());
  EXPECT_EQ(recorded[2].as<int>(), 12);
  EXPECT_EQ(recorded[3].as<std::string>(), "2001:db8::1");
  EXPECT_EQ(recorded[4].as<int>(), 6);
  EXPECT_EQ(recorded[5].as<std::string>(), "POST");
  EXPECT_EQ(recorded[6].as<std::string>(), "null");
  EXPECT_EQ(recorded[7].as<std::string>(), R"([1, "two"])");
  EXPECT_EQ(recorded[8].as<int64_t>(), *parse_rfc3339_ms("2026-11-10T11:59:00Z"));
  EXPECT_EQ(recorded[9].as<int64_t>(), Log::time_of(7));
  const pqxx::row prebid = work.exec_params1(
      "SELECT resource_type IS NULL, resource_id IS NULL, ip_address = '198.51.100.23'::inet, "
      "occurred_at = recorded_at "
      "FROM audit_log WHERE tenant_id = $1 AND event_id = $2",
      kTenant, log.at(8).events[0].header.event_id);
  for (int column = 0; column < 4; ++column) EXPECT_TRUE(prebid[column].as<bool>()) << column;
}

TEST_F(WorkflowTables, APackageWithoutItsBuyIsRefusedAtCommit) {
  RowBatch batch;
  batch.insert(projections::MediaBuys::packages_table(),
               {std::string(kTenant), std::string("mb-x"), std::string("p1"),
                std::string("display"), std::string("USD"), std::string("0.01"), int64_t{1},
                projections::Null{}, projections::Null{}});
  {
    pqxx::work work(connection_);
    writer_.write(work, batch);  // the key is checked at the commit
    EXPECT_THROW(work.commit(), pqxx::sql_error);
  }
  pqxx::read_transaction check(connection_);
  EXPECT_EQ(check.exec1("SELECT count(*) FROM media_buy_packages")[0].as<int>(), 0);
}

// ---------------------------------------------------------------- migration

// A database migrated before the seed dialect, holding rows the version 1
// projections wrote: 006_seed_dialect.sql converts them as the v2 upcasters
// read their events, so reads keep working until the projector's rebuild
// swaps the version 2 tables in.
TEST(WorkflowMigration, TheSeedDialectConvertsTheRowsOfVersion1Tables) {
  const std::string database = "lf_v1_workflow_tables";
  lf::testing::shared_postgres().create_database(database);
  pqxx::connection connection(lf::testing::shared_postgres().url_for(database));
  auto apply = [&connection](bool before_seed_dialect) {
    for (const resources::Resource& migration : resources::under("migrations/")) {
      if ((migration.path < "migrations/006") != before_seed_dialect) continue;
      pqxx::work work(connection);
      work.exec(std::string(migration.content));
      work.commit();
    }
  };
  apply(true);
  {
    pqxx::work work(connection);
    work.exec_params(
        "INSERT INTO media_buys VALUES ($1, 'mb-1', 'acme', 'Spring', NULL, 'pending', NULL, "
        "'2026-12-01', "
        "'2026-12-31', 150005, true, 'mb-1:approval', now(), now())",
        kTenant);
    work.exec_params(
        "INSERT INTO media_buy_packages VALUES ($1, 'mb-1', 'p1', 'display', 150005, NULL, NULL)",
        kTenant);
    for (const char* values : {"'ap-a', 'activity', 'w-1', 'activity_review'",
                               "'ap-m', 'media_buy', 'mb-1', 'media_buy_review'",
                               "'ap-c', 'creative', 'cr-9', 'creative_review'",
                               "'ap-s', 'creative', 'cr-8', 'strategy_review'"}) {
      work.exec_params(
          std::string(
              "INSERT INTO approvals (tenant_id, approval_id, subject_kind, subject_id, type, "
              "risk_level, status, title, expires_at, requested_at, updated_at) VALUES ($1, ") +
              values +
              ", 'low', 'pending', 'T', '2026-11-13T12:00:00Z', '2026-11-10T12:00:00Z', now())",
          kTenant);
    }
    work.exec_params(
        "INSERT INTO activities (tenant_id, activity_id, title, type, status, assignee_type, "
        "assignee_agent_role, "
        "assignee_user_id, priority, priority_rank, is_approval_gate, created_at, updated_at, "
        "completed_at) VALUES "
        "($1, 'w-1', 'T', 'write', 'created', 'agent', 'writer', NULL, 'medium', 2, false, now(), "
        "now(), NULL), "
        "($1, 'w-2', 'T', 'write', 'completed', 'human', NULL, 'u-1', 'urgent', 0, false, now(), "
        "now(), "
        "'2026-11-10T12:00:00Z')",
        kTenant);
    work.exec_params(
        "INSERT INTO activity_runs VALUES ($1, 'r-1', 'w-1', 'completed', 'run:r-1', 50, 30, 30, "
        "1, 2, 3, "
        "'2026-11-10T12:00:00Z', '2026-11-10T12:00:05Z')",
        kTenant);
    work.exec_params(
        "INSERT INTO audit_log VALUES ($1, 'e-1', '2026-11-10T12:00:00Z', 'activity.started', "
        "'activity', 'w-1', "
        "'agent:w', NULL, true, NULL, NULL, 'c-1')",
        kTenant);
    work.commit();
  }
  apply(false);

  pqxx::read_transaction work(connection);
  EXPECT_EQ(
      work.exec1(
              "SELECT currency || ' ' || budget_total || ' ' || budget_total_minor FROM media_buys")
          [0]
              .as<std::string>(),
      "USD 1500.05 150005");
  EXPECT_EQ(
      work.exec1(
              "SELECT currency || ' ' || budget || ' ' || budget_minor FROM media_buy_packages")[0]
          .as<std::string>(),
      "USD 1500.05 150005");
  std::vector<std::string> approvals;
  for (const pqxx::row& row : work.exec("SELECT approval_id || ' ' || type || ' ' || (created_on = "
                                        "'2026-11-10T12:00:00Z') || ' ' || "
                                        "(activity_id IS NULL AND sent_to_client_at IS NULL AND "
                                        "escalated_from IS NULL) FROM approvals "
                                        "ORDER BY approval_id")) {
    approvals.push_back(row[0].as<std::string>());
  }
  EXPECT_EQ(approvals, (std::vector<std::string>{
                           "ap-a content_review true true", "ap-c creative true true",
                           "ap-m media_buy true true", "ap-s strategy_review true true"}));
  std::vector<std::string> activities;
  for (const pqxx::row& row :
       work.exec("SELECT activity_id || ' ' || priority || ' ' || "
                 "coalesce((completed_on = '2026-11-10T12:00:00Z')::text, '-') || ' ' || "
                 "(started_on IS NULL) FROM activities ORDER BY activity_id")) {
    activities.push_back(row[0].as<std::string>());
  }
  EXPECT_EQ(activities, (std::vector<std::string>{"w-1 normal - true", "w-2 urgent true true"}));
  EXPECT_EQ(work.exec1("SELECT string_agg(activity_id, ',') FROM agent_queue")[0].as<std::string>(),
            "w-1");
  EXPECT_EQ(work.exec1("SELECT count(*) FROM human_queue")[0].as<int>(), 0);
  EXPECT_EQ(work.exec1("SELECT started_on = '2026-11-10T12:00:00Z' AND ended_on = "
                       "'2026-11-10T12:00:05Z' AND "
                       "cost_usd IS NULL AND adapter_type IS NULL FROM activity_runs")[0]
                .as<bool>(),
            true);
  EXPECT_EQ(
      work.exec1(
              "SELECT recorded_at = occurred_at AND resource_type = 'activity' FROM audit_log")[0]
          .as<bool>(),
      true);
}

}  // namespace
}  // namespace lf::pg
