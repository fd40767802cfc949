// Top-up orders (docs/domains/credits.md "Top-up orders"): every transition
// and rejection, the payment webhook delivered twice, refunds after partial
// consumption, while held, after the lot expired, and the snapshot.
#include <gtest/gtest.h>

#include "engine/credits/codec.hpp"
#include "engine/credits/lots.hpp"
#include "tests/unit/credits/harness.hpp"

namespace lf::engine::credits::testing {
namespace {

constexpr const char* kNow = "2026-11-10T12:00:00Z";

Harness allocated(int64_t monthly) {
  Harness harness(at(kNow));
  EXPECT_TRUE(harness.run("credits.allocate", allocate_payload(monthly, "2026-11-01", "2026-11-30"))
                  .accepted());
  return harness;
}

std::string id_payload(const std::string& id, const std::string& extra = "") {
  return "{\"topup_order_id\":" + quoted(id) + extra + "}";
}

void expect_books_balance(const Harness& harness) {
  EXPECT_EQ(harness.ledger_sum(), harness.balance().effective_available);
  EXPECT_GE(harness.balance().effective_available, 0);
  EXPECT_EQ(state_invariant_violation(harness.state()), std::nullopt);
  for (const Applied& applied : harness.applied()) EXPECT_GE(applied.effective_after, 0);
}

// An order of `credits` created and paid by the webhook.
void paid_order(Harness& harness, const std::string& id, int64_t credits,
                const std::string& extra = "") {
  ASSERT_TRUE(harness
                  .run("topup_order.create",
                       topup_payload(id, credits, ",\"amount_minor\":49900" + extra), "user:u1")
                  .accepted());
  ASSERT_TRUE(harness.run("topup_order.pay", id_payload(id)).accepted());
}

const TopupOrder& order_of(const Harness& harness, const std::string& id) {
  return harness.state().topup_orders.at(id);
}

// ---- create -------------------------------------------------------------------

TEST(TopupOrders, CreateRecordsAPendingOrderAndMovesNoCredits) {
  Harness harness = allocated(1000);
  const Decision decision = harness.run(
      "topup_order.create", topup_payload("order_A1", 500, ",\"amount\":\"499.50\""), "user:u1");
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(types(decision), std::vector<std::string>{"topup_order.created"});
  EXPECT_EQ(decision.events()[0].schema_version, 1);
  EXPECT_EQ(decision.events()[0].stream, stream_name(kTenant));
  auto payload = payload_of(decision.events()[0]);
  EXPECT_EQ(integer(*payload, "amount_minor"), 49950);
  EXPECT_EQ(text(*payload, "currency"), "INR");  // the seed's paise
  EXPECT_EQ(json_member(*payload, "balance"), nullptr);
  const TopupOrder& order = order_of(harness, "order_A1");
  EXPECT_EQ(order.status, TopupOrderStatus::pending);
  EXPECT_EQ(order.credits, 500);
  EXPECT_EQ(order.amount_minor, 49950);
  EXPECT_EQ(harness.balance().credits_available, 1000);
  EXPECT_EQ(harness.applied().back().delta, 0);
  EXPECT_FALSE(harness.state().topup_orders_seen.contains("order_A1"));
  expect_books_balance(harness);
}

TEST(TopupOrders, CreateReadsExactAmountsInTheirCurrency) {
  Harness harness = allocated(0);
  struct Case {
    std::string price;
    int64_t minor;
    std::string currency;
  };
  int n = 0;
  for (const Case& test :
       {Case{",\"amount\":499", 49900, "INR"}, Case{",\"amount\":499.5", 49950, "INR"},
        Case{",\"amount_minor\":0", 0, "INR"},
        Case{",\"amount\":\"1500\",\"currency\":\"JPY\"", 1500, "JPY"},
        Case{",\"amount\":\"12.345\",\"currency\":\"KWD\"", 12345, "KWD"}}) {
    const std::string id = "o" + std::to_string(++n);
    ASSERT_TRUE(harness.run("topup_order.create", topup_payload(id, 10, test.price)).accepted())
        << test.price;
    EXPECT_EQ(order_of(harness, id).amount_minor, test.minor) << test.price;
    EXPECT_EQ(order_of(harness, id).currency, test.currency) << test.price;
  }
}

TEST(TopupOrders, CreateRejectsAmountsThatAreNotExactOrNotGiven) {
  Harness harness = allocated(0);
  expect_rejected(
      harness.run("topup_order.create", topup_payload("o", 10, ",\"amount\":\"4.995\"")),
      "invalid_amount");  // paise have two decimals
  expect_rejected(harness.run("topup_order.create",
                              topup_payload("o", 10, ",\"amount\":1.5,\"currency\":\"JPY\"")),
                  "invalid_amount");
  expect_rejected(harness.run("topup_order.create", topup_payload("o", 10, ",\"amount\":\"-1\"")),
                  "invalid_amount");
  expect_rejected(harness.run("topup_order.create",
                              topup_payload("o", 10, ",\"amount\":1,\"amount_minor\":100")),
                  "invalid_amount");
  expect_rejected(harness.run("topup_order.create", topup_payload("o", 10, "")), "invalid_amount");
  expect_rejected(harness.run("topup_order.create",
                              topup_payload("o", 10, ",\"amount\":1,\"currency\":\"XYZ\"")),
                  "invalid_currency");
  expect_rejected(
      harness.run("topup_order.create",
                  topup_payload("o", 10, ",\"amount\":1,\"expires_at\":\"2026-11-10T11:00:00Z\"")),
      "invalid_expiry");
  EXPECT_TRUE(harness.state().topup_orders.empty());
}

TEST(TopupOrders, CreateRejectsAKnownOrderOrACreditedTopup) {
  Harness harness = allocated(0);
  ASSERT_TRUE(harness.run("credits.topup", topup_payload("t1", 100)).accepted());
  expect_rejected(harness.run("topup_order.create", topup_payload("t1", 10, ",\"amount\":1")),
                  "duplicate_topup_order");
  ASSERT_TRUE(
      harness.run("topup_order.create", topup_payload("o1", 10, ",\"amount\":1")).accepted());
  expect_rejected(harness.run("topup_order.create", topup_payload("o1", 10, ",\"amount\":1")),
                  "duplicate_topup_order");
  // An order's credits come only with its payment: credits.topup may not grant them.
  expect_rejected(harness.run("credits.topup", topup_payload("o1", 10)), "duplicate_topup_order");
  EXPECT_EQ(harness.balance().credits_available, 100);
}

// ---- pay ----------------------------------------------------------------------

TEST(TopupOrders, PayGrantsTheCreditsInTheSameRecord) {
  Harness harness = allocated(1000);
  ASSERT_TRUE(harness.run("topup_order.create", topup_payload("o1", 500, ",\"amount_minor\":49900"))
                  .accepted());
  const Decision decision = harness.run("topup_order.pay", id_payload("o1"));
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(types(decision), (std::vector<std::string>{"topup_order.paid", "credits.topped_up"}));
  auto paid = payload_of(decision.events()[0]);
  auto topped_up = payload_of(decision.events()[1]);
  // paid_at: the webhook's issued_at; expiry: the end of the billing month.
  EXPECT_EQ(text(*paid, "paid_at"), "2026-11-10T12:00:00.000Z");
  EXPECT_EQ(text(*paid, "expires_at"), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(text(*topped_up, "expires_at"), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(integer(*topped_up, "credits"), 500);
  EXPECT_EQ(text(*topped_up, "topup_order_id"), "o1");
  const TopupOrder& order = order_of(harness, "o1");
  EXPECT_EQ(order.status, TopupOrderStatus::paid);
  EXPECT_EQ(order.paid_at_ms, at(kNow));
  EXPECT_EQ(harness.balance().credits_available, 1500);
  EXPECT_EQ(harness.balance().credits_topup, 500);
  EXPECT_TRUE(harness.state().topup_orders_seen.contains("o1"));
  expect_books_balance(harness);
}

TEST(TopupOrders, PayKeepsTheOrdersExpiryAndTheWebhooksTime) {
  Harness harness = allocated(0);
  ASSERT_TRUE(
      harness
          .run("topup_order.create",
               topup_payload("o1", 50, ",\"amount\":5,\"expires_at\":\"2026-11-20T00:00:00Z\""))
          .accepted());
  ASSERT_TRUE(
      harness.run("topup_order.pay", id_payload("o1", ",\"paid_at\":\"2026-11-10T11:59:58Z\""))
          .accepted());
  EXPECT_EQ(order_of(harness, "o1").paid_at_ms, at("2026-11-10T11:59:58Z"));
  EXPECT_EQ(order_of(harness, "o1").expires_at_ms, at("2026-11-20T00:00:00Z"));
  EXPECT_EQ(harness.state().book.topup_lots.at("o1").expires_at_ms, at("2026-11-20T00:00:00Z"));
}

TEST(TopupOrders, TheWebhookDeliveredTwiceChangesNothing) {
  Harness harness = allocated(1000);
  paid_order(harness, "o1", 500);
  const State before = harness.state();
  const std::size_t events_before = harness.applied().size();
  harness.set_now(at("2026-11-10T12:05:00Z"));
  const Decision again = harness.run("topup_order.pay", id_payload("o1"));
  expect_rejected(again, "already_paid");
  EXPECT_NE(again.rejection().message.find("2026-11-10T12:00:00.000Z"), std::string::npos)
      << again.rejection().message;
  EXPECT_EQ(harness.state(), before);
  EXPECT_EQ(harness.applied().size(), events_before);
  EXPECT_EQ(harness.balance().credits_available, 1500);
}

TEST(TopupOrders, PayRejectsUnknownOrdersOtherActorsAndPastExpiries) {
  Harness harness = allocated(0);
  expect_rejected(harness.run("topup_order.pay", id_payload("nope")), "unknown_topup_order");
  ASSERT_TRUE(
      harness
          .run("topup_order.create",
               topup_payload("o1", 50, ",\"amount\":5,\"expires_at\":\"2026-11-10T13:00:00Z\""),
               "user:u1")
          .accepted());
  expect_rejected(harness.run("topup_order.pay", id_payload("o1"), "user:u1"), "forbidden");
  expect_rejected(harness.run("topup_order.pay", id_payload("o1"), "agent:planner"), "forbidden");
  expect_rejected(harness.run("topup_order.pay", id_payload("o1"), "admin:"), "forbidden");
  harness.set_now(at("2026-11-10T13:00:00Z"));
  expect_rejected(harness.run("topup_order.pay", id_payload("o1")), "invalid_expiry");
  EXPECT_EQ(order_of(harness, "o1").status, TopupOrderStatus::pending);
  EXPECT_EQ(harness.balance().credits_available, 0);
}

TEST(TopupOrders, AdminsAndSupportSettleOrdersToo) {
  Harness harness = allocated(0);
  for (const char* id : {"o1", "o2", "o3"}) {
    ASSERT_TRUE(
        harness.run("topup_order.create", topup_payload(id, 10, ",\"amount\":1")).accepted());
  }
  EXPECT_TRUE(harness.run("topup_order.pay", id_payload("o1"), "admin:ops").accepted());
  EXPECT_TRUE(harness.run("topup_order.fail", id_payload("o2"), "support:desk").accepted());
  EXPECT_TRUE(harness.run("topup_order.refund", id_payload("o1"), "support:desk").accepted());
  expect_rejected(harness.run("topup_order.fail", id_payload("o3"), "user:u1"), "forbidden");
  expect_rejected(harness.run("topup_order.refund", id_payload("o3"), "agent:x"), "forbidden");
}

// ---- fail -----------------------------------------------------------------------

TEST(TopupOrders, FailOnlyFromPending) {
  Harness harness = allocated(0);
  ASSERT_TRUE(
      harness.run("topup_order.create", topup_payload("o1", 10, ",\"amount\":1")).accepted());
  const Decision failed = harness.run(
      "topup_order.fail", id_payload("o1", ",\"reason\":\"BAD_REQUEST_ERROR: card declined\""));
  ASSERT_TRUE(failed.accepted());
  ASSERT_EQ(types(failed), std::vector<std::string>{"topup_order.failed"});
  EXPECT_EQ(text(*payload_of(failed.events()[0]), "reason"), "BAD_REQUEST_ERROR: card declined");
  EXPECT_EQ(order_of(harness, "o1").status, TopupOrderStatus::failed);
  expect_rejected(harness.run("topup_order.fail", id_payload("o1")), "invalid_transition");
  expect_rejected(harness.run("topup_order.fail", id_payload("nope")), "unknown_topup_order");
  expect_rejected(harness.run("topup_order.refund", id_payload("o1")), "invalid_transition");
  paid_order(harness, "o2", 10);
  expect_rejected(harness.run("topup_order.fail", id_payload("o2")), "invalid_transition");
  EXPECT_EQ(order_of(harness, "o2").status, TopupOrderStatus::paid);
}

TEST(TopupOrders, AFailedOrderIsStillPaidWhenItsPaymentIsCaptured) {
  Harness harness = allocated(0);
  ASSERT_TRUE(
      harness.run("topup_order.create", topup_payload("o1", 70, ",\"amount\":1")).accepted());
  ASSERT_TRUE(harness.run("topup_order.fail", id_payload("o1")).accepted());
  ASSERT_TRUE(harness.run("topup_order.pay", id_payload("o1")).accepted());
  EXPECT_EQ(order_of(harness, "o1").status, TopupOrderStatus::paid);
  EXPECT_EQ(harness.balance().credits_available, 70);
  expect_books_balance(harness);
}

// ---- refund -----------------------------------------------------------------------

TEST(TopupOrders, RefundOnlyFromPaidAndOnce) {
  Harness harness = allocated(0);
  ASSERT_TRUE(
      harness.run("topup_order.create", topup_payload("o1", 10, ",\"amount\":1")).accepted());
  expect_rejected(harness.run("topup_order.refund", id_payload("o1")), "invalid_transition");
  expect_rejected(harness.run("topup_order.refund", id_payload("nope")), "unknown_topup_order");
  ASSERT_TRUE(harness.run("topup_order.pay", id_payload("o1")).accepted());
  harness.set_now(at("2026-11-10T12:30:00Z"));
  const Decision refunded =
      harness.run("topup_order.refund", id_payload("o1", ",\"note\":\"customer asked\""));
  ASSERT_TRUE(refunded.accepted());
  ASSERT_EQ(types(refunded),
            (std::vector<std::string>{"topup_order.refunded", "credits.topup_refunded"}));
  EXPECT_EQ(order_of(harness, "o1").status, TopupOrderStatus::refunded);
  const Decision again = harness.run("topup_order.refund", id_payload("o1"));
  expect_rejected(again, "already_refunded");
  EXPECT_NE(again.rejection().message.find("2026-11-10T12:30:00.000Z"), std::string::npos);
  // The webhook arriving late after the refund changes nothing either.
  const Decision late = harness.run("topup_order.pay", id_payload("o1"));
  expect_rejected(late, "already_paid");
  EXPECT_NE(late.rejection().message.find("refunded at 2026-11-10T12:30:00.000Z"),
            std::string::npos)
      << late.rejection().message;
  EXPECT_EQ(harness.balance().credits_available, 0);
  expect_books_balance(harness);
}

TEST(TopupOrders, RefundAfterPartialConsumptionTakesBackWhatIsLeft) {
  Harness harness = allocated(1000);
  paid_order(harness, "o1", 500);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 300)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 200)).accepted());
  // Top-ups are consumed first: the lot has 300 left.
  ASSERT_EQ(harness.state().book.topup_lots.at("o1").remaining_credits, 300);
  const Decision refunded =
      harness.run("topup_order.refund", id_payload("o1", ",\"note\":\"chargeback\""));
  ASSERT_TRUE(refunded.accepted());
  auto order = payload_of(refunded.events()[0]);
  EXPECT_EQ(integer(*order, "credits_granted"), 500);
  EXPECT_EQ(integer(*order, "credits_consumed"), 200);
  EXPECT_EQ(integer(*order, "credits_expired"), 0);
  EXPECT_EQ(integer(*order, "credits_taken_back"), 300);
  EXPECT_EQ(integer(*order, "credits_held_over"), 0);
  auto taken = payload_of(refunded.events()[1]);
  EXPECT_EQ(integer(*taken, "credits"), 300);
  EXPECT_EQ(text(*taken, "lot"), "topup:o1");
  EXPECT_EQ(text(*taken, "note"), "chargeback");
  EXPECT_EQ(json_member(*taken, "held_over"), nullptr);
  EXPECT_EQ(harness.applied().back().delta, -300);
  const Balance balance = harness.balance();
  EXPECT_EQ(balance.credits_available, 1000);  // the monthly lot is untouched
  EXPECT_EQ(balance.credits_topup, 0);
  EXPECT_EQ(balance.credits_consumed, 200);  // consumed stays consumed
  EXPECT_TRUE(harness.state().book.topup_lots.empty());
  expect_books_balance(harness);
}

