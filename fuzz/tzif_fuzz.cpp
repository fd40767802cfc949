// tzif_fuzz: events/timezone.cpp's TZif reader (RFC 8536, with its POSIX TZ
// footer) on arbitrary bytes, as TimeZoneDb reads a zoneinfo file. A file it
// cannot read must be an "invalid_time_zone" error, never a crash; a zone it
// reads must answer every question TimeZone documents consistently: offsets
// in range, local days that agree with the offsets, offset changes that are
// changes, and the first instant of a local day that is the first.
// The same bytes are also checked as a zone name (TimeZoneDb::is_valid_name
// guards the path TimeZoneDb opens).
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "events/timezone.hpp"
#include "fuzz/check.hpp"

namespace {

using lf::TimeZone;
using lf::fuzz::as_text;

constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kMillisPerDay = 86'400'000;
// Offset changes followed from each starting instant, at most.
constexpr int kChangesFollowedMax = 48;

int64_t floor_div(int64_t value, int64_t divisor) {
  const int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

bool in_local_day_domain(int64_t unix_ms) {
  return unix_ms >= -TimeZone::kUnixMsAbsMax && unix_ms <= TimeZone::kUnixMsAbsMax;
}

std::string at_ms(int64_t unix_ms) {
  return "at " + std::to_string(unix_ms) + " ms";
}

void check_instant(const TimeZone& zone, int64_t unix_ms) {
  const int32_t offset_s = zone.offset_seconds_at(unix_ms);
  LF_FUZZ_CHECK(offset_s >= TimeZone::kOffsetSecondsMin && offset_s <= TimeZone::kOffsetSecondsMax,
                at_ms(unix_ms) + ": offset " + std::to_string(offset_s));
  if (!in_local_day_domain(unix_ms)) return;
  const int32_t day = zone.local_day(unix_ms);
  LF_FUZZ_CHECK(day == floor_div(unix_ms + int64_t{offset_s} * kMillisPerSecond, kMillisPerDay),
                at_ms(unix_ms) + ": local day " + std::to_string(day) + ", offset " +
                    std::to_string(offset_s));
}

// start_of_day_ms(day) is the smallest instant whose local day is at least
// `day`.
void check_day_start(const TimeZone& zone, int32_t day) {
  const int64_t start_ms = zone.start_of_day_ms(day);
  if (!in_local_day_domain(start_ms) || !in_local_day_domain(start_ms - 1)) return;
  LF_FUZZ_CHECK(zone.local_day(start_ms) >= day, "day " + std::to_string(day) + " starts " +
                                                     at_ms(start_ms) + " on local day " +
                                                     std::to_string(zone.local_day(start_ms)));
  LF_FUZZ_CHECK(zone.local_day(start_ms - 1) < day,
                "day " + std::to_string(day) + " starts " + at_ms(start_ms) +
                    " but the instant before is already on local day " +
                    std::to_string(zone.local_day(start_ms - 1)));
}

// Follows the offset changes after `from_ms`: each is later than the last,
// the offset holds until it and differs at it. Returns the instants seen.
std::vector<int64_t> follow_changes(const TimeZone& zone, int64_t from_ms) {
  std::vector<int64_t> seen;
  int64_t at = from_ms;
  int32_t offset_s = zone.offset_seconds_at(at);
  for (int i = 0; i < kChangesFollowedMax; ++i) {
    const std::optional<int64_t> change_ms = zone.next_offset_change_ms(at);
    if (!change_ms) break;
    LF_FUZZ_CHECK(*change_ms > at, at_ms(at) + ": next change " + at_ms(*change_ms));
    LF_FUZZ_CHECK(zone.offset_seconds_at(*change_ms - 1) == offset_s,
                  "the offset changed before " + at_ms(*change_ms));
    const int32_t next_offset_s = zone.offset_seconds_at(*change_ms);
    LF_FUZZ_CHECK(next_offset_s != offset_s, "no change " + at_ms(*change_ms));
    seen.push_back(*change_ms);
    at = *change_ms;
    offset_s = next_offset_s;
  }
  return seen;
}

void check_zone(const TimeZone& zone) {
  // Instants around the epoch, today, the end of the RFC 3339 range, and the
  // edges of local_day's domain and of int64.
  const std::array<int64_t, 12> probes = {INT64_MIN,
                                          -TimeZone::kUnixMsAbsMax,
                                          -2'208'988'800'000,  // 1900
                                          -1,
                                          0,
                                          1'700'000'000'000,
                                          1'790'000'000'000,
                                          4'102'444'800'000,    // 2100
                                          253'402'300'799'999,  // 9999-12-31T23:59:59.999Z
                                          TimeZone::kUnixMsAbsMax,
                                          INT64_MAX - 1,
                                          INT64_MAX};
  std::vector<int64_t> instants(probes.begin(), probes.end());
  for (const int64_t from_ms : {-TimeZone::kUnixMsAbsMax, int64_t{0}, int64_t{1'700'000'000'000}}) {
    for (const int64_t change_ms : follow_changes(zone, from_ms)) {
      instants.push_back(change_ms - 1);
      instants.push_back(change_ms);
    }
  }
  std::vector<int32_t> days = {0, -1, 20'000, 20'454, 2'932'896, -25'567};
  for (const int64_t instant_ms : instants) {
    check_instant(zone, instant_ms);
    if (in_local_day_domain(instant_ms)) {
      const int32_t day = zone.local_day(instant_ms);
      for (const int32_t near : {day - 1, day, day + 1}) days.push_back(near);
    }
  }
  for (const int32_t day : days) check_day_start(zone, day);
}

// A name TimeZoneDb accepts is a relative path of name components, within
// its bound: it can name no file outside the zoneinfo directory.
void check_name(std::string_view name) {
  if (!lf::TimeZoneDb::is_valid_name(name)) return;
  const std::string text(name);
  LF_FUZZ_CHECK(!name.empty() && name.size() <= lf::TimeZoneDb::kNameBytesMax, text);
  LF_FUZZ_CHECK(name.front() != '/' && name.back() != '/', text);
  LF_FUZZ_CHECK(name.find("//") == std::string_view::npos, text);
  LF_FUZZ_CHECK(name.find('\0') == std::string_view::npos, text);
  std::size_t begin = 0;
  while (begin <= name.size()) {
    const std::size_t end = std::min(name.find('/', begin), name.size());
    const std::string_view component = name.substr(begin, end - begin);
    LF_FUZZ_CHECK(component != "." && component != "..", text);
    begin = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view bytes = as_text(data, size);
  check_name(bytes);
  lf::Result<TimeZone> zone = TimeZone::from_tzif("Fuzz/Zone", bytes);
  if (!zone) {
    LF_FUZZ_CHECK(zone.error().code == "invalid_time_zone", zone.error().code);
    LF_FUZZ_CHECK(!zone.error().message.empty(), zone.error().code);
    return 0;
  }
  LF_FUZZ_CHECK(zone->name() == "Fuzz/Zone", zone->name());
  check_zone(*zone);
  return 0;
}
