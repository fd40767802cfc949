// The usage domain through one partition's engine core: exact costs, the
// spend of the period in force and its reset, the cap and the runs it
// stops, duplicates, usage records' totals, snapshots.
#include <gtest/gtest.h>

#include "engine/tenant.hpp"
#include "engine/usage/commands.hpp"
#include "events/money.hpp"
#include "tests/unit/engine/tenant_driver.hpp"
#include "tests/unit/usage/harness.hpp"

namespace lf::engine::usage::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

int64_t cost_of(const DecodedRecord& record) {
  return json_int64(*record.events.at(0).payload, "cost_usd_micros").value_or(-1);
}

// A tenant with November 2026 as its billing period and an activity in progress.
void working_tenant(Harness& h) {
  h.accept("credits.allocate", allocate_payload(100'000));
  h.accept("activity.create", activity_payload("act", false));
  h.accept("activity.start", activity_move("act"));
}

TEST(Usage, CostUsdIsReadExactlyFromItsDecimalText) {
  Harness h(kNow);
  EXPECT_EQ(cost_of(h.accept_record("usage.record_llm_call", llm_call("c1", "0.000001"))), 1);
  EXPECT_EQ(cost_of(h.accept_record("usage.record_llm_call", llm_call("c2", "\"1.5\""))),
            1'500'000);
  EXPECT_EQ(cost_of(h.accept_record("usage.record_llm_call", llm_call("c3", "0.1"))), 100'000);
  EXPECT_EQ(cost_of(h.accept_record("usage.record_llm_call", llm_call("c4", "\"0.30\""))), 300'000);
  EXPECT_EQ(cost_of(h.accept_record("usage.record_llm_call", llm_call("c5", "9999.999999"))),
            9'999'999'999);
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 1 + 1'500'000 + 100'000 + 300'000 + 9'999'999'999);
}

TEST(Usage, CostUsdWithTooManyDecimalsOutOfRangeOrNoNumberIsInvalidAmount) {
  Harness h(kNow);
  h.accept("usage.record_llm_call", llm_call("ok", "0.25"));
  for (const std::string& cost :
       {std::string("0.0000001"), std::string("\"1.1234567\""), std::string("10000"),
        std::string("\"99999999999999999999\""), std::string("-1"), std::string("\"-0.5\""),
        std::string("\"abc\"")}) {
    h.refuse("usage.record_llm_call", llm_call("bad", cost), "invalid_amount");
  }
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 250'000);
  EXPECT_EQ(usage_of(h).llm_call_ids.size(), 1u);
}

TEST(Usage, TheRecordedEventCarriesTheCallAsTheSeedKeepsIt) {
  Harness h(kNow);
  const std::string hash(64, 'A');
  DecodedRecord record = h.accept_record(
      "usage.record_llm_call",
      llm_call("c1", "0.042318",
               ",\"activity_run_id\":\"run-1\",\"prompt_hash\":\"" + hash +
                   "\",\"duration_ms\":9000,\"created_on\":\"2026-11-20T08:59:00+01:00\""));
  ASSERT_EQ(types_of(record), std::vector<std::string>{"usage.llm_call_recorded"});
  const DecodedEvent& event = record.events[0];
  EXPECT_EQ(event.header.stream, std::string("usage/") + kTenant);
  EXPECT_EQ(json_string(*event.payload, "prompt_hash"), std::string(64, 'a'));
  EXPECT_EQ(json_string(*event.payload, "created_on"), "2026-11-20T07:59:00.000Z");
  EXPECT_EQ(json_int64(*event.payload, "counted_usd_micros"), 42'318);
  // Without created_on, the call happened when the command was issued.
  DecodedRecord second = h.accept_record("usage.record_llm_call", llm_call("c2", "0"));
  EXPECT_EQ(json_string(*second.events[0].payload, "created_on"), "2026-11-20T09:00:00.000Z");
}

TEST(Usage, CreatedOnMayLieAWeekBehindAndFiveMinutesAhead) {
  Harness h(kNow);
  h.accept("usage.record_llm_call",
           llm_call("late", "1", ",\"created_on\":\"2026-11-14T09:00:00Z\""));
  h.accept("usage.record_tool_call", tool_call("soon", ",\"created_on\":\"2026-11-20T09:04:00Z\""));
  h.refuse("usage.record_llm_call",
           llm_call("old", "1", ",\"created_on\":\"2026-11-13T08:59:59Z\""), "invalid_created_on");
  h.refuse("usage.record_tool_call", tool_call("ahead", ",\"created_on\":\"2026-11-20T09:05:01Z\""),
           "invalid_created_on");
}

TEST(Usage, SpendAccumulatesInTheBillingPeriodAndResetsWhenItRenews) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("usage.record_llm_call", llm_call("c1", "1.25"));
  h.accept("usage.record_tool_call", tool_call("t1", ",\"cost_usd\":\"0.75\""));
  h.accept("usage.record_tool_call", tool_call("t2"));  // no cost: counts 0
  const SpendPeriod november{at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"),
                             SpendBasis::billing_period};
  EXPECT_EQ(usage_of(h).period, november);
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 2'000'000);

  h.advance_to(at("2026-12-01T00:00:00Z"));
  const std::vector<Decided> fired = h.tick();
  ASSERT_EQ(fired.size(), 2u);  // the credits renewal, then the new spend period
  EXPECT_EQ(types_of(fired[0]).back(), "credits.allocated");
  ASSERT_EQ(types_of(fired[1]), std::vector<std::string>{"usage.spend_period_started"});
  const DecodedRecord started = decode(fired[1]);
  EXPECT_EQ(month_spend_after(started.events[0]), 0);
  const rapidjson::Value* previous = json_member(*started.events[0].payload, "previous");
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ(json_int64(*previous, "month_spend_usd_micros"), 2'000'000);
  const SpendPeriod december{at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z"),
                             SpendBasis::billing_period};
  EXPECT_EQ(usage_of(h).period, december);
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 0);
  EXPECT_TRUE(h.tick().empty());  // fired once

  DecodedRecord next = h.accept_record("usage.record_llm_call", llm_call("c2", "0.5"));
  EXPECT_EQ(month_spend_after(next.events[0]), 500'000);
}

TEST(Usage, WithoutABillingPeriodTheSpendPeriodIsTheUtcCalendarMonth) {
  Harness h(at("2026-02-27T23:00:00Z"));
  h.accept("usage.record_llm_call", llm_call("c1", "2"));
  EXPECT_EQ(usage_of(h).period, (SpendPeriod{at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z"),
                                             SpendBasis::calendar_month}));
  h.advance_to(at("2026-02-28T23:59:59.999Z"));
  EXPECT_TRUE(h.tick().empty());
  h.advance_to(at("2026-03-01T00:00:00Z"));
  ASSERT_EQ(h.tick().size(), 1u);
  EXPECT_EQ(usage_of(h).period, (SpendPeriod{at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"),
                                             SpendBasis::calendar_month}));
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 0);
}

TEST(Usage, ANewAllocationStartsANewSpendPeriod) {
  Harness h(kNow);
  h.accept("usage.record_llm_call", llm_call("c1", "3"));
  EXPECT_EQ(usage_of(h).period->basis, SpendBasis::calendar_month);
  h.accept("credits.allocate", allocate_payload(1000));
  const std::vector<Decided> fired = h.tick();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(types_of(fired[0]), std::vector<std::string>{"usage.spend_period_started"});
  EXPECT_EQ(usage_of(h).period->basis, SpendBasis::billing_period);
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 0);
}

TEST(Usage, ALateCallCountsIntoThePeriodInForceWhenItIsRecorded) {
  Harness h(at("2026-12-01T00:10:00Z"));
  DecodedRecord record = h.accept_record(
      "usage.record_llm_call", llm_call("late", "1", ",\"created_on\":\"2026-11-30T23:59:00Z\""));
  const rapidjson::Value& spend = *json_member(*record.events[0].payload, "spend");
  EXPECT_EQ(json_string(spend, "period_start"), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(json_string(*record.events[0].payload, "created_on"), "2026-11-30T23:59:00.000Z");
}

TEST(Usage, OnlySystemAdminAndSupportSetTheCap) {
  Harness h(kNow);
  h.refuse("tenant.set_spend_cap", spend_cap("10"), "forbidden", "user:alice");
  h.refuse("tenant.set_spend_cap", spend_cap("10"), "forbidden", "agent:copywriter");
  EXPECT_FALSE(usage_of(h).spend_cap_usd_micros.has_value());
  h.accept("tenant.set_spend_cap", spend_cap("10"), "admin:ops");
  EXPECT_EQ(usage_of(h).spend_cap_usd_micros, 10'000'000);
  h.accept("tenant.set_spend_cap", spend_cap("\"12.3456\""), "support:kim");
  EXPECT_EQ(usage_of(h).spend_cap_usd_micros, 12'345'600);
  h.refuse("tenant.set_spend_cap", spend_cap("\"12.34567\""), "invalid_amount", "system");
  h.refuse("tenant.set_spend_cap", spend_cap("1000000"), "invalid_amount", "system");
  h.accept("tenant.set_spend_cap", spend_cap("null"), "system");
  EXPECT_FALSE(usage_of(h).spend_cap_usd_micros.has_value());
}

TEST(Usage, StartRunIsRefusedOnceTheSpendReachesTheCapAndAcceptedBelowIt) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("tenant.set_spend_cap", spend_cap("1"), "admin:ops");
  h.accept("usage.record_llm_call", llm_call("c1", "0.999999"));
  h.accept("activity.start_run", start_run("act", "run-1", 10));  // just below the cap
  h.accept("usage.record_llm_call", llm_call("c2", "0.000001"));  // exactly at it
  CommandOutcome refused = h.run("activity.start_run", start_run("act", "run-2", 10));
  EXPECT_EQ(refused.result.status, ResultStatus::rejected);
  EXPECT_EQ(refused.result.reason, "spend_cap_reached");
  EXPECT_NE(refused.result.message.find("is 1.00 USD and has reached the monthly cap of 1.00 USD"),
            std::string::npos)
      << refused.result.message;
  // Usage is recorded whatever the cap: the calls already happened.
  h.accept("usage.record_llm_call", llm_call("c3", "0.5"));
  h.accept("usage.record",
           "{\"usage_record_id\":\"u1\",\"billing_unit\":\"agent_run\",\"quantity\":1,"
           "\"unit_price\":\"0.25\"}");
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 1'750'000);
  h.refuse("activity.start_run", start_run("act", "run-2", 10), "spend_cap_reached");
  // A higher cap, no cap, and a new period let runs start again.
  h.accept("tenant.set_spend_cap", spend_cap("2"), "admin:ops");
  h.accept("activity.start_run", start_run("act", "run-2", 10));
  h.accept("tenant.set_spend_cap", spend_cap("\"1.5\""), "admin:ops");
  h.refuse("activity.start_run", start_run("act", "run-3", 10), "spend_cap_reached");
  h.advance_to(at("2026-12-01T00:00:00Z"));
  h.tick();
  h.accept("activity.start_run", start_run("act", "run-3", 10));
  EXPECT_EQ(usage_of(h).spend_cap_usd_micros, 1'500'000);  // the cap stays
}

TEST(Usage, AZeroCapStopsEveryRun) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("tenant.set_spend_cap", spend_cap("0"), "system");
  h.refuse("activity.start_run", start_run("act", "run-1", 10), "spend_cap_reached");
}

