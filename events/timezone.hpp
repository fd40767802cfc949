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

#include <array>
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

// Immutable once read: its functions may be called from any thread.
class TimeZone {
 public:
  // UTC offsets a zone may have, in seconds east (RFC 8536: -24:59:59 to
  // +25:59:59); a file with any other offset is refused.
  static constexpr int32_t kOffsetSecondsMin = -89'999;
  static constexpr int32_t kOffsetSecondsMax = 93'599;
  // local_day's domain: instants within about 4.5 million years of 1970, so
  // that every local day fits an int32.
  static constexpr int64_t kUnixMsAbsMax = int64_t{1} << 57;

  // Error code "invalid_time_zone" when `bytes` is no TZif file this reader
  // understands (names the problem). Reads the 64-bit data of version 2+
  // files; leap-second records are skipped (a "right/" zone's transitions
  // are then read as POSIX time); nothing may follow the footer.
  static Result<TimeZone> from_tzif(std::string name, std::string_view bytes);
  // UTC, with no transitions (needs no file).
  static TimeZone utc();

  const std::string& name() const { return name_; }

  // Seconds east of UTC in force at `unix_ms` (any instant). Before the
  // first transition: the file's first local time type (RFC 8536); at and
  // after the last transition: the footer's rule when the file has one, else
  // the last transition's offset.
  int32_t offset_seconds_at(int64_t unix_ms) const;
  // The local calendar day (days since 1970-01-01) in which `unix_ms` falls.
  // Requires |unix_ms| <= kUnixMsAbsMax. Not monotonic: where the clocks go
  // back across midnight, the previous day comes back for a while.
  int32_t local_day(int64_t unix_ms) const;
  // The first instant of local day `days`: the smallest instant t with
  // local_day(t) >= days. That is local midnight; when midnight occurs twice
  // (the clocks go back across it), the earlier one; when the clocks skip
  // midnight (a gap at 00:00, America/Santiago, America/Havana), the first
  // instant after the gap. When the whole day is skipped (Pacific/Apia
  // 2011-12-30), the first instant of the following day, so
  // local_day(start_of_day_ms(d)) == d except for a skipped day, where it is
  // larger. Any int32 day.
  int64_t start_of_day_ms(int32_t days) const;
  // The first instant after `unix_ms` at which offset_seconds_at changes, or
  // none when it never changes again (or only past the int64 range of ms).
  std::optional<int64_t> next_offset_change_ms(int64_t unix_ms) const;

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
  // A change of the rule's offset: daylight time starts or ends.
  struct RuleChange {
    int64_t at_unix_s = 0;
    int64_t year = 0;
    bool to_daylight = false;
  };
  // The rule's changes of the UTC years y-2 .. y+2 around an instant of year
  // y: enough for the last change at or before it and the first one after,
  // even with rule times of -167 h or +167 h.
  static constexpr int64_t kRuleYearsAround = 2;
  using RuleChanges = std::array<RuleChange, 2 * (2 * kRuleYearsAround + 1)>;
  struct Reader;  // the TZif and TZ string parsers (tzif.cpp)

  int32_t offset_at(int64_t unix_s) const;
  int32_t rule_offset_at(int64_t unix_s) const;
  // An instant after `unix_s` at which the offset may change (the next
  // transition or rule change), or none when it is constant from then on.
  std::optional<int64_t> next_change_after(int64_t unix_s) const;
  // The rule's changes around `unix_s`, in order (ties: the later year's last).
  RuleChanges rule_changes_around(int64_t unix_s) const;

  std::string name_;
  int32_t initial_offset_s_ = 0;          // before the first transition
  std::vector<Transition> transitions_;   // ascending; each one changes the offset
  std::optional<Rule> rule_;              // at and after rule_from_unix_s_
  int64_t rule_from_unix_s_ = INT64_MIN;  // the file's last transition (none: INT64_MIN)
};

class TimeZoneDb {
 public:
  // Zones are read from `directory` (e.g. /usr/share/zoneinfo).
  explicit TimeZoneDb(std::string directory);
  // $TZDIR when set, else /usr/share/zoneinfo; "UTC" always resolves.
  static const TimeZoneDb& system();

  // Longest name find() accepts.
  static constexpr std::size_t kNameBytesMax = 64;
  // Largest zone file find() reads (the largest in tzdata is a few KiB).
  static constexpr std::size_t kFileBytesMax = 256 * 1024;

  // The zone named `name` ("Asia/Kolkata", "America/New_York", "UTC"), or
  // null when the name is not a well-formed IANA name (letters, digits,
  // '_', '-', '+', components joined by '/', no "." or ".." component, at
  // most 64 characters) or names no readable TZif file. Thread-safe; a zone
  // once read is kept, and the pointer stays valid for the Db's lifetime.
  // "UTC" is built in: it resolves without reading any file.
  const TimeZone* find(std::string_view name) const;

  // Whether `name` is a well-formed zone name as find() requires.
  static bool is_valid_name(std::string_view name);

 private:
  std::string directory_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<TimeZone>, std::less<>> zones_;
};

}  // namespace lf
