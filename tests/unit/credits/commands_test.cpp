// Every credits command: its success path and each rejection reason of
// docs/domains/credits.md "Commands".
#include <gtest/gtest.h>

#include "tests/unit/credits/harness.hpp"

namespace lf::engine::credits::testing {
namespace {

constexpr const char* kStart = "2026-11-01T00:00:00Z";
constexpr const char* kEnd = "2026-12-01T00:00:00Z";

Harness allocated(int64_t monthly = 1000) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  EXPECT_TRUE(harness.run("credits.allocate", allocate_payload(monthly, kStart, kEnd)).accepted());
  return harness;
}

std::vector<std::pair<std::string, int64_t>> drawn_of(const rapidjson::Value& payload) {
  std::vector<std::pair<std::string, int64_t>> drawn;
  const rapidjson::Value* array = json_member(payload, "drawn");
  if (array == nullptr) return drawn;
  for (const rapidjson::Value& item : array->GetArray())
    drawn.emplace_back(text(item, "lot"), integer(item, "credits"));
  return drawn;
}

void expect_ledger_consistent(const Harness& harness) {
  EXPECT_EQ(harness.ledger_sum(), harness.balance().effective_available);
  EXPECT_GE(harness.balance().effective_available, 0);
}

// ---- allocate -----------------------------------------------------------------

TEST(Credits, AllocateStartsPeriodWithMonthlyLot) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  const Decision decision = harness.run("credits.allocate", allocate_payload(1000, kStart, kEnd));
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(types(decision), std::vector<std::string>{"credits.allocated"});
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(integer(*payload, "credits"), 1000);
  EXPECT_EQ(integer(*payload, "credits_monthly"), 1000);
  EXPECT_EQ(text(*payload, "reason"), "allocate");
  EXPECT_EQ(integer(*payload, "carried_over"), 0);
  // Deprecated RFC 3339 midnights (UTC, the default zone) read as dates.
  EXPECT_EQ(text(*payload, "period_start"), "2026-11-01");
  EXPECT_EQ(text(*payload, "period_end"), "2026-11-30");
  EXPECT_EQ(text(*payload, "timezone"), "UTC");
  EXPECT_EQ(text(*payload, "period_starts_at"), "2026-11-01T00:00:00.000Z");
  EXPECT_EQ(text(*payload, "next_reset_at"), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(text(*payload, "series"), "calendar");
  const Balance balance = harness.balance();
  EXPECT_EQ(balance.credits_monthly, 1000);
  EXPECT_EQ(balance.credits_available, 1000);
  EXPECT_EQ(balance.effective_available, 1000);
  EXPECT_EQ(balance.period_start_day, day("2026-11-01"));
  EXPECT_EQ(balance.period_end_day, day("2026-11-30"));
  EXPECT_EQ(balance.next_reset_at_ms, at(kEnd));
  EXPECT_EQ(harness.applied()[0].event.stream, "credits/" + std::string(kTenant));
  expect_ledger_consistent(harness);
}

TEST(Credits, AllocateRejectedWhenPeriodEndNotAfterStart) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  expect_rejected(harness.run("credits.allocate", allocate_payload(1000, kEnd, kStart)),
                  "invalid_period");
  expect_rejected(harness.run("credits.allocate", allocate_payload(1000, kStart, kStart)),
                  "invalid_period");
}

TEST(Credits, AllocateRejectedWhenNowOutsidePeriod) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  expect_rejected(harness.run("credits.allocate", allocate_payload(1000, "2026-11-11T00:00:00Z",
                                                                   "2026-12-11T00:00:00Z")),
                  "invalid_period");
  expect_rejected(harness.run("credits.allocate", allocate_payload(1000, "2026-10-01T00:00:00Z",
                                                                   "2026-11-10T12:00:00Z")),
                  "invalid_period");  // the end is exclusive
  EXPECT_TRUE(harness.run("credits.allocate", allocate_payload(1000, "2026-11-10T12:00:00Z", kEnd))
                  .accepted());
}