TEST(TopupOrders, RefundWhileHeldLeavesTheHoldWhole) {
  Harness harness = allocated(0);
  paid_order(harness, "o1", 500);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 400)).accepted());
  const Decision refunded = harness.run("topup_order.refund", id_payload("o1"));
  ASSERT_TRUE(refunded.accepted());
  auto order = payload_of(refunded.events()[0]);
  EXPECT_EQ(integer(*order, "credits_taken_back"), 100);
  EXPECT_EQ(integer(*order, "credits_held_over"), 400);
  EXPECT_EQ(integer(*order, "credits_consumed"), 0);
  EXPECT_NE(refunded.events()[1].payload_json.find(
                "\"held_over\":{\"lot\":\"lapsing:1\",\"credits\":400}"),
            std::string::npos)
      << refunded.events()[1].payload_json;
  Balance balance = harness.balance();
  EXPECT_EQ(balance.credits_available, 400);
  EXPECT_EQ(balance.credits_reserved, 400);
  EXPECT_EQ(balance.effective_available, 0);
  EXPECT_TRUE(harness.tick().empty());  // nothing lapses while it is all held
  // The running work is paid from the held credits; what it did not use lapses.
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 250)).accepted());
  EXPECT_NE(harness.applied().back().event.payload_json.find(
                "\"drawn\":[{\"lot\":\"lapsing:1\",\"credits\":250}]"),
            std::string::npos);
  const std::vector<NewEvent> lapsed = harness.tick();
  ASSERT_EQ(lapsed.size(), 1u);
  auto expired = payload_of(lapsed[0]);
  EXPECT_EQ(lapsed[0].type, "credits.expired");
  EXPECT_EQ(text(*expired, "reason"), "lapsing");
  EXPECT_EQ(text(*expired, "topup_order_id"), "o1");
  EXPECT_EQ(integer(*expired, "credits"), 150);
  balance = harness.balance();
  EXPECT_EQ(balance.credits_available, 0);
  EXPECT_EQ(balance.effective_available, 0);
  EXPECT_EQ(balance.credits_consumed, 250);
  expect_books_balance(harness);
}

