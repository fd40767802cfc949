// Time zones (events/timezone.hpp): offsets checked against glibc reading the
// same zoneinfo files (and the same POSIX TZ strings), local days and their
// first instants around gaps, skipped days and repeated midnights, malformed
// TZif bytes, zone names, and the zone cache.
#include "events/timezone.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "events/time.hpp"

namespace lf {
namespace {

// The zones the brief names: DST of one hour, negative DST (Dublin), 30-minute
// DST (Lord Howe), fractional offsets, midnight gaps (Santiago, Havana), a
// skipped day (Apia), rules in Ramadan (Casablanca), none at all (UTC).
const std::vector<std::string> kOracleZones = {"America/New_York",
                                               "Europe/London",
                                               "Europe/Dublin",
                                               "Africa/Casablanca",
                                               "Asia/Kolkata",
                                               "Asia/Kathmandu",
                                               "Australia/Lord_Howe",
                                               "America/St_Johns",
                                               "America/Santiago",
                                               "Pacific/Apia",
                                               "Pacific/Chatham",
                                               "Asia/Tehran",
                                               "UTC"};

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kOracleFromUnixS = 0;                   // 1970-01-01
constexpr int64_t kOracleToUnixS = 4'133'980'800;         // 2101-01-01
constexpr int64_t kOracleStepS = 6 * 3600 + 7 * 60 + 13;  // ~6 h, drifting through the day

std::string zoneinfo_directory() {
  const char* tzdir = std::getenv("TZDIR");
  return tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string zone_bytes(const std::string& name) {
  const std::string bytes = read_file(zoneinfo_directory() + "/" + name);
  EXPECT_FALSE(bytes.empty()) << name << ": no zoneinfo file (install the tzdata package)";
  return bytes;
}

TimeZone zone_from_bytes(const std::string& name, std::string_view bytes) {
  Result<TimeZone> zone = TimeZone::from_tzif(name, bytes);
  if (!zone) ADD_FAILURE() << name << ": " << zone.error().message;
  return zone ? std::move(zone).value() : TimeZone::utc();
}

int64_t at(std::string_view rfc3339) {
  const std::optional<int64_t> ms = parse_rfc3339_ms(rfc3339);
  EXPECT_TRUE(ms.has_value()) << rfc3339;
  return ms.value_or(0);
}

int32_t day(std::string_view date) {
  const std::optional<int32_t> days = parse_date_days(date);
  EXPECT_TRUE(days.has_value()) << date;
  return days.value_or(0);
}

// glibc as the oracle: TZ set for the scope, the previous TZ restored after.
class GlibcZone {
 public:
  explicit GlibcZone(const std::string& tz) {
    const char* previous = std::getenv("TZ");
    if (previous != nullptr) previous_ = previous;
    ::setenv("TZ", tz.c_str(), 1);
    ::tzset();
  }
  ~GlibcZone() {
    if (previous_) {
      ::setenv("TZ", previous_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  GlibcZone(const GlibcZone&) = delete;
  GlibcZone& operator=(const GlibcZone&) = delete;

  static struct tm local(int64_t unix_s) {
    const auto time = static_cast<time_t>(unix_s);
    struct tm fields {};
    EXPECT_NE(::localtime_r(&time, &fields), nullptr) << unix_s;
    return fields;
  }
  static int32_t offset_s(int64_t unix_s) { return static_cast<int32_t>(local(unix_s).tm_gmtoff); }
  // The local day per glibc's broken-down local time.
  static int32_t local_day(int64_t unix_s) {
    struct tm midnight = local(unix_s);
    midnight.tm_hour = midnight.tm_min = midnight.tm_sec = 0;
    midnight.tm_gmtoff = 0;
    return static_cast<int32_t>(::timegm(&midnight) / kSecondsPerDay);
  }

 private:
  std::optional<std::string> previous_;
};

// Every instant in [from_s, to_s) at which the zone's offset changes.
std::vector<int64_t> changes_between(const TimeZone& zone, int64_t from_s, int64_t to_s) {
  std::vector<int64_t> changes;
  int64_t cursor_ms = from_s * 1000 - 1;
  while (const std::optional<int64_t> next_ms = zone.next_offset_change_ms(cursor_ms)) {
    if (*next_ms >= to_s * 1000) break;
    EXPECT_EQ(*next_ms % 1000, 0);
    changes.push_back(*next_ms / 1000);
    cursor_ms = *next_ms;
  }
  return changes;
}

// Compares offsets every ~6 h from 1970 to 2100 and one second either side
// of every change; returns the number of instants compared.
int64_t expect_offsets_match_glibc(const TimeZone& zone, int64_t from_s, int64_t to_s) {
  std::vector<int64_t> instants;
  for (int64_t unix_s = from_s; unix_s < to_s; unix_s += kOracleStepS) instants.push_back(unix_s);
  for (const int64_t change_s : changes_between(zone, from_s, to_s)) {
    for (const int64_t delta_s : {-1, 0, 1}) instants.push_back(change_s + delta_s);
  }
  int64_t mismatches = 0;
  for (const int64_t unix_s : instants) {
    const int32_t expected = GlibcZone::offset_s(unix_s);
    const int32_t actual = zone.offset_seconds_at(unix_s * 1000);
    if (expected != actual && ++mismatches <= 5) {
      ADD_FAILURE() << zone.name() << " at " << format_rfc3339_ms(unix_s * 1000) << ": glibc "
                    << expected << " s, TimeZone " << actual << " s";
    }
    // Within the second, the offset is the second's.
    EXPECT_EQ(zone.offset_seconds_at(unix_s * 1000 + 999), actual);
  }
  EXPECT_EQ(mismatches, 0) << zone.name();
  return static_cast<int64_t>(instants.size());
}

TEST(TimeZone, OffsetsMatchGlibcFrom1970To2100) {
  for (const std::string& name : kOracleZones) {
    SCOPED_TRACE(name);
    const TimeZone zone = zone_from_bytes(name, zone_bytes(name));
    const GlibcZone glibc(":" + name);
    const int64_t compared = expect_offsets_match_glibc(zone, kOracleFromUnixS, kOracleToUnixS);
    EXPECT_GT(compared, (kOracleToUnixS - kOracleFromUnixS) / kOracleStepS);
  }
}

TEST(TimeZone, FindsEveryOffsetChangeGlibcSees) {
  // Hour by hour through years of history, footer rules (2038+) and the
  // Apia date-line jump: each change glibc shows is one next_offset_change_ms
  // names, and no other.
  for (const std::string& name : kOracleZones) {
    SCOPED_TRACE(name);
    const TimeZone zone = zone_from_bytes(name, zone_bytes(name));
    const GlibcZone glibc(":" + name);
    for (const int32_t year : {1972, 1996, 2011, 2024, 2037, 2038, 2064, 2099}) {
      const int64_t from_s = int64_t{day(std::to_string(year) + "-01-01")} * kSecondsPerDay;
      const int64_t to_s = int64_t{day(std::to_string(year + 1) + "-01-01")} * kSecondsPerDay;
      std::vector<int64_t> glibc_changes;
      int32_t previous = GlibcZone::offset_s(from_s - 1);
      for (int64_t hour_s = from_s; hour_s < to_s; hour_s += 3600) {
        if (GlibcZone::offset_s(hour_s) == previous) continue;
        int64_t low_s = hour_s - 3600, high_s = hour_s;  // offset(low) == previous != offset(high)
        while (high_s - low_s > 1) {
          const int64_t middle_s = low_s + (high_s - low_s) / 2;
          (GlibcZone::offset_s(middle_s) == previous ? low_s : high_s) = middle_s;
        }
        glibc_changes.push_back(high_s);
        previous = GlibcZone::offset_s(hour_s);
      }
      EXPECT_EQ(changes_between(zone, from_s, to_s), glibc_changes) << year;
    }
  }
}

TEST(TimeZone, EveryTzdataZoneReadsAndMatchesGlibc) {
  // Every zone file of the installed tzdata reads, and agrees with glibc one
  // second either side of each change from 1970 to 2100 and every ~10 days;
  // the right/ zones (with leap-second records) read too.
  int32_t zones = 0, leap_second_zones = 0;
  const std::filesystem::path root = zoneinfo_directory();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = std::filesystem::relative(entry.path(), root).string();
    const std::string bytes = read_file(entry.path().string());
    if (bytes.compare(0, 4, "TZif") != 0 || name.rfind("posix/", 0) == 0) continue;
    SCOPED_TRACE(name);
    const TimeZone zone = zone_from_bytes(name, bytes);
    if (name.rfind("right/", 0) == 0) {
      ++leap_second_zones;
      continue;
    }
    ++zones;
    const GlibcZone glibc(":" + name);
    std::vector<int64_t> instants;
    for (int64_t unix_s = kOracleFromUnixS; unix_s < kOracleToUnixS;
         unix_s += 10 * kSecondsPerDay + 3 * 3600 + 17) {
      instants.push_back(unix_s);
    }
    for (const int64_t change_s : changes_between(zone, kOracleFromUnixS, kOracleToUnixS)) {
      instants.push_back(change_s - 1);
      instants.push_back(change_s);
    }
    for (const int64_t unix_s : instants) {
      ASSERT_EQ(zone.offset_seconds_at(unix_s * 1000), GlibcZone::offset_s(unix_s))
          << format_rfc3339_ms(unix_s * 1000);
    }
  }
  EXPECT_GE(zones, 300);
  EXPECT_GE(leap_second_zones, 300);
}

// start_of_day_ms(d) is the smallest instant whose local day is >= d.
void expect_start_of_day(const TimeZone& zone, int32_t days, std::set<std::string>* skipped_days) {
  const int64_t start_ms = zone.start_of_day_ms(days);
  ASSERT_EQ(start_ms % 1000, 0) << format_date_days(days);
  const int64_t start_s = start_ms / 1000;
  const int32_t start_day = zone.local_day(start_ms);
  EXPECT_GE(start_day, days) << format_date_days(days);
  EXPECT_LT(zone.local_day(start_ms - 1), days) << format_date_days(days);
  // No earlier instant reaches day d: local days only grow between offset
  // changes, so checking the last millisecond before each change suffices.
  for (const int64_t change_s : changes_between(zone, start_s - 2 * kSecondsPerDay, start_s)) {
    EXPECT_LT(zone.local_day(change_s * 1000 - 1), days) << format_date_days(days);
  }
  if (start_day != days) {
    // A skipped day: the zone jumps from before d to after it at that instant.
    EXPECT_EQ(zone.next_offset_change_ms(start_ms - 1), start_ms) << format_date_days(days);
    skipped_days->insert(zone.name() + " " + format_date_days(days));
  }
}

TEST(TimeZone, StartOfDayIsTheFirstInstantOfTheLocalDayFrom1970To2100) {
  std::set<std::string> skipped_days;
  const int32_t first_day = day("1970-01-02"), last_day = day("2100-12-31");
  for (const std::string& name : kOracleZones) {
    SCOPED_TRACE(name);
    const TimeZone zone = zone_from_bytes(name, zone_bytes(name));
    const GlibcZone glibc(":" + name);
    for (int32_t days = first_day; days <= last_day; ++days) {
      expect_start_of_day(zone, days, &skipped_days);
      // glibc agrees on the day at the first instant and the one before.
      const int64_t start_s = zone.start_of_day_ms(days) / 1000;
      EXPECT_EQ(GlibcZone::local_day(start_s), zone.local_day(start_s * 1000));
      EXPECT_EQ(GlibcZone::local_day(start_s - 1), zone.local_day(start_s * 1000 - 1000));
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_EQ(skipped_days, (std::set<std::string>{"Pacific/Apia 2011-12-30"}));
}

TEST(TimeZone, StartOfASkippedDayIsTheFirstInstantOfTheNextDay) {
  const TimeZone apia = zone_from_bytes("Pacific/Apia", zone_bytes("Pacific/Apia"));
  // Thursday 2011-12-29 23:59:59 -10 was followed by Saturday 00:00:00 +14.
  EXPECT_EQ(apia.start_of_day_ms(day("2011-12-29")), at("2011-12-29T10:00:00Z"));
  EXPECT_EQ(apia.start_of_day_ms(day("2011-12-30")), at("2011-12-30T10:00:00Z"));
  EXPECT_EQ(apia.start_of_day_ms(day("2011-12-31")), at("2011-12-30T10:00:00Z"));
  EXPECT_EQ(apia.local_day(at("2011-12-30T09:59:59.999Z")), day("2011-12-29"));
  EXPECT_EQ(apia.local_day(at("2011-12-30T10:00:00Z")), day("2011-12-31"));
  EXPECT_EQ(apia.offset_seconds_at(at("2011-12-30T09:59:59Z")), -10 * 3600);
  EXPECT_EQ(apia.offset_seconds_at(at("2011-12-30T10:00:00Z")), 14 * 3600);
}

TEST(TimeZone, StartOfDayAfterAMidnightGapIsTheEndOfTheGap) {
  const TimeZone santiago = zone_from_bytes("America/Santiago", zone_bytes("America/Santiago"));
  // 2022-09-11 00:00 -04 became 01:00 -03 (a transition of the file)...
  EXPECT_EQ(santiago.start_of_day_ms(day("2022-09-11")), at("2022-09-11T04:00:00Z"));
  EXPECT_EQ(santiago.local_day(at("2022-09-11T03:59:59Z")), day("2022-09-10"));
  // ...and 2040-09-02 will, by the footer's rule <-04>4<-03>,M9.1.6/24,M4.1.6/24.
  EXPECT_EQ(santiago.start_of_day_ms(day("2040-09-02")), at("2040-09-02T04:00:00Z"));
  EXPECT_EQ(santiago.start_of_day_ms(day("2040-09-01")), at("2040-09-01T04:00:00Z"));
  // Daylight time ends at Saturday 24:00 -03: Sunday's midnight is the -04 one.
  EXPECT_EQ(santiago.start_of_day_ms(day("2040-04-08")), at("2040-04-08T04:00:00Z"));

  const TimeZone havana = zone_from_bytes("America/Havana", zone_bytes("America/Havana"));
  EXPECT_EQ(havana.start_of_day_ms(day("2024-03-10")), at("2024-03-10T05:00:00Z"));  // 01:00 CDT
  EXPECT_EQ(havana.start_of_day_ms(day("2040-03-11")), at("2040-03-11T05:00:00Z"));
}

TEST(TimeZone, StartOfDayWithTwoMidnightsIsTheEarlierOne) {
  // Havana ends daylight time at 01:00 CDT, back to 00:00 CST: midnight
  // happens at 04:00Z and again at 05:00Z.
  const TimeZone havana = zone_from_bytes("America/Havana", zone_bytes("America/Havana"));
  EXPECT_EQ(havana.start_of_day_ms(day("2024-11-03")), at("2024-11-03T04:00:00Z"));
  EXPECT_EQ(havana.local_day(at("2024-11-03T05:00:00Z")), day("2024-11-03"));
  EXPECT_EQ(havana.start_of_day_ms(day("2040-11-04")), at("2040-11-04T04:00:00Z"));  // footer rule
}

// ---------------------------------------------------------------------------
// TZif files built by hand.

struct LocalTimeType {
  int32_t utoff_s = 0;
  uint8_t isdst = 0;
  uint8_t desigidx = 0;
};

struct TzifSpec {
  char version = '2';                                    // 0 for version 1
  std::vector<std::pair<int64_t, uint8_t>> transitions;  // (time, type index)
  std::vector<LocalTimeType> types = {LocalTimeType{}};
  std::string designations = std::string("UTC\0", 4);
  uint32_t leap_records = 0;
  bool indicators = false;
  std::string footer = "UTC0";
};

void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xff));
}
void put_i64(std::string& out, int64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((static_cast<uint64_t>(value) >> shift) & 0xff));
  }
}

void put_header(std::string& out, char version, uint32_t isutcnt, uint32_t isstdcnt,
                uint32_t leapcnt, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt) {
  out += "TZif";
  out.push_back(version);
  out.append(15, '\0');
  for (const uint32_t count : {isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt})
    put_u32(out, count);
}

void put_data(std::string& out, const TzifSpec& spec, int time_bytes) {
  const auto indicators = spec.indicators ? static_cast<uint32_t>(spec.types.size()) : 0;
  put_header(out, spec.version, indicators, indicators, spec.leap_records,
             static_cast<uint32_t>(spec.transitions.size()),
             static_cast<uint32_t>(spec.types.size()),
             static_cast<uint32_t>(spec.designations.size()));
  for (const auto& [time, type] : spec.transitions) {
    time_bytes == 8 ? put_i64(out, time) : put_u32(out, static_cast<uint32_t>(time));
  }
  for (const auto& [time, type] : spec.transitions) out.push_back(static_cast<char>(type));
  for (const LocalTimeType& type : spec.types) {
    put_u32(out, static_cast<uint32_t>(type.utoff_s));
    out.push_back(static_cast<char>(type.isdst));
    out.push_back(static_cast<char>(type.desigidx));
  }
  out += spec.designations;
  for (uint32_t i = 0; i < spec.leap_records; ++i) {
    const int64_t occurrence = 78796800 + int64_t{i} * 15'000'000;
    time_bytes == 8 ? put_i64(out, occurrence) : put_u32(out, static_cast<uint32_t>(occurrence));
    put_u32(out, i + 1);
  }
  out.append(2 * indicators, '\0');
}

std::string build_tzif(const TzifSpec& spec) {
  std::string out;
  if (spec.version == 0) {
    put_data(out, spec, 4);
    return out;
  }
  // A minimal version 1 block, as zic -b slim writes, then the real data.
  put_header(out, spec.version, 0, 0, 0, 0, 1, 1);
  out.append(6, '\0');
  out.push_back('\0');
  put_data(out, spec, 8);
  out += "\n" + spec.footer + "\n";
  return out;
}

TimeZone zone_with_footer(const std::string& footer) {
  TzifSpec spec;
  spec.footer = footer;
  return zone_from_bytes(footer, build_tzif(spec));
}

TEST(TimeZone, FooterRulesMatchGlibc) {
  // With no transitions the footer's rule governs all time (RFC 8536).
  for (const std::string footer : {
           "EST5EDT,M3.2.0,M11.1.0",
           "<+0530>-5:30",
           "IST-2IDT,M3.4.4/26,M10.5.0",
           "<-03>3<-02>,M9.1.6/24,M4.1.6/24",
           "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
           "IST-1GMT0,M10.5.0,M3.5.0/1",
           "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
           "NST3:30NDT,M3.2.0,M11.1.0",
           "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
           "CST6CDT,M4.1.0/100,M10.5.6/-100",
           "AAA+3BBB+2:15:30,J60/1:30:15,J300/-2",
           "XXX-10YYY,59/3,300/+4",
           "ZZZ-2:00:05YYY,M3.5.0/1,M10.5.0",
       }) {
    SCOPED_TRACE(footer);
    const TimeZone zone = zone_with_footer(footer);
    const GlibcZone glibc(footer);
    expect_offsets_match_glibc(zone, at("1990-01-01T00:00:00Z") / 1000, kOracleToUnixS);
  }
}

TEST(TimeZone, FooterReadsTimesAndDayForms) {
  // Israel: Friday before the last Sunday of March at 02:00 = Thursday 26:00.
  const TimeZone israel = zone_with_footer("IST-2IDT,M3.4.4/26,M10.5.0");
  EXPECT_EQ(israel.offset_seconds_at(at("2030-03-28T23:59:59Z")), 2 * 3600);
  EXPECT_EQ(israel.offset_seconds_at(at("2030-03-29T00:00:00Z")), 3 * 3600);
  EXPECT_EQ(israel.offset_seconds_at(at("2030-10-26T22:59:59Z")), 3 * 3600);
  EXPECT_EQ(israel.offset_seconds_at(at("2030-10-26T23:00:00Z")), 2 * 3600);
  // Jn never counts February 29; n does.
  const TimeZone julian = zone_with_footer("AAA0BBB,J60/0,J61/0");
  EXPECT_EQ(julian.offset_seconds_at(at("2024-03-01T00:00:00Z")), 3600);  // J60 = March 1
  EXPECT_EQ(julian.offset_seconds_at(at("2024-02-29T23:59:59Z")), 0);
  const TimeZone zero_based = zone_with_footer("AAA0BBB,59/0,60/0");
  EXPECT_EQ(zero_based.offset_seconds_at(at("2024-02-29T00:00:00Z")), 3600);  // day 59 = Feb 29
  EXPECT_EQ(zero_based.offset_seconds_at(at("2023-03-01T00:00:00Z")), 3600);  // = Mar 1
  EXPECT_EQ(zero_based.offset_seconds_at(at("2023-03-02T00:00:00Z")), 0);
  // A name with no rule gets the US rule (tzcode, glibc).
  const TimeZone default_rule = zone_with_footer("EST5EDT");
  EXPECT_EQ(default_rule.offset_seconds_at(at("2030-03-10T06:59:59Z")), -5 * 3600);
  EXPECT_EQ(default_rule.offset_seconds_at(at("2030-03-10T07:00:00Z")), -4 * 3600);
  EXPECT_EQ(default_rule.offset_seconds_at(at("2030-11-03T06:00:00Z")), -5 * 3600);
  // No daylight time: no change, ever.
  const TimeZone fixed = zone_with_footer("<+0530>-5:30");
  EXPECT_EQ(fixed.offset_seconds_at(at("2099-06-01T00:00:00Z")), 19800);
  EXPECT_EQ(fixed.next_offset_change_ms(0), std::nullopt);
  // An empty footer: the last transition's offset stays.
  TzifSpec spec;
  spec.footer = "";
  spec.types = {LocalTimeType{0, 0, 0}, LocalTimeType{3600, 0, 0}};
  spec.transitions = {{1000, 1}};
  const TimeZone empty_footer = zone_from_bytes("empty footer", build_tzif(spec));
  EXPECT_EQ(empty_footer.offset_seconds_at(999'999), 0);
  EXPECT_EQ(empty_footer.offset_seconds_at(1'000'000), 3600);
  EXPECT_EQ(empty_footer.offset_seconds_at(at("2500-01-01T00:00:00Z")), 3600);
}

TEST(TimeZone, DaylightTimeAllYearNeverEnds) {
  // RFC 8536's example: daylight time ends at the instant it starts again.
  // (glibc, which reads each UTC year alone, shows EST for five hours of
  // every January 1; tzcode and this reader show EDT throughout.)
  const TimeZone zone = zone_with_footer("EST5EDT,0/0,J365/25");
  for (const std::string_view instant :
       {"2030-01-01T00:00:00Z", "2030-01-01T04:59:59Z", "2030-01-01T05:00:00Z",
        "2030-07-01T00:00:00Z", "2030-12-31T23:59:59Z", "2032-12-31T12:00:00Z"}) {
    EXPECT_EQ(zone.offset_seconds_at(at(instant)), -4 * 3600) << instant;
  }
  EXPECT_EQ(zone.next_offset_change_ms(at("2030-01-01T00:00:00Z")), std::nullopt);
}

TEST(TimeZone, StartOfDayWhenTheClocksGoBackAcrossMidnight) {
  // +01 until 00:30 local of 2030-03-10, then +00: the day starts at 23:00Z,
  // 2030-03-09 comes back at 23:30Z, and 2030-03-10 starts again at 00:00Z.
  TzifSpec spec;
  spec.types = {LocalTimeType{3600, 0, 0}, LocalTimeType{0, 0, 0}};
  spec.transitions = {{at("2030-03-09T23:30:00Z") / 1000, 1}};
  const TimeZone zone = zone_from_bytes("back across midnight", build_tzif(spec));
  EXPECT_EQ(zone.start_of_day_ms(day("2030-03-10")), at("2030-03-09T23:00:00Z"));
  EXPECT_EQ(zone.local_day(at("2030-03-09T23:29:59Z")), day("2030-03-10"));
  EXPECT_EQ(zone.local_day(at("2030-03-09T23:30:00Z")), day("2030-03-09"));
  EXPECT_EQ(zone.local_day(at("2030-03-10T00:00:00Z")), day("2030-03-10"));
  EXPECT_EQ(zone.start_of_day_ms(day("2030-03-11")), at("2030-03-11T00:00:00Z"));
  EXPECT_EQ(zone.start_of_day_ms(day("2030-03-09")), at("2030-03-08T23:00:00Z"));
}

TEST(TimeZone, BeforeTheFirstTransitionTheFirstTypeApplies) {
  TzifSpec spec;
  spec.types = {LocalTimeType{-3600, 1, 0}, LocalTimeType{7200, 0, 0}};
  spec.transitions = {{100, 1}};
  spec.footer = "";
  const TimeZone zone = zone_from_bytes("first type", build_tzif(spec));
  EXPECT_EQ(zone.offset_seconds_at(INT64_MIN), -3600);
  EXPECT_EQ(zone.offset_seconds_at(99'999), -3600);
  EXPECT_EQ(zone.offset_seconds_at(100'000), 7200);
  EXPECT_EQ(zone.next_offset_change_ms(0), 100'000);
  EXPECT_EQ(zone.next_offset_change_ms(100'000), std::nullopt);
}

TEST(TimeZone, ReadsVersionOneFiles) {
  // The version 1 part of a real file, alone, reads as the same zone from
  // 1901 to 2037 (its 32-bit range).
  const std::string bytes = zone_bytes("America/New_York");
  ASSERT_GT(bytes.size(), 44u);
  std::string v1 = bytes;
  v1[4] = '\0';
  auto count = [&v1](std::size_t at) {
    return static_cast<uint32_t>(static_cast<uint8_t>(v1[at])) << 24 |
           static_cast<uint32_t>(static_cast<uint8_t>(v1[at + 1])) << 16 |
           static_cast<uint32_t>(static_cast<uint8_t>(v1[at + 2])) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(v1[at + 3]));
  };
  const uint64_t v1_bytes =
      44 + count(32) * 5 + count(36) * 6 + count(40) + count(28) * 8 + count(24) + count(20);
  v1.resize(v1_bytes);
  const TimeZone old = zone_from_bytes("v1", v1);
  const TimeZone current = zone_from_bytes("v2", bytes);
  ASSERT_GT(count(32), 100u);
  for (int64_t unix_s = INT32_MIN; unix_s < INT32_MAX - kOracleStepS; unix_s += kOracleStepS) {
    ASSERT_EQ(old.offset_seconds_at(unix_s * 1000), current.offset_seconds_at(unix_s * 1000))
        << unix_s;
  }
  // Past the last transition a version 1 file keeps the last offset (EST).
  EXPECT_EQ(old.offset_seconds_at(at("2040-07-01T00:00:00Z")), -5 * 3600);
  EXPECT_EQ(current.offset_seconds_at(at("2040-07-01T00:00:00Z")), -4 * 3600);
  // A version 1 file is its data, nothing after.
  EXPECT_FALSE(TimeZone::from_tzif("v1+", v1 + "\n").ok());
}

TEST(TimeZone, ReadsVersionsThreeAndFourRefusesFive) {
  const std::string bytes = zone_bytes("Europe/London");
  const TimeZone reference = zone_from_bytes("v2", bytes);
  const std::size_t second_header = bytes.find("TZif", 4);
  ASSERT_NE(second_header, std::string::npos);
  for (const char version : {'3', '4', '5', '1'}) {
    std::string changed = bytes;
    changed[4] = changed[second_header + 4] = version;
    Result<TimeZone> zone = TimeZone::from_tzif("London", changed);
    if (version == '3' || version == '4') {
      ASSERT_TRUE(zone.ok()) << version << ": " << zone.error().message;
      for (const std::string_view instant : {"1980-07-01T00:00:00Z", "2050-07-01T00:00:00Z"}) {
        EXPECT_EQ(zone->offset_seconds_at(at(instant)), reference.offset_seconds_at(at(instant)));
      }
    } else {
      ASSERT_FALSE(zone.ok()) << version;
      EXPECT_EQ(zone.error().code, "invalid_time_zone");
      EXPECT_NE(zone.error().message.find("version"), std::string::npos) << zone.error().message;
    }
  }
  std::string mixed = bytes;
  mixed[second_header + 4] = '3';
  EXPECT_FALSE(TimeZone::from_tzif("mixed", mixed).ok());
}

TEST(TimeZone, SkipsLeapSecondRecords) {
  TzifSpec spec;
  spec.types = {LocalTimeType{-18000, 0, 0}, LocalTimeType{-14400, 1, 4}};
  spec.designations = std::string("EST\0EDT\0", 8);
  spec.transitions = {{at("2020-03-08T07:00:00Z") / 1000, 1},
                      {at("2020-11-01T06:00:00Z") / 1000, 0}};
  spec.leap_records = 27;
  spec.indicators = true;
  spec.footer = "EST5EDT,M3.2.0,M11.1.0";
  for (const char version : {'\0', '2', '4'}) {
    spec.version = version;
    const TimeZone zone = zone_from_bytes("leap", build_tzif(spec));
    EXPECT_EQ(zone.offset_seconds_at(at("2020-07-01T00:00:00Z")), -4 * 3600);
    EXPECT_EQ(zone.offset_seconds_at(at("2020-12-01T00:00:00Z")), -5 * 3600);
  }
  // tzdata's right/ zones carry real leap-second records.
  const std::string right = read_file(zoneinfo_directory() + "/right/America/New_York");
  if (!right.empty()) {
    const TimeZone zone = zone_from_bytes("right/America/New_York", right);
    EXPECT_EQ(zone.offset_seconds_at(at("2020-07-01T00:00:00Z")), -4 * 3600);
  }
}

// ---------------------------------------------------------------------------
// Malformed bytes: an error naming the problem, never a crash or a read
// out of bounds (the sanitizer build runs these too).

void expect_refused(std::string_view bytes, std::string_view problem) {
  Result<TimeZone> zone = TimeZone::from_tzif("Bad/Zone", bytes);
  ASSERT_FALSE(zone.ok()) << problem;
  EXPECT_EQ(zone.error().code, "invalid_time_zone");
  EXPECT_NE(zone.error().message.find(problem), std::string::npos) << zone.error().message;
  EXPECT_NE(zone.error().message.find("Bad/Zone"), std::string::npos) << zone.error().message;
}

TEST(TimeZone, RefusesEveryTruncationOfARealFile) {
  for (const std::string name : {"America/New_York", "America/Santiago", "Asia/Kolkata"}) {
    const std::string bytes = zone_bytes(name);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      // A copy of exactly `length` bytes, so the sanitizer sees any overread.
      const std::unique_ptr<char[]> exact(new char[length + 1]);
      std::memcpy(exact.get(), bytes.data(), length);
      Result<TimeZone> zone = TimeZone::from_tzif(name, std::string_view(exact.get(), length));
      ASSERT_FALSE(zone.ok()) << name << " cut to " << length << " bytes";
      ASSERT_EQ(zone.error().code, "invalid_time_zone");
    }
    EXPECT_TRUE(TimeZone::from_tzif(name, bytes).ok()) << name;
  }
}

TEST(TimeZone, RefusesMalformedStructure) {
  expect_refused("", "truncated");
  expect_refused("TZif2", "truncated");
  std::string bad_magic = build_tzif(TzifSpec{});
  bad_magic[3] = 'F';
  expect_refused(bad_magic, "magic");
  expect_refused(std::string(200, 'x'), "magic");

  TzifSpec spec;
  spec.types = {LocalTimeType{0, 0, 0}, LocalTimeType{3600, 1, 0}};
  spec.transitions = {{100, 1}, {200, 0}};
  const std::string good = build_tzif(spec);
  ASSERT_TRUE(TimeZone::from_tzif("good", good).ok());
  const std::size_t second = good.find("TZif", 4);
  auto with_count = [&](std::size_t field_at, uint32_t value) {
    std::string changed = good;
    std::string encoded;
    put_u32(encoded, value);
    changed.replace(second + field_at, 4, encoded);
    return changed;
  };
  expect_refused(with_count(32, 0xffffffff), "transitions");  // timecnt
  expect_refused(with_count(32, 8193), "transitions");
  expect_refused(with_count(36, 0), "local time types");  // typecnt
  expect_refused(with_count(36, 0xffffffff), "local time types");
  expect_refused(with_count(40, 0), "designation");  // charcnt
  expect_refused(with_count(28, 0xffffffff), "leap-second");
  expect_refused(with_count(20, 1), "indicators");  // isutcnt neither 0 nor typecnt
  expect_refused(with_count(32, 3), "truncated");   // one transition more than there is
  std::string v1_counts = good;
  v1_counts[32] = '\x7f';  // the skipped version 1 block claims more bytes than the file has
  expect_refused(v1_counts, "truncated in the version 1 data");

  TzifSpec unordered = spec;
  unordered.transitions = {{200, 1}, {200, 0}};
  expect_refused(build_tzif(unordered), "not after");
  TzifSpec bad_index = spec;
  bad_index.transitions = {{100, 2}};
  expect_refused(build_tzif(bad_index), "local time type 2");
  TzifSpec bad_offset = spec;
  bad_offset.types[1].utoff_s = INT32_MIN;
  expect_refused(build_tzif(bad_offset), "UTC offset");
  bad_offset.types[1].utoff_s = 93600;
  expect_refused(build_tzif(bad_offset), "UTC offset");
  bad_offset.types[1].utoff_s = 93599;
  bad_offset.footer = "";
  EXPECT_TRUE(TimeZone::from_tzif("26h", build_tzif(bad_offset)).ok());
  TzifSpec bad_dst = spec;
  bad_dst.types[1].isdst = 2;
  expect_refused(build_tzif(bad_dst), "DST flag");
  TzifSpec bad_designation = spec;
  bad_designation.types[1].desigidx = 4;
  expect_refused(build_tzif(bad_designation), "designation");
  TzifSpec bad_indicator = spec;
  bad_indicator.indicators = true;
  std::string indicator = build_tzif(bad_indicator);
  indicator[indicator.size() - std::string("\nUTC0\n").size() - 1] = 2;
  expect_refused(indicator, "indicator");

  expect_refused(good.substr(0, good.size() - 1), "closing newline");
  expect_refused(good + "x", "after the footer");
  std::string no_footer = good.substr(0, good.size() - std::string("\nUTC0\n").size());
  expect_refused(no_footer, "no footer");
  TzifSpec long_footer = spec;
  long_footer.footer = "<" + std::string(300, 'A') + ">0";
  expect_refused(build_tzif(long_footer), "longer than");
}

TEST(TimeZone, RefusesMalformedTzStrings) {
  for (const std::string footer : {
           "EST",                         // no offset
           "ES5",                         // name too short
           "<E+>5",                       // quoted name too short
           "<EST5",                       // unclosed quote
           "<E S T>5",                    // space in a quoted name
           "EST25",                       // offset above 24 h
           "EST5:60",                     // minutes above 59
           "EST5:3:",                     // empty seconds
           "EST5EDT,M13.1.0,M11.1.0",     // month 13
           "EST5EDT,M0.1.0,M11.1.0",      // month 0
           "EST5EDT,M3.6.0,M11.1.0",      // week 6
           "EST5EDT,M3.0.0,M11.1.0",      // week 0
           "EST5EDT,M3.2.7,M11.1.0",      // weekday 7
           "EST5EDT,M3.2,M11.1.0",        // no weekday
           "EST5EDT,J0,J365",             // Julian day 0
           "EST5EDT,J366,J1",             // Julian day 366
           "EST5EDT,366,1",               // zero-based day 366
           "EST5EDT,M3.2.0/168,M11.1.0",  // time above 167 h
           "EST5EDT,M3.2.0/-168,M11.1.0",
           "EST5EDT,M3.2.0",           // start without end
           "EST5EDT,M3.2.0,",          // empty end
           "EST5EDT,M3.2.0,M11.1.0x",  // trailing junk
           "EST5EDT,M3.2.0,M11.1.0,M12.1.0",
           "EST5EDT25,M3.2.0,M11.1.0",  // daylight offset above 24 h
           "<-25>25",                   // offset out of range
           "EST5EDT4junk",
           "5EST",
           "EST+",
           "EST5EDTXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",  // name above 32
       }) {
    SCOPED_TRACE(footer);
    TzifSpec spec;
    spec.footer = footer;
    expect_refused(build_tzif(spec), "footer");
  }
}

// Everything a caller might do with a zone, on instants far apart: a zone
// read from garbage must still answer without crashing or looping.
void exercise(const TimeZone& zone) {
  for (const int64_t unix_ms : {INT64_MIN, int64_t{-1} << 50, int64_t{-1}, int64_t{0},
                                at("2030-01-01T00:00:00Z"), int64_t{1} << 50, INT64_MAX}) {
    const int32_t offset_s = zone.offset_seconds_at(unix_ms);
    EXPECT_GE(offset_s, TimeZone::kOffsetSecondsMin);
    EXPECT_LE(offset_s, TimeZone::kOffsetSecondsMax);
    const std::optional<int64_t> next_ms = zone.next_offset_change_ms(unix_ms);
    if (next_ms) {
      EXPECT_GT(*next_ms, unix_ms);
      EXPECT_NE(zone.offset_seconds_at(*next_ms), zone.offset_seconds_at(*next_ms - 1));
    }
  }
  for (const int32_t days :
       {INT32_MIN, -1'000'000, -1, 0, 1, 20'000, 40'000, 1'000'000, INT32_MAX}) {
    const int64_t start_ms = zone.start_of_day_ms(days);
    if (start_ms >= -TimeZone::kUnixMsAbsMax && start_ms <= TimeZone::kUnixMsAbsMax) {
      EXPECT_GE(zone.local_day(start_ms), days);
      EXPECT_LT(zone.local_day(start_ms - 1), days);
    }
  }
}

TEST(TimeZone, SurvivesRandomByteFlips) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  int32_t accepted = 0, refused = 0;
  for (const std::string name :
       {"America/New_York", "Europe/Dublin", "America/Santiago", "Australia/Lord_Howe"}) {
    const std::string bytes = zone_bytes(name);
    ASSERT_FALSE(bytes.empty());
    const std::size_t footer_at = bytes.rfind('\n', bytes.size() - 2);
    for (int32_t trial = 0; trial < 1500; ++trial) {
      std::string changed = bytes;
      const int32_t flips = 1 + static_cast<int32_t>(random() % 4);
      for (int32_t flip = 0; flip < flips; ++flip) {
        // Half the flips hit the footer, where a flip more often still parses.
        const std::size_t first = trial % 2 == 0 ? 0 : footer_at;
        const std::size_t at_byte = first + random() % (changed.size() - first);
        changed[at_byte] = static_cast<char>(changed[at_byte] ^ (1u << (random() % 8)));
      }
      Result<TimeZone> zone = TimeZone::from_tzif(name, changed);
      if (!zone) {
        ASSERT_EQ(zone.error().code, "invalid_time_zone");
        ++refused;
        continue;
      }
      ++accepted;
      exercise(*zone);
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
}

TEST(TimeZone, ExtremeInstantsAndDays) {
  for (const std::string name : {"America/New_York", "Pacific/Apia", "Europe/Dublin", "UTC"}) {
    SCOPED_TRACE(name);
    exercise(zone_from_bytes(name, zone_bytes(name)));
  }
  exercise(TimeZone::utc());
  exercise(zone_with_footer("EST5EDT,0/0,J365/25"));
  exercise(zone_with_footer("AAA-2BBB,M3.5.0/-167,M10.5.0/167"));
}

TEST(TimeZone, UtcIsUtcEverywhere) {
  const TimeZone utc = TimeZone::utc();
  EXPECT_EQ(utc.name(), "UTC");
  for (const int64_t unix_ms :
       {INT64_MIN, int64_t{-1}, int64_t{0}, at("2100-06-01T12:00:00Z"), INT64_MAX}) {
    EXPECT_EQ(utc.offset_seconds_at(unix_ms), 0);
    EXPECT_EQ(utc.next_offset_change_ms(unix_ms), std::nullopt);
  }
  EXPECT_EQ(utc.local_day(-1), -1);
  EXPECT_EQ(utc.local_day(at("2026-04-30T23:59:59.999Z")), day("2026-04-30"));
  EXPECT_EQ(utc.start_of_day_ms(day("2026-05-01")), at("2026-05-01T00:00:00Z"));
  EXPECT_EQ(utc.start_of_day_ms(-1), -86'400'000);
}

// ---------------------------------------------------------------------------
// TimeZoneDb.

class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lf-timezone-XXXXXX").string();
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::string& path() const { return path_; }
  void write(const std::string& name, std::string_view bytes) const {
    const std::filesystem::path file = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  std::string path_;
};

TEST(TimeZoneDb, ValidatesNames) {
  for (const std::string_view name :
       {"UTC", "America/New_York", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14",
        "EST5EDT", "America/Port-au-Prince"}) {
    EXPECT_TRUE(TimeZoneDb::is_valid_name(name)) << name;
  }
  EXPECT_TRUE(TimeZoneDb::is_valid_name(std::string(64, 'a')));
  for (const std::string_view name :
       {"", "/etc/passwd", "/UTC", "../etc/passwd", "America/../UTC", "..", ".", "./UTC",
        "America/.", "America//New_York", "America/", "America/New York", "zone.tab",
        "Am\xc3\xa9rica/Lima", "America\\New_York", "UTC\n", "UTC:", "~/UTC", "$TZ"}) {
    EXPECT_FALSE(TimeZoneDb::is_valid_name(name)) << name;
  }
  EXPECT_FALSE(TimeZoneDb::is_valid_name(std::string(65, 'a')));
  EXPECT_FALSE(TimeZoneDb::is_valid_name(std::string_view("UTC\0/x", 6)));
  TempDirectory directory;
  directory.write("zone.tab", build_tzif(TzifSpec{}));  // a TZif file, but no zone name
  const TimeZoneDb db(directory.path());
  EXPECT_EQ(db.find("zone.tab"), nullptr);
  EXPECT_EQ(db.find("../" + std::filesystem::path(directory.path()).filename().string() + "/zone"),
            nullptr);
}

TEST(TimeZoneDb, UtcResolvesWithoutFiles) {
  TempDirectory directory;
  const TimeZoneDb db(directory.path());
  const TimeZone* utc = db.find("UTC");
  ASSERT_NE(utc, nullptr);
  EXPECT_EQ(utc->name(), "UTC");
  EXPECT_EQ(utc->offset_seconds_at(at("2026-07-01T00:00:00Z")), 0);
  EXPECT_EQ(db.find(kDefaultTimeZone), utc);
  EXPECT_EQ(db.find("Etc/UTC"), nullptr);
  EXPECT_EQ(db.find("America/New_York"), nullptr);
  const TimeZoneDb missing_directory(directory.path() + "/missing");
  EXPECT_NE(missing_directory.find("UTC"), nullptr);
}

TEST(TimeZoneDb, ReadsZonesFromItsDirectoryAndRefusesOtherFiles) {
  TempDirectory directory;
  directory.write("America/New_York", zone_bytes("America/New_York"));
  directory.write("Not/Tzif", "# tzdata leapseconds\n");
  directory.write("Too/Large", std::string(TimeZoneDb::kFileBytesMax + 1, 'x'));
  ASSERT_EQ(::mkfifo((directory.path() + "/Fifo").c_str(), 0600), 0);
  const TimeZoneDb db(directory.path());
  const TimeZone* new_york = db.find("America/New_York");
  ASSERT_NE(new_york, nullptr);
  EXPECT_EQ(new_york->name(), "America/New_York");
  EXPECT_EQ(new_york->offset_seconds_at(at("2026-07-01T00:00:00Z")), -4 * 3600);
  EXPECT_EQ(db.find("America"), nullptr);  // a directory
  EXPECT_EQ(db.find("Not/Tzif"), nullptr);
  EXPECT_EQ(db.find("Too/Large"), nullptr);
  EXPECT_EQ(db.find("Fifo"), nullptr);  // returns at once: a FIFO is not read
  EXPECT_EQ(db.find("Mars/Olympus_Mons"), nullptr);
}

TEST(TimeZoneDb, KeepsEachZoneItRead) {
  const TimeZoneDb db(zoneinfo_directory());
  const TimeZone* first = db.find("Asia/Kolkata");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(db.find("Asia/Kolkata"), first);
  EXPECT_EQ(first->offset_seconds_at(at("2026-01-01T00:00:00Z")), 19800);
  EXPECT_NE(TimeZoneDb(zoneinfo_directory()).find("Asia/Kolkata"), nullptr);
  // Concurrent first reads agree on one zone per name.
  const TimeZoneDb shared(zoneinfo_directory());
  std::vector<std::vector<const TimeZone*>> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&shared, &seen, t] {
      for (const std::string& name : kOracleZones) seen[t].push_back(shared.find(name));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t t = 0; t < seen.size(); ++t) {
    for (std::size_t i = 0; i < kOracleZones.size(); ++i) {
      EXPECT_NE(seen[t][i], nullptr) << kOracleZones[i];
      EXPECT_EQ(seen[t][i], shared.find(kOracleZones[i])) << kOracleZones[i];
    }
  }
}

TEST(TimeZoneDb, SystemReadsTheInstalledZoneinfo) {
  const TimeZoneDb& system = TimeZoneDb::system();
  EXPECT_EQ(&system, &TimeZoneDb::system());
  const TimeZone* london = system.find("Europe/London");
  ASSERT_NE(london, nullptr) << "no Europe/London under " << zoneinfo_directory()
                             << " (install the tzdata package)";
  EXPECT_EQ(london->offset_seconds_at(at("2026-07-01T00:00:00Z")), 3600);
  EXPECT_NE(system.find("UTC"), nullptr);
}

}  // namespace
}  // namespace lf
