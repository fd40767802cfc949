// TZif files (RFC 8536) and the POSIX TZ string of their footer -> a
// TimeZone: every count, offset and name checked against what the format and
// tzcode allow before it is used. The queries on a TimeZone are in timezone.cpp.
#include <algorithm>
#include <cstdlib>
#include <utility>

#include "events/assert.hpp"
#include "events/timezone.hpp"

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

}  // namespace lf