TEST(TopupOrders, RefundWhileHeldButCoveredByOtherCreditsTakesAllBack) {
  Harness harness = allocated(1000);
  paid_order(harness, "o1", 500);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 900)).accepted());
  // 1,500 available, 900 held: the 500 of the lot leave at once.
  const Decision refunded = harness.run("topup_order.refund", id_payload("o1"));
  ASSERT_TRUE(refunded.accepted());
  EXPECT_EQ(integer(*payload_of(refunded.events()[1]), "credits"), 500);
  EXPECT_EQ(harness.balance().effective_available, 100);
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 900)).accepted());
  EXPECT_EQ(harness.balance().credits_available, 100);
  expect_books_balance(harness);
}

TEST(TopupOrders, RefundAfterTheLotExpiredTakesBackNothing) {
  Harness harness = allocated(1000);
  paid_order(harness, "o1", 500, ",\"expires_at\":\"2026-11-15T00:00:00Z\"");
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 100)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 100)).accepted());
  harness.set_now(at("2026-11-15T00:00:00Z"));
  ASSERT_EQ(harness.tick().size(), 1u);  // the lot's 400 lapse
  const Decision refunded = harness.run("topup_order.refund", id_payload("o1"));
  ASSERT_TRUE(refunded.accepted());
  auto order = payload_of(refunded.events()[0]);
  EXPECT_EQ(integer(*order, "credits_consumed"), 100);
  EXPECT_EQ(integer(*order, "credits_expired"), 400);
  EXPECT_EQ(integer(*order, "credits_taken_back"), 0);
  EXPECT_EQ(integer(*order, "credits_held_over"), 0);
  EXPECT_EQ(integer(*payload_of(refunded.events()[1]), "credits"), 0);
  EXPECT_EQ(harness.applied().back().delta, 0);
  EXPECT_EQ(harness.balance().credits_available, 1000);  // the 100 were drawn from the top-up
  expect_books_balance(harness);
}

