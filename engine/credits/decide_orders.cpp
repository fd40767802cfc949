// Decisions on top-up orders (docs/domains/credits.md "Top-up orders"):
// create, pay (grants the credits), fail, refund (takes back what is left of
// the order's top-up lot, as an immediate expiry of it).
#include "engine/credits/decide.hpp"

#include <algorithm>
#include <variant>

#include "engine/credits/emitter.hpp"
#include "engine/credits/lots.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

// Who may settle an order: the payment webhook (system) and the back office.
bool may_settle(std::string_view actor) {
  return actor == "system" || (actor.starts_with("admin:") && actor.size() > 6) ||
         (actor.starts_with("support:") && actor.size() > 8);
}

std::string order_text(const std::string& topup_order_id) {
  return "top-up order " + topup_order_id;
}

// The order a settling command names, or its refusal: forbidden, then
// unknown_topup_order.
std::variant<const TopupOrder*, Decision> settled_order(const DecisionInput& in,
                                                        const std::string& topup_order_id,
                                                        std::string_view verb) {
  if (!may_settle(in.command.actor)) {
    return Decision::reject(reason::kForbidden, "only system, admin: and support: actors may " +
                                                    std::string(verb) + " a top-up order, not " +
                                                    in.command.actor);
  }
  auto found = in.state.topup_orders.find(topup_order_id);
  if (found == in.state.topup_orders.end()) {
    return Decision::reject(reason::kUnknownTopupOrder,
                            "no " + order_text(topup_order_id) + " was created");
  }
  return &found->second;
}

std::string when_paid(const TopupOrder& order) {
  LF_ASSERT(order.paid_at_ms.has_value());
  std::string text = order_text(order.topup_order_id) + " was already paid at " +
                     format_rfc3339_ms(*order.paid_at_ms);
  if (order.refunded_at_ms) text += " and refunded at " + format_rfc3339_ms(*order.refunded_at_ms);
  return text;
}

Decision invalid_transition(const TopupOrder& order, std::string_view verb) {
  return Decision::reject(reason::kInvalidTransition, order_text(order.topup_order_id) + " is " +
                                                          std::string(to_string(order.status)) +
                                                          ": it cannot be " + std::string(verb));
}

}  // namespace

Decision decide_create_order(const DecisionInput& in, const CreateTopupOrder& command) {
  const std::string& id = command.topup_order_id;
  if (in.state.topup_orders_seen.contains(id)) {
    return Decision::reject(reason::kDuplicateTopupOrder, order_text(id) + " was already credited");
  }
  if (auto found = in.state.topup_orders.find(id); found != in.state.topup_orders.end()) {
    return Decision::reject(
        reason::kDuplicateTopupOrder,
        order_text(id) + " exists (" + std::string(to_string(found->second.status)) + ")");
  }
  if (command.expires_at_ms && *command.expires_at_ms <= in.now_ms) {
    return Decision::reject(reason::kInvalidExpiry, "the order would expire at " +
                                                        format_rfc3339_ms(*command.expires_at_ms) +
                                                        ", not after now");
  }
  if (in.state.topup_orders.size() >= kTopupOrdersMax) {
    return Decision::reject(
        reason::kLimitExceeded,
        "the tenant already has " + std::to_string(kTopupOrdersMax) + " top-up orders");
  }
  Emitter<Book> out(in.state.book, in.stream);
  out.emit(TopupOrderCreated{id, command.credits, command.amount_minor, command.currency,
                             command.expires_at_ms});
  return Decision::accept(out.take());
}

