// Applying credits events to the state, and evolve() on logged payloads.
#include "engine/credits/evolve.hpp"

#include <algorithm>
#include <limits>

#include "engine/credits/codec.hpp"
#include "engine/credits/decider.hpp"
#include "engine/credits/import.hpp"
#include "engine/credits/import_orders.hpp"
#include "engine/credits/lots.hpp"
#include "engine/credits/period.hpp"
#include "events/assert.hpp"

namespace lf::engine::credits {

namespace {

// Lifetime and period counters saturate rather than overflow: they can only
// get near INT64_MAX after ~9,000 top-ups of 10^15 credits, all consumed.
int64_t add_saturating(int64_t total, int64_t credits) {
  LF_ASSERT(total >= 0 && credits >= 0);
  if (total > std::numeric_limits<int64_t>::max() - credits)
    return std::numeric_limits<int64_t>::max();
  return total + credits;
}

void assert_valid(const std::optional<std::string>& violation) {
  if (violation) LF_ASSERT_MSG(false, violation->c_str());
}

// Moves `credits` that an expiring lot still had held into a new lapsing
// lot, which the event names in `held_over`.
void hold_over(Book& book, const std::optional<LotCredits>& held_over, int64_t credits,
               int64_t expired_at_ms, std::optional<std::string> topup_order_id) {
  if (credits == 0) {
    LF_ASSERT_MSG(!held_over.has_value(), "held_over names credits that are not there");
    return;
  }
  LF_ASSERT_MSG(held_over.has_value(), "an expiry with held credits names their lapsing lot");
  LF_ASSERT(held_over->lot == lapsing_lot_name(book.lapsing_lot_number_next));
  LF_ASSERT(held_over->credits == credits);
  insert_lapsing_lot(book, LapsingLot{book.lapsing_lot_number_next, credits, expired_at_ms,
                                      std::move(topup_order_id)});
  ++book.lapsing_lot_number_next;
}

// A renewal's dates (calendar) or instants (instants) must be the next of
// the series; what the series leaves to the zone is taken from the event, as
// the decision computed it, so replay never asks the zone database.
Period period_after_allocation(const Book& book, const Allocated& event) {
  assert_valid(span_violation(event.period));
  if (event.reason == AllocationReason::allocate) return start_period(event.period);
  LF_ASSERT_MSG(book.period.has_value(), "a renewal without a period");
  LF_ASSERT_MSG(renewable(*book.period), "a renewal after the last renewable period");
  LF_ASSERT_MSG(follows_in_series(*book.period, event.period),
                "a renewal's period is not the next of its series");
  return renewed(*book.period, event.period);
}

void on_allocated(Book& book, const Allocated& event) {
  LF_ASSERT(event.credits_monthly >= 0 && event.credits_monthly <= kCreditsPerCommandMax);
  Period period = period_after_allocation(book, event);
  if (book.period) {
    LF_ASSERT(event.carried_over_credits == 0);
    hold_over(book, event.held_over, book.monthly_remaining_credits,
              std::min(book.period->span.end_ms, event.period.start_ms), std::nullopt);
    book.monthly_remaining_credits = event.credits_monthly;
  } else {
    LF_ASSERT(event.reason == AllocationReason::allocate && !event.held_over);
    LF_ASSERT_MSG(event.carried_over_credits == book.monthly_remaining_credits,
                  "carried_over is what the tenant had before its first allocation");
    book.monthly_remaining_credits += event.credits_monthly;
  }
  book.period = std::move(period);
  book.credits_monthly = event.credits_monthly;
  book.consumed_in_period_credits = 0;
}

void on_expired_monthly(Book& book, const Expired& event) {
  LF_ASSERT(event.lot == kMonthlyLotName && !event.topup_order_id && !event.held_over);
  LF_ASSERT_MSG(event.credits > 0, "a period end lapses something or is not written");
  LF_ASSERT(event.credits == std::min(book.monthly_remaining_credits, effective_available(book)));
  book.monthly_remaining_credits -= event.credits;
}

void on_expired_topup(Book& book, const Expired& event) {
  TopupLot* lot = find_topup_lot(book, event.lot);
  LF_ASSERT_MSG(lot != nullptr, "an expiry of an unknown top-up lot");
  LF_ASSERT(lot->expires_at_ms.has_value() && event.topup_order_id == lot->topup_order_id);
  LF_ASSERT(event.credits == std::min(lot->remaining_credits, effective_available(book)));
  const TopupLot expired = *lot;
  book.topup_lots.erase(expired.topup_order_id);
  hold_over(book, event.held_over, expired.remaining_credits - event.credits,
            *expired.expires_at_ms, expired.topup_order_id);
}

void on_expired_lapsing(Book& book, const Expired& event) {
  LapsingLot* lot = find_lapsing_lot(book, event.lot);
  LF_ASSERT_MSG(lot != nullptr, "an expiry of an unknown lapsing lot");
  LF_ASSERT(event.topup_order_id == lot->topup_order_id && !event.held_over);
  LF_ASSERT(event.credits > 0);
  LF_ASSERT(event.credits == std::min(lot->remaining_credits, effective_available(book)));
  take_draw(book, {LotCredits{event.lot, event.credits}});
}

void on_expired(Book& book, const Expired& event) {
  switch (event.reason) {
    case ExpiryReason::period_end:
      return on_expired_monthly(book, event);
    case ExpiryReason::topup_expired:
      return on_expired_topup(book, event);
    case ExpiryReason::lapsing:
      return on_expired_lapsing(book, event);
  }
  LF_ASSERT_MSG(false, "an unknown expiry reason");
}

// A refund takes a paid order's top-up lot back as an immediate expiry of
// it: what effective available allows leaves now, the held rest becomes a
// lapsing lot ordered by the refund's time.
void on_topup_refunded(Book& book, const TopupRefunded& event) {
  LF_ASSERT(event.lot == topup_lot_name(event.topup_order_id));
  const TopupLot* lot = find_topup_lot(book, event.lot);
  if (lot == nullptr) {
    LF_ASSERT_MSG(event.credits == 0 && !event.held_over,
                  "a refund takes nothing back from a lot that is gone");
    return;
  }
  LF_ASSERT(event.credits == std::min(lot->remaining_credits, effective_available(book)));
  const TopupLot refunded = *lot;
  book.topup_lots.erase(refunded.topup_order_id);
  hold_over(book, event.held_over, refunded.remaining_credits - event.credits, event.refunded_at_ms,
            refunded.topup_order_id);
}

void on_drawn(Book& book, int64_t credits, const std::vector<LotCredits>& drawn) {
  LF_ASSERT(credits >= 0 && credits <= effective_available(book));
  LF_ASSERT_MSG(drawn == plan_draw(book, credits), "drawn does not follow the draw order");
  take_draw(book, drawn);
}

struct BookMutation {
  Book& book;

