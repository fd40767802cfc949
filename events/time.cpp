// RFC 3339 timestamps and YYYY-MM-DD dates <-> integer milliseconds/days since
// the Unix epoch, through the integer civil-date algorithms (events/civil.hpp):
// no timegm, no locale, no time zone database.
#include "events/time.hpp"

#include "events/assert.hpp"
#include "events/civil.hpp"

#include <chrono>

#include <algorithm>
#include <array>
#include <cstdio>

namespace lf {
namespace {

constexpr int32_t kYearMin = 1970;
constexpr int32_t kYearMax = 9999;
// Digits of a fraction accepted after the seconds (nanoseconds at most); more
// is not a timestamp any producer writes, so it is rejected rather than read.
constexpr std::size_t kFractionDigitsMax = 9;

using civil::civil_from_days;
using civil::days_from_civil;
using civil::days_in_month;
using civil::floor_div;
using CivilDate = civil::Date;

// Reads exactly `count` ASCII digits at `text[at]`.
std::optional<uint32_t> read_digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  uint32_t value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value;
}

// "YYYY-MM-DD" at the start of `text`, range-checked.
std::optional<CivilDate> read_date(std::string_view text) {
  const auto year = read_digits(text, 0, 4);
  const auto month = read_digits(text, 5, 2);
  const auto day = read_digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (*year < kYearMin || *year > kYearMax) return std::nullopt;
  if (*month < 1 || *month > 12) return std::nullopt;
  if (*day < 1 || *day > days_in_month(*year, *month)) return std::nullopt;
  return CivilDate{static_cast<int32_t>(*year), *month, *day};
}

constexpr int64_t kDateLength = 10;  // "YYYY-MM-DD"
// The last representable instant: 9999-12-31T23:59:59.999Z.
constexpr int64_t kMillisMax = (days_from_civil(kYearMax, 12, 31) + 1) * kMillisPerDay - 1;

}  // namespace

std::optional<int64_t> parse_rfc3339_ms(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters, the shortest zone ("Z") one more.
  if (text.size() < 20) return std::nullopt;
  const auto date = read_date(text);
  if (!date) return std::nullopt;
  if (text[10] != 'T' && text[10] != 't') return std::nullopt;
  const auto hour = read_digits(text, 11, 2);
  const auto minute = read_digits(text, 14, 2);
  const auto second = read_digits(text, 17, 2);
  if (!hour || !minute || !second || text[13] != ':' || text[16] != ':') return std::nullopt;
  // Leap seconds (60) are rejected: the epoch arithmetic cannot represent them.
  if (*hour > 23 || *minute > 59 || *second > 59) return std::nullopt;

  std::size_t at = 19;
  int64_t millis = 0;
  if (text[at] == '.') {
    ++at;
    const std::size_t fraction_begin = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    const std::size_t digits = at - fraction_begin;
    if (digits == 0 || digits > kFractionDigitsMax) return std::nullopt;
    // Truncate to milliseconds: the first three digits, padded with zeros.
    for (std::size_t i = 0; i < 3; ++i) {
      millis = millis * 10 + (i < digits ? text[fraction_begin + i] - '0' : 0);
    }
  }
  if (at >= text.size()) return std::nullopt;

  int64_t offset_minutes = 0;
  const char zone = text[at];
  if (zone == 'Z' || zone == 'z') {
    ++at;
  } else if (zone == '+' || zone == '-') {
    const auto offset_hour = read_digits(text, at + 1, 2);
    const auto offset_minute = read_digits(text, at + 4, 2);
    if (!offset_hour || !offset_minute || text[at + 3] != ':') return std::nullopt;
    if (*offset_hour > 23 || *offset_minute > 59) return std::nullopt;
    offset_minutes = static_cast<int64_t>(*offset_hour) * 60 + *offset_minute;
    if (zone == '-') offset_minutes = -offset_minutes;
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;

  const int64_t days = days_from_civil(date->year, date->month, date->day);
  const int64_t local_ms = days * kMillisPerDay + static_cast<int64_t>(*hour) * kMillisPerHour +
                           static_cast<int64_t>(*minute) * 60 * kMillisPerSecond +
                           static_cast<int64_t>(*second) * kMillisPerSecond + millis;
  // Local time = UTC + offset.
  const int64_t unix_ms = local_ms - offset_minutes * 60 * kMillisPerSecond;
  // An offset may carry a 1970 or 9999 local time out of range: reject, so
  // every accepted value formats back to a valid timestamp.
  if (unix_ms < 0 || unix_ms > kMillisMax) return std::nullopt;
  return unix_ms;
}

std::string format_rfc3339_ms(int64_t unix_ms) {
  std::string text(kRfc3339MsLength, '\0');
  format_rfc3339_ms(unix_ms, std::span<char, kRfc3339MsLength>(text.data(), kRfc3339MsLength));
  return text;
}

void format_rfc3339_ms(int64_t unix_ms, std::span<char, kRfc3339MsLength> text) {
  const int64_t days = floor_div(unix_ms, kMillisPerDay);
  const int64_t ms_of_day = unix_ms - days * kMillisPerDay;
  const CivilDate date = civil_from_days(days);
  const auto hour = static_cast<int>(ms_of_day / kMillisPerHour);
  const auto minute = static_cast<int>(ms_of_day / (60 * kMillisPerSecond) % 60);
  const auto second = static_cast<int>(ms_of_day / kMillisPerSecond % 60);
  const auto millis = static_cast<int>(ms_of_day % kMillisPerSecond);
  LF_ASSERT(date.year >= 0 && date.year <= 9999);
  // Fixed width, digits written directly (this runs for every event).
  constexpr std::string_view kPattern = "0000-00-00T00:00:00.000Z";
  static_assert(kPattern.size() == kRfc3339MsLength);
  std::copy(kPattern.begin(), kPattern.end(), text.begin());
  auto put = [&text](std::size_t at, int value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      text[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<int>(date.year), 4);
  put(5, static_cast<int>(date.month), 2);
  put(8, static_cast<int>(date.day), 2);
  put(11, hour, 2);
  put(14, minute, 2);
  put(17, second, 2);
  put(20, millis, 3);
}

std::optional<int32_t> parse_date_days(std::string_view text) {
  if (static_cast<int64_t>(text.size()) != kDateLength) return std::nullopt;
  const auto date = read_date(text);
  if (!date) return std::nullopt;
  return static_cast<int32_t>(days_from_civil(date->year, date->month, date->day));
}

std::string format_date_days(int32_t days) {
  const CivilDate date = civil_from_days(days);
  std::array<char, 32> buffer{};
  const int length = std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02u",
                                   static_cast<int>(date.year), date.month, date.day);
  return std::string(buffer.data(), static_cast<std::size_t>(length));
}

int64_t add_months_ms(int64_t unix_ms, int32_t months) {
  const int64_t days = floor_div(unix_ms, kMillisPerDay);
  const int64_t ms_of_day = unix_ms - days * kMillisPerDay;
  const CivilDate date = civil_from_days(days);
  // Months counted from year 0, March-agnostic: 0 = January of year 0.
  const int64_t month_index = static_cast<int64_t>(date.year) * 12 + (date.month - 1) + months;
  const int64_t year = floor_div(month_index, 12);
  const auto month = static_cast<uint32_t>(month_index - year * 12 + 1);
  const uint32_t day = std::min(date.day, days_in_month(year, month));
  return days_from_civil(year, month, day) * kMillisPerDay + ms_of_day;
}

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace lf