TEST(Credits, AllocateRejectedWhenStartBeforeCurrentPeriodStart) {
  Harness harness = allocated();
  expect_rejected(
      harness.run("credits.allocate", allocate_payload(500, "2026-10-15T00:00:00Z", kEnd)),
      "invalid_period");
  EXPECT_TRUE(harness.run("credits.allocate", allocate_payload(500, kStart, kEnd)).accepted());
}

TEST(Credits, AllocateRejectedWhenTimestampIsNoInstant) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  // The schema's pattern admits these; the calendar does not.
  expect_rejected(
      harness.run("credits.allocate", allocate_payload(1000, "2026-13-01T00:00:00Z", kEnd)),
      "invalid_period");
  expect_rejected(
      harness.run("credits.allocate", allocate_payload(1000, kStart, "2026-11-31T00:00:00Z")),
      "invalid_period");
}

TEST(Credits, AllocateWhilePeriodRunsEndsIt) {
  Harness harness = allocated(1000);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 300)).accepted());
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r2", 100)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r2", 100)).accepted());
  const Decision decision =
      harness.run("credits.allocate", allocate_payload(0, "2026-11-10T00:00:00Z", kEnd));
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(types(decision), (std::vector<std::string>{"credits.expired", "credits.allocated"}));
  auto expired = payload_of(decision.events()[0]);
  EXPECT_EQ(integer(*expired, "credits"), 600);  // the unheld part lapses
  EXPECT_EQ(text(*expired, "reason"), "period_end");
  EXPECT_EQ(text(*expired, "lot"), "monthly");
  auto allocated_payload = payload_of(decision.events()[1]);
  EXPECT_EQ(integer(*allocated_payload, "credits"), 0);
  EXPECT_EQ(text(*allocated_payload, "reason"), "allocate");
  const rapidjson::Value* held = json_member(*allocated_payload, "held_over");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(text(*held, "lot"), "lapsing:1");
  EXPECT_EQ(integer(*held, "credits"), 300);
  Balance balance = harness.balance();
  EXPECT_EQ(balance.credits_available, 300);
  EXPECT_EQ(balance.credits_reserved, 300);
  EXPECT_EQ(balance.effective_available, 0);
  EXPECT_EQ(balance.credits_consumed, 0);  // reset by the allocation
  EXPECT_EQ(balance.period_start_day, day("2026-11-10"));
  EXPECT_TRUE(harness.tick().empty());  // all of it is held
  // The hold ends: the held-over credits lapse.
  ASSERT_TRUE(harness.run("credits.release", release_payload("r1")).accepted());
  EXPECT_EQ(harness.balance().effective_available, 300);
  const std::vector<NewEvent> fired = harness.tick();
  ASSERT_EQ(fired.size(), 1u);
  auto lapse = payload_of(fired[0]);
  EXPECT_EQ(text(*lapse, "reason"), "lapsing");
  EXPECT_EQ(text(*lapse, "lot"), "lapsing:1");
  EXPECT_EQ(integer(*lapse, "credits"), 300);
  EXPECT_EQ(harness.balance().effective_available, 0);
  EXPECT_TRUE(harness.tick().empty());
  expect_ledger_consistent(harness);
}

TEST(Credits, AllocateCarriesCreditsHadBeforeFirstAllocation) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  ASSERT_TRUE(harness.run("credits.adjust", amount_payload(50), "admin:ops").accepted());
  EXPECT_EQ(harness.balance().effective_available, 50);
  EXPECT_FALSE(next_due_ms(harness.state()).has_value());  // no expiry before an allocation
  const Decision decision = harness.run("credits.allocate", allocate_payload(1000, kStart, kEnd));
  ASSERT_EQ(types(decision), std::vector<std::string>{"credits.allocated"});
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(integer(*payload, "credits"), 1000);
  EXPECT_EQ(integer(*payload, "carried_over"), 50);
  EXPECT_EQ(harness.balance().credits_available, 1050);
  expect_ledger_consistent(harness);
}