  void operator()(const Allocated& event) const { on_allocated(book, event); }
  void operator()(const ToppedUp& event) const {
    LF_ASSERT(event.credits > 0 && event.credits <= kCreditsPerCommandMax);
    const bool inserted =
        book.topup_lots
            .emplace(event.topup_order_id,
                     TopupLot{event.topup_order_id, event.credits, event.expires_at_ms})
            .second;
    LF_ASSERT_MSG(inserted, "a second top-up lot for one order");
  }
  void operator()(const Reserved& event) const {
    LF_ASSERT(event.credits > 0 && event.credits <= effective_available(book));
    book.reserved_credits += event.credits;
  }
  void operator()(const Released& event) const {
    LF_ASSERT(event.credits > 0 && event.credits <= book.reserved_credits);
    book.reserved_credits -= event.credits;
  }
  void operator()(const Consumed& event) const {
    on_drawn(book, event.credits, event.drawn);
    book.consumed_in_period_credits =
        add_saturating(book.consumed_in_period_credits, event.credits);
    book.consumed_lifetime_credits = add_saturating(book.consumed_lifetime_credits, event.credits);
  }
  void operator()(const Refunded& event) const {
    LF_ASSERT(event.credits > 0 && event.credits <= kCreditsPerCommandMax);
    LF_ASSERT(event.credits <= book.consumed_lifetime_credits - book.refunded_lifetime_credits);
    book.monthly_remaining_credits += event.credits;
    book.refunded_lifetime_credits += event.credits;
  }
  void operator()(const Adjusted& event) const {
    LF_ASSERT(event.credits != 0 && event.credits >= -kCreditsPerCommandMax &&
              event.credits <= kCreditsPerCommandMax);
    if (event.credits > 0) {
      LF_ASSERT(event.drawn.empty());
      book.monthly_remaining_credits += event.credits;
    } else {
      on_drawn(book, -event.credits, event.drawn);
    }
  }
  void operator()(const Expired& event) const { on_expired(book, event); }
  void operator()(const TopupRefunded& event) const { on_topup_refunded(book, event); }
  // The order events change no lot: their credits move with the
  // credits.topped_up and credits.topup_refunded beside them.
  void operator()(const TopupOrderCreated&) const {}
  void operator()(const TopupOrderPaid&) const {}
  void operator()(const TopupOrderFailed&) const {}
  void operator()(const TopupOrderRefunded&) const {}
};

// What an event changes outside the book.
struct HistoryMutation {
  State& state;

