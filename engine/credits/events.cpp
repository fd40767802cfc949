// Names of the credits events and of their reasons.
#include "engine/credits/events.hpp"

#include <array>
#include <utility>

#include "engine/names.hpp"

namespace lf::engine::credits {

namespace {

constexpr std::array<std::pair<AllocationReason, std::string_view>, 2> kAllocationReasons{{
    {AllocationReason::allocate, "allocate"},
    {AllocationReason::renewal, "renewal"},
}};
constexpr std::array<std::pair<ReleaseReason, std::string_view>, 3> kReleaseReasons{{
    {ReleaseReason::released, "released"},
    {ReleaseReason::consumed, "consumed"},
    {ReleaseReason::expired, "expired"},
}};
constexpr std::array<std::pair<ExpiryReason, std::string_view>, 3> kExpiryReasons{{
    {ExpiryReason::period_end, "period_end"},
    {ExpiryReason::topup_expired, "topup_expired"},
    {ExpiryReason::lapsing, "lapsing"},
}};

constexpr std::array<std::pair<TopupOrderStatus, std::string_view>, 4> kOrderStatuses{{
    {TopupOrderStatus::pending, "pending"},
    {TopupOrderStatus::paid, "paid"},
    {TopupOrderStatus::failed, "failed"},
    {TopupOrderStatus::refunded, "refunded"},
}};

struct TypeName {
  std::string_view operator()(const Allocated&) const { return "credits.allocated"; }
  std::string_view operator()(const ToppedUp&) const { return "credits.topped_up"; }
  std::string_view operator()(const Reserved&) const { return "credits.reserved"; }
  std::string_view operator()(const Released&) const { return "credits.released"; }
  std::string_view operator()(const Consumed&) const { return "credits.consumed"; }
  std::string_view operator()(const Refunded&) const { return "credits.refunded"; }
  std::string_view operator()(const Adjusted&) const { return "credits.adjusted"; }
  std::string_view operator()(const Expired&) const { return "credits.expired"; }
  std::string_view operator()(const TopupRefunded&) const { return "credits.topup_refunded"; }
  std::string_view operator()(const TopupOrderCreated&) const { return "topup_order.created"; }
  std::string_view operator()(const TopupOrderPaid&) const { return "topup_order.paid"; }
  std::string_view operator()(const TopupOrderFailed&) const { return "topup_order.failed"; }
  std::string_view operator()(const TopupOrderRefunded&) const { return "topup_order.refunded"; }
};

}  // namespace

std::string_view to_string(AllocationReason reason) {
  return name_in(kAllocationReasons, reason);
}
std::string_view to_string(ReleaseReason reason) {
  return name_in(kReleaseReasons, reason);
}
std::string_view to_string(ExpiryReason reason) {
  return name_in(kExpiryReasons, reason);
}

std::optional<AllocationReason> parse_allocation_reason(std::string_view text) {
  return parse_in(kAllocationReasons, text);
}
std::optional<ReleaseReason> parse_release_reason(std::string_view text) {
  return parse_in(kReleaseReasons, text);
}
std::optional<ExpiryReason> parse_expiry_reason(std::string_view text) {
  return parse_in(kExpiryReasons, text);
}

std::string_view to_string(TopupOrderStatus status) {
  return name_in(kOrderStatuses, status);
}
std::optional<TopupOrderStatus> parse_topup_order_status(std::string_view text) {
  return parse_in(kOrderStatuses, text);
}

std::string_view event_type(const Event& event) {
  return std::visit(TypeName{}, event);
}

bool carries_balance(const Event& event) {
  return event_type(event).starts_with("credits.");
}

}  // namespace lf::engine::credits