// ---- topup --------------------------------------------------------------------

TEST(Credits, TopupAddsLotExpiringAtPeriodEnd) {
  Harness harness = allocated();
  const Decision decision =
      harness.run("credits.topup", topup_payload("ord-1", 250), "user:billing");
  ASSERT_EQ(types(decision), std::vector<std::string>{"credits.topped_up"});
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(text(*payload, "topup_order_id"), "ord-1");
  EXPECT_EQ(integer(*payload, "credits"), 250);
  EXPECT_EQ(text(*payload, "expires_at"), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(harness.balance().credits_topup, 250);
  EXPECT_EQ(harness.balance().credits_available, 1250);
  expect_ledger_consistent(harness);
}

TEST(Credits, TopupWithExplicitExpiry) {
  Harness harness = allocated();
  const Decision decision =
      harness.run("credits.topup",
                  topup_payload("ord-1", 250, ",\"expires_at\":\"2027-03-01T00:00:00+02:00\""));
  ASSERT_TRUE(decision.accepted());
  EXPECT_EQ(text(*payload_of(decision.events()[0]), "expires_at"), "2027-02-28T22:00:00.000Z");
}

TEST(Credits, TopupWithoutAllocationNeverExpires) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  const Decision decision = harness.run("credits.topup", topup_payload("ord-1", 250));
  ASSERT_TRUE(decision.accepted());
  EXPECT_EQ(json_member(*payload_of(decision.events()[0]), "expires_at"), nullptr);
  EXPECT_FALSE(next_due_ms(harness.state()).has_value());
  EXPECT_EQ(harness.balance().credits_topup, 250);
}

TEST(Credits, TopupRejectedForDuplicateOrder) {
  Harness harness = allocated();
  ASSERT_TRUE(harness.run("credits.topup", topup_payload("ord-1", 250)).accepted());
  expect_rejected(harness.run("credits.topup", topup_payload("ord-1", 250)),
                  "duplicate_topup_order");
  // Still a duplicate once the lot is used up.
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 250)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 250)).accepted());
  EXPECT_EQ(harness.balance().credits_topup, 0);
  expect_rejected(harness.run("credits.topup", topup_payload("ord-1", 10)),
                  "duplicate_topup_order");
}

TEST(Credits, TopupRejectedWhenExpiryNotAfterNow) {
  Harness harness = allocated();
  expect_rejected(
      harness.run("credits.topup",
                  topup_payload("ord-1", 250, ",\"expires_at\":\"2026-11-10T12:00:00Z\"")),
      "invalid_expiry");
  expect_rejected(
      harness.run("credits.topup",
                  topup_payload("ord-2", 250, ",\"expires_at\":\"2026-02-30T00:00:00Z\"")),
      "invalid_expiry");
  EXPECT_TRUE(harness
                  .run("credits.topup",
                       topup_payload("ord-1", 250, ",\"expires_at\":\"2026-11-10T12:00:00.001Z\""))
                  .accepted());
}

// ---- reserve ------------------------------------------------------------------

TEST(Credits, ReserveHoldsCreditsWithDefaultExpiryOfOneHour) {
  Harness harness = allocated();
  const Decision decision = harness.run(
      "credits.reserve",
      reserve_payload("r1", 300,
                      ",\"activity_run_id\":\"run-1\",\"deliverable_type\":\"banner_set\""),
      "agent:copywriter");
  ASSERT_EQ(types(decision), std::vector<std::string>{"credits.reserved"});
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(text(*payload, "expires_at"), "2026-11-10T13:00:00.000Z");
  EXPECT_EQ(text(*payload, "activity_run_id"), "run-1");
  EXPECT_EQ(text(*payload, "deliverable_type"), "banner_set");
  EXPECT_EQ(harness.state().reserved_total(), 300);
  EXPECT_EQ(next_due_ms(harness.state()), at("2026-11-10T13:00:00Z"));
  expect_ledger_consistent(harness);
}

