// Timers: reservation deadlines, top-up expiry that never breaks a hold,
// lapsing lots, period end with renewal, catching up missed periods, order.
#include <gtest/gtest.h>

#include "engine/credits/period.hpp"
#include "tests/unit/credits/harness.hpp"

namespace lf::engine::credits::testing {
namespace {

std::string text(const NewEvent& event, const char* name) {
  return std::string(json_string(*payload_of(event), name).value_or("(absent)"));
}
int64_t integer(const NewEvent& event, const char* name) {
  return json_int64(*payload_of(event), name).value_or(-1);
}

// "type reason" for each event, to compare sequences at a glance.
std::vector<std::string> summary(const std::vector<NewEvent>& events) {
  std::vector<std::string> lines;
  for (const NewEvent& event : events) {
    const std::string reason = text(event, "reason");
    lines.push_back(event.type + (reason == "(absent)" ? "" : " " + reason));
  }
  return lines;
}

TEST(Credits, NothingDueBeforeItsTime) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  EXPECT_FALSE(next_due_ms(harness.state()).has_value());
  EXPECT_TRUE(harness.tick().empty());
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(1000, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"))
                  .accepted());
  EXPECT_EQ(next_due_ms(harness.state()), at("2026-12-01T00:00:00Z"));
  harness.set_now(at("2026-11-30T23:59:59.999Z"));
  EXPECT_TRUE(harness.tick().empty());
}

TEST(Credits, ReservationDeadlineReleasesWithReasonExpired) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(1000, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  ASSERT_TRUE(
      harness.run("credits.reserve", reserve_payload("r1", 300, ",\"activity_run_id\":\"run-1\""))
          .accepted());
  ASSERT_TRUE(harness
                  .run("credits.reserve",
                       reserve_payload("r2", 200, ",\"expires_at\":\"2026-11-10T12:30:00Z\""))
                  .accepted());
  EXPECT_EQ(next_due_ms(harness.state()), at("2026-11-10T12:30:00Z"));
  harness.set_now(at("2026-11-10T13:00:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(summary(fired),
            (std::vector<std::string>{"credits.released expired", "credits.released expired"}));
  EXPECT_EQ(text(fired[0], "reservation_id"), "r2");  // in the order they fell due
  EXPECT_EQ(text(fired[1], "reservation_id"), "r1");
  EXPECT_EQ(text(fired[1], "activity_run_id"), "run-1");
  EXPECT_EQ(harness.balance().credits_reserved, 0);
  EXPECT_EQ(harness.balance().effective_available, 1000);
  EXPECT_TRUE(harness.state().recently_closed.contains("r1"));
  EXPECT_EQ(harness.run("credits.consume", consume_payload("r1", 1)).rejection().reason,
            "reservation_closed");
  EXPECT_EQ(harness.ledger_sum(), 1000);
}

TEST(Credits, TopupExpiryLapsesWhatIsNotHeld) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(0, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  harness.run("credits.topup",
              topup_payload("t1", 500, ",\"expires_at\":\"2026-11-10T12:10:00Z\""));
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 400)).accepted());
  harness.set_now(at("2026-11-10T12:10:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(summary(fired), std::vector<std::string>{"credits.expired topup_expired"});
  EXPECT_EQ(integer(fired[0], "credits"), 100);
  EXPECT_EQ(text(fired[0], "lot"), "topup:t1");
  EXPECT_EQ(text(fired[0], "topup_order_id"), "t1");
  auto payload = payload_of(fired[0]);
  const rapidjson::Value* held = json_member(*payload, "held_over");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(json_string(*held, "lot"), "lapsing:1");
  EXPECT_EQ(json_int64(*held, "credits"), 400);
  Balance balance = harness.balance();
  EXPECT_EQ(balance.credits_available, 400);
  EXPECT_EQ(balance.credits_topup, 400);  // a lapsing top-up lot still counts as top-up
  EXPECT_EQ(balance.effective_available, 0);
  EXPECT_TRUE(harness.tick().empty());  // nothing of it is free to lapse yet

  // The run uses 150 of its 400: drawn from the lapsing lot first, and the
  // 250 no longer held lapse at the next firing.
  harness.set_now(at("2026-11-10T12:20:00Z"));
  const Decision consumed = harness.run("credits.consume", consume_payload("r1", 150));
  ASSERT_TRUE(consumed.accepted());
  EXPECT_EQ(consumed.events()[1].payload_json.find(
                "\"drawn\":[{\"lot\":\"lapsing:1\",\"credits\":150}]") != std::string::npos,
            true)
      << consumed.events()[1].payload_json;
  EXPECT_EQ(next_due_ms(harness.state()), at("2026-11-10T12:10:00Z"));
  const std::vector<NewEvent> lapsed = harness.tick();
  ASSERT_EQ(summary(lapsed), std::vector<std::string>{"credits.expired lapsing"});
  EXPECT_EQ(integer(lapsed[0], "credits"), 250);
  EXPECT_EQ(text(lapsed[0], "lot"), "lapsing:1");
  EXPECT_EQ(text(lapsed[0], "topup_order_id"), "t1");
  balance = harness.balance();
  EXPECT_EQ(balance.credits_available, 0);
  EXPECT_EQ(balance.credits_topup, 0);
  EXPECT_EQ(balance.effective_available, 0);
  EXPECT_TRUE(harness.state().book.lapsing_lots.empty());
  EXPECT_EQ(harness.ledger_sum(), 0);
}

TEST(Credits, TopupExpiryWithEverythingHeldLapsesNothingYet) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.topup",
              topup_payload("t1", 300, ",\"expires_at\":\"2026-11-10T12:10:00Z\""));
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 300)).accepted());
  harness.set_now(at("2026-11-10T12:10:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(summary(fired), std::vector<std::string>{"credits.expired topup_expired"});
  EXPECT_EQ(integer(fired[0], "credits"), 0);
  EXPECT_EQ(harness.balance().credits_available, 300);
  // Released in full: all of it lapses.
  ASSERT_TRUE(harness.run("credits.release", release_payload("r1")).accepted());
  const std::vector<NewEvent> lapsed = harness.tick();
  ASSERT_EQ(summary(lapsed), std::vector<std::string>{"credits.expired lapsing"});
  EXPECT_EQ(integer(lapsed[0], "credits"), 300);
  EXPECT_EQ(harness.balance().credits_available, 0);
  EXPECT_EQ(harness.ledger_sum(), 0);
}

TEST(Credits, PeriodEndLapsesAndRenewsWholeMonth) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(1000, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r2", 100)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r2", 100)).accepted());
  harness.set_now(at("2026-12-01T00:00:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(summary(fired),
            (std::vector<std::string>{"credits.expired period_end", "credits.allocated renewal"}));
  EXPECT_EQ(integer(fired[0], "credits"), 900);
  EXPECT_EQ(text(fired[0], "lot"), "monthly");
  EXPECT_EQ(integer(fired[1], "credits"), 1000);
  EXPECT_EQ(integer(fired[1], "carried_over"), 0);
  EXPECT_EQ(text(fired[1], "period_start"), "2026-12-01");
  EXPECT_EQ(text(fired[1], "period_end"), "2026-12-31");
  EXPECT_EQ(text(fired[1], "period_starts_at"), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(text(fired[1], "next_reset_at"), "2027-01-01T00:00:00.000Z");
  const Balance balance = harness.balance();
  EXPECT_EQ(balance.credits_available, 1000);
  EXPECT_EQ(balance.credits_consumed, 0);  // a new period
  EXPECT_EQ(balance.period_start_day, day("2026-12-01"));
  EXPECT_EQ(balance.period_end_day, day("2026-12-31"));
  EXPECT_EQ(balance.next_reset_at_ms, at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(next_due_ms(harness.state()), at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(harness.ledger_sum(), 1000);
}

TEST(Credits, PeriodEndKeepsHeldCreditsUntilSomethingElseCoversTheHold) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(0, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  harness.run("credits.adjust", amount_payload(1000), "admin:ops");
  ASSERT_TRUE(harness
                  .run("credits.reserve",
                       reserve_payload("r1", 200, ",\"expires_at\":\"2026-12-05T00:00:00Z\""))
                  .accepted());
  // The plan allocates nothing: the 200 held stay, as a lapsing lot.
  harness.set_now(at("2026-12-01T00:00:00Z"));
  std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(summary(fired),
            (std::vector<std::string>{"credits.expired period_end", "credits.allocated renewal"}));
  EXPECT_EQ(integer(fired[0], "credits"), 800);
  EXPECT_EQ(text(fired[1], "held_over"), "(absent)");  // an object, not a string
  EXPECT_NE(fired[1].payload_json.find("\"held_over\":{\"lot\":\"lapsing:1\",\"credits\":200}"),
            std::string::npos);
  EXPECT_EQ(harness.balance().credits_available, 200);
  EXPECT_EQ(harness.balance().effective_available, 0);
  // New credits cover the hold: the held-over credits lapse at once.
  ASSERT_TRUE(harness.run("credits.topup", topup_payload("t1", 500)).accepted());
  fired = harness.tick();
  ASSERT_EQ(summary(fired), std::vector<std::string>{"credits.expired lapsing"});
  EXPECT_EQ(integer(fired[0], "credits"), 200);
  EXPECT_EQ(text(fired[0], "lot"), "lapsing:1");
  EXPECT_EQ(text(fired[0], "topup_order_id"), "(absent)");
  EXPECT_EQ(harness.balance().credits_available, 500);
  EXPECT_EQ(harness.balance().credits_reserved, 200);
  EXPECT_EQ(harness.balance().effective_available, 300);
  EXPECT_EQ(harness.ledger_sum(), 300);
}

TEST(Credits, PeriodEndWithHoldsAndANewAllocationLapsesTheWholeEndedLot) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(1000, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.reserve",
                       reserve_payload("r1", 200, ",\"expires_at\":\"2026-12-05T00:00:00Z\""))
                  .accepted());
  harness.set_now(at("2026-12-01T00:00:00Z"));
  // 800 lapse at the period end, the 200 held lapse once the new lot covers the hold.
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(summary(fired),
            (std::vector<std::string>{"credits.expired period_end", "credits.allocated renewal",
                                      "credits.expired lapsing"}));
  EXPECT_EQ(integer(fired[0], "credits"), 800);
  EXPECT_EQ(integer(fired[2], "credits"), 200);
  EXPECT_EQ(harness.balance().credits_available, 1000);
  EXPECT_EQ(harness.balance().credits_reserved, 200);
  EXPECT_EQ(harness.balance().effective_available, 800);
  harness.set_now(at("2026-12-05T00:00:00Z"));
  EXPECT_EQ(summary(harness.tick()), std::vector<std::string>{"credits.released expired"});
  EXPECT_EQ(harness.balance().effective_available, 1000);
  EXPECT_EQ(harness.ledger_sum(), 1000);
}

// RFC 3339 instants that are not midnights keep v1's series of instants.
TEST(Credits, PeriodRenewalKeepsTheAnchorDayClamped) {
  Harness harness(at("2025-02-10T08:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(10, "2025-01-31T06:00:00Z", "2025-02-28T06:00:00Z"))
                  .accepted());
  std::vector<std::string> ends;
  for (const char* now : {"2025-02-28T06:00:00Z", "2025-03-31T06:00:00Z", "2025-04-30T06:00:00Z"}) {
    harness.set_now(at(now));
    const std::vector<NewEvent> fired = harness.tick();
    ASSERT_EQ(fired.back().type, "credits.allocated");
    EXPECT_EQ(text(fired.back(), "series"), "instants");
    EXPECT_EQ(text(fired.back(), "period_starts_at"), format_rfc3339_ms(at(now)));
    EXPECT_EQ(text(fired.back(), "period_start"), std::string(now).substr(0, 10));
    ends.push_back(text(fired.back(), "next_reset_at"));
  }
  EXPECT_EQ(ends, (std::vector<std::string>{"2025-03-31T06:00:00.000Z", "2025-04-30T06:00:00.000Z",
                                            "2025-05-31T06:00:00.000Z"}));
}

TEST(Credits, PeriodRenewalOfSeveralMonthsAndLeapDay) {
  Harness harness(at("2023-12-01T00:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(10, "2023-11-29T00:00:00Z", "2024-02-29T00:00:00Z"))
                  .accepted());
  harness.set_now(at("2024-02-29T00:00:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  EXPECT_EQ(text(fired.back(), "period_start"), "2024-02-29");
  EXPECT_EQ(text(fired.back(), "period_end"), "2024-05-28");  // 3 months from the anchor
  EXPECT_EQ(text(fired.back(), "next_reset_at"), "2024-05-29T00:00:00.000Z");
}

TEST(Credits, PeriodRenewalOfOtherLengthsKeepsTheLength) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  ASSERT_TRUE(harness
                  .run("credits.allocate",
                       allocate_payload(10, "2026-11-10T00:00:00Z", "2026-11-20T00:00:00Z"))
                  .accepted());
  harness.set_now(at("2026-11-20T00:00:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  EXPECT_EQ(text(fired.back(), "period_start"), "2026-11-20");
  EXPECT_EQ(text(fired.back(), "period_end"), "2026-11-29");
  EXPECT_EQ(text(fired.back(), "next_reset_at"), "2026-11-30T00:00:00.000Z");
}

TEST(Credits, SeveralMissedPeriodsAreCaughtUpInOrder) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(1000, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  harness.set_now(at("2027-03-15T00:00:00Z"));
  const std::vector<NewEvent> fired = harness.tick();
  std::vector<std::string> starts;
  for (const NewEvent& event : fired) {
    if (event.type == "credits.allocated") starts.push_back(text(event, "period_start"));
  }
  EXPECT_EQ(starts,
            (std::vector<std::string>{"2026-12-01", "2027-01-01", "2027-02-01", "2027-03-01"}));
  EXPECT_EQ(fired.size(), 8u);  // each ended lot lapsed its 1,000 first
  EXPECT_EQ(harness.balance().credits_available, 1000);
  EXPECT_EQ(harness.balance().period_end_day, day("2027-03-31"));
  EXPECT_EQ(harness.balance().next_reset_at_ms, at("2027-04-01T00:00:00Z"));
  EXPECT_TRUE(harness.tick().empty());
  EXPECT_EQ(harness.ledger_sum(), 1000);
}

TEST(Credits, AtMost120PeriodsAreCaughtUpInOneFiring) {
  Harness harness(at("2026-01-01T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(0, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"));
  harness.set_now(at("2026-06-01T00:00:00Z"));  // 151 daily periods later
  const std::vector<NewEvent> first = harness.tick();
  EXPECT_EQ(first.size(), 120u);  // nothing to lapse: allocations only
  EXPECT_EQ(harness.balance().period_start_day, day("2026-05-01"));
  const std::vector<NewEvent> second = harness.tick();
  EXPECT_EQ(second.size(), 31u);
  EXPECT_EQ(harness.balance().period_start_day, day("2026-06-01"));
  EXPECT_TRUE(harness.tick().empty());
}

TEST(Credits, TiesFireReservationsThenLotsThenPeriodEnd) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(1000, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  harness.run("credits.topup", topup_payload("t1", 50));  // expires at the period end
  ASSERT_TRUE(harness
                  .run("credits.reserve",
                       reserve_payload("r1", 100, ",\"expires_at\":\"2026-12-01T00:00:00Z\""))
                  .accepted());
  harness.set_now(at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(summary(harness.tick()),
            (std::vector<std::string>{"credits.released expired", "credits.expired topup_expired",
                                      "credits.expired period_end", "credits.allocated renewal"}));
  EXPECT_EQ(harness.balance().credits_available, 1000);
  EXPECT_EQ(harness.ledger_sum(), 1000);
}

TEST(Credits, ManyExpiriesAreSpreadOverFirings) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.allocate",
              allocate_payload(1000, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(
        harness.run("credits.reserve", reserve_payload("r" + std::to_string(i), 1)).accepted());
  }
  harness.set_now(at("2026-11-10T14:00:00Z"));
  EXPECT_EQ(harness.tick().size(), 256u);
  EXPECT_EQ(harness.tick().size(), 44u);
  EXPECT_TRUE(harness.tick().empty());
  EXPECT_EQ(harness.balance().credits_reserved, 0);
}

TEST(Credits, NoRenewalPastTheLastRepresentableInstant) {
  const Period calendar =
      start_period(PeriodSpan{day("9999-11-01"), day("9999-11-30"), at("9999-11-01T00:00:00Z"),
                              at("9999-12-01T00:00:00Z"), "UTC", PeriodSeries::calendar});
  EXPECT_EQ(calendar.length_months, 1);
  EXPECT_FALSE(renewable(calendar));  // it would end on 9999-12-31
  const Period instants =
      start_period(PeriodSpan{day("9999-11-01"), day("9999-11-30"), at("9999-11-01T00:00:00Z"),
                              at("9999-12-01T00:00:00Z"), "UTC", PeriodSeries::instants});
  EXPECT_EQ(instants.length_months, 1);
  EXPECT_FALSE(renewable(instants));
}

}  // namespace
}  // namespace lf::engine::credits::testing
