// USD spend and usage end to end, against the mock cluster and a real
// PostgreSQL: LLM calls, tool calls and usage records land in their tables
// (llm_calls rows of two months in two monthly partitions), a run is
// refused by the spend cap with spend_cap_reached, the spend resets when
// the engine's clock renews the billing period, the seed's cost aggregation
// query sums to tenant_spend through its index, tenants see only their
// rows, `ledgerflow verify` passes and `ledgerflow rebuild` of each usage
// projection gives the same tables (the partitioned one still partitioned).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/time.hpp"
#include "tests/support/wait.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;
using namespace workflow_matrix;

std::vector<std::string> rows_of(pqxx::connection& db, const std::string& sql) {
  pqxx::work work(db);
  std::vector<std::string> rows;
  for (const pqxx::row& row : work.exec(sql))
    rows.push_back(row[0].is_null() ? "NULL" : row[0].as<std::string>());
  return rows;
}

std::string one(pqxx::connection& db, const std::string& sql) {
  const std::vector<std::string> rows = rows_of(db, sql);
  EXPECT_EQ(rows.size(), 1u) << sql;
  return rows.empty() ? "" : rows.front();
}

// The tenant's spend row: cap, spend, period (as epoch ms).
struct SpendRow {
  std::string cap;
  std::string spend;
  int64_t period_start_ms = 0;
  int64_t period_end_ms = 0;
  std::string basis;
};

std::optional<SpendRow> spend_row(pqxx::connection& db, const std::string& tenant) {
  pqxx::work work(db);
  const pqxx::result rows = work.exec_params(
      "SELECT coalesce(monthly_spend_cap_usd::text, 'none'), current_month_spend_usd::text, "
      "(extract(epoch FROM period_start) * 1000)::bigint, (extract(epoch FROM period_end) * "
      "1000)::bigint, "
      "spend_basis FROM tenant_spend WHERE tenant_id = $1",
      tenant);
  if (rows.empty()) return std::nullopt;
  return SpendRow{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                  rows[0][2].as<int64_t>(), rows[0][3].as<int64_t>(), rows[0][4].as<std::string>()};
}

// The seed's cost aggregation (Leadmetrics idx_llm_calls_cost), as text.
std::string cost_sum(pqxx::connection& db, const std::string& tenant, int64_t from_ms,
                     int64_t to_ms) {
  pqxx::work work(db);
  return work
      .exec_params1(
          "SELECT coalesce(sum(cost_usd), 0)::text FROM llm_calls WHERE tenant_id = $1 "
          "AND created_on >= to_timestamp($2::double precision / 1000) "
          "AND created_on < to_timestamp($3::double precision / 1000)",
          tenant, from_ms, to_ms)[0]
      .as<std::string>();
}

void expect_accepted(const ResultEnvelope& result, const std::string& what) {
  EXPECT_EQ(result.status, ResultStatus::accepted)
      << what << ": " << result.reason << " " << result.message;
}

std::string llm_call(const std::string& id, const std::string& cost, const std::string& created_on,
                     const std::string& model = "claude-sonnet-4-6") {
  return "{\"llm_call_id\":\"" + id +
         "\",\"activity_run_id\":\"run-0\",\"adapter_type\":\"claude\",\"model_id\":\"" + model +
         "\",\"prompt_hash\":\"" + std::string(64, 'a') + "\",\"response_hash\":\"" +
         std::string(64, 'b') +
         "\",\"input_tokens\":1200,\"output_tokens\":300,\"cost_usd\":" + cost +
         ",\"duration_ms\":900,\"created_on\":\"" + created_on + "\"}";
}

class UsageFlow : public ::testing::Test {
 protected:
  UsageFlow() : clock_(at("2026-11-20T12:00:00Z")) {
    PipelineOptions options;
    options.clock = clock_.function();
    pipeline_ = std::make_unique<Pipeline>(options);
  }

  ResultEnvelope send(const std::string& tenant, const std::string& type,
                      const std::string& payload, const std::string& actor = "agent:copywriter") {
    return pipeline_->submit_one(tenant, command_json(type, tenant, "c" + std::to_string(++count_),
                                                      payload, actor, clock_.now()));
  }

  ManualClock clock_;
  std::unique_ptr<Pipeline> pipeline_;
  int count_ = 0;
};

