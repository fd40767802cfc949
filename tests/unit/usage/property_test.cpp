// Seeded random sequences of usage, caps, allocations and runs with the
// engine's clock moving by minutes to weeks and timers fired as they fall
// due (TigerBeetle's VOPR habit). After every step: the month's spend in
// the state equals the sum of what the log's usage events counted into the
// state's spend period, each event's spend equals the running sum of its
// period, a run is refused for the cap exactly when the spend in force has
// reached it; at the end a fold of the log and a snapshot both give the
// live state.
//
// Replay one sequence: LEDGERFLOW_SEED=<seed> lf_usage_tests --gtest_filter='*RandomSequences*'
#include <cstdlib>
#include <map>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "engine/tenant.hpp"
#include "events/money.hpp"
#include "tests/unit/usage/harness.hpp"

namespace lf::engine::usage::testing {
namespace {

constexpr int kSequences = 150;
constexpr int kStepsPerSequence = 120;
constexpr uint64_t kSeedBase = 0x05e'0000;

using PeriodKey = std::tuple<int64_t, int64_t, std::string>;

PeriodKey period_key(const rapidjson::Value& spend) {
  return {*parse_rfc3339_ms(*json_string(spend, "period_start")),
          *parse_rfc3339_ms(*json_string(spend, "period_end")),
          std::string(*json_string(spend, "basis"))};
}

class Sequence {
 public:
  explicit Sequence(uint64_t seed)
      : random_(seed),
        h_(at("2026-01-01T00:00:00Z") + static_cast<int64_t>(seed % 365) * kMillisPerDay) {}

  void step() {
    h_.advance(pick_advance_ms());
    h_.tick();
    issue();
    check_log();
  }

  void check_end() {
    const State& live = usage_of(h_);
    PartitionCore other = h_.fold_into_new_core();
    ASSERT_NE(other.tenant(kTenant), nullptr);
    EXPECT_EQ(other.tenant(kTenant)->usage, live);
    JsonWriter writer;
    write_tenant_state(writer, *h_.core().tenant(kTenant));
    Result<std::unique_ptr<rapidjson::Document>> parsed =
        parse_json_bounded(writer.view(), JsonLimits{.max_bytes = 16 << 20, .max_depth = 64});
    ASSERT_TRUE(parsed.ok());
    Result<TenantState> restored = read_tenant_state(**parsed);
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(restored->usage, live);
  }

  int64_t usage_events() const { return usage_events_; }
  int64_t cap_refusals() const { return cap_refusals_; }
  int64_t period_starts() const { return period_starts_; }

 private:
  int64_t uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }
  bool chance(int percent) { return uniform(1, 100) <= percent; }

  int64_t pick_advance_ms() {
    if (chance(60)) return uniform(0, 6 * kMillisPerHour);
    if (chance(80)) return uniform(1, 5) * kMillisPerDay;
    return uniform(20, 40) * kMillisPerDay;
  }

  // A cost as a JSON number or a decimal string, up to 6 decimals.
  std::string cost() {
    const int64_t micros = chance(10) ? 0 : uniform(1, 3'000'000);
    const std::string text = format_scaled_decimal(micros, 6);
    return chance(50) ? text : "\"" + text + "\"";
  }

  std::string fresh_or_used_id(const std::string& prefix) {
    if (next_id_ > 0 && chance(10)) return prefix + std::to_string(uniform(0, next_id_ - 1));
    return prefix + std::to_string(next_id_++);
  }

  void issue() {
    const int64_t roll = uniform(1, 100);
    if (roll <= 35) {
      h_.run("usage.record_llm_call", llm_call(fresh_or_used_id("c"), cost()));
    } else if (roll <= 50) {
      h_.run("usage.record_tool_call", tool_call(fresh_or_used_id("t"), ",\"cost_usd\":" + cost()));
    } else if (roll <= 60) {
      h_.run("usage.record",
             "{\"usage_record_id\":\"" + fresh_or_used_id("u") +
                 "\",\"billing_unit\":\"token\",\"quantity\":" + std::to_string(uniform(0, 5000)) +
                 ",\"unit_price\":\"0.000" + std::to_string(uniform(100, 999)) +
                 "\",\"currency\":\"" + (chance(70) ? "USD" : "EUR") + "\"}");
    } else if (roll <= 70) {
      const std::string cap = chance(15) ? "null"
                                         : "\"" + std::to_string(uniform(0, 20)) + "." +
                                               std::to_string(uniform(0, 9)) + "\"";
      h_.run("tenant.set_spend_cap", spend_cap(cap), chance(90) ? "admin:ops" : "user:eve");
    } else if (roll <= 75) {
      h_.run("credits.allocate", allocate_payload(1'000'000, h_.now()));
    } else {
      start_a_run();
    }
  }

