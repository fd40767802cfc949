// Billing periods (docs/domains/credits.md "Billing periods"): dates in the
// tenant's billing time zone, end inclusive; next_reset_at at the start of
// the day after; renewals by calendar months from the anchor day, or by the
// same number of days; the deprecated RFC 3339 form, both ways; time zones
// with DST and half-hour offsets; top-ups expiring at the end of the billing
// month. Zones come from the system's tzdata (TimeZoneDb::system()).
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/credits/period.hpp"
#include "tests/unit/credits/harness.hpp"

namespace lf::engine::credits::testing {
namespace {

std::string text(const NewEvent& event, const char* name) {
  return std::string(json_string(*payload_of(event), name).value_or("(absent)"));
}

void expect_rejected(const Decision& decision, const std::string& reason,
                     const std::string& message_part) {
  ASSERT_FALSE(decision.accepted()) << "expected " << reason;
  EXPECT_EQ(decision.rejection().reason, reason) << decision.rejection().message;
  EXPECT_NE(decision.rejection().message.find(message_part), std::string::npos)
      << decision.rejection().message;
}

// The period an allocated event names, as "start..end next_reset_at".
std::string period_of(const NewEvent& event) {
  EXPECT_EQ(event.type, "credits.allocated");
  return text(event, "period_start") + ".." + text(event, "period_end") + " " +
         text(event, "next_reset_at");
}

// Fires the renewal at next_reset_at `count` times; returns each renewal's
// "start..end" and checks every event's instants against the zone.
std::vector<std::string> renewals(Harness& harness, int count) {
  std::vector<std::string> periods;
  for (int i = 0; i < count; ++i) {
    const Balance before = harness.balance();
    harness.set_now(*before.next_reset_at_ms);
    const std::vector<NewEvent> fired = harness.tick();
    if (fired.empty() || fired.back().type != "credits.allocated") {
      ADD_FAILURE() << "no renewal at " << format_rfc3339_ms(*before.next_reset_at_ms);
      return periods;
    }
    const NewEvent& renewal = fired.back();
    EXPECT_EQ(text(renewal, "reason"), "renewal");
    EXPECT_EQ(text(renewal, "period_starts_at"), format_rfc3339_ms(*before.next_reset_at_ms));
    EXPECT_EQ(*harness.balance().period_start_day, *before.period_end_day + 1);
    periods.push_back(text(renewal, "period_start") + ".." + text(renewal, "period_end"));
  }
  return periods;
}

const TimeZone& zone(const char* name) {
  const TimeZone* found = TimeZoneDb::system().find(name);
  EXPECT_NE(found, nullptr) << name << " (is tzdata installed?)";
  static const TimeZone utc = TimeZone::utc();
  return found != nullptr ? *found : utc;
}

// ---- allocate with dates -----------------------------------------------------

TEST(CreditsPeriods, SeedDatesInKolkataEndAtTheStartOfTheNextLocalDay) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  const Decision decision = harness.run(
      "credits.allocate", allocate_payload(5000, "2026-12-01", "2026-12-31", "Asia/Kolkata"));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  const NewEvent& allocated = decision.events().back();
  EXPECT_EQ(text(allocated, "period_start"), "2026-12-01");
  EXPECT_EQ(text(allocated, "period_end"), "2026-12-31");
  EXPECT_EQ(text(allocated, "timezone"), "Asia/Kolkata");
  EXPECT_EQ(text(allocated, "period_starts_at"), "2026-11-30T18:30:00.000Z");
  EXPECT_EQ(text(allocated, "next_reset_at"), "2026-12-31T18:30:00.000Z");
  EXPECT_EQ(text(allocated, "series"), "calendar");
  const Balance balance = harness.balance();
  EXPECT_EQ(balance.period_start_day, day("2026-12-01"));
  EXPECT_EQ(balance.period_end_day, day("2026-12-31"));
  EXPECT_EQ(balance.next_reset_at_ms, at("2026-12-31T18:30:00Z"));
  EXPECT_EQ(next_due_ms(harness.state()), at("2026-12-31T18:30:00Z"));
  // The whole last day is in the period: 23:59 in Kolkata is still December.
  harness.set_now(at("2026-12-31T18:29:59.999Z"));
  EXPECT_TRUE(harness.tick().empty());
}

TEST(CreditsPeriods, SeedDatesDefaultToUtc) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  const Decision decision =
      harness.run("credits.allocate", allocate_payload(5000, "2026-12-01", "2026-12-31"));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  EXPECT_EQ(period_of(decision.events().back()), "2026-12-01..2026-12-31 2027-01-01T00:00:00.000Z");
  EXPECT_EQ(text(decision.events().back(), "timezone"), "UTC");
}