TEST(TopupOrders, RefundOfAFullyConsumedLotCountsItAllConsumed) {
  Harness harness = allocated(0);
  paid_order(harness, "o1", 300);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 300)).accepted());
  ASSERT_TRUE(harness.run("credits.consume", consume_payload("r1", 300)).accepted());
  const Decision refunded = harness.run("topup_order.refund", id_payload("o1"));
  ASSERT_TRUE(refunded.accepted());
  auto order = payload_of(refunded.events()[0]);
  EXPECT_EQ(integer(*order, "credits_consumed"), 300);
  EXPECT_EQ(integer(*order, "credits_taken_back"), 0);
  expect_books_balance(harness);
}

TEST(TopupOrders, ARefundedOrdersExpiryNeverFires) {
  Harness harness = allocated(0);
  paid_order(harness, "o1", 500, ",\"expires_at\":\"2026-11-15T00:00:00Z\"");
  ASSERT_TRUE(harness.run("topup_order.refund", id_payload("o1")).accepted());
  EXPECT_EQ(next_due_ms(harness.state()), at("2026-12-01T00:00:00Z"));  // the period end only
  harness.set_now(at("2026-11-20T00:00:00Z"));
  EXPECT_TRUE(harness.tick().empty());
  harness.set_now(at("2026-12-01T00:00:00Z"));
  for (const NewEvent& event : harness.tick_all()) {
    EXPECT_EQ(payload_of(event)->HasMember("topup_order_id"), false) << event.payload_json;
  }
  expect_books_balance(harness);
}