TEST(Usage, ARecordedIdIsRefusedAsDuplicatePerKind) {
  Harness h(kNow);
  h.accept("usage.record_llm_call", llm_call("x", "1"));
  h.refuse("usage.record_llm_call", llm_call("x", "2"), "duplicate_usage");
  h.accept("usage.record_tool_call", tool_call("x"));
  h.refuse("usage.record_tool_call", tool_call("x"), "duplicate_usage");
  const std::string record =
      "{\"usage_record_id\":\"x\",\"billing_unit\":\"token\",\"quantity\":1000,\"unit_price\":0."
      "000003}";
  h.accept("usage.record", record);
  h.refuse("usage.record", record, "duplicate_usage");
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 1'003'000);
}

TEST(Usage, TheRecentIdWindowIsBounded) {
  RecentIds ids;
  for (std::size_t i = 0; i <= kRecentIdsMax; ++i) ids.push("id-" + std::to_string(i));
  EXPECT_EQ(ids.size(), kRecentIdsMax);
  EXPECT_FALSE(ids.contains("id-0"));
  EXPECT_TRUE(ids.contains("id-1"));
  EXPECT_TRUE(ids.contains("id-" + std::to_string(kRecentIdsMax)));
}

TEST(Usage, UsageRecordTotalsAreTheExactProductRoundedHalfUp) {
  EXPECT_EQ(total_cost_micros(3'000'000, 500), 2);    // 3 x 0.0000005 = 0.0000015 -> 0.000002
  EXPECT_EQ(total_cost_micros(1'000'000, 1'499), 1);  // 0.000001499 -> 0.000001
  EXPECT_EQ(total_cost_micros(2'500'000, 400'000'000), 1'000'000);  // 2.5 x 0.4 = 1
  EXPECT_EQ(total_cost_micros(kQuantityUnitsMax, kUnitPriceUnitsMax), std::nullopt);  // 10^18 USD

  Harness h(kNow);
  auto record = [](const std::string& id, const std::string& rest) {
    return "{\"usage_record_id\":\"" + id + "\",\"billing_unit\":\"token\"," + rest + "}";
  };
  DecodedRecord computed =
      h.accept_record("usage.record", record("u1", "\"quantity\":3,\"unit_price\":\"0.0000005\""));
  EXPECT_EQ(json_int64(*computed.events[0].payload, "total_cost_micros"), 2);
  h.accept("usage.record",
           record("u2", "\"quantity\":3,\"unit_price\":\"0.0000005\",\"total_cost\":\"0.000002\""));
  h.refuse("usage.record",
           record("u3", "\"quantity\":3,\"unit_price\":\"0.0000005\",\"total_cost\":0.000001"),
           "invalid_amount");
  h.refuse("usage.record", record("u4", "\"quantity\":\"0.0000001\",\"unit_price\":1"),
           "invalid_amount");
  h.refuse("usage.record", record("u5", "\"quantity\":1,\"unit_price\":\"0.0000000001\""),
           "invalid_amount");
  h.refuse("usage.record", record("u6", "\"quantity\":1,\"unit_price\":1,\"currency\":\"XYZ\""),
           "invalid_currency");
  h.refuse("usage.record",
           record("u7",
                  "\"quantity\":1,\"unit_price\":1,\"period_start\":\"2026-11-02T00:00:00Z\","
                  "\"period_end\":\"2026-11-01T00:00:00Z\""),
           "invalid_period");
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 4);
}

TEST(Usage, OnlyUsdCostsCountTowardTheUsdSpend) {
  Harness h(kNow);
  DecodedRecord euros = h.accept_record(
      "usage.record",
      "{\"usage_record_id\":\"eur\",\"billing_unit\":\"workflow_run\",\"quantity\":2,"
      "\"unit_price\":\"12.5\",\"currency\":\"EUR\"}");
  EXPECT_EQ(json_int64(*euros.events[0].payload, "total_cost_micros"), 25'000'000);
  EXPECT_EQ(json_int64(*euros.events[0].payload, "counted_usd_micros"), 0);
  DecodedRecord dollars = h.accept_record(
      "usage.record",
      "{\"usage_record_id\":\"usd\",\"billing_unit\":\"workflow_run\",\"quantity\":2,"
      "\"unit_price\":\"12.5\"}");
  EXPECT_EQ(json_int64(*dollars.events[0].payload, "counted_usd_micros"), 25'000'000);
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, 25'000'000);
}

