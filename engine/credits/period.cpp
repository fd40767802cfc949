// Period arithmetic.
#include "engine/credits/period.hpp"

#include <algorithm>

#include "events/assert.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

// 9999-12-31: the last date RFC 3339 parsing accepts.
constexpr int32_t kDayMax = kPeriodDayMax + 1;
// How far an instant may lie from the UTC midnight of its local date: UTC
// offsets span -12:00 to +14:00, and a day may start after a gap.
constexpr int64_t kLocalDayReachMs = 26 * kMillisPerHour;

int64_t floor_div(int64_t value, int64_t divisor) {
  const int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

int64_t utc_midnight_ms(int64_t day) {
  return day * kMillisPerDay;
}

// True when `unix_ms` can fall on local day `day` in some time zone.
bool near_day(int64_t unix_ms, int64_t day) {
  return unix_ms >= utc_midnight_ms(day) - kLocalDayReachMs &&
         unix_ms < utc_midnight_ms(day + 1) + kLocalDayReachMs;
}

// The smallest n in [1, kPeriodMonthsMax] with add(n) >= end (add is
// non-decreasing in n), or 0 when there is none.
template <typename AddMonths, typename Point>
int32_t months_reaching(AddMonths add, Point end) {
  int32_t low = 1;
  int32_t high = kPeriodMonthsMax;
  if (add(high) < end) return 0;
  while (low < high) {
    const int32_t middle = low + (high - low) / 2;
    if (add(middle) >= end) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

// What the series fixes about the period after `period`: for calendar the
// dates, for instants the instants; both start at the period's end.
struct SeriesStep {
  int32_t end_months_from_anchor = 0;
  int32_t start_day = 0;  // calendar
  int32_t end_day = 0;    // calendar
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // instants
};

std::optional<SeriesStep> next_in_series(const Period& period) {
  const PeriodSpan& span = period.span;
  SeriesStep next;
  next.start_ms = span.end_ms;
  next.end_months_from_anchor = period.end_months_from_anchor;
  if (period.length_months > 0) {
    if (period.end_months_from_anchor > kPeriodMonthsMax) return std::nullopt;
    next.end_months_from_anchor += period.length_months;
  }
  if (span.series == PeriodSeries::calendar) {
    const int64_t end_day =
        period.length_months > 0
            ? int64_t{add_months_days(period.anchor_day, next.end_months_from_anchor)} - 1
            : int64_t{span.end_day} + (int64_t{span.end_day} - span.start_day + 1);
    if (end_day > kPeriodDayMax) return std::nullopt;
    next.start_day = span.end_day + 1;
    next.end_day = static_cast<int32_t>(end_day);
  } else {
    next.end_ms = period.length_months > 0
                      ? add_months_ms(period.anchor_ms, next.end_months_from_anchor)
                      : span.end_ms + (span.end_ms - span.start_ms);
    if (next.end_ms > kTimestampMaxMs) return std::nullopt;
  }
  return next;
}

}  // namespace

std::string_view to_string(PeriodSeries series) {
  switch (series) {
    case PeriodSeries::calendar:
      return "calendar";
    case PeriodSeries::instants:
      return "instants";
  }
  LF_ASSERT_MSG(false, "an unknown period series");
  return "?";
}

std::optional<PeriodSeries> parse_period_series(std::string_view text) {
  if (text == "calendar") return PeriodSeries::calendar;
  if (text == "instants") return PeriodSeries::instants;
  return std::nullopt;
}

int32_t add_months_days(int32_t day, int32_t months) {
  const int64_t unix_ms = add_months_ms(utc_midnight_ms(day), months);
  return static_cast<int32_t>(floor_div(unix_ms, kMillisPerDay));
}

LocalCalendar LocalCalendar::fixed_offset(int32_t offset_seconds) {
  LocalCalendar calendar;
  calendar.offset_seconds_ = offset_seconds;
  return calendar;
}

LocalCalendar LocalCalendar::without_zone(const Period& period) {
  if (period.span.series == PeriodSeries::instants) return fixed_offset(0);
  const int64_t offset_ms = utc_midnight_ms(int64_t{period.span.end_day} + 1) - period.span.end_ms;
  // span_violation keeps next_reset_at within a day or so of its date.
  LF_ASSERT(offset_ms > -2 * kLocalDayReachMs && offset_ms <= kLocalDayReachMs);
  return fixed_offset(static_cast<int32_t>(offset_ms / kMillisPerSecond));
}

int32_t LocalCalendar::local_day(int64_t unix_ms) const {
  if (zone_ != nullptr) return zone_->local_day(unix_ms);
  return static_cast<int32_t>(
      floor_div(unix_ms + int64_t{offset_seconds_} * kMillisPerSecond, kMillisPerDay));
}

int64_t LocalCalendar::start_of_day_ms(int32_t day) const {
  if (zone_ != nullptr) return zone_->start_of_day_ms(day);
  return utc_midnight_ms(day) - int64_t{offset_seconds_} * kMillisPerSecond;
}

std::optional<std::string> span_violation(const PeriodSpan& span) {
  if (span.time_zone.empty() || span.time_zone.size() > kTimeZoneNameLengthMax)
    return "period time zone name";
  if (span.start_day > span.end_day) return "period ends before it starts";
  if (span.start_ms >= span.end_ms) return "period's next_reset_at is not after its start";
  if (span.start_ms < 0 || span.end_ms > kTimestampMaxMs) return "period instants out of range";
  const bool calendar = span.series == PeriodSeries::calendar;
  // Day 0 (1970-01-01) only as an upcast v1 period in UTC: commands start
  // calendar periods from kPeriodDayMin.
  if (span.start_day < 0 || span.end_day > (calendar ? kPeriodDayMax : kDayMax))
    return "period dates out of range";
  // The instant that falls on the period's last local day: for a calendar
  // period its end is the start of the day after.
  const int64_t last_ms = calendar ? span.end_ms : span.end_ms - 1;
  const int64_t last_day = calendar ? int64_t{span.end_day} + 1 : span.end_day;
  if (!near_day(span.start_ms, span.start_day) || !near_day(last_ms, last_day))
    return "period instants far from its dates";
  if (span.time_zone == kDefaultTimeZone) {
    const bool exact = calendar ? span.start_ms == utc_midnight_ms(span.start_day) &&
                                      span.end_ms == utc_midnight_ms(int64_t{span.end_day} + 1)
                                : floor_div(span.start_ms, kMillisPerDay) == span.start_day &&
                                      floor_div(span.end_ms - 1, kMillisPerDay) == span.end_day;
    if (!exact) return "period instants are not its UTC dates";
  }
  return std::nullopt;
}

std::optional<std::string> series_violation(const Period& period) {
  const PeriodSpan& span = period.span;
  if (period.length_months < 0 || period.length_months > kPeriodMonthsMax ||
      period.end_months_from_anchor < period.length_months)
    return "period months";
  if (period.length_months == 0 && period.end_months_from_anchor != 0) return "period months";
  if (period.length_months > 0 && period.end_months_from_anchor % period.length_months != 0)
    return "period months";
  if (span.series == PeriodSeries::calendar) {
    if (period.anchor_ms != 0 || period.anchor_day > span.start_day)
      return "calendar period anchor";
    if (period.length_months > 0 &&
        add_months_days(period.anchor_day, period.end_months_from_anchor) !=
            int64_t{span.end_day} + 1) {
      return "calendar period is not its months from the anchor";
    }
  } else {
    if (period.anchor_day != 0 || period.anchor_ms > span.start_ms) return "instants period anchor";
    if (period.length_months > 0 &&
        add_months_ms(period.anchor_ms, period.end_months_from_anchor) != span.end_ms) {
      return "instants period is not its months from the anchor";
    }
  }
  return std::nullopt;
}

Period start_period(const PeriodSpan& span) {
  LF_ASSERT_MSG(!span_violation(span).has_value(), "a period starts over an invalid span");
  Period period;
  period.span = span;
  if (span.series == PeriodSeries::calendar) {
    period.anchor_day = span.start_day;
    const int64_t end = int64_t{span.end_day} + 1;
    auto add = [&](int32_t months) { return int64_t{add_months_days(span.start_day, months)}; };
    const int32_t months = months_reaching(add, end);
    if (months > 0 && add(months) == end) period.length_months = months;
  } else {
    period.anchor_ms = span.start_ms;
    auto add = [&](int32_t months) { return add_months_ms(span.start_ms, months); };
    const int32_t months = months_reaching(add, span.end_ms);
    if (months > 0 && add(months) == span.end_ms) period.length_months = months;
  }
  period.end_months_from_anchor = period.length_months;
  LF_ASSERT(!series_violation(period).has_value());
  return period;
}

bool renewable(const Period& period) {
  return next_in_series(period).has_value();
}

PeriodSpan next_span(const Period& period, const LocalCalendar& calendar) {
  const std::optional<SeriesStep> step = next_in_series(period);
  LF_ASSERT_MSG(step.has_value(), "the next period of a series that has none");
  PeriodSpan next = period.span;
  next.start_ms = step->start_ms;
  if (period.span.series == PeriodSeries::calendar) {
    next.start_day = step->start_day;
    next.end_day = step->end_day;
    next.end_ms = calendar.start_of_day_ms(step->end_day + 1);
  } else {
    next.end_ms = step->end_ms;
    next.start_day = calendar.local_day(next.start_ms);
    // A zone whose clocks go back across midnight may put the last instant
    // on an earlier local day than the first: the dates never run backwards.
    next.end_day = std::max(next.start_day, calendar.local_day(next.end_ms - 1));
  }
  LF_ASSERT_MSG(!span_violation(next).has_value(), "a renewal's period is invalid");
  LF_ASSERT(follows_in_series(period, next));
  return next;
}

bool follows_in_series(const Period& period, const PeriodSpan& span) {
  const std::optional<SeriesStep> step = next_in_series(period);
  if (!step) return false;
  if (span.time_zone != period.span.time_zone || span.series != period.span.series) return false;
  if (span.start_ms != step->start_ms) return false;
  if (span.series == PeriodSeries::calendar)
    return span.start_day == step->start_day && span.end_day == step->end_day;
  return span.end_ms == step->end_ms;
}

Period renewed(const Period& period, const PeriodSpan& span) {
  LF_ASSERT_MSG(follows_in_series(period, span),
                "a renewal's period is not the next of its series");
  Period next = period;
  next.span = span;
  next.end_months_from_anchor = next_in_series(period)->end_months_from_anchor;
  LF_ASSERT(!series_violation(next).has_value());
  return next;
}

}  // namespace lf::engine::credits