// ---- the ledger and the log ---------------------------------------------------------

TEST(TopupOrders, TheLedgerTakesBackWhatTheRefundTakesBack) {
  auto taken = parse_json(
      R"({"topup_order_id":"o1","lot":"topup:o1","credits":300,"refunded_at":"2026-11-10T12:00:00.000Z","balance":{"credits_monthly":0,"credits_available":0,"credits_reserved":0,"credits_consumed":0,"credits_topup":0,"effective_available":0}})");
  EXPECT_EQ(effective_delta("credits.topup_refunded", *taken), -300);
  auto order =
      parse_json(R"({"topup_order_id":"o1","credits":300,"amount_minor":1,"currency":"INR"})");
  EXPECT_EQ(effective_delta("topup_order.created", *order), 0);
  for (const char* type : {"credits.topup_refunded", "topup_order.created", "topup_order.paid",
                           "topup_order.failed", "topup_order.refunded"}) {
    EXPECT_EQ(event_schema_version(type), 1) << type;
    EXPECT_EQ(UpcasterRegistry::embedded().current_version(type), 1) << type;
    EXPECT_TRUE(handles_event(type)) << type;
  }
  EXPECT_EQ(event_schema_version("credits.expired"), kEventSchemaVersion);
  for (const char* type :
       {"topup_order.create", "topup_order.pay", "topup_order.fail", "topup_order.refund"}) {
    EXPECT_TRUE(handles_command(type)) << type;
    EXPECT_TRUE(SchemaRegistry::embedded().knows_command(type)) << type;
  }
}

