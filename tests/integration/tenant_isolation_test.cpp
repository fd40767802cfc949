// Tenants cannot see each other (DESIGN.md guarantee 7), on tables filled by
// the real pipeline for two tenants: the reader role scoped with SET LOCAL
// sees only its tenant's rows in every read table and queue, a pooled
// connection switching tenants carries nothing over, no setting shows
// nothing, the reader cannot write, the projector role is another role, and
// every key and foreign key of a tenant table includes tenant_id.
#include <gtest/gtest.h>

#include "tests/support/commands.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::testing {
namespace {

using namespace workflow_matrix;

const std::vector<std::string> kTenantTables{
    "credit_balances", "credit_ledger",      "credit_reservations", "event_log",
    "media_buys",      "media_buy_packages", "approvals",           "activities",
    "activity_runs",   "audit_log",          "agent_queue",         "human_queue"};

// Rows per table as `role` scoped to `tenant` (nullopt: no setting) sees them,
// in one transaction of `connection`.
std::map<std::string, int64_t> visible(pqxx::connection& connection, const std::string& role,
                                       const std::optional<std::string>& tenant) {
  std::map<std::string, int64_t> counts;
  pqxx::work work(connection);
  work.exec("SET LOCAL ROLE " + work.quote_name(role));
  if (tenant) work.exec_params("SELECT set_config('ledgerflow.tenant_id', $1, true)", *tenant);
  for (const std::string& table : kTenantTables) {
    counts[table] = work.exec1("SELECT count(*) FROM " + work.quote_name(table))[0].as<int64_t>();
  }
  work.commit();
  return counts;
}

std::map<std::string, int64_t> owned(pqxx::connection& connection, const std::string& tenant) {
  std::map<std::string, int64_t> counts;
  pqxx::work work(connection);
  for (const std::string& table : kTenantTables) {
    counts[table] = work.exec_params1("SELECT count(*) FROM " + work.quote_name(table) +
                                          " WHERE tenant_id = $1",
                                      tenant)[0]
                        .as<int64_t>();
  }
  return counts;
}

TEST(TenantIsolation, AReaderScopedToATenantSeesOnlyItsRows) {
  Pipeline pipeline;
  const std::string a = random_tenant();
  const std::string b = random_tenant();
  std::vector<std::pair<std::string, std::string>> commands;
  int n = 0;
  auto add = [&](const std::string& tenant, const std::string& type, const std::string& payload) {
    commands.emplace_back(
        tenant, command_json(type, tenant, "c" + std::to_string(++n), payload, "user:ops"));
  };
  for (const std::string& tenant : {a, b}) {
    add(tenant, "credits.allocate", allocate_payload(1000, system_now_ms()));
    add(tenant, "media_buy.create", buy_payload("mb-1", true));
    add(tenant, "activity.create", activity_payload("act-1", false));
    add(tenant, "activity.create",
        activity_payload("act-queued", false));  // stays in the agent queue
    add(tenant, "activity.create",
        activity_payload("review-1", true));  // a review step: the human queue
  }
  // b has more of everything, so equal counts cannot pass by accident.
  add(b, "activity.create", activity_payload("act-2", false));
  add(b, "activity.create", activity_payload("review-2", true));
  add(b, "media_buy.create", buy_payload("mb-2", false));
  std::map<std::string, ResultEnvelope> results = pipeline.submit(commands);
  for (const auto& [id, result] : results) {
    ASSERT_EQ(result.status, ResultStatus::accepted)
        << id << ": " << result.reason << " " << result.message;
  }
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  // Later steps of the same activity need the creates to be decided first.
  commands.clear();
  for (const std::string& tenant : {a, b}) add(tenant, "activity.start", activity_move("act-1"));
  pipeline.submit(commands);
  commands.clear();
  for (const std::string& tenant : {a, b})
    add(tenant, "activity.start_run", start_run("act-1", "run-1", 100));
  pipeline.submit(commands);
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();

  // One connection, as a pool would hand it out to request after request.
  pqxx::connection pooled(pipeline.database_url());
  const std::map<std::string, int64_t> of_a = owned(pooled, a);
  const std::map<std::string, int64_t> of_b = owned(pooled, b);
  for (const std::string& table : kTenantTables) {
    EXPECT_GT(of_a.at(table), 0) << table << ": the test needs rows of both tenants";
    EXPECT_GT(of_b.at(table), 0) << table;
  }
  EXPECT_EQ(visible(pooled, "ledgerflow_reader", a), of_a);
  EXPECT_EQ(visible(pooled, "ledgerflow_reader", b), of_b);
  EXPECT_EQ(visible(pooled, "ledgerflow_reader", a), of_a);  // and back: nothing carried over
  for (const auto& [table, count] : visible(pooled, "ledgerflow_reader", std::nullopt)) {
    EXPECT_EQ(count, 0) << table << " is visible without a tenant";
  }
  // A reader asking for another tenant's rows by key gets nothing.
  {
    pqxx::work work(pooled);
    work.exec("SET LOCAL ROLE ledgerflow_reader");
    work.exec_params("SELECT set_config('ledgerflow.tenant_id', $1, true)", a);
    EXPECT_EQ(work.exec_params1("SELECT count(*) FROM credit_balances WHERE tenant_id = $1", b)[0]
                  .as<int64_t>(),
              0);
  }
  // The reader cannot write.
  {
    pqxx::work work(pooled);
    work.exec("SET LOCAL ROLE ledgerflow_reader");
    work.exec_params("SELECT set_config('ledgerflow.tenant_id', $1, true)", a);
    EXPECT_THROW(
        work.exec_params("UPDATE credit_balances SET credits_monthly = 0 WHERE tenant_id = $1", a),
        pqxx::insufficient_privilege);
  }
  // The projector's role writes every tenant's rows and is not the reader.
  {
    pqxx::work work(pooled);
    work.exec("SET LOCAL ROLE ledgerflow_projector");
    EXPECT_EQ(work.exec1("SELECT count(*) FROM audit_log")[0].as<int64_t>(),
              of_a.at("audit_log") + of_b.at("audit_log"));
    EXPECT_EQ(
        work.exec1("SELECT pg_has_role('ledgerflow_projector', 'ledgerflow_reader', 'MEMBER')")[0]
            .as<bool>(),
        false);
  }
}

TEST(TenantIsolation, EveryKeyOfATenantTableIncludesTenantId) {
  PipelineOptions options;
  options.engine = false;
  options.projector = false;
  Pipeline pipeline(options);
  pqxx::work work(pipeline.db());
  // Primary keys, unique constraints and foreign keys of tables with a
  // tenant_id column that leave tenant_id out.
  pqxx::result offenders = work.exec(
      "SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c "
      "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'tenant_id' "
      "WHERE c.contype IN ('p', 'u', 'f') AND c.connamespace = 'public'::regnamespace "
      "AND NOT (a.attnum = ANY (c.conkey))");
  for (const auto& row : offenders)
    ADD_FAILURE() << row[0].c_str() << ": " << row[1].c_str() << " leaves tenant_id out";
  pqxx::result unique_indexes = work.exec(
      "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text FROM pg_index i "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = 'tenant_id' "
      "WHERE i.indisunique AND NOT (a.attnum = ANY (i.indkey::int2[]))");
  for (const auto& row : unique_indexes)
    ADD_FAILURE() << row[0].c_str() << ": " << row[1].c_str() << " leaves tenant_id out";
  // Every table with tenant rows for readers has row security on.
  pqxx::result without_rls = work.exec(
      "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = "
      "'tenant_id' "
      "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND NOT c.relrowsecurity "
      "AND has_table_privilege('ledgerflow_reader', c.oid, 'SELECT')");
  for (const auto& row : without_rls)
    ADD_FAILURE() << row[0].c_str() << " is readable without row security";
  EXPECT_GE(work.exec1("SELECT count(*) FROM pg_class WHERE relrowsecurity")[0].as<int64_t>(), 10);
}

}  // namespace
}  // namespace lf::testing