TEST(Usage, ASpendBeyondTheTablesRangeIsLimitExceeded) {
  Harness h(kNow);
  h.accept("usage.record",
           "{\"usage_record_id\":\"big\",\"billing_unit\":\"x\",\"quantity\":1,"
           "\"unit_price\":\"999999.999999\"}");
  h.refuse("usage.record_llm_call", llm_call("one-more", "0.000001"), "limit_exceeded");
  h.accept("usage.record_llm_call", llm_call("free", "0"));
  EXPECT_EQ(usage_of(h).month_spend_usd_micros, kMonthSpendUsdMicrosMax);
}

TEST(Usage, StateRoundTripsThroughASnapshotAndAFoldOfTheLog) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("tenant.set_spend_cap", spend_cap("\"7.5\""), "admin:ops");
  h.accept("usage.record_llm_call", llm_call("c1", "1.25"));
  h.accept("usage.record_tool_call",
           tool_call("t1", ",\"input\":{\"site\":\"acme.com\"},\"cost_usd\":0.01"));
  h.accept("usage.record",
           "{\"usage_record_id\":\"u1\",\"billing_unit\":\"token\",\"quantity\":10,"
           "\"unit_price\":0.5,\"currency\":\"GBP\"}");
  const TenantState& live = *h.core().tenant(kTenant);
  Result<TenantState> restored = lf::testing::snapshot_round_trip(live);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->usage, live.usage);
  EXPECT_EQ(restored->usage.month_spend_usd_micros, 1'260'000);
  EXPECT_EQ(restored->usage.usage_record_ids.size(), 1u);

  PartitionCore other = h.fold_into_new_core();
  EXPECT_EQ(other.tenant(kTenant)->usage, live.usage);
}

TEST(Usage, ASnapshotWithoutUsageLoadsAsNoUsage) {
  Harness h(kNow);
  h.accept("credits.allocate", allocate_payload(1000));
  JsonWriter writer;
  write_tenant_state(writer, *h.core().tenant(kTenant));
  Result<std::unique_ptr<rapidjson::Document>> parsed =
      parse_json_bounded(writer.view(), JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  ASSERT_TRUE(parsed.ok());
  (*parsed)->RemoveMember("usage");
  Result<TenantState> restored = read_tenant_state(**parsed);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->usage, State{});
}

}  // namespace
}  // namespace lf::engine::usage::testing
