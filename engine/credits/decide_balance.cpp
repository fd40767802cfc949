// Decisions that change what a tenant has: allocate, topup, refund, adjust.
#include "engine/credits/decide.hpp"

#include <algorithm>
#include <optional>
#include <variant>

#include "engine/credits/allocation.hpp"
#include "engine/credits/emitter.hpp"
#include "engine/credits/lots.hpp"
#include "engine/credits/period.hpp"
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

std::string describe(const PeriodSpan& period) {
  const std::string instants =
      "[" + format_rfc3339_ms(period.start_ms) + ", " + format_rfc3339_ms(period.end_ms) + ")";
  if (period.series == PeriodSeries::instants) return instants;
  return format_date_days(period.start_day) + " to " + format_date_days(period.end_day) + " in " +
         period.time_zone + ", " + instants;
}

// The billing time zone of an allocation: the command's, else the current
// period's, else UTC.
Result<const TimeZone*> billing_zone(const Book& book, const Allocate& command,
                                     const TimeZoneDb& time_zones) {
  const std::string name = command.time_zone ? *command.time_zone
                           : book.period     ? book.period->span.time_zone
                                             : std::string(kDefaultTimeZone);
  if (const TimeZone* zone = time_zones.find(name)) return zone;
  if (command.time_zone) {
    return make_error(reason::kInvalidTimezone,
                      "timezone " + name +
                          " is not an IANA time zone this engine knows (e.g. Asia/Kolkata, "
                          "America/New_York, UTC)");
  }
  return make_error(reason::kInvalidTimezone,
                    "the tenant's billing time zone, " + name +
                        ", is no longer known here; name one in timezone");
}

Result<PeriodSpan> dates_period(const PeriodDates& dates, const TimeZone& zone) {
  if (dates.end_day < dates.start_day) {
    return make_error(reason::kInvalidPeriod, "period_end, " + format_date_days(dates.end_day) +
                                                  ", is before period_start, " +
                                                  format_date_days(dates.start_day));
  }
  if (dates.start_day < kPeriodDayMin || dates.end_day > kPeriodDayMax) {
    return make_error(reason::kInvalidPeriod, "a period's dates lie from " +
                                                  format_date_days(kPeriodDayMin) + " to " +
                                                  format_date_days(kPeriodDayMax));
  }
  return PeriodSpan{dates.start_day,
                    dates.end_day,
                    zone.start_of_day_ms(dates.start_day),
                    zone.start_of_day_ms(dates.end_day + 1),
                    zone.name(),
                    PeriodSeries::calendar};
}

// The deprecated RFC 3339 form: local midnights are read as the dates they
// start; other instants keep v1's period exactly, renewed as v1 did.
Result<PeriodSpan> instants_period(const PeriodInstants& instants, const TimeZone& zone) {
  if (instants.end_ms <= instants.start_ms) {
    return make_error(reason::kInvalidPeriod, "period_end must be after period_start");
  }
  const int32_t start_day = zone.local_day(instants.start_ms);
  const int32_t day_after = zone.local_day(instants.end_ms);
  if (zone.start_of_day_ms(start_day) == instants.start_ms &&
      zone.start_of_day_ms(day_after) == instants.end_ms && start_day >= kPeriodDayMin &&
      day_after - 1 <= kPeriodDayMax) {
    return dates_period(PeriodDates{start_day, day_after - 1}, zone);
  }
  return PeriodSpan{start_day,         std::max(start_day, zone.local_day(instants.end_ms - 1)),
                    instants.start_ms, instants.end_ms,
                    zone.name(),       PeriodSeries::instants};
}

Result<PeriodSpan> allocation_period(const Book& book, const Allocate& command,
                                     const TimeZoneDb& time_zones) {
  const Result<const TimeZone*> zone = billing_zone(book, command, time_zones);
  if (!zone) return zone.error();
  Result<PeriodSpan> period =
      std::holds_alternative<PeriodDates>(command.period)
          ? dates_period(std::get<PeriodDates>(command.period), **zone)
          : instants_period(std::get<PeriodInstants>(command.period), **zone);
  if (!period) return period;
  if (std::optional<std::string> violation = span_violation(*period)) {
    return make_error(
        reason::kInvalidPeriod,
        "the period " + describe(*period) + " cannot be a billing period (" + *violation + ")");
  }
  return period;
}

std::optional<Decision> refuse_period(const Book& book, const PeriodSpan& period, int64_t now_ms) {
  if (now_ms < period.start_ms || now_ms >= period.end_ms) {
    return Decision::reject(
        reason::kInvalidPeriod,
        "the period " + describe(period) + " does not contain now, " + format_rfc3339_ms(now_ms));
  }
  if (book.period && period.start_ms < book.period->span.start_ms) {
    return Decision::reject(reason::kInvalidPeriod, "the period " + describe(period) +
                                                        " starts before the current period, " +
                                                        describe(book.period->span));
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
  const TimeZoneDb& time_zones = in.time_zones != nullptr ? *in.time_zones : TimeZoneDb::system();
  const Result<PeriodSpan> period = allocation_period(book, command, time_zones);
  if (!period) return Decision::reject(period.error().code, period.error().message);
  if (std::optional<Decision> refused = refuse_period(book, *period, in.now_ms))
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
  emit_allocation(out, command.credits_monthly, *period, AllocationReason::allocate);
  return Decision::accept(out.take());
}

std::variant<std::optional<int64_t>, Decision> topup_expiry(const Book& book,
                                                            std::optional<int64_t> expires_at_ms,
                                                            int64_t now_ms) {
  // Default: the end of the billing month, the current period's next_reset_at.
  if (!expires_at_ms && book.period) expires_at_ms = book.period->span.end_ms;
  if (expires_at_ms && *expires_at_ms <= now_ms) {
    return Decision::reject(
        reason::kInvalidExpiry,
        "the top-up would expire at " + format_rfc3339_ms(*expires_at_ms) + ", not after now");
  }
  return expires_at_ms;
}

std::optional<Decision> refuse_topup_lot(const Book& book, int64_t credits) {
  if (book.topup_lots.size() >= kTopupLotsMax) {
    return Decision::reject(
        reason::kLimitExceeded,
        "the tenant already has " + std::to_string(kTopupLotsMax) + " top-up lots with credits");
  }
  return refuse_above_available_max(book, credits);
}

Decision decide_topup(const DecisionInput& in, const Topup& command) {
  const Book& book = in.state.book;
  if (in.state.topup_orders_seen.contains(command.topup_order_id)) {
    return Decision::reject(reason::kDuplicateTopupOrder,
                            "top-up order " + command.topup_order_id + " was already credited");
  }
  // An order's credits are granted by its topup_order.pay, never twice.
  if (in.state.topup_orders.contains(command.topup_order_id)) {
    return Decision::reject(reason::kDuplicateTopupOrder,
                            "top-up order " + command.topup_order_id +
                                " is an order: its credits come with topup_order.pay");
  }
  auto expiry = topup_expiry(book, command.expires_at_ms, in.now_ms);
  if (Decision* refused = std::get_if<Decision>(&expiry)) return std::move(*refused);
  if (std::optional<Decision> refused = refuse_topup_lot(book, command.credits))
    return std::move(*refused);
  Emitter<Book> out(book, in.stream);
  out.emit(
      ToppedUp{command.topup_order_id, command.credits, std::get<std::optional<int64_t>>(expiry)});
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