TEST(CreditsPeriods, TheSeedsDecemberRenewsAsJanuaryInItsZone) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(5000, "2026-12-01", "2026-12-31", "Asia/Kolkata"))
                  .accepted());
  harness.set_now(at("2026-12-31T18:30:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(period_of(fired.back()), "2027-01-01..2027-01-31 2027-01-31T18:30:00.000Z");
  EXPECT_EQ(text(fired.back(), "period_starts_at"), "2026-12-31T18:30:00.000Z");
  EXPECT_EQ(text(fired.back(), "timezone"), "Asia/Kolkata");
  EXPECT_EQ(harness.balance().credits_available, 5000);
}

TEST(CreditsPeriods, AllocateWithoutTimezoneKeepsTheCurrentPeriodsZone) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(5000, "2026-12-01", "2026-12-31", "Asia/Kolkata"))
                  .accepted());
  const Decision again =
      harness.run("credits.allocate", allocate_payload(8000, "2026-12-10", "2027-01-09"));
  ASSERT_TRUE(again.accepted()) << again.rejection().message;
  EXPECT_EQ(text(again.events().back(), "timezone"), "Asia/Kolkata");
  EXPECT_EQ(text(again.events().back(), "period_starts_at"), "2026-12-09T18:30:00.000Z");
  // Naming another zone moves the tenant to it.
  const Decision moved = harness.run(
      "credits.allocate", allocate_payload(8000, "2026-12-10", "2027-01-09", "America/New_York"));
  ASSERT_TRUE(moved.accepted()) << moved.rejection().message;
  EXPECT_EQ(text(moved.events().back(), "period_starts_at"), "2026-12-10T05:00:00.000Z");
  EXPECT_EQ(text(moved.events().back(), "next_reset_at"), "2027-01-10T05:00:00.000Z");
}

TEST(CreditsPeriods, ASingleDayIsAPeriod) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  const Decision decision =
      harness.run("credits.allocate", allocate_payload(10, "2026-12-10", "2026-12-10"));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  EXPECT_EQ(period_of(decision.events().back()), "2026-12-10..2026-12-10 2026-12-11T00:00:00.000Z");
  EXPECT_EQ(renewals(harness, 2),
            (std::vector<std::string>{"2026-12-11..2026-12-11", "2026-12-12..2026-12-12"}));
}

// ---- rejections --------------------------------------------------------------

TEST(CreditsPeriods, UnknownTimeZoneIsRejectedWithItsName) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  for (const char* name : {"Mars/Olympus_Mons", "asia/kolkata", "../../etc/passwd", "IST"}) {
    expect_rejected(
        harness.run("credits.allocate", allocate_payload(10, "2026-12-01", "2026-12-31", name)),
        "invalid_timezone", name);
  }
  EXPECT_FALSE(harness.state().book.period.has_value());
  // An empty name fails the schema, and the decider refuses it all the same.
  expect_rejected(harness.run("credits.allocate",
                              R"({"credits_monthly":10,"period_start":"2026-12-01",)"
                              R"("period_end":"2026-12-31","timezone":""})",
                              "system", false),
                  "invalid_payload", "timezone must be a string of 1 to 64 characters");
}

TEST(CreditsPeriods, ADateBesideATimestampIsRejected) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  expect_rejected(
      harness.run("credits.allocate", allocate_payload(10, "2026-12-01", "2027-01-01T00:00:00Z")),
      "invalid_period", "both be dates (YYYY-MM-DD) or both RFC 3339 timestamps");
  expect_rejected(
      harness.run("credits.allocate", allocate_payload(10, "2026-12-01T00:00:00Z", "2026-12-31")),
      "invalid_period", "not one of each");
}