// The payment captured: the order is paid and its credits granted as a
// top-up lot, in one record. A webhook delivered again is already_paid.
Decision decide_pay_order(const DecisionInput& in, const PayTopupOrder& command) {
  auto found = settled_order(in, command.topup_order_id, "pay");
  if (Decision* refused = std::get_if<Decision>(&found)) return std::move(*refused);
  const TopupOrder& order = *std::get<const TopupOrder*>(found);
  if (order.status == TopupOrderStatus::paid || order.status == TopupOrderStatus::refunded) {
    return Decision::reject(reason::kAlreadyPaid, when_paid(order));
  }
  const Book& book = in.state.book;
  auto expiry = topup_expiry(book, order.expires_at_ms, in.now_ms);
  if (Decision* refused = std::get_if<Decision>(&expiry)) return std::move(*refused);
  if (std::optional<Decision> refused = refuse_topup_lot(book, order.credits))
    return std::move(*refused);
  // create and credits.topup keep an order's id apart from the top-ups credited.
  LF_ASSERT(!in.state.topup_orders_seen.contains(order.topup_order_id));
  const std::optional<int64_t> expires_at_ms = std::get<std::optional<int64_t>>(expiry);
  const int64_t paid_at_ms = command.paid_at_ms.value_or(in.command.issued_at_ms);
  Emitter<Book> out(book, in.stream);
  out.emit(TopupOrderPaid{order.topup_order_id, order.credits, paid_at_ms, expires_at_ms});
  out.emit(ToppedUp{order.topup_order_id, order.credits, expires_at_ms});
  return Decision::accept(out.take());
}

Decision decide_fail_order(const DecisionInput& in, const FailTopupOrder& command) {
  auto found = settled_order(in, command.topup_order_id, "fail");
  if (Decision* refused = std::get_if<Decision>(&found)) return std::move(*refused);
  const TopupOrder& order = *std::get<const TopupOrder*>(found);
  if (order.status != TopupOrderStatus::pending) return invalid_transition(order, "failed");
  Emitter<Book> out(in.state.book, in.stream);
  out.emit(TopupOrderFailed{order.topup_order_id, command.reason});
  return Decision::accept(out.take());
}

// The lot is taken back like an immediate expiry: what effective available
// allows now, the rest (held by open reservations) as a lapsing lot that
// lapses as the holds end. What was drawn from it stays consumed.
Decision decide_refund_order(const DecisionInput& in, const RefundTopupOrder& command) {
  auto found = settled_order(in, command.topup_order_id, "refund");
  if (Decision* refused = std::get_if<Decision>(&found)) return std::move(*refused);
  const TopupOrder& order = *std::get<const TopupOrder*>(found);
  if (order.status == TopupOrderStatus::refunded) {
    return Decision::reject(reason::kAlreadyRefunded,
                            order_text(order.topup_order_id) + " was already refunded at " +
                                format_rfc3339_ms(order.refunded_at_ms.value_or(0)));
  }
  if (order.status != TopupOrderStatus::paid) return invalid_transition(order, "refunded");
  const Book& book = in.state.book;
  const std::string lot_name = topup_lot_name(order.topup_order_id);
  const TopupLot* lot = find_topup_lot(book, lot_name);
  const int64_t left = lot != nullptr ? lot->remaining_credits : 0;
  LF_ASSERT_MSG(lot == nullptr || order.lot_expired_credits == 0, "a lot expires once");
  const int64_t taken_back = std::min(left, effective_available(book));
  const int64_t held = left - taken_back;
  const int64_t consumed = order.credits - left - order.lot_expired_credits;
  LF_ASSERT_MSG(consumed >= 0, "a lot never gives more than its order granted");
  std::optional<LotCredits> held_over;
  if (held > 0) held_over = LotCredits{lapsing_lot_name(book.lapsing_lot_number_next), held};
  Emitter<Book> out(book, in.stream);
  out.emit(TopupOrderRefunded{order.topup_order_id, in.now_ms, order.credits, consumed,
                              order.lot_expired_credits, taken_back, held, command.note});
  out.emit(TopupRefunded{order.topup_order_id, lot_name, taken_back, std::move(held_over),
                         in.now_ms, command.note});
  return Decision::accept(out.take());
}

}  // namespace lf::engine::credits