// Every life of an order, folded again from its log, is the same state.
TEST(TopupOrders, AFreshFoldOfTheLogIsTheSameState) {
  Harness harness = allocated(100);
  paid_order(harness, "o1", 500);
  ASSERT_TRUE(harness.run("credits.reserve", reserve_payload("r1", 550)).accepted());
  ASSERT_TRUE(harness.run("topup_order.refund", id_payload("o1")).accepted());
  ASSERT_TRUE(
      harness.run("topup_order.create", topup_payload("o2", 10, ",\"amount\":1")).accepted());
  ASSERT_TRUE(harness.run("topup_order.fail", id_payload("o2")).accepted());
  State replayed;
  for (const Applied& applied : harness.applied()) {
    EventHeader header;
    header.type = applied.event.type;
    header.schema_version = applied.event.schema_version;
    header.stream = applied.event.stream;
    evolve(replayed, header, *applied.payload);
  }
  EXPECT_EQ(replayed, harness.state());
  expect_books_balance(harness);
}

// ---- snapshot -------------------------------------------------------------------------

TEST(TopupOrders, SnapshotRoundTripsOrdersInEveryStatus) {
  Harness harness = allocated(1000);
  paid_order(harness, "paid", 100, ",\"expires_at\":\"2026-11-12T00:00:00Z\"");
  paid_order(harness, "refunded", 200);
  ASSERT_TRUE(harness.run("topup_order.refund", id_payload("refunded")).accepted());
  ASSERT_TRUE(harness
                  .run("topup_order.create",
                       topup_payload("pending", 5, ",\"amount\":\"1.50\",\"currency\":\"USD\""))
                  .accepted());
  ASSERT_TRUE(
      harness.run("topup_order.create", topup_payload("failed", 5, ",\"amount\":1")).accepted());
  ASSERT_TRUE(harness.run("topup_order.fail", id_payload("failed")).accepted());
  harness.set_now(at("2026-11-12T00:00:00Z"));
  ASSERT_FALSE(harness.tick().empty());  // "paid"'s lot expires: lot_expired_credits
  ASSERT_EQ(order_of(harness, "paid").lot_expired_credits, 100);
  ASSERT_EQ(harness.state().topup_orders.size(), 4u);
  JsonWriter writer;
  write_state(writer, harness.state());
  Result<State> read = read_state(*parse_json(writer.view()));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, harness.state());
  EXPECT_NE(writer.view().find("\"version\":2"), std::string::npos);
}