TEST(Credits, ReserveRejectedWhenEffectiveAvailableShort) {
  Harness harness = allocated(1000);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 600)).accepted());
  expect_rejected(harness.run("credits.reserve", reserve_payload("r2", 401)),
                  "insufficient_credits");
  EXPECT_TRUE(harness.run("credits.reserve", reserve_payload("r2", 400)).accepted());
  EXPECT_EQ(harness.balance().effective_available, 0);
  expect_rejected(harness.run("credits.reserve", reserve_payload("r3", 1)), "insufficient_credits");
}

TEST(Credits, ReserveRejectedForOpenOrRecentlyClosedId) {
  Harness harness = allocated();
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 100)).accepted());
  expect_rejected(harness.run("credits.reserve", reserve_payload("r1", 100)),
                  "duplicate_reservation");
  ASSERT_TRUE(harness.run("credits.release", release_payload("r1")).accepted());
  expect_rejected(harness.run("credits.reserve", reserve_payload("r1", 100)),
                  "duplicate_reservation");
}

TEST(Credits, ReserveIdReusableOnceOutOfRecentlyClosedWindow) {
  Harness harness = allocated();
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("first", 1)).accepted());
  ASSERT_TRUE(harness.run("credits.release", release_payload("first")).accepted());
  for (std::size_t i = 0; i < kRecentlyClosedMax - 1; ++i) {
    const std::string id = "r" + std::to_string(i);
    harness.run("credits.reserve", reserve_payload(id, 1));
    harness.run("credits.release", release_payload(id));
  }
  expect_rejected(harness.run("credits.reserve", reserve_payload("first", 1)),
                  "duplicate_reservation");
  expect_rejected(harness.run("credits.consume", consume_payload("first", 1)),
                  "reservation_closed");
  harness.run("credits.reserve", reserve_payload("pushes-first-out", 1));
  harness.run("credits.release", release_payload("pushes-first-out"));
  EXPECT_EQ(harness.state().recently_closed.size(), kRecentlyClosedMax);
  expect_rejected(harness.run("credits.consume", consume_payload("first", 1)),
                  "unknown_reservation");
  EXPECT_TRUE(harness.run("credits.reserve", reserve_payload("first", 1)).accepted());
}

TEST(Credits, ReserveRejectedWhenExpiryNotAfterNow) {
  Harness harness = allocated();
  expect_rejected(
      harness.run("credits.reserve",
                  reserve_payload("r1", 10, ",\"expires_at\":\"2026-11-10T11:59:59Z\"")),
      "invalid_expiry");
  expect_rejected(
      harness.run("credits.reserve",
                  reserve_payload("r1", 10, ",\"expires_at\":\"2026-11-10T25:00:00Z\"")),
      "invalid_expiry");
  const Decision decision = harness.run(
      "credits.reserve", reserve_payload("r1", 10, ",\"expires_at\":\"2026-11-10T12:05:00Z\""));
  ASSERT_TRUE(decision.accepted());
  EXPECT_EQ(text(*payload_of(decision.events()[0]), "expires_at"), "2026-11-10T12:05:00.000Z");
}

// ---- consume ------------------------------------------------------------------

