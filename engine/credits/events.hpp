// The credits events as typed values (docs/domains/credits.md "Events").
// The decider builds them, the codec turns them into payload JSON and back,
// and apply() (evolve.hpp) is the one place that changes state with them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/credits/lots.hpp"
#include "engine/credits/state.hpp"

namespace lf::engine::credits {

enum class AllocationReason { allocate, renewal };
enum class ReleaseReason { released, consumed, expired };
enum class ExpiryReason { period_end, topup_expired, lapsing };

std::string_view to_string(AllocationReason reason);
std::string_view to_string(ReleaseReason reason);
std::string_view to_string(ExpiryReason reason);
std::optional<AllocationReason> parse_allocation_reason(std::string_view text);
std::optional<ReleaseReason> parse_release_reason(std::string_view text);
std::optional<ExpiryReason> parse_expiry_reason(std::string_view text);
std::string_view to_string(TopupOrderStatus status);
std::optional<TopupOrderStatus> parse_topup_order_status(std::string_view text);

// credits.allocated: a period starts with a new monthly lot of credits_monthly.
struct Allocated {
  int64_t credits_monthly = 0;  // also the payload's `credits`
  PeriodSpan period;
  AllocationReason reason = AllocationReason::allocate;
  int64_t carried_over_credits = 0;     // pre-allocation credits carried into the first lot
  std::optional<LotCredits> held_over;  // the ended monthly lot's held rest, now a lapsing lot
  bool operator==(const Allocated&) const = default;
};

struct ToppedUp {
  std::string topup_order_id;
  int64_t credits = 0;
  std::optional<int64_t> expires_at_ms;
  bool operator==(const ToppedUp&) const = default;
};

struct Reserved {
  std::string reservation_id;
  int64_t credits = 0;
  int64_t expires_at_ms = 0;
  std::optional<std::string> activity_run_id;
  std::optional<std::string> deliverable_type;
  bool operator==(const Reserved&) const = default;
};

struct Released {
  std::string reservation_id;
  int64_t credits = 0;  // the whole held amount
  ReleaseReason reason = ReleaseReason::released;
  std::optional<std::string> activity_run_id;
  bool operator==(const Released&) const = default;
};

struct Consumed {
  std::string reservation_id;
  int64_t credits = 0;  // used, <= the hold released just before
  std::optional<std::string> activity_run_id;
  std::optional<std::string> deliverable_type;
  std::vector<LotCredits> drawn;
  bool operator==(const Consumed&) const = default;
};

struct Refunded {
  int64_t credits = 0;
  std::string note;
  std::optional<std::string> activity_run_id;
  bool operator==(const Refunded&) const = default;
};

struct Adjusted {
  int64_t credits = 0;  // signed, != 0
  std::string note;
  std::vector<LotCredits> drawn;  // when negative
  bool operator==(const Adjusted&) const = default;
};

struct Expired {
  int64_t credits = 0;  // lapsed now (may be 0 for a top-up whose credits are all held)
  ExpiryReason reason = ExpiryReason::period_end;
  std::string lot;
  std::optional<std::string> topup_order_id;
  std::optional<LotCredits> held_over;  // a top-up's held rest, now a lapsing lot
  bool operator==(const Expired&) const = default;
};

// credits.topup_refunded: a refunded order's top-up lot taken back, as an
// immediate expiry of that lot: `credits` = min(remaining, effective
// available) leave now (0 when the lot is gone: consumed or expired), the
// rest, held by open reservations, becomes the lapsing lot named in
// held_over (docs/domains/credits.md "Top-up orders").
struct TopupRefunded {
  std::string topup_order_id;
  std::string lot;      // "topup:<order id>"
  int64_t credits = 0;  // taken back now
  std::optional<LotCredits> held_over;
  int64_t refunded_at_ms = 0;  // the held rest's lapsing lot is ordered by it
  std::optional<std::string> note;
  bool operator==(const TopupRefunded&) const = default;
};

// ---- top-up orders (no balance: the credits event beside them carries it) --

struct TopupOrderCreated {
  std::string topup_order_id;
  int64_t credits = 0;
  int64_t amount_minor = 0;
  std::string currency;
  std::optional<int64_t> expires_at_ms;
  bool operator==(const TopupOrderCreated&) const = default;
};

// Followed in the same record by the credits.topped_up that grants them.
struct TopupOrderPaid {
  std::string topup_order_id;
  int64_t credits = 0;
  int64_t paid_at_ms = 0;
  std::optional<int64_t> expires_at_ms;  // the top-up lot's
  bool operator==(const TopupOrderPaid&) const = default;
};

struct TopupOrderFailed {
  std::string topup_order_id;
  std::optional<std::string> reason;
  bool operator==(const TopupOrderFailed&) const = default;
};

// Followed in the same record by the credits.topup_refunded that takes the
// lot back. credits_granted = consumed + expired + taken_back + held_over.
struct TopupOrderRefunded {
  std::string topup_order_id;
  int64_t refunded_at_ms = 0;
  int64_t credits_granted = 0;
  int64_t credits_consumed = 0;    // drawn from the lot before the refund
  int64_t credits_expired = 0;     // what the lot had when it expired, if it did
  int64_t credits_taken_back = 0;  // left in the lot and taken back now
  int64_t credits_held_over = 0;   // left but held: lapses as the holds end
  std::optional<std::string> note;
  bool operator==(const TopupOrderRefunded&) const = default;
};

using Event = std::variant<Allocated, ToppedUp, Reserved, Released, Consumed, Refunded, Adjusted,
                           Expired, TopupRefunded, TopupOrderCreated, TopupOrderPaid,
                           TopupOrderFailed, TopupOrderRefunded>;

// "credits.allocated", ...
std::string_view event_type(const Event& event);

// True for the events that change the book and carry its `balance`
// (credits.*); false for the top-up order events (topup_order.*).
bool carries_balance(const Event& event);

}  // namespace lf::engine::credits