TEST(CreditsPeriods, DatesOutOfOrderOrNotOnTheCalendarAreRejected) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  expect_rejected(harness.run("credits.allocate", allocate_payload(10, "2026-12-31", "2026-12-01")),
                  "invalid_period", "period_end, 2026-12-01, is before period_start, 2026-12-31");
  expect_rejected(harness.run("credits.allocate", allocate_payload(10, "2026-11-01", "2026-11-31")),
                  "invalid_period", "period_end is not a calendar date (YYYY-MM-DD): 2026-11-31");
  expect_rejected(harness.run("credits.allocate", allocate_payload(10, "2026-02-29", "2026-12-31")),
                  "invalid_period", "period_start is not a calendar date");
}

TEST(CreditsPeriods, APeriodNotHoldingNowIsRejectedInItsZone) {
  // 2026-12-31T20:00Z is already 2027-01-01 in Kolkata.
  Harness harness(at("2026-12-31T20:00:00Z"));
  expect_rejected(harness.run("credits.allocate",
                              allocate_payload(10, "2026-12-01", "2026-12-31", "Asia/Kolkata")),
                  "invalid_period",
                  "2026-12-01 to 2026-12-31 in Asia/Kolkata, [2026-11-30T18:30:00.000Z, "
                  "2026-12-31T18:30:00.000Z) does not contain now, 2026-12-31T20:00:00.000Z");
  EXPECT_TRUE(harness.run("credits.allocate", allocate_payload(10, "2026-12-01", "2026-12-31"))
                  .accepted());  // still December in UTC
  expect_rejected(harness.run("credits.allocate",
                              allocate_payload(10, "2027-01-02", "2027-01-31", "Asia/Kolkata")),
                  "invalid_period", "does not contain now");
}

TEST(CreditsPeriods, APeriodStartingBeforeTheCurrentOneIsRejected) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  ASSERT_TRUE(
      harness.run("credits.allocate", allocate_payload(10, "2026-12-05", "2027-01-04")).accepted());
  expect_rejected(harness.run("credits.allocate", allocate_payload(10, "2026-12-01", "2026-12-31")),
                  "invalid_period", "starts before the current period, 2026-12-05 to 2027-01-04");
}

TEST(CreditsPeriods, DatesBeyondTheRepresentableRangeAreRejected) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  expect_rejected(harness.run("credits.allocate", allocate_payload(10, "2026-12-01", "9999-12-31")),
                  "invalid_period", "from 1970-01-02 to 9999-12-30");
  expect_rejected(harness.run("credits.allocate", allocate_payload(10, "1970-01-01", "2026-12-31")),
                  "invalid_period", "from 1970-01-02 to 9999-12-30");
}

// ---- RFC 3339, deprecated ----------------------------------------------------

TEST(CreditsPeriods, Rfc3339LocalMidnightsReadAsTheirDates) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  const Decision decision = harness.run(
      "credits.allocate", allocate_payload(10, "2026-12-01T00:00:00+05:30",
                                           "2027-01-01T00:00:00+05:30", "Asia/Kolkata"));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  const NewEvent& allocated = decision.events().back();
  EXPECT_EQ(period_of(allocated), "2026-12-01..2026-12-31 2026-12-31T18:30:00.000Z");
  EXPECT_EQ(text(allocated, "series"), "calendar");
  // The same instants written in UTC.
  Harness utc_written(at("2026-12-10T12:00:00Z"));
  const Decision same = utc_written.run(
      "credits.allocate",
      allocate_payload(10, "2026-11-30T18:30:00Z", "2026-12-31T18:30:00Z", "Asia/Kolkata"));
  ASSERT_TRUE(same.accepted());
  EXPECT_EQ(same.events().back().payload_json, allocated.payload_json);
  // And it renews as the next calendar month, like dates.
  EXPECT_EQ(renewals(harness, 1), std::vector<std::string>{"2027-01-01..2027-01-31"});
}

TEST(CreditsPeriods, Rfc3339InstantsThatAreNotMidnightsKeepV1sPeriodExactly) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  const Decision decision = harness.run(
      "credits.allocate", allocate_payload(10, "2026-11-01T10:00:00Z", "2026-12-01T10:00:00Z"));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  const NewEvent& allocated = decision.events().back();
  EXPECT_EQ(text(allocated, "series"), "instants");
  EXPECT_EQ(text(allocated, "period_starts_at"), "2026-11-01T10:00:00.000Z");
  EXPECT_EQ(text(allocated, "next_reset_at"), "2026-12-01T10:00:00.000Z");
  // Its dates: those of its first and of its last millisecond.
  EXPECT_EQ(text(allocated, "period_start"), "2026-11-01");
  EXPECT_EQ(text(allocated, "period_end"), "2026-12-01");
  // Renewed as v1 did: whole months from the anchor instant.
  harness.set_now(at("2026-12-01T10:00:00Z"));
  std::vector<NewEvent> fired = harness.tick();
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(text(fired.back(), "period_starts_at"), "2026-12-01T10:00:00.000Z");
  EXPECT_EQ(text(fired.back(), "next_reset_at"), "2027-01-01T10:00:00.000Z");
  EXPECT_EQ(text(fired.back(), "period_start"), "2026-12-01");
  EXPECT_EQ(text(fired.back(), "period_end"), "2027-01-01");
  EXPECT_EQ(text(fired.back(), "series"), "instants");
}