TEST(Credits, WorkedExampleReserve300Use200) {
  Harness harness = allocated(1000);
  ASSERT_TRUE(
      harness.run("credits.reserve", reserve_payload("r1", 300, ",\"activity_run_id\":\"run-1\""))
          .accepted());
  const Decision decision = harness.run("credits.consume", consume_payload("r1", 200));
  ASSERT_EQ(types(decision), (std::vector<std::string>{"credits.released", "credits.consumed"}));
  const std::vector<Applied>& applied = harness.applied();
  ASSERT_EQ(applied.size(), 4u);
  EXPECT_EQ(applied[1].delta, -300);
  EXPECT_EQ(applied[1].effective_after, 700);
  EXPECT_EQ(applied[2].delta, +300);
  EXPECT_EQ(applied[2].effective_after, 1000);
  EXPECT_EQ(applied[3].delta, -200);
  EXPECT_EQ(applied[3].effective_after, 800);
  EXPECT_EQ(text(*applied[2].payload, "reason"), "consumed");
  EXPECT_EQ(text(*applied[2].payload, "activity_run_id"), "run-1");
  EXPECT_EQ(text(*applied[3].payload, "activity_run_id"), "run-1");
  EXPECT_EQ(integer(*json_member(*applied[3].payload, "balance"), "effective_available"), 800);
  EXPECT_EQ(drawn_of(*applied[3].payload),
            (std::vector<std::pair<std::string, int64_t>>{{"monthly", 200}}));
  EXPECT_EQ(harness.balance().credits_consumed, 200);
  EXPECT_EQ(harness.balance().credits_reserved, 0);
  expect_ledger_consistent(harness);
}

TEST(Credits, ConsumeRejectedForUnknownReservation) {
  Harness harness = allocated();
  expect_rejected(harness.run("credits.consume", consume_payload("nope", 1)),
                  "unknown_reservation");
}

TEST(Credits, ConsumeRejectedForClosedReservation) {
  Harness harness = allocated();
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 100)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 50)).accepted());
  expect_rejected(harness.run("credits.consume", consume_payload("r1", 50)), "reservation_closed");
}

TEST(Credits, ConsumeRejectedWhenExceedingReservation) {
  Harness harness = allocated();
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 100)).accepted());
  expect_rejected(harness.run("credits.consume", consume_payload("r1", 101)),
                  "exceeds_reservation");
  EXPECT_TRUE(harness.run("credits.consume", consume_payload("r1", 100)).accepted());
}

TEST(Credits, ConsumeOfNothingReleasesTheWholeHold) {
  Harness harness = allocated();
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 100)).accepted());
  const Decision decision = harness.run("credits.consume", consume_payload("r1", 0));
  ASSERT_EQ(types(decision), (std::vector<std::string>{"credits.released", "credits.consumed"}));
  EXPECT_EQ(integer(*payload_of(decision.events()[1]), "credits"), 0);
  EXPECT_TRUE(drawn_of(*payload_of(decision.events()[1])).empty());
  EXPECT_EQ(harness.balance().effective_available, 1000);
}

TEST(Credits, TopupsAreConsumedFirstEarliestExpiringFirst) {
  Harness harness(at("2026-11-10T12:00:00Z"));
  ASSERT_TRUE(harness.run("credits.topup", topup_payload("never", 100))
                  .accepted());  // before any allocation
  ASSERT_TRUE(harness.run("credits.allocate", allocate_payload(1000, kStart, kEnd)).accepted());
  ASSERT_TRUE(harness.run("credits.topup", topup_payload("b-late", 100)).accepted());  // period end
  ASSERT_TRUE(harness.run("credits.topup", topup_payload("a-late", 100))
                  .accepted());  // period end, sorts first
  ASSERT_TRUE(harness
                  .run("credits.topup",
                       topup_payload("z-soon", 100, ",\"expires_at\":\"2026-11-20T00:00:00Z\""))
                  .accepted());
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 450)).accepted());
  const Decision decision = harness.run("credits.consume", consume_payload("r1", 450));
  ASSERT_TRUE(decision.accepted());
  EXPECT_EQ(drawn_of(*payload_of(decision.events()[1])),
            (std::vector<std::pair<std::string, int64_t>>{{"topup:z-soon", 100},
                                                          {"topup:a-late", 100},
                                                          {"topup:b-late", 100},
                                                          {"topup:never", 100},
                                                          {"monthly", 50}}));
  EXPECT_EQ(harness.balance().credits_topup, 0);
  EXPECT_EQ(harness.balance().credits_available, 950);
  EXPECT_EQ(harness.balance().credits_consumed, 450);
  expect_ledger_consistent(harness);
}

// ---- release ------------------------------------------------------------------

