// The per-command decisions behind decide() (decider.hpp). Each reads the
// state as it is, refuses with one reason, or emits events through an
// Emitter over a scratch copy of the book.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "engine/credits/commands.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "events/envelope.hpp"

namespace lf::engine::credits {

// Rejection reasons (docs/domains/credits.md "Commands").
namespace reason {
inline constexpr const char* kInvalidPayload = "invalid_payload";
inline constexpr const char* kInvalidPeriod = "invalid_period";
inline constexpr const char* kInvalidTimezone = "invalid_timezone";
inline constexpr const char* kInvalidExpiry = "invalid_expiry";
inline constexpr const char* kDuplicateTopupOrder = "duplicate_topup_order";
inline constexpr const char* kDuplicateReservation = "duplicate_reservation";
inline constexpr const char* kInsufficientCredits = "insufficient_credits";
inline constexpr const char* kUnknownReservation = "unknown_reservation";
inline constexpr const char* kReservationClosed = "reservation_closed";
inline constexpr const char* kExceedsReservation = "exceeds_reservation";
inline constexpr const char* kExceedsConsumed = "exceeds_consumed";
inline constexpr const char* kForbidden = "forbidden";
inline constexpr const char* kLimitExceeded = "limit_exceeded";
inline constexpr const char* kUnknownTopupOrder = "unknown_topup_order";
inline constexpr const char* kAlreadyPaid = "already_paid";
inline constexpr const char* kAlreadyRefunded = "already_refunded";
inline constexpr const char* kInvalidTransition = "invalid_transition";
}  // namespace reason

// Default lifetime of a reservation without expires_at.
inline constexpr int64_t kReservationDefaultTtlMs = 3'600'000;

struct DecisionInput {
  const State& state;
  const CommandEnvelope& command;
  int64_t now_ms = 0;
  std::string stream;
  // For billing time zones (allocate); null: TimeZoneDb::system().
  const TimeZoneDb* time_zones = nullptr;
};

Decision decide_allocate(const DecisionInput& in, const Allocate& command);
Decision decide_topup(const DecisionInput& in, const Topup& command);
Decision decide_refund(const DecisionInput& in, const Refund& command);
Decision decide_adjust(const DecisionInput& in, const Adjust& command);
Decision decide_reserve(const DecisionInput& in, const Reserve& command);
Decision decide_consume(const DecisionInput& in, const Consume& command);
Decision decide_release(const DecisionInput& in, const Release& command);
Decision decide_create_order(const DecisionInput& in, const CreateTopupOrder& command);
Decision decide_pay_order(const DecisionInput& in, const PayTopupOrder& command);
Decision decide_fail_order(const DecisionInput& in, const FailTopupOrder& command);
Decision decide_refund_order(const DecisionInput& in, const RefundTopupOrder& command);

// The expiry a top-up lot gets: `expires_at_ms` if given, else the end of
// the billing month (the current period's next_reset_at), else none; or
// invalid_expiry when it is not after now. Shared by credits.topup and
// topup_order.pay.
std::variant<std::optional<int64_t>, Decision> topup_expiry(const Book& book,
                                                            std::optional<int64_t> expires_at_ms,
                                                            int64_t now_ms);
// limit_exceeded when a new top-up lot of `credits` would break a limit
// (kTopupLotsMax lots, kCreditsAvailableMax).
std::optional<Decision> refuse_topup_lot(const Book& book, int64_t credits);

// limit_exceeded when adding `credits` would take credits_available above
// kCreditsAvailableMax.
std::optional<Decision> refuse_above_available_max(const Book& book, int64_t credits);

}  // namespace lf::engine::credits
