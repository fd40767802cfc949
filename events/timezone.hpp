// Civil time in IANA time zones (DESIGN.md "Seed dialect": billing periods
// are dates in the tenant's billing time zone). A TimeZone is pure data read
// from a TZif file (RFC 8536: versions 1 to 4, with the POSIX TZ footer for
// instants after the last transition); TimeZoneDb finds zones by name in a
// zoneinfo directory and keeps each one it has read.
//
// Decisions that use a zone write the instants they computed into their
// events (e.g. credits.allocated's next_reset_at), so replaying the log never
// asks the zone database again: a tzdata update changes future decisions
// only, never the history.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"

namespace lf {

// The name every tenant has until it names another.
inline constexpr std::string_view kDefaultTimeZone = "UTC";

class TimeZone {
 public:
  // Error code "invalid_time_zone" when `bytes` is no TZif file this reader
  // understands (names the problem).
  static Result<TimeZone> from_tzif(std::string name, std::string_view bytes);
  // UTC, with no transitions (needs no file).
  static TimeZone utc();

  const std::string& name() const { return name_; }

  // Seconds east of UTC in force at `unix_ms`.
  int32_t offset_seconds_at(int64_t unix_ms) const;
  // The local calendar day (days since 1970-01-01) in which `unix_ms` falls.
  int32_t local_day(int64_t unix_ms) const;
  // The first instant of local day `days`: local midnight, or, when the
  // clocks skip midnight that day (a gap at 00:00), the first instant after
  // the gap.
  int64_t start_of_day_ms(int32_t days) const;

 private:
  struct Transition {
    int64_t at_unix_s = 0;  // from this instant on,
    int32_t offset_s = 0;   // this offset is in force
  };
  // A POSIX TZ rule for instants past the last transition ("EST5EDT,M3.2.0,M11.1.0").
  struct Rule {
    int32_t standard_offset_s = 0;
    std::optional<int32_t> daylight_offset_s;  // none: no daylight saving time
    // Start and end of daylight time: Mm.w.d / Jn / n, and the local time of day.
    struct When {
      char kind = 'M';  // 'M' month.week.day, 'J' julian day 1..365 (no Feb 29), 'D' day 0..365
      int32_t month = 0, week = 0, weekday = 0, day = 0;
      int32_t time_s = 7200;  // may be negative or above 24 h (RFC 8536 extension)
    } start, end;
  };

  std::string name_;
  int32_t initial_offset_s_ = 0;         // before the first transition
  std::vector<Transition> transitions_;  // ascending
  std::optional<Rule> rule_;             // after the last transition
};

class TimeZoneDb {
 public:
  // Zones are read from `directory` (e.g. /usr/share/zoneinfo).
  explicit TimeZoneDb(std::string directory);
  // $TZDIR when set, else /usr/share/zoneinfo; "UTC" always resolves.
  static const TimeZoneDb& system();

  // The zone named `name` ("Asia/Kolkata", "America/New_York", "UTC"), or
  // null when the name is not a well-formed IANA name (letters, digits,
  // '_', '-', '+', components joined by '/', no "." or ".." component, at
  // most 64 characters) or names no readable TZif file. Thread-safe; a zone
  // once read is kept, and the pointer stays valid for the Db's lifetime.
  const TimeZone* find(std::string_view name) const;

 private:
  std::string directory_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<TimeZone>, std::less<>> zones_;
};

}  // namespace lf
