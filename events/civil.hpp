// Proleptic Gregorian dates <-> days since 1970-01-01, with Howard Hinnant's
// integer algorithms (http://howardhinnant.github.io/date_algorithms.html):
// exact for any year, no timegm, no locale. Shared by events/time.cpp
// (RFC 3339, dates) and events/timezone.cpp (TZ rules).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace lf::civil {

struct Date {
  int64_t year = 1970;
  uint32_t month = 1;  // 1..12
  uint32_t day = 1;    // 1..31
};

// Division rounding towards negative infinity.
constexpr int64_t floor_div(int64_t value, int64_t divisor) {
  const int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

// Days since 1970-01-01 of a date (any year).
constexpr int64_t days_from_civil(int64_t year, uint32_t month, uint32_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<uint32_t>(year - era * 400);  // [0, 399]
  const uint32_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const uint32_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

// The date of day `days` since 1970-01-01.
constexpr Date civil_from_days(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<uint32_t>(days - era * 146097);  // [0, 146096]
  const uint32_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const uint32_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const uint32_t march_based_month = (5 * day_of_year + 2) / 153;  // [0, 11]
  Date date;
  date.day = day_of_year - (153 * march_based_month + 2) / 5 + 1;
  date.month = march_based_month < 10 ? march_based_month + 3 : march_based_month - 9;
  date.year = static_cast<int64_t>(year_of_era) + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

// The year in which day `days` falls.
constexpr int64_t year_from_days(int64_t days) {
  return civil_from_days(days).year;
}

constexpr bool is_leap_year(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

// `month` is 1..12.
constexpr uint32_t days_in_month(int64_t year, uint32_t month) {
  constexpr std::array<uint32_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// 0 = Sunday; 1970-01-01 was a Thursday.
constexpr int64_t weekday_of(int64_t days) {
  return days - floor_div(days + 4, 7) * 7 + 4;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(11017).year == 2000 && civil_from_days(11017).month == 3);
static_assert(year_from_days(-1) == 1969);
static_assert(year_from_days(days_from_civil(2024, 12, 31)) == 2024);
static_assert(year_from_days(days_from_civil(2025, 1, 1)) == 2025);
static_assert(days_in_month(2024, 2) == 29 && days_in_month(2100, 2) == 28);
static_assert(weekday_of(0) == 4 && weekday_of(3) == 0 && weekday_of(-1) == 3);

}  // namespace lf::civil
