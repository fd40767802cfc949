// The per-command decisions behind decide() (decider.hpp). Each reads the
// state as it is, refuses with one reason, or emits events through an
// Emitter over a scratch copy of the book.
#pragma once

#include <string>

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

// limit_exceeded when adding `credits` would take credits_available above
// kCreditsAvailableMax.
std::optional<Decision> refuse_above_available_max(const Book& book, int64_t credits);

}  // namespace lf::engine::credits