TEST(CreditsPeriods, Rfc3339PeriodsOfOtherLengthsKeepTheirLengthInMilliseconds) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(10, "2026-11-10T06:00:00Z", "2026-11-20T18:00:00.5Z"))
                  .accepted());
  harness.set_now(at("2026-11-20T18:00:00.500Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(text(fired.back(), "period_starts_at"), "2026-11-20T18:00:00.500Z");
  EXPECT_EQ(text(fired.back(), "next_reset_at"), "2026-12-01T06:00:01.000Z");
}

TEST(CreditsPeriods, Rfc3339InstantsInAZoneHaveItsLocalDates) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  const Decision decision = harness.run(
      "credits.allocate",
      allocate_payload(10, "2026-11-01T20:00:00Z", "2026-12-01T20:00:00Z", "Asia/Kolkata"));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  // 20:00Z is 01:30 the next day in Kolkata.
  EXPECT_EQ(period_of(decision.events().back()), "2026-11-02..2026-12-02 2026-12-01T20:00:00.000Z");
  EXPECT_EQ(text(decision.events().back(), "series"), "instants");
}

// ---- calendar renewals -------------------------------------------------------

struct RenewalCase {
  const char* start;
  const char* end;
  std::vector<std::string> next;
};

const std::vector<RenewalCase>& renewal_cases() {
  static const std::vector<RenewalCase> cases = {
      // Month lengths and the year end.
      {"2026-12-01",
       "2026-12-31",
       {"2027-01-01..2027-01-31", "2027-02-01..2027-02-28", "2027-03-01..2027-03-31",
        "2027-04-01..2027-04-30"}},
      // A leap year's February.
      {"2024-01-01", "2024-01-31", {"2024-02-01..2024-02-29", "2024-03-01..2024-03-31"}},
      // The anchor day clamped: Jan 31, Feb 28, Mar 31, Apr 30.
      {"2025-01-31",
       "2025-02-27",
       {"2025-02-28..2025-03-30", "2025-03-31..2025-04-29", "2025-04-30..2025-05-30"}},
      // A leap day anchor.
      {"2024-02-29", "2024-03-28", {"2024-03-29..2024-04-28", "2024-04-29..2024-05-28"}},
      // Quarters, across a year end.
      {"2026-07-01",
       "2026-09-30",
       {"2026-10-01..2026-12-31", "2027-01-01..2027-03-31", "2027-04-01..2027-06-30"}},
      // The 15th to the 14th.
      {"2026-12-15",
       "2027-01-14",
       {"2027-01-15..2027-02-14", "2027-02-15..2027-03-14", "2027-03-15..2027-04-14"}},
      // A year from a leap day.
      {"2024-02-29", "2025-02-27", {"2025-02-28..2026-02-27"}},
      // Not whole months: the same number of days.
      {"2026-11-10", "2026-11-19", {"2026-11-20..2026-11-29", "2026-11-30..2026-12-09"}},
      {"2025-01-31", "2025-02-28", {"2025-03-01..2025-03-29"}},
  };
  return cases;
}

void expect_renewals(const char* time_zone) {
  for (const RenewalCase& test : renewal_cases()) {
    SCOPED_TRACE(std::string(test.start) + ".." + test.end + " in " + time_zone);
    const int64_t start_ms = zone(time_zone).start_of_day_ms(day(test.start));
    Harness harness(start_ms);
    const Decision decision =
        harness.run("credits.allocate", allocate_payload(100, test.start, test.end, time_zone));
    ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
    EXPECT_EQ(renewals(harness, static_cast<int>(test.next.size())), test.next);
    // Every next_reset_at is the start of the day after period_end there.
    EXPECT_EQ(harness.balance().next_reset_at_ms,
              zone(time_zone).start_of_day_ms(*harness.balance().period_end_day + 1));
  }
}

