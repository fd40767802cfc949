// Billing periods: recognising a whole number of calendar months, and the
// next period of a series (docs/domains/credits.md "Timers", period end).
#pragma once

#include <cstdint>
#include <optional>

#include "engine/credits/state.hpp"

namespace lf::engine::credits {

// 9999-12-31T23:59:59.999Z: the last instant RFC 3339 parsing accepts.
inline constexpr int64_t kTimestampMaxMs = 253'402'300'799'999;
// Longest period counted in months (more than the years 1970..9999 hold).
inline constexpr int32_t kPeriodMonthsMax = 120'000;

// The period [start_ms, end_ms) starting a new series: whole months when
// add_months(start_ms, n) == end_ms for some n >= 1. Precondition: start < end.
Period start_period(int64_t start_ms, int64_t end_ms);

// The period after `period` in its series; nullopt when it would end after
// kTimestampMaxMs (no clock gets there: such a period is never renewed).
std::optional<Period> next_period(const Period& period);

}  // namespace lf::engine::credits