  TopupOrder& order(const std::string& topup_order_id) const {
    auto found = state.topup_orders.find(topup_order_id);
    LF_ASSERT_MSG(found != state.topup_orders.end(), "an event of an unknown top-up order");
    return found->second;
  }

  void operator()(const ToppedUp& event) const {
    const bool inserted = state.topup_orders_seen.insert(event.topup_order_id).second;
    LF_ASSERT_MSG(inserted, "a top-up order seen before");
    auto found = state.topup_orders.find(event.topup_order_id);
    if (found == state.topup_orders.end()) return;  // a credits.topup, no order
    const TopupOrder& paid = found->second;
    LF_ASSERT_MSG(state.pending_order == event.topup_order_id,
                  "an order's credits are granted in the record that pays it");
    state.pending_order.reset();
    LF_ASSERT_MSG(paid.status == TopupOrderStatus::paid,
                  "an order's credits are granted after its topup_order.paid");
    LF_ASSERT(paid.credits == event.credits && paid.expires_at_ms == event.expires_at_ms);
  }
  void operator()(const TopupOrderCreated& event) const {
    LF_ASSERT(event.credits > 0 && event.credits <= kCreditsPerCommandMax);
    LF_ASSERT(event.amount_minor >= 0);
    LF_ASSERT_MSG(!state.topup_orders_seen.contains(event.topup_order_id),
                  "an order for a top-up already credited");
    TopupOrder created{event.topup_order_id,
                       TopupOrderStatus::pending,
                       event.credits,
                       event.amount_minor,
                       event.currency,
                       event.expires_at_ms,
                       std::nullopt,
                       std::nullopt,
                       0};
    const bool inserted =
        state.topup_orders.emplace(event.topup_order_id, std::move(created)).second;
    LF_ASSERT_MSG(inserted, "a top-up order created twice");
  }
  void operator()(const TopupOrderPaid& event) const {
    TopupOrder& paid = order(event.topup_order_id);
    LF_ASSERT_MSG(
        paid.status == TopupOrderStatus::pending || paid.status == TopupOrderStatus::failed,
        "only a pending or failed order is paid");
    LF_ASSERT(paid.credits == event.credits);
    paid.status = TopupOrderStatus::paid;
    state.pending_order = event.topup_order_id;
    paid.paid_at_ms = event.paid_at_ms;
    paid.expires_at_ms = event.expires_at_ms;
  }
  void operator()(const TopupOrderFailed& event) const {
    TopupOrder& failed = order(event.topup_order_id);
    LF_ASSERT_MSG(failed.status == TopupOrderStatus::pending, "only a pending order fails");
    failed.status = TopupOrderStatus::failed;
  }
  void operator()(const TopupOrderRefunded& event) const {
    TopupOrder& refunded = order(event.topup_order_id);
    LF_ASSERT_MSG(refunded.status == TopupOrderStatus::paid, "only a paid order is refunded");
    LF_ASSERT(event.credits_granted == refunded.credits);
    LF_ASSERT(event.credits_expired == refunded.lot_expired_credits);
    refunded.status = TopupOrderStatus::refunded;
    refunded.refunded_at_ms = event.refunded_at_ms;
    state.pending_order = event.topup_order_id;
  }
  void operator()(const TopupRefunded& event) const {
    LF_ASSERT_MSG(order(event.topup_order_id).status == TopupOrderStatus::refunded,
                  "a lot is taken back after its topup_order.refunded");
    LF_ASSERT_MSG(state.pending_order == event.topup_order_id,
                  "a lot is taken back in the record that refunds its order");
    state.pending_order.reset();
  }
  void operator()(const Expired& event) const {
    if (event.reason != ExpiryReason::topup_expired || !event.topup_order_id) return;
    auto found = state.topup_orders.find(*event.topup_order_id);
    if (found == state.topup_orders.end()) return;
    const TopupLot* lot = find_topup_lot(state.book, event.lot);
    LF_ASSERT_MSG(lot != nullptr, "an expiry of an unknown top-up lot");
    found->second.lot_expired_credits = lot->remaining_credits;  // before the book drops it
  }
  void operator()(const Reserved& event) const {
    LF_ASSERT_MSG(!state.recently_closed.contains(event.reservation_id),
                  "a recently closed reservation id reused");
    Reservation reservation{event.reservation_id, event.credits, event.expires_at_ms,
                            event.activity_run_id, event.deliverable_type};
    const bool inserted =
        state.reservations.emplace(event.reservation_id, std::move(reservation)).second;
    LF_ASSERT_MSG(inserted, "an open reservation id reused");
  }
  void operator()(const Released& event) const {
    auto found = state.reservations.find(event.reservation_id);
    LF_ASSERT_MSG(found != state.reservations.end(), "a release of a reservation that is not open");
    LF_ASSERT_MSG(found->second.credits == event.credits, "a release of another amount than held");
    state.reservations.erase(found);
    state.recently_closed.push(event.reservation_id);
    if (event.reason == ReleaseReason::consumed) {
      state.pending_consumption = PendingConsumption{event.reservation_id, event.credits};
    }
  }
  void operator()(const Consumed& event) const {
    LF_ASSERT_MSG(state.pending_consumption.has_value(),
                  "credits.consumed follows its credits.released");
    LF_ASSERT(state.pending_consumption->reservation_id == event.reservation_id);
    LF_ASSERT_MSG(event.credits <= state.pending_consumption->held_credits,
                  "a consumption exceeds its reservation");
    state.pending_consumption.reset();
  }
  template <typename Other>
  void operator()(const Other&) const {}
};

}  // namespace

void apply_book(Book& book, const Event& event) {
  std::visit(BookMutation{book}, event);
  assert_valid(book_invariant_violation(book));
}

void apply(State& state, const Event& event) {
  LF_ASSERT_MSG(!state.pending_consumption.has_value() || std::holds_alternative<Consumed>(event),
                "a consumption's credits.released is followed by its credits.consumed");
  LF_ASSERT_MSG(!state.pending_order.has_value() || std::holds_alternative<ToppedUp>(event) ||
                    std::holds_alternative<TopupRefunded>(event),
                "an order's topup_order.paid or .refunded is followed by its credits event");
  std::visit(HistoryMutation{state}, event);
  apply_book(state.book, event);
  // The book's invariants (effective_available >= 0, lots in range) are
  // checked after every event; the whole-state scan is O(open reservations),
  // so it runs after every event only in deep-check builds (Debug, sanitizers)
  // and in the tests, which call it after every step.
#if LF_DEEP_CHECKS
  assert_valid(state_invariant_violation(state));
#endif
}

void evolve(State& state, const EventHeader& header, const rapidjson::Value& payload) {
  LF_ASSERT_MSG(handles_event(header.type), "evolve on an event of another domain");
  if (header.type == kLedgerImportedEvent) {
    LF_ASSERT(header.schema_version == kImportEventSchemaVersion);
    evolve_ledger_imported(state, payload);
    return;
  }
  if (header.type == kOrdersImportedEvent) {
    LF_ASSERT(header.schema_version == kImportEventSchemaVersion);
    evolve_orders_imported(state, payload);
    return;
  }
  // Decoding brought every credits event to its current version (2 for the
  // catalogue-v1 types, 1 for those added since; engine::evolve checks the
  // version against the upcaster registry).
  LF_ASSERT_MSG(header.schema_version == event_schema_version(header.type),
                "credits events are at their current schema_version");
  const Event event = decode_event(header.type, payload);
  apply(state, event);
  if (carries_balance(event)) {
    LF_ASSERT_MSG(balance_of(state.book) == decode_balance(payload),
                  "an event's balance differs from the state after it");
  }
}

void evolve_typed(State& state, const EventHeader& header, const TypedEvent& event,
                  const rapidjson::Value* payload) {
  LF_ASSERT_MSG(handles_event(header.type) && header.type == event_type(event.event),
                "evolve_typed on an event of another type");
  LF_ASSERT_MSG(header.schema_version == event_schema_version(header.type),
                "credits events are at their current schema_version");
  LF_ASSERT(event.balance.has_value() == carries_balance(event.event));
  if (payload != nullptr) {
    LF_ASSERT_MSG(decode_event(header.type, *payload) == event.event,
                  "an event's payload decodes to another event than its decider emitted");
    if (event.balance) LF_ASSERT(decode_balance(*payload) == *event.balance);
  }
  apply(state, event.event);
  if (event.balance) {
    LF_ASSERT_MSG(balance_of(state.book) == *event.balance,
                  "an event's balance differs from the state after it");
  }
}

}  // namespace lf::engine::credits