TEST_F(UsageFlow, CallsLandInTheirTablesTheCapStopsRunsAndTheSpendResetsWithThePeriod) {
  Pipeline& pipeline = *pipeline_;
  const std::string tenant = random_tenant();
  const std::string other = random_tenant();
  expect_accepted(
      send(tenant, "credits.allocate",
           R"({"credits_monthly":100000,"period_start":"2026-11-01","period_end":"2026-11-30"})",
           "system"),
      "allocate");
  expect_accepted(send(tenant, "activity.create", activity_payload("act", false)), "create");
  expect_accepted(send(tenant, "activity.start", activity_move("act")), "start");
  expect_accepted(
      send(tenant, "tenant.set_spend_cap", R"({"monthly_spend_cap_usd":"1.5"})", "admin:ops"),
      "cap");
  const ResultEnvelope forbidden =
      send(tenant, "tenant.set_spend_cap", R"({"monthly_spend_cap_usd":100})");
  EXPECT_EQ(forbidden.reason, "forbidden");

  expect_accepted(
      send(tenant, "usage.record_llm_call", llm_call("call-1", "0.042318", "2026-11-20T11:59:00Z")),
      "call-1");
  expect_accepted(send(tenant, "usage.record_llm_call",
                       llm_call("call-2", "\"0.957682\"", "2026-11-20T11:59:30Z")),
                  "call-2");
  const ResultEnvelope again =
      send(tenant, "usage.record_llm_call", llm_call("call-1", "1", "2026-11-20T11:59:00Z"));
  EXPECT_EQ(again.reason, "duplicate_usage");
  expect_accepted(
      send(
          tenant, "usage.record_tool_call",
          R"({"tool_call_id":"tool-1","activity_run_id":"run-0","tool_name":"google_search_console",)"
          R"("method":"getKeywordRankings","input":{"site":"acme.com","limit":10},)"
          R"("output":{"rows":3},"status":"error","error":"quota exceeded","duration_ms":120,)"
          R"("cost_usd":"0.25"})"),
      "tool-1");
  expect_accepted(
      send(tenant, "usage.record",
           R"({"usage_record_id":"u-1","subscription_id":"sub-1","billing_unit":"token",)"
           R"("quantity":100000,"unit_price":"0.0000025","total_cost":"0.25",)"
           R"("period_start":"2026-11-01T00:00:00Z","period_end":"2026-12-01T00:00:00Z"})"),
      "u-1");
  expect_accepted(send(tenant, "usage.record",
                       R"({"usage_record_id":"u-2","billing_unit":"agent_run","quantity":"1.5",)"
                       R"("unit_price":"3.333333333","currency":"EUR"})"),
                  "u-2");
  // Spend 1.50 of a 1.50 cap: the next run is refused, usage still recorded.
  const ResultEnvelope refused = send(tenant, "activity.start_run", start_run("act", "run-1", 100));
  EXPECT_EQ(refused.status, ResultStatus::rejected);
  EXPECT_EQ(refused.reason, "spend_cap_reached");
  EXPECT_NE(refused.message.find("1.50 USD"), std::string::npos) << refused.message;
  // Another tenant (no cap) is not held back, and has rows of its own.
  expect_accepted(
      send(other, "usage.record_llm_call", llm_call("call-1", "5", "2026-11-20T11:00:00Z")),
      "other");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();

  // The tables, as the seed keeps them.
  pqxx::connection& db = pipeline.db();
  const std::string of_tenant = " WHERE tenant_id = '" + tenant + "'";
  EXPECT_EQ(rows_of(db,
                    "SELECT llm_call_id || ' ' || cost_usd::text || ' ' || model_id || ' ' || "
                    "input_tokens || ' ' || "
                    "coalesce(prompt_hash, '-') || ' ' || created_on::text FROM llm_calls" +
                        of_tenant + " ORDER BY 1"),
            (std::vector<std::string>{"call-1 0.042318 claude-sonnet-4-6 1200 " +
                                          std::string(64, 'a') + " 2026-11-20 11:59:00+00",
                                      "call-2 0.957682 claude-sonnet-4-6 1200 " +
                                          std::string(64, 'a') + " 2026-11-20 11:59:30+00"}));
  EXPECT_EQ(one(db,
                "SELECT tool_name || ' ' || status::text || ' ' || error || ' ' || cost_usd::text "
                "|| ' ' || "
                "(input->>'limit') || ' ' || (output->>'rows') FROM tool_calls" +
                    of_tenant),
            "google_search_console error quota exceeded 0.250000 10 3");
  EXPECT_EQ(
      rows_of(
          db,
          "SELECT usage_record_id || ' ' || quantity::text || ' ' || unit_price::text || ' ' || "
          "total_cost::text || ' ' || currency || ' ' || counted_usd::text FROM usage_records" +
              of_tenant + " ORDER BY 1"),
      (std::vector<std::string>{"u-1 100000.000000 0.000002500 0.250000 USD 0.250000",
                                "u-2 1.500000 3.333333333 5.000000 EUR 0.000000"}));
  std::optional<SpendRow> november = spend_row(db, tenant);
  ASSERT_TRUE(november.has_value());
  EXPECT_EQ(november->cap, "1.5000");
  EXPECT_EQ(november->spend, "1.500000");
  EXPECT_EQ(november->period_start_ms, at("2026-11-01T00:00:00Z"));
  EXPECT_EQ(november->period_end_ms, at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(november->basis, "billing_period");
  // The seed's cost aggregation over the period tenant_spend names is the
  // month's spend of a tenant whose spend is LLM calls only...
  std::optional<SpendRow> others = spend_row(db, other);
  ASSERT_TRUE(others.has_value());
  EXPECT_EQ(others->basis, "calendar_month");
  EXPECT_EQ(cost_sum(db, other, others->period_start_ms, others->period_end_ms), others->spend);
  EXPECT_EQ(others->spend, "5.000000");
  // ... and the LLM calls' share of it when tool calls and usage records
  // count too.
  EXPECT_EQ(cost_sum(db, tenant, november->period_start_ms, november->period_end_ms), "1.000000");
  EXPECT_EQ(
      one(db,
          "SELECT (sum(cost_usd) FILTER (WHERE true))::text FROM (SELECT cost_usd FROM llm_calls" +
              of_tenant + " UNION ALL SELECT cost_usd FROM tool_calls" + of_tenant +
              " UNION ALL SELECT counted_usd FROM usage_records" + of_tenant + ") AS counted"),
      "1.500000");

  // December: the engine renews the billing period by itself, and the spend
  // period with it.
  clock_.advance(at("2026-12-01T00:00:00Z") - clock_.now());
  ASSERT_TRUE(wait_until(
      [&] {
        std::optional<SpendRow> row = spend_row(db, tenant);
        return row && row->period_start_ms == at("2026-12-01T00:00:00Z");
      },
      30s))
      << pipeline.service_failures();
  std::optional<SpendRow> december = spend_row(db, tenant);
  ASSERT_TRUE(december.has_value());
  EXPECT_EQ(december->spend, "0.000000");
  EXPECT_EQ(december->cap, "1.5000");
  EXPECT_EQ(december->period_end_ms, at("2027-01-01T00:00:00Z"));
  expect_accepted(send(tenant, "activity.start_run", start_run("act", "run-1", 100)),
                  "run in December");
  expect_accepted(
      send(tenant, "usage.record_llm_call", llm_call("call-3", "0.2", "2026-12-01T00:00:00Z")),
      "call-3");
  // Late: happened in November, recorded in December, counted in December.
  expect_accepted(
      send(tenant, "usage.record_llm_call", llm_call("call-4", "0.1", "2026-11-30T23:59:59Z")),
      "call-4");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  december = spend_row(db, tenant);
  ASSERT_TRUE(december.has_value());
  EXPECT_EQ(december->spend, "0.300000");
  EXPECT_EQ(cost_sum(db, tenant, december->period_start_ms, december->period_end_ms), "0.200000");
  EXPECT_EQ(one(db, "SELECT count(*) FROM llm_calls" + of_tenant +
                        " AND spend_period_start = '2026-12-01T00:00:00Z'"),
            "2");

  // Two months, two monthly partitions; nothing in the DEFAULT one.
  EXPECT_EQ(rows_of(db, "SELECT tableoid::regclass::text || ' ' || llm_call_id FROM llm_calls" +
                            of_tenant + " ORDER BY llm_call_id"),
            (std::vector<std::string>{"llm_calls_p202611 call-1", "llm_calls_p202611 call-2",
                                      "llm_calls_p202612 call-3", "llm_calls_p202611 call-4"}));
  EXPECT_EQ(one(db, "SELECT count(*) FROM llm_calls_default"), "0");
  // The aggregation reads one partition through the seed's index.
  {
    pqxx::work work(db);
    work.exec("SET LOCAL enable_seqscan = off");
    std::string plan;
    for (const pqxx::row& row :
         work.exec_params("EXPLAIN SELECT sum(cost_usd) FROM llm_calls WHERE tenant_id = $1 AND "
                          "created_on >= $2::timestamptz "
                          "AND created_on < $3::timestamptz",
                          tenant, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")) {
      plan += row[0].as<std::string>() + "\n";
    }
    EXPECT_NE(plan.find("llm_calls_p202612"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("llm_calls_p202611"), std::string::npos) << plan;
    EXPECT_NE(plan.find("Index"), std::string::npos) << plan;
    EXPECT_NE(plan.find("created_on_idx"), std::string::npos) << plan;
  }

  // Tenants see only their rows; no one but the owner reads a partition.
  {
    pqxx::work work(db);
    work.exec("SET LOCAL ROLE ledgerflow_reader");
    work.exec_params("SELECT set_config('ledgerflow.tenant_id', $1, true)", other);
    for (const char* table : {"llm_calls", "tool_calls", "usage_records", "tenant_spend"}) {
      EXPECT_EQ(work.exec1(std::string("SELECT count(*) FILTER (WHERE tenant_id <> '") + other +
                           "') FROM " + table)[0]
                    .as<int64_t>(),
                0)
          << table;
    }
    EXPECT_EQ(work.exec1("SELECT count(*) FROM llm_calls")[0].as<int64_t>(), 1);
    EXPECT_EQ(work.exec1("SELECT count(*) FROM tenant_spend")[0].as<int64_t>(), 1);
  }
  {
    pqxx::work work(db);
    work.exec("SET LOCAL ROLE ledgerflow_reader");
    EXPECT_THROW(work.exec("SELECT count(*) FROM llm_calls_p202611"), pqxx::insufficient_privilege);
  }

  // The read tables equal the fold of the log, in process and by the CLI.
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);
  auto [verify_code, verify_output] = run_ledgerflow(pipeline, {"verify"});
  EXPECT_EQ(verify_code, 0) << verify_output;

  // Each usage projection rebuilt from the log gives the same table; the
  // partitioned one keeps its partitioning, partitions, indexes and policies.
  const auto partitions = [&] {
    return rows_of(
        db,
        "SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'llm_calls'::regclass ORDER BY "
        "1");
  };
  const auto catalog = [&](const std::string& table) {
    std::vector<std::string> rows = rows_of(
        db, "SELECT indexname FROM pg_indexes WHERE tablename = '" + table + "' ORDER BY 1");
    for (const std::string& policy :
         rows_of(db, "SELECT polname FROM pg_policy WHERE polrelid = '" + table +
                         "'::regclass ORDER BY 1")) {
      rows.push_back(policy);
    }
    rows.push_back(
        one(db, "SELECT relkind::text || relrowsecurity::text FROM pg_class WHERE oid = '" + table +
                    "'::regclass"));
    return rows;
  };
  const std::vector<std::string> partitions_before = partitions();
  ASSERT_EQ(partitions_before.size(), 3u);  // November, December, DEFAULT
  for (const std::string table : {"llm_calls", "tool_calls", "usage_records", "tenant_spend"}) {
    const std::vector<std::string> before =
        rows_of(db, "SELECT t::text FROM " + table + " AS t ORDER BY 1");
    const std::vector<std::string> catalog_before = catalog(table);
    auto [code, output] = run_ledgerflow(pipeline, {"rebuild", table});
    ASSERT_EQ(code, 0) << table << ": " << output;
    EXPECT_EQ(rows_of(db, "SELECT t::text FROM " + table + " AS t ORDER BY 1"), before) << table;
    EXPECT_EQ(catalog(table), catalog_before) << table;
  }
  EXPECT_EQ(partitions(), partitions_before);
  // One tenant in place, and from the event_log archive: the same rows.
  {
    const std::vector<std::string> before =
        rows_of(db, "SELECT t::text FROM llm_calls AS t ORDER BY 1");
    auto [code, output] = run_ledgerflow(pipeline, {"rebuild", "llm_calls", "--tenant", tenant});
    ASSERT_EQ(code, 0) << output;
    EXPECT_EQ(rows_of(db, "SELECT t::text FROM llm_calls AS t ORDER BY 1"), before);
    auto [archive_code, archive_output] =
        run_ledgerflow(pipeline, {"rebuild", "llm_calls", "--from", "archive"});
    ASSERT_EQ(archive_code, 0) << archive_output;
    EXPECT_EQ(rows_of(db, "SELECT t::text FROM llm_calls AS t ORDER BY 1"), before);
  }
  EXPECT_EQ(one(db, "SELECT relkind::text FROM pg_class WHERE relname = 'llm_calls'"), "p");
  EXPECT_EQ(rows_of(db,
                    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                    "AND (relname LIKE '%shadow%' OR relname LIKE '%retired%') ORDER BY 1"),
            std::vector<std::string>{});
  // And the pipeline keeps writing into the rebuilt table's partitions.
  expect_accepted(
      send(tenant, "usage.record_llm_call", llm_call("call-5", "0.01", "2026-12-01T00:00:00Z")),
      "call-5");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  EXPECT_EQ(one(db, "SELECT tableoid::regclass::text FROM llm_calls WHERE llm_call_id = 'call-5'"),
            "llm_calls_p202612");
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);
}

// The partition function on its own: a month's first row creates the
// month's partition, rows that reached the DEFAULT partition move into it,
// the projector role may call it, and it refuses a table that is not
// partitioned by range.
TEST(UsagePartitions, AMonthsPartitionIsCreatedOnceAndTakesItsRowsFromTheDefault) {
  PipelineOptions options;
  options.engine = false;
  options.projector = false;
  Pipeline pipeline(options);
  pqxx::connection& db = pipeline.db();
  const std::string tenant = random_tenant();
  {
    pqxx::work work(db);
    work.exec_params(
        "INSERT INTO llm_calls (tenant_id, llm_call_id, created_on, adapter_type, model_id, "
        "input_tokens, output_tokens, "
        "cost_usd, spend_period_start, recorded_at) VALUES ($1, 'early', '2027-03-15T10:00:00Z', "
        "'openai', 'gpt', 1, 1, "
        "0.5, '2027-03-01T00:00:00Z', now())",
        tenant);
    work.commit();
  }
  EXPECT_EQ(one(db, "SELECT tableoid::regclass::text FROM llm_calls"), "llm_calls_default");
  {
    pqxx::work work(db);
    work.exec("SET LOCAL ROLE ledgerflow_projector");
    EXPECT_EQ(work.exec_params1("SELECT ledgerflow_ensure_month_partition($1, $2::timestamptz)",
                                "llm_calls", "2027-03-31T23:59:59.999Z")[0]
                  .as<std::string>(),
              "llm_calls_p202703");
    // The projector's role writes through the parent into the partition.
    work.exec_params(
        "INSERT INTO llm_calls (tenant_id, llm_call_id, created_on, adapter_type, model_id, "
        "input_tokens, output_tokens, "
        "cost_usd, spend_period_start, recorded_at) VALUES ($1, 'by-projector', "
        "'2027-03-02T00:00:00Z', 'ollama', "
        "'llama', 1, 1, 0, '2027-03-01T00:00:00Z', now())",
        tenant);
    // Called again (another projector, the next batch): nothing to do.
    EXPECT_EQ(work.exec_params1("SELECT ledgerflow_ensure_month_partition($1, $2::timestamptz)",
                                "llm_calls", "2027-03-01T00:00:00Z")[0]
                  .as<std::string>(),
              "llm_calls_p202703");
    work.commit();
  }
  EXPECT_EQ(rows_of(db, "SELECT tableoid::regclass::text FROM llm_calls"),
            (std::vector<std::string>{"llm_calls_p202703", "llm_calls_p202703"}));
  EXPECT_EQ(one(db,
                "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = "
                "'llm_calls_p202703'"),
            "FOR VALUES FROM ('2027-03-01 00:00:00+00') TO ('2027-04-01 00:00:00+00')");
  EXPECT_EQ(one(db,
                "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class WHERE relname = "
                "'llm_calls_p202703'"),
            "t");
  {
    pqxx::work work(db);
    EXPECT_THROW(
        work.exec_params("SELECT ledgerflow_ensure_month_partition($1, now())", "tool_calls"),
        pqxx::sql_error);
  }
}

}  // namespace
}  // namespace lf::testing