TEST(Credits, ReleaseReturnsTheWholeHold) {
  Harness harness = allocated();
  ASSERT_TRUE(
      harness.run("credits.reserve", reserve_payload("r1", 300, ",\"activity_run_id\":\"run-9\""))
          .accepted());
  const Decision decision = harness.run("credits.release", release_payload("r1"));
  ASSERT_EQ(types(decision), std::vector<std::string>{"credits.released"});
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(integer(*payload, "credits"), 300);
  EXPECT_EQ(text(*payload, "reason"), "released");
  EXPECT_EQ(text(*payload, "activity_run_id"), "run-9");
  EXPECT_EQ(harness.balance().effective_available, 1000);
  EXPECT_FALSE(next_due_ms(harness.state()).value_or(0) < at(kEnd));
  expect_ledger_consistent(harness);
}

TEST(Credits, ReleaseRejectedForUnknownOrClosedReservation) {
  Harness harness = allocated();
  expect_rejected(harness.run("credits.release", release_payload("r1")), "unknown_reservation");
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 300)).accepted());
  ASSERT_TRUE(harness.run("credits.release", release_payload("r1")).accepted());
  expect_rejected(harness.run("credits.release", release_payload("r1")), "reservation_closed");
}

// ---- refund -------------------------------------------------------------------

TEST(Credits, RefundReturnsConsumedCredits) {
  Harness harness = allocated(1000);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 300)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 300)).accepted());
  const Decision decision =
      harness.run("credits.refund",
                  "{\"credits\":120,\"activity_run_id\":\"run-1\",\"note\":\"quality credit\"}",
                  "support:maria");
  ASSERT_EQ(types(decision), std::vector<std::string>{"credits.refunded"});
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(text(*payload, "note"), "quality credit");
  EXPECT_EQ(text(*payload, "activity_run_id"), "run-1");
  EXPECT_EQ(harness.balance().effective_available, 820);
  EXPECT_EQ(harness.balance().credits_consumed, 300);  // consumption stays what it was
  expect_ledger_consistent(harness);
}

TEST(Credits, RefundRejectedWhenExceedingConsumed) {
  Harness harness = allocated(1000);
  expect_rejected(harness.run("credits.refund", amount_payload(1)), "exceeds_consumed");
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 300)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 200)).accepted());
  ASSERT_TRUE(harness.run("credits.refund", amount_payload(150)).accepted());
  expect_rejected(harness.run("credits.refund", amount_payload(51)), "exceeds_consumed");
  EXPECT_TRUE(harness.run("credits.refund", amount_payload(50)).accepted());
  expect_rejected(harness.run("credits.refund", amount_payload(1)), "exceeds_consumed");
}

// ---- adjust -------------------------------------------------------------------

TEST(Credits, AdjustRejectedForActorsOtherThanAdminOrSupport) {
  Harness harness = allocated();
  for (const char* actor : {"system", "user:ann", "agent:planner"}) {
    expect_rejected(harness.run("credits.adjust", amount_payload(100), actor), "forbidden");
  }
  EXPECT_TRUE(harness.run("credits.adjust", amount_payload(100), "admin:ops").accepted());
  EXPECT_TRUE(harness.run("credits.adjust", amount_payload(100), "support:desk").accepted());
  EXPECT_EQ(harness.balance().effective_available, 1200);
}

TEST(Credits, AdjustPositiveAddsToMonthlyLot) {
  Harness harness = allocated();
  const Decision decision =
      harness.run("credits.adjust", amount_payload(1000, "goodwill after outage"), "admin:ops");
  ASSERT_EQ(types(decision), std::vector<std::string>{"credits.adjusted"});
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(integer(*payload, "credits"), 1000);
  EXPECT_EQ(text(*payload, "note"), "goodwill after outage");
  EXPECT_EQ(json_member(*payload, "drawn"), nullptr);
  EXPECT_EQ(harness.balance().credits_available, 2000);
  EXPECT_EQ(harness.balance().credits_topup, 0);
}

