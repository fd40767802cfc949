// Time on the wire: RFC 3339 timestamps and YYYY-MM-DD dates, held in memory
// as integer milliseconds (or days) since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lf {

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" (also 't'/'z'); the
// fraction is truncated to milliseconds. Rejects anything else, including
// out-of-range fields and years outside 1970..9999.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS.mmmZ", always UTC, always milliseconds.
std::string format_rfc3339_ms(int64_t unix_ms);
inline constexpr std::size_t kRfc3339MsLength = 24;
// The same text into `text`, without a string on the heap (for encoders
// that run for every event).
void format_rfc3339_ms(int64_t unix_ms, std::span<char, kRfc3339MsLength> text);

// "YYYY-MM-DD" -> days since 1970-01-01; rejects invalid calendar dates.
std::optional<int32_t> parse_date_days(std::string_view text);
std::string format_date_days(int32_t days);

// Calendar arithmetic (UTC): add `months` to a timestamp, clamping the day of
// month (Jan 31 + 1 month = Feb 28/29), keeping the time of day.
int64_t add_months_ms(int64_t unix_ms, int32_t months);

// The wall clock, for adapters and tools. Deciders never call it: their time
// comes in the command or the engine's Context.
int64_t system_now_ms();

constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kMillisPerHour = 3600 * kMillisPerSecond;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;

}  // namespace lf
