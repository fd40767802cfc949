// A TimeZone's answers (UTC offsets, local days, the first instant of a local
// day, the next change) from its transitions and POSIX rule, and the TimeZoneDb
// that finds zones by name; reading TZif bytes is in tzif.cpp. Civil dates
// come from events/civil.hpp; file reading is confined to TimeZoneDb.
#include "events/timezone.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <tuple>
#include <utility>

#include "events/assert.hpp"
#include "events/civil.hpp"

namespace lf {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMillisPerSecond = 1000;
// The Gregorian calendar repeats (dates and weekdays) every 400 years.
constexpr int64_t kGregorianCycleSeconds = 146097 * kSecondsPerDay;

using civil::days_from_civil;
using civil::days_in_month;
using civil::floor_div;
using civil::is_leap_year;
using civil::weekday_of;
using civil::year_from_days;

// The day (since 1970-01-01) on which a rule's change falls in `year`.
int64_t rule_day(char kind, int32_t month, int32_t week, int32_t weekday, int32_t day,
                 int64_t year) {
  const int64_t january_first = days_from_civil(year, 1, 1);
  switch (kind) {
    case 'J':  // 1..365, February 29 never counted
      return january_first + day - 1 + (is_leap_year(year) && day >= 60 ? 1 : 0);
    case 'D':  // 0..365, February 29 counted
      return january_first + day;
    default: {  // the week-th `weekday` of `month`, week 5 = the last
      LF_ASSERT(kind == 'M' && month >= 1 && month <= 12 && week >= 1 && week <= 5);
      const int64_t first = days_from_civil(year, static_cast<uint32_t>(month), 1);
      int64_t result = first + (weekday - weekday_of(first) + 7) % 7 + 7 * int64_t{week - 1};
      if (result >= first + days_in_month(year, static_cast<uint32_t>(month))) result -= 7;
      LF_ASSERT(result >= first &&
                result < first + days_in_month(year, static_cast<uint32_t>(month)));
      return result;
    }
  }
}

}  // namespace

TimeZone::RuleChanges TimeZone::rule_changes_around(int64_t unix_s) const {
  LF_ASSERT(rule_ && rule_->daylight_offset_s);
  const Rule& rule = *rule_;
  const int64_t year = year_from_days(floor_div(unix_s, kSecondsPerDay));
  RuleChanges changes;
  std::size_t count = 0;
  for (int64_t y = year - kRuleYearsAround; y <= year + kRuleYearsAround; ++y) {
    // Each change's time of day is local time as it was before the change.
    for (const bool to_daylight : {true, false}) {
      const Rule::When& when = to_daylight ? rule.start : rule.end;
      const int32_t offset_before_s =
          to_daylight ? rule.standard_offset_s : *rule.daylight_offset_s;
      const int64_t day = rule_day(when.kind, when.month, when.week, when.weekday, when.day, y);
      changes[count++] =
          RuleChange{day * kSecondsPerDay + when.time_s - offset_before_s, y, to_daylight};
    }
  }
  LF_ASSERT(count == changes.size());
  std::sort(changes.begin(), changes.end(), [](const RuleChange& a, const RuleChange& b) {
    // At one instant, the later year's change wins (a rule for daylight
    // time all year, "EST5EDT,0/0,J365/25", ends it at the instant it starts
    // it again, as tzcode reads it). Looking at neighbouring years also keeps
    // changes that cross a year boundary in order; glibc looks at the UTC
    // year alone, which differs only for such rules.
    return std::tuple(a.at_unix_s, a.year, !a.to_daylight) <
           std::tuple(b.at_unix_s, b.year, !b.to_daylight);
  });
  return changes;
}

int32_t TimeZone::rule_offset_at(int64_t unix_s) const {
  LF_ASSERT(rule_);
  if (!rule_->daylight_offset_s) return rule_->standard_offset_s;
  const RuleChanges changes = rule_changes_around(unix_s);
  const auto after = std::upper_bound(
      changes.begin(), changes.end(), unix_s,
      [](int64_t at_unix_s, const RuleChange& change) { return at_unix_s < change.at_unix_s; });
  // The changes of year y-2 are all before year y began.
  LF_ASSERT(after != changes.begin());
  return std::prev(after)->to_daylight ? *rule_->daylight_offset_s : rule_->standard_offset_s;
}

int32_t TimeZone::offset_at(int64_t unix_s) const {
  if (rule_ && unix_s >= rule_from_unix_s_) return rule_offset_at(unix_s);
  const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), unix_s,
                                      [](int64_t at_unix_s, const Transition& transition) {
                                        return at_unix_s < transition.at_unix_s;
                                      });
  return after == transitions_.begin() ? initial_offset_s_ : std::prev(after)->offset_s;
}

std::optional<int64_t> TimeZone::next_change_after(int64_t unix_s) const {
  if (rule_ && unix_s >= rule_from_unix_s_) {
    if (!rule_->daylight_offset_s) return std::nullopt;
    const RuleChanges changes = rule_changes_around(unix_s);
    const auto after =
        std::find_if(changes.begin(), changes.end(),
                     [unix_s](const RuleChange& change) { return change.at_unix_s > unix_s; });
    // The changes of year y+2 are all after year y ended.
    LF_ASSERT(after != changes.end());
    return after->at_unix_s;
  }
  const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), unix_s,
                                      [](int64_t at_unix_s, const Transition& transition) {
                                        return at_unix_s < transition.at_unix_s;
                                      });
  // Every kept transition is at or before the file's last one, where the rule starts.
  if (rule_) return after != transitions_.end() ? after->at_unix_s : rule_from_unix_s_;
  if (after == transitions_.end()) return std::nullopt;
  return after->at_unix_s;
}