TEST(CreditsPeriods, RenewalsFollowTheCalendarInUtc) {
  expect_renewals("UTC");
}
TEST(CreditsPeriods, RenewalsFollowTheCalendarInKolkata) {
  expect_renewals("Asia/Kolkata");
}
TEST(CreditsPeriods, RenewalsFollowTheCalendarInNewYork) {
  expect_renewals("America/New_York");
}
TEST(CreditsPeriods, RenewalsFollowTheCalendarInLordHowe) {
  expect_renewals("Australia/Lord_Howe");  // +10:30, half an hour of DST
}

TEST(CreditsPeriods, ARenewalOntoADstChangeDayStartsAtThatDaysMidnight) {
  Harness harness(at("2027-02-20T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(100, "2027-02-14", "2027-03-13", "America/New_York"))
                  .accepted());
  // Daylight time starts on 2027-03-14 at 02:00: its midnight is still EST.
  EXPECT_EQ(harness.balance().next_reset_at_ms, at("2027-03-14T05:00:00Z"));
  harness.set_now(at("2027-03-14T05:00:00Z"));
  std::vector<NewEvent> fired = harness.tick();
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(period_of(fired.back()), "2027-03-14..2027-04-13 2027-04-14T04:00:00.000Z");
  EXPECT_EQ(text(fired.back(), "period_starts_at"), "2027-03-14T05:00:00.000Z");
  // And back: standard time returns on 2026-11-01 at 02:00.
  Harness autumn(at("2026-10-20T12:00:00Z"));
  ASSERT_TRUE(autumn
                  .run("credits.allocate",
                       allocate_payload(100, "2026-10-01", "2026-10-31", "America/New_York"))
                  .accepted());
  EXPECT_EQ(autumn.balance().next_reset_at_ms, at("2026-11-01T04:00:00Z"));
  autumn.set_now(at("2026-11-01T04:00:00Z"));
  fired = autumn.tick();
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(period_of(fired.back()), "2026-11-01..2026-11-30 2026-12-01T05:00:00.000Z");
}

TEST(CreditsPeriods, ADayWhoseMidnightIsSkippedStartsAfterTheGap) {
  // Chile's daylight time starts at 24:00 on 2026-09-05: 2026-09-06 begins at 01:00.
  Harness harness(at("2026-08-20T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(100, "2026-08-06", "2026-09-05", "America/Santiago"))
                  .accepted());
  EXPECT_EQ(harness.balance().next_reset_at_ms, at("2026-09-06T04:00:00Z"));
  harness.set_now(at("2026-09-06T04:00:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(period_of(fired.back()), "2026-09-06..2026-10-05 2026-10-06T03:00:00.000Z");
}

TEST(CreditsPeriods, MissedRenewalsInAZoneAreCaughtUpInOrder) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(100, "2026-12-01", "2026-12-31", "Asia/Kolkata"))
                  .accepted());
  harness.set_now(at("2027-03-15T00:00:00Z"));
  std::vector<std::string> periods;
  for (const NewEvent& event : harness.tick()) {
    if (event.type == "credits.allocated") periods.push_back(period_of(event));
  }
  EXPECT_EQ(periods, (std::vector<std::string>{
                         "2027-01-01..2027-01-31 2027-01-31T18:30:00.000Z",
                         "2027-02-01..2027-02-28 2027-02-28T18:30:00.000Z",
                         "2027-03-01..2027-03-31 2027-03-31T18:30:00.000Z",
                     }));
}

TEST(CreditsPeriods, ARenewalWhoseZoneIsNoLongerKnownKeepsItsOffset) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(100, "2026-12-01", "2026-12-31", "Asia/Kolkata"))
                  .accepted());
  const TimeZoneDb empty("/nonexistent-zoneinfo");
  harness.set_time_zones(&empty);
  harness.set_now(at("2026-12-31T18:30:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(period_of(fired.back()), "2027-01-01..2027-01-31 2027-01-31T18:30:00.000Z");
  EXPECT_EQ(text(fired.back(), "timezone"), "Asia/Kolkata");
  // A new allocation must name a zone the engine knows.
  expect_rejected(harness.run("credits.allocate", allocate_payload(1, "2027-01-01", "2027-01-31")),
                  "invalid_timezone", "the tenant's billing time zone, Asia/Kolkata");
}

// ---- top-ups -----------------------------------------------------------------

TEST(CreditsPeriods, TopupsExpireAtTheEndOfTheBillingMonth) {
  Harness harness(at("2026-12-10T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(100, "2026-12-01", "2026-12-31", "Asia/Kolkata"))
                  .accepted());
  const Decision topup = harness.run("credits.topup", topup_payload("ord-1", 50));
  ASSERT_TRUE(topup.accepted());
  EXPECT_EQ(text(topup.events().back(), "expires_at"), "2026-12-31T18:30:00.000Z");
  harness.set_now(at("2026-12-31T18:30:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(fired.size(), 3u);  // the top-up, the month's lot, the renewal
  EXPECT_EQ(text(fired[0], "reason"), "topup_expired");
  EXPECT_EQ(harness.balance().credits_topup, 0);
  // After the renewal the default is the new month's end.
  const Decision next = harness.run("credits.topup", topup_payload("ord-2", 50));
  EXPECT_EQ(text(next.events().back(), "expires_at"), "2027-01-31T18:30:00.000Z");
}

// ---- period arithmetic -------------------------------------------------------

TEST(CreditsPeriods, PeriodDayBoundsAreTheNamedDates) {
  EXPECT_EQ(kPeriodDayMin, day("1970-01-02"));
  EXPECT_EQ(kPeriodDayMax, day("9999-12-30"));
  EXPECT_EQ(add_months_days(day("2025-01-31"), 1), day("2025-02-28"));
  EXPECT_EQ(add_months_days(day("2024-01-31"), 1), day("2024-02-29"));
  EXPECT_EQ(add_months_days(day("2026-12-01"), 1), day("2027-01-01"));
  EXPECT_EQ(add_months_days(day("2026-12-15"), 14), day("2028-02-15"));
}

TEST(CreditsPeriods, SpansThatCannotBePeriodsAreNamed) {
  const PeriodSpan good{day("2026-12-01"),          day("2026-12-31"), at("2026-11-30T18:30:00Z"),
                        at("2026-12-31T18:30:00Z"), "Asia/Kolkata",    PeriodSeries::calendar};
  EXPECT_EQ(span_violation(good), std::nullopt);
  PeriodSpan reversed = good;
  reversed.end_day = day("2026-11-30");
  EXPECT_EQ(span_violation(reversed), "period ends before it starts");
  PeriodSpan far = good;
  far.end_ms = at("2027-01-05T00:00:00Z");
  EXPECT_EQ(span_violation(far), "period instants far from its dates");
  PeriodSpan not_utc_midnight = good;
  not_utc_midnight.time_zone = "UTC";
  EXPECT_EQ(span_violation(not_utc_midnight), "period instants are not its UTC dates");
  PeriodSpan no_zone = good;
  no_zone.time_zone = "";
  EXPECT_EQ(span_violation(no_zone), "period time zone name");
}

TEST(CreditsPeriods, ARenewalIsTheNextOfItsSeriesOnly) {
  const Period december =
      start_period(PeriodSpan{day("2026-12-01"), day("2026-12-31"), at("2026-11-30T18:30:00Z"),
                              at("2026-12-31T18:30:00Z"), "Asia/Kolkata", PeriodSeries::calendar});
  EXPECT_EQ(december.length_months, 1);
  const PeriodSpan january = next_span(december, LocalCalendar(zone("Asia/Kolkata")));
  EXPECT_TRUE(follows_in_series(december, january));
  PeriodSpan wrong_dates = january;
  wrong_dates.end_day += 1;
  EXPECT_FALSE(follows_in_series(december, wrong_dates));
  PeriodSpan gap = january;
  gap.start_ms += 1;
  EXPECT_FALSE(follows_in_series(december, gap));
  PeriodSpan other_zone = january;
  other_zone.time_zone = "Asia/Calcutta";
  EXPECT_FALSE(follows_in_series(december, other_zone));
  // The next_reset_at of a calendar renewal is the zone's to say, not the series'.
  PeriodSpan other_end = january;
  other_end.end_ms += kMillisPerHour;
  EXPECT_TRUE(follows_in_series(december, other_end));
  EXPECT_EQ(renewed(december, january).end_months_from_anchor, 2);
}

}  // namespace
}  // namespace lf::engine::credits::testing
