// Period arithmetic.
#include "engine/credits/period.hpp"

#include "events/assert.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

// The smallest n in [1, kPeriodMonthsMax] with add_months(start, n) >= end
// (add_months is non-decreasing in n), or 0 when there is none.
int32_t months_reaching(int64_t start_ms, int64_t end_ms) {
  int32_t low = 1;
  int32_t high = kPeriodMonthsMax;
  if (add_months_ms(start_ms, high) < end_ms) return 0;
  while (low < high) {
    const int32_t middle = low + (high - low) / 2;
    if (add_months_ms(start_ms, middle) >= end_ms) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

}  // namespace

Period start_period(int64_t start_ms, int64_t end_ms) {
  LF_ASSERT(start_ms < end_ms);
  Period period;
  period.start_ms = start_ms;
  period.end_ms = end_ms;
  period.anchor_ms = start_ms;
  const int32_t months = months_reaching(start_ms, end_ms);
  if (months > 0 && add_months_ms(start_ms, months) == end_ms) {
    period.length_months = months;
    period.end_months_from_anchor = months;
  }
  return period;
}

std::optional<Period> next_period(const Period& period) {
  Period next = period;
  next.start_ms = period.end_ms;
  if (period.length_months > 0) {
    if (period.end_months_from_anchor > kPeriodMonthsMax) return std::nullopt;
    next.end_months_from_anchor = period.end_months_from_anchor + period.length_months;
    next.end_ms = add_months_ms(period.anchor_ms, next.end_months_from_anchor);
  } else {
    next.end_ms = period.end_ms + (period.end_ms - period.start_ms);
  }
  if (next.end_ms > kTimestampMaxMs) return std::nullopt;
  LF_ASSERT(next.end_ms > next.start_ms);
  return next;
}

}  // namespace lf::engine::credits