  void start_a_run() {
    if (!activity_started_) {
      h_.run("activity.create", activity_payload("act", false));
      h_.run("activity.start", activity_move("act"));
      activity_started_ = true;
    }
    // What the engine must decide, from the state before the command (the
    // tenant's timers fire first: fire them now so the state is the one it sees).
    h_.tick();
    const State& usage = usage_of(h_);
    const TenantState* tenant = h_.core().tenant(kTenant);
    const bool at_cap = usage.spend_cap_usd_micros &&
                        spend_in_force(usage, period_in_force(tenant->credits, h_.now())) >=
                            *usage.spend_cap_usd_micros;
    const CommandOutcome outcome =
        h_.run("activity.start_run", start_run("act", "run-" + std::to_string(next_id_++), 1));
    if (at_cap) {
      EXPECT_EQ(outcome.result.reason, "spend_cap_reached") << outcome.result.message;
      ++cap_refusals_;
    } else {
      EXPECT_NE(outcome.result.reason, "spend_cap_reached") << outcome.result.message;
    }
  }

  // Every new usage event: its spend is the running sum of its period; the
  // state's spend is the sum of its period.
  void check_log() {
    const std::vector<Decided>& log = h_.log();
    for (; checked_records_ < log.size(); ++checked_records_) {
      const DecodedRecord record = decode(log[checked_records_]);
      for (const DecodedEvent& event : record.events) {
        if (!handles_event(event.header.type)) continue;
        ++usage_events_;
        const rapidjson::Value& spend = *json_member(*event.payload, "spend");
        const PeriodKey key = period_key(spend);
        int64_t& sum = sums_[key];
        if (event.header.type == "usage.spend_period_started") {
          ++period_starts_;
          EXPECT_EQ(sum, 0) << "a period started twice";
        }
        sum += json_int64(*event.payload, "counted_usd_micros").value_or(0);
        EXPECT_EQ(json_int64(spend, "month_spend_usd_micros"), sum) << event.header.type;
      }
    }
    const State& usage = usage_of(h_);
    if (!usage.period) return;
    const PeriodKey key{usage.period->start_ms, usage.period->end_ms,
                        std::string(to_string(usage.period->basis))};
    EXPECT_EQ(usage.month_spend_usd_micros, sums_[key]);
  }

  std::mt19937_64 random_;
  Harness h_;
  int64_t next_id_ = 0;
  bool activity_started_ = false;
  std::size_t checked_records_ = 0;
  std::map<PeriodKey, int64_t> sums_;
  int64_t usage_events_ = 0;
  int64_t cap_refusals_ = 0;
  int64_t period_starts_ = 0;
};

TEST(UsageProperty, RandomSequencesKeepTheSpendTheSumOfThePeriodsUsage) {
  std::vector<uint64_t> seeds;
  if (const char* fixed = std::getenv("LEDGERFLOW_SEED")) {
    seeds.push_back(std::strtoull(fixed, nullptr, 0));
  } else {
    for (int i = 0; i < kSequences; ++i) seeds.push_back(kSeedBase + static_cast<uint64_t>(i));
  }
  int64_t usage_events = 0;
  int64_t cap_refusals = 0;
  int64_t period_starts = 0;
  for (const uint64_t seed : seeds) {
    SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(seed));
    Sequence sequence(seed);
    for (int step = 0; step < kStepsPerSequence && !HasFailure(); ++step) sequence.step();
    sequence.check_end();
    usage_events += sequence.usage_events();
    cap_refusals += sequence.cap_refusals();
    period_starts += sequence.period_starts();
    if (HasFailure()) break;
  }
  RecordProperty("usage_events", std::to_string(usage_events));
  RecordProperty("cap_refusals", std::to_string(cap_refusals));
  RecordProperty("period_starts", std::to_string(period_starts));
  // The sequences reach what they are for.
  if (seeds.size() > 1) {
    EXPECT_GT(usage_events, 5'000);
    EXPECT_GT(cap_refusals, 100);
    EXPECT_GT(period_starts, 100);
  }
}

}  // namespace
}  // namespace lf::engine::usage::testing
