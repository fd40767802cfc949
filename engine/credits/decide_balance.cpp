// Decisions that change what a tenant has: allocate, topup, refund, adjust.
#include "engine/credits/decide.hpp"

#include <optional>

#include "engine/credits/allocation.hpp"
#include "engine/credits/emitter.hpp"
#include "engine/credits/lots.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

std::string credits_text(int64_t credits) {
  return std::to_string(credits) + " credits";
}

bool may_adjust(std::string_view actor) {
  return (actor.starts_with("admin:") && actor.size() > 6) ||
         (actor.starts_with("support:") && actor.size() > 8);
}

std::optional<Decision> refuse_period(const Book& book, const Allocate& command, int64_t now_ms) {
  if (command.period_end_ms <= command.period_start_ms) {
    return Decision::reject(reason::kInvalidPeriod, "period_end must be after period_start");
  }
  if (now_ms < command.period_start_ms || now_ms >= command.period_end_ms) {
    return Decision::reject(reason::kInvalidPeriod,
                            "the period [" + format_rfc3339_ms(command.period_start_ms) + ", " +
                                format_rfc3339_ms(command.period_end_ms) +
                                ") does not contain now, " + format_rfc3339_ms(now_ms));
  }
  if (book.period && command.period_start_ms < book.period->start_ms) {
    return Decision::reject(reason::kInvalidPeriod,
                            "period_start is before the current period's start, " +
                                format_rfc3339_ms(book.period->start_ms));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Decision> refuse_above_available_max(const Book& book, int64_t credits) {
  LF_ASSERT(credits >= 0 && credits <= kCreditsAvailableAbsoluteMax);
  const int64_t available = available_credits(book);
  if (available + credits <= kCreditsAvailableMax) return std::nullopt;
  return Decision::reject(reason::kLimitExceeded, "credits_available would exceed " +
                                                      credits_text(kCreditsAvailableMax) +
                                                      " (it is " + std::to_string(available) + ")");
}

Decision decide_allocate(const DecisionInput& in, const Allocate& command) {
  const Book& book = in.state.book;
  if (std::optional<Decision> refused = refuse_period(book, command, in.now_ms))
    return std::move(*refused);
  // The ending lot's unheld credits lapse before the new lot is added.
  const int64_t lapsed = monthly_lapse_credits(book);
  Book after_lapse = book;
  after_lapse.monthly_remaining_credits -= lapsed;
  if (std::optional<Decision> refused =
          refuse_above_available_max(after_lapse, command.credits_monthly)) {
    return std::move(*refused);
  }
  Emitter<Book> out(book, in.stream);
  emit_allocation(out, command.credits_monthly, command.period_start_ms, command.period_end_ms,
                  AllocationReason::allocate);
  return Decision::accept(out.take());
}

Decision decide_topup(const DecisionInput& in, const Topup& command) {
  const Book& book = in.state.book;
  if (in.state.topup_orders_seen.contains(command.topup_order_id)) {
    return Decision::reject(reason::kDuplicateTopupOrder,
                            "top-up order " + command.topup_order_id + " was already credited");
  }
  std::optional<int64_t> expires_at_ms = command.expires_at_ms;
  if (!expires_at_ms && book.period)
    expires_at_ms = book.period->end_ms;  // default: the period's end
  if (expires_at_ms && *expires_at_ms <= in.now_ms) {
    return Decision::reject(
        reason::kInvalidExpiry,
        "the top-up would expire at " + format_rfc3339_ms(*expires_at_ms) + ", not after now");
  }
  if (book.topup_lots.size() >= kTopupLotsMax) {
    return Decision::reject(
        reason::kLimitExceeded,
        "the tenant already has " + std::to_string(kTopupLotsMax) + " top-up lots with credits");
  }
  if (std::optional<Decision> refused = refuse_above_available_max(book, command.credits))
    return std::move(*refused);
  Emitter<Book> out(book, in.stream);
  out.emit(ToppedUp{command.topup_order_id, command.credits, expires_at_ms});
  return Decision::accept(out.take());
}

Decision decide_refund(const DecisionInput& in, const Refund& command) {
  const Book& book = in.state.book;
  const int64_t refundable = book.consumed_lifetime_credits - book.refunded_lifetime_credits;
  if (command.credits > refundable) {
    return Decision::reject(reason::kExceedsConsumed,
                            "a refund of " + credits_text(command.credits) + " exceeds the " +
                                credits_text(refundable) + " consumed and not yet refunded");
  }
  if (std::optional<Decision> refused = refuse_above_available_max(book, command.credits))
    return std::move(*refused);
  Emitter<Book> out(book, in.stream);
  out.emit(Refunded{command.credits, command.note, command.activity_run_id});
  return Decision::accept(out.take());
}

Decision decide_adjust(const DecisionInput& in, const Adjust& command) {
  const Book& book = in.state.book;
  if (!may_adjust(in.command.actor)) {
    return Decision::reject(
        reason::kForbidden,
        "only admin: and support: actors may adjust credits, not " + in.command.actor);
  }
  Adjusted adjusted{command.credits, command.note, {}};
  if (command.credits < 0) {
    const int64_t effective = effective_available(book);
    if (effective < -command.credits) {
      return Decision::reject(reason::kInsufficientCredits,
                              "an adjustment of " + credits_text(command.credits) +
                                  " exceeds the " + credits_text(effective) +
                                  " effectively available");
    }
    adjusted.drawn = plan_draw(book, -command.credits);
  } else if (std::optional<Decision> refused = refuse_above_available_max(book, command.credits)) {
    return std::move(*refused);
  }
  Emitter<Book> out(book, in.stream);
  out.emit(adjusted);
  return Decision::accept(out.take());
}

}  // namespace lf::engine::credits
