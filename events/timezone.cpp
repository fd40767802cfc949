// TZif files (RFC 8536) and POSIX TZ rules -> UTC offsets, local days and
// the first instant of a local day. Civil dates use Howard Hinnant's integer
// algorithms, as events/time.cpp does; file reading is confined to TimeZoneDb.
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

namespace lf {
namespace {

// What a TZif file may declare. tzcode's own limits are smaller (2,000
// transitions, 256 types, 50 designation bytes, 50 leap seconds); the
// largest zone in tzdata 2025b has a few hundred transitions.
constexpr uint32_t kTransitionsMax = 8192;
constexpr uint32_t kLocalTimeTypesMax = 256;
constexpr uint32_t kDesignationBytesMax = 512;
constexpr uint32_t kLeapSecondRecordsMax = 1024;
// The footer's TZ string and each time zone abbreviation in it.
constexpr std::size_t kTzStringBytesMax = 256;
constexpr std::size_t kAbbreviationBytesMin = 3;
constexpr std::size_t kAbbreviationBytesMax = 32;
// Hours of a UTC offset in a TZ string (POSIX: 0..24) and of a rule's time
// of day (RFC 8536 extends POSIX's 0..24 to -167..167).
constexpr int32_t kTzOffsetHoursMax = 24;
constexpr int32_t kRuleTimeHoursMax = 167;
// The rule used when a TZ string names daylight time but no rule (as tzcode
// and glibc do): the US rule, M3.2.0,M11.1.0 at 02:00.
constexpr int32_t kDefaultRuleTimeSeconds = 7200;

constexpr std::size_t kTzifHeaderBytes = 44;
constexpr std::string_view kTzifMagic = "TZif";
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMillisPerSecond = 1000;
// The Gregorian calendar repeats (dates and weekdays) every 400 years.
constexpr int64_t kGregorianCycleSeconds = 146097 * kSecondsPerDay;

constexpr int64_t floor_div(int64_t value, int64_t divisor) {
  const int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

// Days since 1970-01-01 of a proleptic Gregorian date (any year).
constexpr int64_t days_from_civil(int64_t year, uint32_t month, uint32_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<uint32_t>(year - era * 400);  // [0, 399]
  const uint32_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const uint32_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

// The proleptic Gregorian year in which day `days` falls.
constexpr int64_t year_from_days(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<uint32_t>(days - era * 146097);  // [0, 146096]
  const uint32_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const uint32_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const uint32_t march_based_month = (5 * day_of_year + 2) / 153;  // [0, 11]
  return static_cast<int64_t>(year_of_era) + era * 400 + (march_based_month >= 10 ? 1 : 0);
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(year_from_days(11017) == 2000 && year_from_days(-1) == 1969);
static_assert(year_from_days(days_from_civil(2024, 12, 31)) == 2024);
static_assert(year_from_days(days_from_civil(2025, 1, 1)) == 2025);

constexpr bool is_leap_year(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int64_t days_in_month(int64_t year, int32_t month) {
  constexpr std::array<int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// 0 = Sunday; 1970-01-01 was a Thursday.
constexpr int64_t weekday_of(int64_t days) {
  return days - floor_div(days + 4, 7) * 7 + 4;
}
static_assert(weekday_of(0) == 4 && weekday_of(3) == 0 && weekday_of(-1) == 3);

bool is_offset_allowed(int64_t offset_s) {
  return offset_s >= TimeZone::kOffsetSecondsMin && offset_s <= TimeZone::kOffsetSecondsMax;
}

uint32_t read_u32(std::string_view bytes, std::size_t at) {
  LF_ASSERT(at + 4 <= bytes.size());
  uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

int64_t read_i64(std::string_view bytes, std::size_t at) {
  LF_ASSERT(at + 8 <= bytes.size());
  uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return static_cast<int64_t>(value);
}

// Hands out consecutive pieces of a byte string, never past its end.
class ByteCursor {
 public:
  explicit ByteCursor(std::string_view bytes) : bytes_(bytes) {}
  std::size_t remaining() const { return bytes_.size() - at_; }
  // The next `count` bytes, or none when fewer remain.
  std::optional<std::string_view> take(uint64_t count) {
    if (count > remaining()) return std::nullopt;
    const std::string_view piece = bytes_.substr(at_, static_cast<std::size_t>(count));
    at_ += static_cast<std::size_t>(count);
    return piece;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

struct TzifHeader {
  char version = 0;  // 0 (version 1), '2', '3' or '4'
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

// The data block's size for `time_bytes`-byte times (4: version 1, 8: 2+).
// Counts are 32-bit, so the sum fits 64 bits whatever they are.
uint64_t data_block_bytes(const TzifHeader& header, uint64_t time_bytes) {
  return uint64_t{header.timecnt} * (time_bytes + 1) + uint64_t{header.typecnt} * 6 +
         uint64_t{header.charcnt} + uint64_t{header.leapcnt} * (time_bytes + 4) +
         uint64_t{header.isstdcnt} + uint64_t{header.isutcnt};
}

}  // namespace

// The parsers: TZif bytes and the footer's TZ string into a TimeZone.
struct TimeZone::Reader {
  class TzString;

  static Result<TimeZone> read(std::string name, std::string_view bytes);
  static Result<TzifHeader> read_header(ByteCursor& cursor, std::string_view what);
  static std::optional<std::string> check_counts(const TzifHeader& header);
  static std::optional<std::string> read_data_block(TimeZone& zone, const TzifHeader& header,
                                                    std::string_view block, std::size_t time_bytes);
  static Result<std::optional<Rule>> read_footer(ByteCursor& cursor);
};

// A POSIX TZ string as RFC 8536 extends it: std offset [dst [offset]
// [,start[/time],end[/time]]], names alphabetic or <quoted>, dates Jn, n or
// Mm.w.d, times -167..167 hours.
class TimeZone::Reader::TzString {
 public:
  explicit TzString(std::string_view text) : text_(text) {}

  Result<std::optional<Rule>> parse() {
    // Empty: local time after the last transition is unspecified; the last
    // transition's offset stays.
    if (text_.empty()) return std::optional<Rule>{};
    Rule rule;
    if (!abbreviation()) return problem("no standard time name");
    const std::optional<int32_t> standard_west_s = hms(kTzOffsetHoursMax);
    if (!standard_west_s) return problem("no standard time offset");
    rule.standard_offset_s = -*standard_west_s;
    if (done()) return std::optional<Rule>{rule};
    if (!abbreviation()) return problem("bad daylight time name");
    int64_t daylight_offset_s = int64_t{rule.standard_offset_s} + 3600;
    if (!done() && text_[at_] != ',') {
      const std::optional<int32_t> daylight_west_s = hms(kTzOffsetHoursMax);
      if (!daylight_west_s) return problem("bad daylight time offset");
      daylight_offset_s = -int64_t{*daylight_west_s};
    }
    if (!is_offset_allowed(daylight_offset_s)) return problem("daylight time offset out of range");
    rule.daylight_offset_s = static_cast<int32_t>(daylight_offset_s);
    if (done()) {
      rule.start = Rule::When{'M', 3, 2, 0, 0, kDefaultRuleTimeSeconds};
      rule.end = Rule::When{'M', 11, 1, 0, 0, kDefaultRuleTimeSeconds};
      return std::optional<Rule>{rule};
    }
    const std::optional<Rule::When> start = consume(',') ? when() : std::nullopt;
    if (!start) return problem("bad start of daylight time");
    const std::optional<Rule::When> end = consume(',') ? when() : std::nullopt;
    if (!end) return problem("bad end of daylight time");
    if (!done()) return problem("unexpected characters after the rule");
    rule.start = *start;
    rule.end = *end;
    return std::optional<Rule>{rule};
  }

 private:
  Error problem(std::string_view what) const {
    return make_error("invalid_time_zone",
                      "footer TZ string \"" + std::string(text_) + "\": " + std::string(what));
  }
  bool done() const { return at_ == text_.size(); }
  bool consume(char expected) {
    if (done() || text_[at_] != expected) return false;
    ++at_;
    return true;
  }
  static bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // "EST" or "<+0530>": 3 to kAbbreviationBytesMax characters.
  bool abbreviation() {
    const bool quoted = consume('<');
    const std::size_t first = at_;
    while (!done() &&
           (is_alpha(text_[at_]) ||
            (quoted && (is_digit(text_[at_]) || text_[at_] == '+' || text_[at_] == '-')))) {
      ++at_;
    }
    const std::size_t length = at_ - first;
    if (quoted && !consume('>')) return false;
    return length >= kAbbreviationBytesMin && length <= kAbbreviationBytesMax;
  }

  // Up to `digits_max` digits.
  std::optional<int32_t> number(std::size_t digits_max) {
    const std::size_t first = at_;
    int32_t value = 0;
    while (!done() && is_digit(text_[at_]) && at_ - first < digits_max) {
      value = value * 10 + (text_[at_] - '0');
      ++at_;
    }
    if (at_ == first) return std::nullopt;
    return value;
  }

  // [+-]hh[:mm[:ss]] in seconds, hours at most `hours_max`.
  std::optional<int32_t> hms(int32_t hours_max) {
    int32_t sign = 1;
    if (consume('-')) {
      sign = -1;
    } else {
      consume('+');
    }
    const std::optional<int32_t> hours = number(3);
    if (!hours || *hours > hours_max) return std::nullopt;
    int32_t seconds = *hours * 3600;
    for (const int32_t unit : {60, 1}) {
      if (!consume(':')) break;
      const std::optional<int32_t> part = number(2);
      if (!part || *part > 59) return std::nullopt;
      seconds += *part * unit;
    }
    return sign * seconds;
  }

  // Jn, n or Mm.w.d, then [/time].
  std::optional<Rule::When> when() {
    Rule::When when;
    if (consume('J')) {
      when.kind = 'J';
      const std::optional<int32_t> day = number(3);
      if (!day || *day < 1 || *day > 365) return std::nullopt;
      when.day = *day;
    } else if (consume('M')) {
      when.kind = 'M';
      const std::optional<int32_t> month = number(2);
      if (!month || *month < 1 || *month > 12 || !consume('.')) return std::nullopt;
      const std::optional<int32_t> week = number(1);
      if (!week || *week < 1 || *week > 5 || !consume('.')) return std::nullopt;
      const std::optional<int32_t> weekday = number(1);
      if (!weekday || *weekday > 6) return std::nullopt;
      when.month = *month;
      when.week = *week;
      when.weekday = *weekday;
    } else {
      when.kind = 'D';
      const std::optional<int32_t> day = number(3);
      if (!day || *day > 365) return std::nullopt;
      when.day = *day;
    }
    when.time_s = kDefaultRuleTimeSeconds;
    if (consume('/')) {
      const std::optional<int32_t> time_s = hms(kRuleTimeHoursMax);
      if (!time_s) return std::nullopt;
      when.time_s = *time_s;
    }
    return when;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

Result<TzifHeader> TimeZone::Reader::read_header(ByteCursor& cursor, std::string_view what) {
  const std::optional<std::string_view> bytes = cursor.take(kTzifHeaderBytes);
  if (!bytes) {
    return make_error("invalid_time_zone", "truncated before the end of the " + std::string(what));
  }
  if (bytes->substr(0, kTzifMagic.size()) != kTzifMagic) {
    return make_error("invalid_time_zone",
                      "no \"TZif\" magic at the start of the " + std::string(what));
  }
  TzifHeader header;
  header.version = (*bytes)[4];
  if (header.version != 0 && header.version != '2' && header.version != '3' &&
      header.version != '4') {
    return make_error("invalid_time_zone",
                      "unsupported TZif version (byte " +
                          std::to_string(static_cast<uint8_t>(header.version)) +
                          "); versions 1 to 4 are read");
  }
  header.isutcnt = read_u32(*bytes, 20);
  header.isstdcnt = read_u32(*bytes, 24);
  header.leapcnt = read_u32(*bytes, 28);
  header.timecnt = read_u32(*bytes, 32);
  header.typecnt = read_u32(*bytes, 36);
  header.charcnt = read_u32(*bytes, 40);
  return header;
}

std::optional<std::string> TimeZone::Reader::check_counts(const TzifHeader& header) {
  if (header.timecnt > kTransitionsMax) {
    return std::to_string(header.timecnt) + " transitions, more than " +
           std::to_string(kTransitionsMax);
  }
  if (header.typecnt == 0 || header.typecnt > kLocalTimeTypesMax) {
    return std::to_string(header.typecnt) + " local time types, not 1 to " +
           std::to_string(kLocalTimeTypesMax);
  }
  if (header.charcnt == 0 || header.charcnt > kDesignationBytesMax) {
    return std::to_string(header.charcnt) + " designation bytes, not 1 to " +
           std::to_string(kDesignationBytesMax);
  }
  if (header.leapcnt > kLeapSecondRecordsMax) {
    return std::to_string(header.leapcnt) + " leap-second records, more than " +
           std::to_string(kLeapSecondRecordsMax);
  }
  if ((header.isstdcnt != 0 && header.isstdcnt != header.typecnt) ||
      (header.isutcnt != 0 && header.isutcnt != header.typecnt)) {
    return std::string("standard/wall or UT/local indicators not one per local time type");
  }
  return std::nullopt;
}

// `block` is exactly data_block_bytes(header, time_bytes) long and the
// counts passed check_counts.
std::optional<std::string> TimeZone::Reader::read_data_block(TimeZone& zone,
                                                             const TzifHeader& header,
                                                             std::string_view block,
                                                             std::size_t time_bytes) {
  LF_ASSERT(time_bytes == 4 || time_bytes == 8);
  LF_ASSERT(block.size() == data_block_bytes(header, time_bytes));
  LF_ASSERT(header.timecnt <= kTransitionsMax && header.typecnt >= 1 &&
            header.typecnt <= kLocalTimeTypesMax);
  ByteCursor cursor(block);
  const std::string_view times = *cursor.take(uint64_t{header.timecnt} * time_bytes);
  const std::string_view type_indices = *cursor.take(header.timecnt);
  const std::string_view types = *cursor.take(uint64_t{header.typecnt} * 6);
  cursor.take(header.charcnt);                               // designations: unused
  cursor.take(uint64_t{header.leapcnt} * (time_bytes + 4));  // leap seconds: skipped
  const std::string_view isstd = *cursor.take(header.isstdcnt);
  const std::string_view isut = *cursor.take(header.isutcnt);
  LF_ASSERT(cursor.remaining() == 0);

  std::vector<int32_t> type_offsets_s(header.typecnt);
  for (std::size_t i = 0; i < header.typecnt; ++i) {
    const auto utoff_s = static_cast<int32_t>(read_u32(types, i * 6));
    const auto isdst = static_cast<uint8_t>(types[i * 6 + 4]);
    const auto desigidx = static_cast<uint8_t>(types[i * 6 + 5]);
    if (!is_offset_allowed(utoff_s)) {
      return "local time type " + std::to_string(i) + " has UTC offset " + std::to_string(utoff_s) +
             " s, outside -24:59:59..+25:59:59";
    }
    if (isdst > 1) {
      return "local time type " + std::to_string(i) + " has a DST flag other than 0 or 1";
    }
    if (desigidx >= header.charcnt) {
      return "local time type " + std::to_string(i) + " names a designation past the designations";
    }
    type_offsets_s[i] = utoff_s;
  }
  for (const std::string_view indicators : {isstd, isut}) {
    for (const char indicator : indicators) {
      if (indicator != 0 && indicator != 1) return std::string("an indicator other than 0 or 1");
    }
  }

  zone.initial_offset_s_ = type_offsets_s[0];
  zone.transitions_.clear();
  zone.transitions_.reserve(header.timecnt);
  int32_t offset_s = zone.initial_offset_s_;
  std::optional<int64_t> previous_at_unix_s;
  for (std::size_t i = 0; i < header.timecnt; ++i) {
    const int64_t at_unix_s =
        time_bytes == 8 ? read_i64(times, i * 8) : static_cast<int32_t>(read_u32(times, i * 4));
    if (previous_at_unix_s && at_unix_s <= *previous_at_unix_s) {
      return "transition " + std::to_string(i) + " is not after the one before it";
    }
    previous_at_unix_s = at_unix_s;
    const auto type_index = static_cast<uint8_t>(type_indices[i]);
    if (type_index >= header.typecnt) {
      return "transition " + std::to_string(i) + " names local time type " +
             std::to_string(type_index) + " of " + std::to_string(header.typecnt);
    }
    if (type_offsets_s[type_index] == offset_s) continue;  // no change of offset
    offset_s = type_offsets_s[type_index];
    zone.transitions_.push_back(Transition{at_unix_s, offset_s});
  }
  // The footer's rule, if any, governs from the last transition on (kept or not).
  zone.rule_from_unix_s_ = previous_at_unix_s.value_or(INT64_MIN);
  return std::nullopt;
}

Result<std::optional<TimeZone::Rule>> TimeZone::Reader::read_footer(ByteCursor& cursor) {
  const std::optional<std::string_view> opening = cursor.take(1);
  if (!opening || (*opening)[0] != '\n') {
    return make_error("invalid_time_zone",
                      "no footer (a newline, a TZ string, a newline) after the data");
  }
  const std::string_view rest = *cursor.take(cursor.remaining());
  const std::size_t closing = rest.find('\n');
  if (closing == std::string_view::npos) {
    return make_error("invalid_time_zone", "the footer's TZ string has no closing newline");
  }
  if (closing > kTzStringBytesMax) {
    return make_error("invalid_time_zone", "the footer's TZ string is longer than " +
                                               std::to_string(kTzStringBytesMax) + " bytes");
  }
  if (closing + 1 != rest.size()) {
    return make_error("invalid_time_zone", "unexpected bytes after the footer");
  }
  return TzString(rest.substr(0, closing)).parse();
}

Result<TimeZone> TimeZone::Reader::read(std::string name, std::string_view bytes) {
  TimeZone zone;
  zone.name_ = std::move(name);
  const auto refuse = [&zone](const std::string& problem) {
    return make_error("invalid_time_zone", "time zone \"" + zone.name_ + "\": " + problem);
  };
  ByteCursor cursor(bytes);
  Result<TzifHeader> header = read_header(cursor, "header");
  if (!header) return refuse(header.error().message);
  std::size_t time_bytes = 4;
  if (header->version != 0) {
    // Version 2+: skip the version 1 data, read the 64-bit data after a second header.
    if (!cursor.take(data_block_bytes(*header, 4)))
      return refuse("truncated in the version 1 data");
    const char version = header->version;
    header = read_header(cursor, "second header");
    if (!header) return refuse(header.error().message);
    if (header->version != version) return refuse("the two headers' versions differ");
    time_bytes = 8;
  }
  if (const std::optional<std::string> problem = check_counts(*header)) return refuse(*problem);
  const std::optional<std::string_view> block = cursor.take(data_block_bytes(*header, time_bytes));
  if (!block) return refuse("truncated in the data");
  if (const std::optional<std::string> problem =
          read_data_block(zone, *header, *block, time_bytes)) {
    return refuse(*problem);
  }
  if (time_bytes == 4) {
    if (cursor.remaining() != 0) return refuse("unexpected bytes after the version 1 data");
    return zone;
  }
  Result<std::optional<Rule>> rule = read_footer(cursor);
  if (!rule) return refuse(rule.error().message);
  zone.rule_ = *rule;
  return zone;
}

Result<TimeZone> TimeZone::from_tzif(std::string name, std::string_view bytes) {
  return Reader::read(std::move(name), bytes);
}

TimeZone TimeZone::utc() {
  TimeZone zone;
  zone.name_ = "UTC";
  return zone;
}

namespace {

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
      if (result >= first + days_in_month(year, month)) result -= 7;
      LF_ASSERT(result >= first && result < first + days_in_month(year, month));
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
