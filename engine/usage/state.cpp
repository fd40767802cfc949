// Spend periods, the recent-id windows, the state's invariants.
#include "engine/usage/state.hpp"

#include "engine/credits/period.hpp"
#include "engine/names.hpp"
#include "events/assert.hpp"
#include "events/money.hpp"
#include "events/time.hpp"

namespace lf::engine::usage {

namespace {

constexpr NameTable<SpendBasis, 2> kBasisNames{{
    {SpendBasis::billing_period, "billing_period"},
    {SpendBasis::calendar_month, "calendar_month"},
}};

int64_t floor_div(int64_t value, int64_t divisor) {
  const int64_t quotient = value / divisor;
  return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

// The UTC calendar month holding `now_ms`. Its end is clamped to the last
// instant RFC 3339 can write (December 9999 ends a millisecond early).
SpendPeriod calendar_month_of(int64_t now_ms) {
  const int32_t day = static_cast<int32_t>(floor_div(now_ms, kMillisPerDay));
  const std::string date = format_date_days(day);  // YYYY-MM-DD
  const int32_t day_of_month = (date[8] - '0') * 10 + (date[9] - '0');
  const int32_t first_day = day - (day_of_month - 1);
  const int32_t next_first_day = credits::add_months_days(first_day, 1);
  SpendPeriod period{int64_t{first_day} * kMillisPerDay, int64_t{next_first_day} * kMillisPerDay,
                     SpendBasis::calendar_month};
  period.end_ms = std::min(period.end_ms, credits::kTimestampMaxMs);
  LF_ASSERT(period.start_ms <= now_ms && period.start_ms < period.end_ms);
  return period;
}

}  // namespace

std::string_view to_string(SpendBasis basis) {
  return name_in(kBasisNames, basis);
}

std::optional<SpendBasis> parse_spend_basis(std::string_view text) {
  return parse_in(kBasisNames, text);
}

SpendPeriod period_in_force(const credits::State& credits, int64_t now_ms) {
  if (const std::optional<credits::Period>& billing = credits.book.period) {
    return SpendPeriod{billing->span.start_ms, billing->span.end_ms, SpendBasis::billing_period};
  }
  return calendar_month_of(now_ms);
}

void RecentIds::push(const std::string& id) {
  LF_ASSERT(!ids_.contains(id));
  order_.push_back(id);
  ids_.insert(id);
  if (order_.size() > kRecentIdsMax) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
  LF_ASSERT(order_.size() == ids_.size());
  LF_ASSERT(order_.size() <= kRecentIdsMax);
}

int64_t spend_in_force(const State& state, const SpendPeriod& in_force) {
  return state.period == in_force ? state.month_spend_usd_micros : 0;
}

std::optional<std::string> state_invariant_violation(const State& state) {
  if (state.month_spend_usd_micros < 0 || state.month_spend_usd_micros > kMonthSpendUsdMicrosMax)
    return "the month's spend is out of range";
  if (!state.period && state.month_spend_usd_micros != 0) return "a spend without a period";
  if (state.period && state.period->start_ms >= state.period->end_ms)
    return "a spend period that ends before it starts";
  if (state.spend_cap_usd_micros &&
      (*state.spend_cap_usd_micros < 0 || *state.spend_cap_usd_micros > kSpendCapUsdMicrosMax ||
       *state.spend_cap_usd_micros % 100 != 0))
    return "the spend cap is out of range or has more than 4 decimals";
  for (const RecentIds* ids :
       {&state.llm_call_ids, &state.tool_call_ids, &state.usage_record_ids}) {
    if (ids->size() > kRecentIdsMax) return "a recent-id window is over its bound";
  }
  return std::nullopt;
}

std::string format_usd(int64_t micros) {
  std::string text = format_scaled_decimal(micros, kMicroUsdDigits);
  // Keep cents; drop the zeros after them.
  while (text.size() > 3 && text.back() == '0' && text[text.size() - 3] != '.') text.pop_back();
  return text;
}

}  // namespace lf::engine::usage