int32_t TimeZone::offset_seconds_at(int64_t unix_ms) const {
  return offset_at(floor_div(unix_ms, kMillisPerSecond));
}

int32_t TimeZone::local_day(int64_t unix_ms) const {
  LF_ASSERT(unix_ms >= -kUnixMsAbsMax && unix_ms <= kUnixMsAbsMax);
  const int64_t unix_s = floor_div(unix_ms, kMillisPerSecond);
  const int64_t day = floor_div(unix_s + offset_at(unix_s), kSecondsPerDay);
  LF_ASSERT(day >= INT32_MIN && day <= INT32_MAX);
  return static_cast<int32_t>(day);
}

int64_t TimeZone::start_of_day_ms(int32_t days) const {
  const int64_t midnight_local_s = int64_t{days} * kSecondsPerDay;
  // Before this instant no offset reaches local midnight; from
  // midnight_local_s - kOffsetSecondsMin on, every offset has.
  int64_t segment_start_s = midnight_local_s - kOffsetSecondsMax;
  // Walk the spans of constant offset; the first one in which local time
  // reaches midnight holds the answer. The walk crosses every transition in
  // a window of about two days at most, and a rule's few changes there.
  const std::size_t spans_max = transitions_.size() + 16;
  for (std::size_t span = 0; span < spans_max; ++span) {
    const int64_t candidate_s =
        std::max(segment_start_s, midnight_local_s - offset_at(segment_start_s));
    const std::optional<int64_t> segment_end_s = next_change_after(segment_start_s);
    if (!segment_end_s || candidate_s < *segment_end_s) {
      LF_ASSERT(candidate_s <= midnight_local_s - kOffsetSecondsMin);
      return candidate_s * kMillisPerSecond;
    }
    segment_start_s = *segment_end_s;
  }
  LF_ASSERT_MSG(false, "start_of_day_ms walked past its window");
  return 0;
}

std::optional<int64_t> TimeZone::next_offset_change_ms(int64_t unix_ms) const {
  const int64_t unix_s = floor_div(unix_ms, kMillisPerSecond);
  const int32_t offset_s = offset_at(unix_s);
  int64_t at_s = unix_s;
  // The rule repeats every 400 years: an offset unchanged through a whole
  // cycle of it never changes again.
  std::optional<int64_t> rule_scan_from_s;
  while (true) {
    const std::optional<int64_t> next_s = next_change_after(at_s);
    if (!next_s) return std::nullopt;
    LF_ASSERT(*next_s > at_s);
    if (offset_at(*next_s) != offset_s) {
      if (*next_s > INT64_MAX / kMillisPerSecond) return std::nullopt;  // past the int64 range
      return *next_s * kMillisPerSecond;
    }
    if (rule_ && *next_s >= rule_from_unix_s_) {
      if (!rule_scan_from_s) rule_scan_from_s = std::max(at_s, rule_from_unix_s_);
      if (*next_s - *rule_scan_from_s > kGregorianCycleSeconds) return std::nullopt;
    }
    at_s = *next_s;
  }
}

// ---------------------------------------------------------------------------

namespace {

// The whole of a regular file of at most `bytes_max` bytes; none when it is
// missing, not a regular file (a FIFO would block), larger, or unreadable.
std::optional<std::string> read_small_file(const std::string& path, std::size_t bytes_max) {
  struct FileDescriptor {
    int fd = -1;
    ~FileDescriptor() {
      if (fd >= 0) ::close(fd);
    }
  } file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  const int fd = file.fd;
  if (fd < 0) return std::nullopt;
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
  if (status.st_size < 0 || static_cast<uint64_t>(status.st_size) > bytes_max) return std::nullopt;
  std::string bytes(bytes_max + 1, '\0');
  std::size_t size = 0;
  while (size < bytes.size()) {
    const ssize_t got = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
  }
  if (size > bytes_max) return std::nullopt;  // grew since fstat
  bytes.resize(size);
  return bytes;
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '+';
}

}  // namespace

TimeZoneDb::TimeZoneDb(std::string directory) : directory_(std::move(directory)) {
  LF_ASSERT(!directory_.empty());
}

const TimeZoneDb& TimeZoneDb::system() {
  static const TimeZoneDb db([] {
    const char* tzdir = std::getenv("TZDIR");
    return std::string(tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo");
  }());
  return db;
}

bool TimeZoneDb::is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > kNameBytesMax) return false;
  // Components are non-empty runs of name characters: no absolute path, no
  // "//", no trailing '/', and no "." or ".." (a '.' is no name character).
  bool component_empty = true;
  for (const char c : name) {
    if (c == '/') {
      if (component_empty) return false;
      component_empty = true;
    } else if (is_name_char(c)) {
      component_empty = false;
    } else {
      return false;
    }
  }
  return !component_empty;
}

const TimeZone* TimeZoneDb::find(std::string_view name) const {
  if (!is_valid_name(name)) return nullptr;
  const std::lock_guard<std::mutex> lock(mutex_);
  if (const auto known = zones_.find(name); known != zones_.end()) return known->second.get();
  std::unique_ptr<TimeZone> zone;
  if (name == kDefaultTimeZone) {
    zone = std::make_unique<TimeZone>(TimeZone::utc());
  } else {
    const std::optional<std::string> bytes =
        read_small_file(directory_ + "/" + std::string(name), kFileBytesMax);
    if (!bytes) return nullptr;
    Result<TimeZone> parsed = TimeZone::from_tzif(std::string(name), *bytes);
    if (!parsed) return nullptr;
    zone = std::make_unique<TimeZone>(std::move(parsed).value());
  }
  const TimeZone* found = zone.get();
  zones_.emplace(std::string(name), std::move(zone));
  return found;
}

}  // namespace lf