TEST(TopupOrders, SnapshotWithoutOrdersLoadsAndBrokenOrdersAreRefused) {
  Harness harness = allocated(1000);
  paid_order(harness, "o1", 100);
  JsonWriter writer;
  write_state(writer, harness.state());
  const std::string good = writer.str();
  // Written before orders existed: no topup_orders member.
  {
    Harness plain = allocated(1000);
    ASSERT_TRUE(plain.run("credits.topup", topup_payload("t1", 100)).accepted());
    JsonWriter old;
    write_state(old, plain.state());
    std::string text = old.str();
    const std::size_t member = text.find(",\"topup_orders\":[]");
    ASSERT_NE(member, std::string::npos) << text;
    text.erase(member, std::string(",\"topup_orders\":[]").size());
    Result<State> read = read_state(*parse_json(text));
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(*read, plain.state());
  }
  auto broken = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const std::size_t offset = text.find(from);
    ASSERT_NE(offset, std::string::npos) << from << " in " << text;
    text.replace(offset, from.size(), to);
    Result<State> read = read_state(*parse_json(text));
    EXPECT_FALSE(read.ok()) << text;
    if (!read.ok()) {
      EXPECT_EQ(read.error().code, "invalid_snapshot");
    }
  };
  broken("\"status\":\"paid\"", "\"status\":\"settled\"");
  broken("\"status\":\"paid\"", "\"status\":\"pending\"");  // credited but pending
  broken("\"topup_orders\":[{", "\"topup_orders\":[{\"credits\":\"x\",\"y\":1},{");
  broken("\"lot_expired_credits\":0", "\"lot_expired_credits\":5");  // its lot is still there
}

}  // namespace
}  // namespace lf::engine::credits::testing
