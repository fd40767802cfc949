// The usage projections: registered after the workflow ones, and what rows
// the engine's own usage events map to (exact numerics, the monthly
// partition column, tenant_spend as the events state it).
#include <gtest/gtest.h>

#include "projections/llm_calls/projection.hpp"
#include "projections/registry.hpp"
#include "projections/tenant_spend/projection.hpp"
#include "projections/usage_records/projection.hpp"
#include "tests/unit/usage/harness.hpp"

namespace lf::engine::usage::testing {
namespace {

using projections::RowBatch;
using projections::RowOp;
using projections::TableSpec;
using projections::Value;

const int64_t kNow = at("2026-11-20T09:00:00Z");

// The rows `projection` maps the harness's log to, one op per key.
std::vector<RowOp> rows_of(const projections::Projection& projection, Harness& h) {
  RowBatch batch;
  std::vector<DecodedRecord> records;
  records.reserve(h.log().size());
  for (const Decided& decided : h.log()) records.push_back(decode(decided));
  for (std::size_t i = 0; i < records.size(); ++i) {
    projection.apply(projections::RecordAt{0, static_cast<int64_t>(i), &records[i]}, batch);
  }
  std::vector<RowOp> rows;
  for (const RowBatch::TableOps& group : batch.tables())
    rows.insert(rows.end(), group.ops.begin(), group.ops.end());
  return rows;
}

const Value& column(const RowOp& row, std::string_view name) {
  return row.values[row.table->column_index(name)];
}

TEST(UsageProjections, RegisteredAtVersionOneAfterTheWorkflowProjections) {
  std::vector<std::string> names;
  for (const auto& projection : projections::all_projections())
    names.emplace_back(projection->name());
  // After the workflow projections (and credit_topup_orders), in this order.
  const auto audit_log = std::find(names.begin(), names.end(), "audit_log");
  const auto llm_calls = std::find(names.begin(), names.end(), "llm_calls");
  ASSERT_NE(audit_log, names.end());
  ASSERT_NE(llm_calls, names.end());
  EXPECT_LT(audit_log, llm_calls);
  EXPECT_EQ(std::vector<std::string>(llm_calls, std::min(llm_calls + 4, names.end())),
            (std::vector<std::string>{"llm_calls", "tool_calls", "usage_records", "tenant_spend"}));
  for (const char* name : {"llm_calls", "tool_calls", "usage_records", "tenant_spend"}) {
    ASSERT_NE(projections::make_projection(name), nullptr) << name;
    EXPECT_EQ(projections::make_projection(name)->version(), 1) << name;
  }
  EXPECT_EQ(projections::LlmCalls::table().monthly_partition_column, "created_on");
  EXPECT_TRUE(projections::TenantSpend::table().monthly_partition_column.empty());
}

TEST(UsageProjections, RowsHoldTheExactAmountsAndTheSpendAfterEachEvent) {
  Harness h(kNow);
  h.accept("tenant.set_spend_cap", spend_cap("\"12.3456\""), "admin:ops");
  h.accept("usage.record_llm_call",
           llm_call("c1", "\"0.000500\"", ",\"created_on\":\"2026-11-19T10:00:00Z\""));
  h.accept("usage.record",
           "{\"usage_record_id\":\"u1\",\"billing_unit\":\"token\",\"quantity\":\"2.5\","
           "\"unit_price\":\"0.000000003\",\"currency\":\"JPY\"}");

  const std::vector<RowOp> calls = rows_of(projections::LlmCalls(), h);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(std::get<std::string>(column(calls[0], "cost_usd")), "0.000500");
  EXPECT_EQ(std::get<projections::Timestamp>(column(calls[0], "created_on")).unix_ms,
            at("2026-11-19T10:00:00Z"));
  EXPECT_EQ(std::get<projections::Timestamp>(column(calls[0], "spend_period_start")).unix_ms,
            at("2026-11-01T00:00:00Z"));

  const std::vector<RowOp> records = rows_of(projections::UsageRecords(), h);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(std::get<std::string>(column(records[0], "quantity")), "2.500000");
  EXPECT_EQ(std::get<std::string>(column(records[0], "unit_price")), "0.000000003");
  EXPECT_EQ(std::get<std::string>(column(records[0], "total_cost")),
            "0.000000");  // 7.5e-9 rounds to 0
  EXPECT_EQ(std::get<std::string>(column(records[0], "counted_usd")), "0.000000");

  const std::vector<RowOp> spend = rows_of(projections::TenantSpend(), h);
  ASSERT_EQ(spend.size(), 1u);  // one row per tenant, the last event's figures
  EXPECT_EQ(spend[0].kind, projections::RowOpKind::upsert);
  EXPECT_EQ(std::get<std::string>(column(spend[0], "monthly_spend_cap_usd")), "12.3456");
  EXPECT_EQ(std::get<std::string>(column(spend[0], "current_month_spend_usd")), "0.000500");
  EXPECT_EQ(std::get<std::string>(column(spend[0], "spend_basis")), "calendar_month");
  EXPECT_EQ(std::get<projections::Timestamp>(column(spend[0], "period_end")).unix_ms,
            at("2026-12-01T00:00:00Z"));
}

}  // namespace
}  // namespace lf::engine::usage::testing
