// Balance figures and invariants of the credits state.
#include "engine/credits/state.hpp"

#include "engine/credits/period.hpp"
#include "events/assert.hpp"

namespace lf::engine::credits {

void RecentlyClosed::push(const std::string& reservation_id) {
  LF_ASSERT(!ids_.contains(reservation_id));
  order_.push_back(reservation_id);
  ids_.insert(reservation_id);
  if (order_.size() > kRecentlyClosedMax) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
  LF_ASSERT(order_.size() == ids_.size());
  LF_ASSERT(order_.size() <= kRecentlyClosedMax);
}

bool RecentlyClosed::contains(std::string_view reservation_id) const {
  return ids_.contains(reservation_id);
}

int64_t available_credits(const Book& book) {
  // Every term is >= 0 and below kCreditsAvailableAbsoluteMax (invariants),
  // and there are at most kTopupLotsMax + a few lots: no overflow.
  int64_t available = book.monthly_remaining_credits;
  for (const auto& [order_id, lot] : book.topup_lots) available += lot.remaining_credits;
  for (const LapsingLot& lot : book.lapsing_lots) available += lot.remaining_credits;
  return available;
}

int64_t topup_credits(const Book& book) {
  int64_t topup = 0;
  for (const auto& [order_id, lot] : book.topup_lots) topup += lot.remaining_credits;
  for (const LapsingLot& lot : book.lapsing_lots) {
    if (lot.topup_order_id) topup += lot.remaining_credits;
  }
  return topup;
}

int64_t effective_available(const Book& book) {
  return available_credits(book) - book.reserved_credits;
}

Balance balance_of(const Book& book) {
  Balance balance;
  balance.credits_monthly = book.credits_monthly;
  balance.credits_available = available_credits(book);
  balance.credits_reserved = book.reserved_credits;
  balance.credits_consumed = book.consumed_in_period_credits;
  balance.credits_topup = topup_credits(book);
  balance.effective_available = balance.credits_available - balance.credits_reserved;
  if (book.period) {
    balance.period_start_day = book.period->span.start_day;
    balance.period_end_day = book.period->span.end_day;
    balance.next_reset_at_ms = book.period->span.end_ms;
  }
  return balance;
}

namespace {

bool in_range(int64_t credits) {
  return credits >= 0 && credits <= kCreditsAvailableAbsoluteMax;
}

std::optional<std::string> lots_violation(const Book& book) {
  if (!in_range(book.monthly_remaining_credits)) return "monthly lot out of range";
  if (book.topup_lots.size() > kTopupLotsMax) return "too many top-up lots";
  for (const auto& [order_id, lot] : book.topup_lots) {
    if (order_id != lot.topup_order_id) return "top-up lot filed under another order id";
    if (lot.remaining_credits <= 0 || !in_range(lot.remaining_credits))
      return "top-up lot out of range";
  }
  for (std::size_t i = 0; i < book.lapsing_lots.size(); ++i) {
    const LapsingLot& lot = book.lapsing_lots[i];
    if (lot.remaining_credits <= 0 || !in_range(lot.remaining_credits))
      return "lapsing lot out of range";
    if (lot.lot_number <= 0 || lot.lot_number >= book.lapsing_lot_number_next)
      return "lapsing lot number";
    if (i > 0) {
      const LapsingLot& before = book.lapsing_lots[i - 1];
      if (before.expired_at_ms > lot.expired_at_ms ||
          (before.expired_at_ms == lot.expired_at_ms && before.lot_number >= lot.lot_number)) {
        return "lapsing lots out of draw order";
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> period_violation(const Book& book) {
  if (!book.period) return std::nullopt;
  const Period& period = *book.period;
  if (std::optional<std::string> span = span_violation(period.span)) return span;
  return series_violation(period);
}

// Orders: in range; credited (in topup_orders_seen) exactly when paid or
// refunded; a lot that expired left nothing behind in the book.
std::optional<std::string> topup_orders_violation(const State& state) {
  if (state.topup_orders.size() > kTopupOrdersMax) return "too many top-up orders";
  for (const auto& [order_id, order] : state.topup_orders) {
    if (order_id != order.topup_order_id) return "top-up order filed under another id";
    if (order.credits <= 0 || order.credits > kCreditsPerCommandMax) return "top-up order credits";
    if (order.amount_minor < 0) return "top-up order amount";
    const bool credited =
        order.status == TopupOrderStatus::paid || order.status == TopupOrderStatus::refunded;
    if (state.pending_order == order_id) continue;  // between its two events
    if (credited != state.topup_orders_seen.contains(order_id))
      return "top-up order credited unless paid";
    if (credited != order.paid_at_ms.has_value()) return "top-up order paid_at";
    if ((order.status == TopupOrderStatus::refunded) != order.refunded_at_ms.has_value())
      return "top-up order refunded_at";
    if (order.lot_expired_credits < 0 || order.lot_expired_credits > order.credits)
      return "top-up order expired credits";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> book_invariant_violation(const Book& book) {
  if (std::optional<std::string> lots = lots_violation(book)) return lots;
  if (std::optional<std::string> period = period_violation(book)) return period;
  if (!in_range(book.credits_monthly) || !in_range(book.reserved_credits))
    return "plan or reserved out of range";
  if (book.consumed_in_period_credits < 0 || book.consumed_lifetime_credits < 0 ||
      book.refunded_lifetime_credits < 0) {
    return "negative counter";
  }
  if (book.refunded_lifetime_credits > book.consumed_lifetime_credits)
    return "refunded more than consumed";
  const int64_t available = available_credits(book);
  if (!in_range(available)) return "credits_available out of range";
  if (available < book.reserved_credits) return "effective_available below zero";
  return std::nullopt;
}

std::optional<std::string> state_invariant_violation(const State& state) {
  if (std::optional<std::string> book = book_invariant_violation(state.book)) return book;
  if (state.reservations.size() > kReservationsOpenMax) return "too many open reservations";
  int64_t reserved = 0;
  for (const auto& [id, reservation] : state.reservations) {
    if (id != reservation.reservation_id) return "reservation filed under another id";
    if (reservation.credits <= 0 || reservation.credits > kCreditsPerCommandMax)
      return "reservation amount";
    if (state.recently_closed.contains(id)) return "an open reservation is also closed";
    reserved += reservation.credits;  // <= kReservationsOpenMax * 10^15: no overflow
  }
  if (reserved != state.book.reserved_credits)
    return "credits_reserved != sum of open reservations";
  if (state.topup_orders_seen.size() < state.book.topup_lots.size())
    return "top-up lot of an unseen order";
  for (const auto& [order_id, lot] : state.book.topup_lots) {
    if (!state.topup_orders_seen.contains(order_id)) return "top-up lot of an unseen order";
    auto order = state.topup_orders.find(order_id);
    if (order == state.topup_orders.end() || state.pending_order == order_id) continue;
    if (order->second.status != TopupOrderStatus::paid)
      return "top-up lot of an order that is not paid";
    if (order->second.lot_expired_credits != 0) return "top-up lot that has expired";
  }
  return topup_orders_violation(state);
}

}  // namespace lf::engine::credits
