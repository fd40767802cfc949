// RFC 3339 and date parsing/formatting, calendar arithmetic.
#include "events/time.hpp"

#include <cstdint>
#include <random>

#include <gtest/gtest.h>

namespace lf {
namespace {

constexpr int64_t kMillisPerMinute = 60 * kMillisPerSecond;

// 2024-02-29T00:00:00Z, computed independently: 19782 days after the epoch.
constexpr int64_t kLeapDay2024Ms = int64_t{19782} * kMillisPerDay;

TEST(Time, ParsesUtcTimestampWithMilliseconds) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00.001Z"), 1);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00.000Z"), kLeapDay2024Ms);
  EXPECT_EQ(parse_rfc3339_ms("2001-09-09T01:46:40Z"), int64_t{1000000000} * 1000);
}

TEST(Time, AcceptsLowerCaseSeparatorAndZone) {
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29t00:00:00z"), kLeapDay2024Ms);
}

TEST(Time, TruncatesFractionToMilliseconds) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01.9Z"), 1900);
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01.98Z"), 1980);
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01.999999999Z"), 1999);
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01.123456Z"), 1123);
}

TEST(Time, AppliesPositiveAndNegativeOffsets) {
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T05:30:00+05:30"), kLeapDay2024Ms);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-28T19:00:00-05:00"), kLeapDay2024Ms);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00-00:00"), kLeapDay2024Ms);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00+00:00"), kLeapDay2024Ms);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T01:00:00.250+00:45"),
            kLeapDay2024Ms + 15 * kMillisPerMinute + 250);
}

TEST(Time, AcceptsLeapDaysOnlyInLeapYears) {
  EXPECT_TRUE(parse_rfc3339_ms("2000-02-29T00:00:00Z"));  // divisible by 400
  EXPECT_TRUE(parse_rfc3339_ms("2024-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("1900-02-29T00:00:00Z"));  // also out of range
  EXPECT_FALSE(parse_rfc3339_ms("2100-02-29T00:00:00Z"));  // divisible by 100, not 400
  EXPECT_FALSE(parse_rfc3339_ms("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2024-02-30T00:00:00Z"));
}

TEST(Time, RejectsOutOfRangeFields) {
  for (const char* text : {
           "2024-00-10T00:00:00Z", "2024-13-10T00:00:00Z", "2024-04-31T00:00:00Z",
           "2024-01-00T00:00:00Z", "2024-01-32T00:00:00Z", "2024-01-10T24:00:00Z",
           "2024-01-10T00:60:00Z", "2024-01-10T00:00:60Z", "2024-01-10T00:00:61Z",
           "2024-01-10T00:00:00+24:00", "2024-01-10T00:00:00+01:60", "1969-12-31T23:59:59Z",
           "0000-01-01T00:00:00Z", "1970-01-01T00:30:00+01:00",  // 1969 in UTC
           "9999-12-31T23:30:00-01:00",                          // year 10000 in UTC
       }) {
    EXPECT_FALSE(parse_rfc3339_ms(text)) << text;
  }
}

TEST(Time, RejectsMalformedText) {
  for (const char* text : {
           "",
           "2024-01-10",
           "2024-01-10T00:00:00",
           "2024-01-10 00:00:00Z",
           "2024-01-10T00:00Z",
           "2024-1-10T00:00:00Z",
           "24-01-10T00:00:00Z",
           "2024/01/10T00:00:00Z",
           "2024-01-10T00:00:00.Z",
           "2024-01-10T00:00:00.1234567890Z",
           "2024-01-10T00:00:00+0100",
           "2024-01-10T00:00:00+01",
           "2024-01-10T00:00:00ZZ",
           "2024-01-10T00:00:00Z ",
           " 2024-01-10T00:00:00Z",
           "+2024-01-10T00:00:00Z",
           "2024-01-10T0a:00:00Z",
           "2024-01-10T00:00:00UTC",
           "2024-01-10T00:00:00.12a3Z",
           "１９７０-01-01T00:00:00Z",
       }) {
    EXPECT_FALSE(parse_rfc3339_ms(text)) << text;
  }
}

TEST(Time, AcceptsTheRangeLimits) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00.000Z"), 0);
  const auto last = parse_rfc3339_ms("9999-12-31T23:59:59.999Z");
  ASSERT_TRUE(last);
  EXPECT_EQ(format_rfc3339_ms(*last), "9999-12-31T23:59:59.999Z");
}

TEST(Time, FormatsAlwaysUtcWithMilliseconds) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(kLeapDay2024Ms + 1), "2024-02-29T00:00:00.001Z");
  EXPECT_EQ(format_rfc3339_ms(int64_t{1000000000} * 1000 + 42), "2001-09-09T01:46:40.042Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Time, FormatThenParseRoundTripsRandomInstants) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  const int64_t max_ms = *parse_rfc3339_ms("9999-12-31T23:59:59.999Z");
  std::uniform_int_distribution<int64_t> instants(0, max_ms);
  for (int i = 0; i < 10000; ++i) {
    const int64_t unix_ms = instants(random);
    const std::string text = format_rfc3339_ms(unix_ms);
    ASSERT_EQ(parse_rfc3339_ms(text), unix_ms) << text;
  }
}

TEST(Time, ParsesAndFormatsDates) {
  EXPECT_EQ(parse_date_days("1970-01-01"), 0);
  EXPECT_EQ(parse_date_days("2024-02-29"), 19782);
  EXPECT_EQ(parse_date_days("2000-03-01"), 11017);
  EXPECT_EQ(format_date_days(19782), "2024-02-29");
  EXPECT_EQ(format_date_days(0), "1970-01-01");
  for (const char* text : {"2023-02-29", "2024-13-01", "2024-02-30", "2024-2-01", "2024-02-01T",
                           "2024-02-01 ", "", "1969-12-31", "2024_02_01"}) {
    EXPECT_FALSE(parse_date_days(text)) << text;
  }
}

TEST(Time, DateRoundTripsEveryDayOfFourCenturies) {
  const int32_t first = *parse_date_days("1970-01-01");
  const int32_t last = *parse_date_days("2370-12-31");
  for (int32_t days = first; days <= last; ++days) {
    ASSERT_EQ(parse_date_days(format_date_days(days)), days) << format_date_days(days);
  }
}

TEST(Time, AddMonthsClampsDayOfMonthAndKeepsTimeOfDay) {
  const int64_t jan31 = *parse_rfc3339_ms("2024-01-31T10:20:30.400Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(jan31, 1)), "2024-02-29T10:20:30.400Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(*parse_rfc3339_ms("2023-01-31T00:00:00Z"), 1)),
            "2023-02-28T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(jan31, 3)), "2024-04-30T10:20:30.400Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(jan31, 12)), "2025-01-31T10:20:30.400Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(jan31, 11)), "2024-12-31T10:20:30.400Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(jan31, -2)), "2023-11-30T10:20:30.400Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(jan31, 0)), "2024-01-31T10:20:30.400Z");
  EXPECT_EQ(format_rfc3339_ms(add_months_ms(*parse_rfc3339_ms("2024-02-29T00:00:00Z"), 12)),
            "2025-02-28T00:00:00.000Z");
}

}  // namespace
}  // namespace lf
