// Billing periods (docs/domains/credits.md "Billing periods"): the checks a
// period's dates and instants must pass, the start of a series, and the next
// period of a series. What a series fixes is pure calendar arithmetic; what
// it leaves to the tenant's time zone (the instants of a calendar period, the
// dates of an instants one) comes from a LocalCalendar, which only decisions
// use: evolve takes those from the event, so replay never reads tzdata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/credits/state.hpp"
#include "events/timezone.hpp"

namespace lf::engine::credits {

// 9999-12-31T23:59:59.999Z: the last instant RFC 3339 parsing accepts.
inline constexpr int64_t kTimestampMaxMs = 253'402'300'799'999;
// Longest period counted in months (more than the years 1970..9999 hold).
inline constexpr int32_t kPeriodMonthsMax = 120'000;
// The dates a calendar period may span, 1970-01-02 to 9999-12-30 (days
// since 1970-01-01): the start of each of them, and of the day after, is a
// representable instant in every time zone. (A period read from a v1 event
// or snapshot, in UTC, may also start on 1970-01-01.)
inline constexpr int32_t kPeriodDayMin = 1;
inline constexpr int32_t kPeriodDayMax = 2'932'895;
// Longest IANA time zone name (events/timezone.hpp accepts no longer one).
inline constexpr std::size_t kTimeZoneNameLengthMax = 64;

std::string_view to_string(PeriodSeries series);
std::optional<PeriodSeries> parse_period_series(std::string_view text);

// Calendar arithmetic on days: `months` added to `day`, the day of month
// clamped (Jan 31 + 1 month = Feb 28, or 29 in a leap year).
int32_t add_months_days(int32_t day, int32_t months);

// Local days and their first instants: a time zone's, or a fixed offset's.
class LocalCalendar {
 public:
  explicit LocalCalendar(const TimeZone& zone) : zone_(&zone) {}
  static LocalCalendar fixed_offset(int32_t offset_seconds);
  // Used for a period whose zone the database no longer has: a calendar
  // period's offset at its end (next_reset_at), UTC for an instants one.
  static LocalCalendar without_zone(const Period& period);

  int32_t local_day(int64_t unix_ms) const;
  int64_t start_of_day_ms(int32_t day) const;

 private:
  LocalCalendar() = default;
  const TimeZone* zone_ = nullptr;
  int32_t offset_seconds_ = 0;
};

// nullopt when `span` is a well-formed period; otherwise what is wrong. Pure:
// dates in range and in order, instants in order, each instant within a day
// or so of its date (exactly its date's midnight for a calendar period in
// UTC), and a time zone name.
std::optional<std::string> span_violation(const PeriodSpan& span);
// nullopt when `period`'s series bookkeeping fits its span.
std::optional<std::string> series_violation(const Period& period);

// The first period of a new series over `span` (a valid span): whole months
// when, counted from the start, some n >= 1 months end exactly at the end.
Period start_period(const PeriodSpan& span);

// True when the series has a period after `period`: one ending by 9999-12-30
// (calendar) or by kTimestampMaxMs (instants). Nothing renews a last one.
bool renewable(const Period& period);

// The period after `period` (renewable), starting at its next_reset_at, with
// `calendar` (the period's zone) giving what the series leaves to it.
PeriodSpan next_span(const Period& period, const LocalCalendar& calendar);

// True when `span` is the period after `period` as far as the series fixes
// it: same zone and series, starting at next_reset_at; the next dates
// (calendar) or the next instants (instants). Pure.
bool follows_in_series(const Period& period, const PeriodSpan& span);
// The period after `period` over `span` (follows_in_series).
Period renewed(const Period& period, const PeriodSpan& span);

}  // namespace lf::engine::credits
