// Decisions on holds: reserve, consume, release.
#include "engine/credits/decide.hpp"

#include <algorithm>
#include <variant>

#include "engine/credits/emitter.hpp"
#include "engine/credits/lots.hpp"
#include "engine/credits/period.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

// The open reservation `reservation_id` names, or the refusal.
std::variant<const Reservation*, Decision> open_reservation(const State& state,
                                                            const std::string& reservation_id) {
  auto found = state.reservations.find(reservation_id);
  if (found != state.reservations.end()) return &found->second;
  if (state.recently_closed.contains(reservation_id)) {
    return Decision::reject(reason::kReservationClosed,
                            "reservation " + reservation_id + " is already closed");
  }
  return Decision::reject(reason::kUnknownReservation, "no open reservation " + reservation_id);
}

}  // namespace

Decision decide_reserve(const DecisionInput& in, const Reserve& command) {
  const Book& book = in.state.book;
  if (in.state.reservations.contains(command.reservation_id) ||
      in.state.recently_closed.contains(command.reservation_id)) {
    return Decision::reject(
        reason::kDuplicateReservation,
        "reservation id " + command.reservation_id + " is open or was recently closed");
  }
  const int64_t expires_at_ms = command.expires_at_ms.value_or(
      std::min(in.now_ms + kReservationDefaultTtlMs, kTimestampMaxMs));
  if (expires_at_ms <= in.now_ms) {
    return Decision::reject(reason::kInvalidExpiry,
                            "expires_at " + format_rfc3339_ms(expires_at_ms) + " is not after now");
  }
  const int64_t effective = effective_available(book);
  if (effective < command.credits) {
    return Decision::reject(reason::kInsufficientCredits,
                            "reserving " + std::to_string(command.credits) +
                                " credits needs more than the " + std::to_string(effective) +
                                " effectively available");
  }
  if (in.state.reservations.size() >= kReservationsOpenMax) {
    return Decision::reject(
        reason::kLimitExceeded,
        "the tenant already has " + std::to_string(kReservationsOpenMax) + " open reservations");
  }
  Emitter<Book> out(book, in.stream);
  out.emit(Reserved{command.reservation_id, command.credits, expires_at_ms, command.activity_run_id,
                    command.deliverable_type});
  return Decision::accept(out.take());
}

Decision decide_consume(const DecisionInput& in, const Consume& command) {
  auto found = open_reservation(in.state, command.reservation_id);
  if (Decision* refused = std::get_if<Decision>(&found)) return std::move(*refused);
  const Reservation& reservation = *std::get<const Reservation*>(found);
  if (command.credits > reservation.credits) {
    return Decision::reject(reason::kExceedsReservation,
                            "consuming " + std::to_string(command.credits) +
                                " credits exceeds the " + std::to_string(reservation.credits) +
                                " reserved");
  }
  // The hold is released whole, then what was used is drawn from the lots.
  Emitter<Book> out(in.state.book, in.stream);
  out.emit(Released{reservation.reservation_id, reservation.credits, ReleaseReason::consumed,
                    reservation.activity_run_id});
  out.emit(Consumed{reservation.reservation_id, command.credits, reservation.activity_run_id,
                    reservation.deliverable_type, plan_draw(out.book(), command.credits)});
  return Decision::accept(out.take());
}

Decision decide_release(const DecisionInput& in, const Release& command) {
  auto found = open_reservation(in.state, command.reservation_id);
  if (Decision* refused = std::get_if<Decision>(&found)) return std::move(*refused);
  const Reservation& reservation = *std::get<const Reservation*>(found);
  Emitter<Book> out(in.state.book, in.stream);
  out.emit(Released{reservation.reservation_id, reservation.credits, ReleaseReason::released,
                    reservation.activity_run_id});
  return Decision::accept(out.take());
}

}  // namespace lf::engine::credits