TEST(Credits, AdjustNegativeDrawsLikeConsumption) {
  Harness harness = allocated(1000);
  ASSERT_TRUE(harness.run("credits.topup", topup_payload("ord-1", 100)).accepted());
  const Decision decision = harness.run("credits.adjust", amount_payload(-150), "support:desk");
  ASSERT_TRUE(decision.accepted());
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(integer(*payload, "credits"), -150);
  EXPECT_EQ(drawn_of(*payload),
            (std::vector<std::pair<std::string, int64_t>>{{"topup:ord-1", 100}, {"monthly", 50}}));
  EXPECT_EQ(harness.applied().back().delta, -150);
  EXPECT_EQ(harness.balance().credits_available, 950);
  EXPECT_EQ(harness.balance().credits_consumed, 0);
  expect_ledger_consistent(harness);
}

TEST(Credits, AdjustRejectedWhenNegativeExceedsEffectiveAvailable) {
  Harness harness = allocated(1000);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 600)).accepted());
  expect_rejected(harness.run("credits.adjust", amount_payload(-401), "admin:ops"),
                  "insufficient_credits");
  EXPECT_TRUE(harness.run("credits.adjust", amount_payload(-400), "admin:ops").accepted());
  EXPECT_EQ(harness.balance().effective_available, 0);
}

// ---- limits and payloads ------------------------------------------------------

TEST(Credits, TopupRejectedAboveAvailableLimit) {
  Harness harness = allocated(kCreditsPerCommandMax);
  for (int i = 0; i < 99; ++i) {
    ASSERT_TRUE(
        harness.run("credits.topup", topup_payload("o" + std::to_string(i), kCreditsPerCommandMax))
            .accepted());
  }
  EXPECT_EQ(harness.balance().credits_available, kCreditsAvailableMax);
  expect_rejected(harness.run("credits.topup", topup_payload("one-more", 1)), "limit_exceeded");
  expect_rejected(harness.run("credits.adjust", amount_payload(1), "admin:ops"), "limit_exceeded");
}

TEST(Credits, TopupRejectedAboveLotLimit) {
  Harness harness = allocated();
  for (std::size_t i = 0; i < kTopupLotsMax; ++i) {
    ASSERT_TRUE(harness.run("credits.topup", topup_payload("o" + std::to_string(i), 1)).accepted());
  }
  expect_rejected(harness.run("credits.topup", topup_payload("one-more", 1)), "limit_exceeded");
  // Drawing empties lots; then top-ups are accepted again.
  ASSERT_TRUE(harness.run("credits.adjust", amount_payload(-2), "admin:ops").accepted());
  EXPECT_TRUE(harness.run("credits.topup", topup_payload("one-more", 1)).accepted());
}

TEST(Credits, SchemaInvalidPayloadsAreRejectedNotThrown) {
  Harness harness = allocated();
  expect_rejected(
      harness.run("credits.reserve", "{\"reservation_id\":\"r1\",\"credits\":0}", "system", false),
      "invalid_payload");
  expect_rejected(harness.run("credits.adjust", amount_payload(0), "admin:ops", false),
                  "invalid_payload");
  expect_rejected(
      harness.run("credits.topup", "{\"topup_order_id\":\"\",\"credits\":5}", "system", false),
      "invalid_payload");
  expect_rejected(harness.run("credits.consume", "{\"reservation_id\":\"r1\",\"credits\":1.5}",
                              "system", false),
                  "invalid_payload");
  expect_rejected(harness.run("credits.reserve", reserve_payload("r1", kCreditsPerCommandMax + 1),
                              "system", false),
                  "invalid_payload");
  expect_rejected(
      harness.run("credits.release", "{\"reservation_id\":\"r1\",\"extra\":1}", "system", false),
      "unknown_reservation");  // extra fields are the schema's business
  expect_rejected(
      harness.run("credits.reserve", reserve_payload(std::string(129, 'x'), 1), "system", false),
      "invalid_payload");
}

}  // namespace
}  // namespace lf::engine::credits::testing
