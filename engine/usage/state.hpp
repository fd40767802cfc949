// The usage decision state of one tenant (docs/domains/usage.md): the USD
// spend of the spend period in force, the monthly cap, and the usage ids
// recently recorded (to refuse their reuse). Plain data with value semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "engine/credits/state.hpp"
#include "events/string_hash.hpp"

namespace lf::engine::usage {

// ---- limits ------------------------------------------------------------------

// One LLM or tool call's cost: the seed's numeric(10,6), 9999.999999 USD.
inline constexpr int64_t kCostUsdMicrosMax = 9'999'999'999;
// A period's spend: tenant_spend's numeric(12,6), 999999.999999 USD. A
// recording that would take the spend past it is refused (limit_exceeded).
inline constexpr int64_t kMonthSpendUsdMicrosMax = 999'999'999'999;
// The cap: the seed's numeric(10,4), 999999.9999 USD, at most 4 decimals.
inline constexpr int64_t kSpendCapUsdMicrosMax = 999'999'999'900;
inline constexpr int32_t kSpendCapDigits = 4;
// A usage record's quantity (6 decimals), unit price (9 decimals) and total
// cost (6 decimals, micro-units of its currency).
inline constexpr int32_t kQuantityDigits = 6;
inline constexpr int64_t kQuantityUnitsMax = 1'000'000'000'000'000'000;  // 10^12 units
inline constexpr int32_t kUnitPriceDigits = 9;
inline constexpr int64_t kUnitPriceUnitsMax = 1'000'000'000'000'000;  // 10^6 per unit
inline constexpr int32_t kTotalCostDigits = 6;
inline constexpr int64_t kTotalCostMicrosMax = 1'000'000'000'000'000;  // 10^9
// Usage ids remembered per kind (LLM calls, tool calls, usage records) to
// refuse a second recording of the same one.
inline constexpr std::size_t kRecentIdsMax = 10'000;

// ---- spend periods -----------------------------------------------------------

// What a spend period follows: the tenant's credits billing period, or, for
// a tenant without one, the calendar month in UTC.
enum class SpendBasis { billing_period, calendar_month };

std::string_view to_string(SpendBasis basis);
std::optional<SpendBasis> parse_spend_basis(std::string_view text);

struct SpendPeriod {
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // exclusive, > start_ms
  SpendBasis basis = SpendBasis::calendar_month;
  bool operator==(const SpendPeriod&) const = default;
};

// The spend period in force for a tenant whose credits state is `credits`,
// at `now_ms`: its billing period while it has one (also once it has ended
// and the engine's renewal is still to fire), else the UTC calendar month of
// now_ms.
SpendPeriod period_in_force(const credits::State& credits, int64_t now_ms);

// ---- the state ---------------------------------------------------------------

// The last kRecentIdsMax ids of one kind, oldest first.
class RecentIds {
 public:
  void push(const std::string& id);
  bool contains(std::string_view id) const { return ids_.contains(id); }
  std::size_t size() const { return order_.size(); }
  const std::deque<std::string>& ids_oldest_first() const { return order_; }
  bool operator==(const RecentIds& other) const { return order_ == other.order_; }

 private:
  std::deque<std::string> order_;
  StringSet ids_;
};

struct State {
  // The period month_spend_usd_micros counts; none before the first usage
  // event. Another period in force means a spend of 0 (spend_in_force).
  std::optional<SpendPeriod> period;
  int64_t month_spend_usd_micros = 0;
  std::optional<int64_t> spend_cap_usd_micros;  // none: no cap
  RecentIds llm_call_ids;
  RecentIds tool_call_ids;
  RecentIds usage_record_ids;
  // Imports into the usage stream (engine/usage/import.hpp), by kind, and
  // how many of the stream's events are imports (the rest are live).
  std::map<std::string, credits::ImportProgress> imports;
  int64_t import_events = 0;
  bool operator==(const State&) const = default;
};

// The month's spend in the period `in_force`: the state's, when it counts
// that period, else 0 (the period renewed since the last usage event).
int64_t spend_in_force(const State& state, const SpendPeriod& in_force);

// nullopt when the invariants hold; otherwise what is broken.
std::optional<std::string> state_invariant_violation(const State& state);

// "12.5" micro-dollars as USD text with at least 2 decimals: 12500000 ->
// "12.50", 1 -> "0.000001" (refusal sentences, logs).
std::string format_usd(int64_t micros);

}  // namespace lf::engine::usage
