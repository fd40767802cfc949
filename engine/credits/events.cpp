// Names of the credits events and of their reasons.
#include "engine/credits/events.hpp"

#include <array>
#include <utility>

namespace lf::engine::credits {

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::pair<Enum, std::string_view>, N>& names,
                               std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) {
  for (const auto& [each, name] : names) {
    if (each == value) return name;
  }
  return "?";
}

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

struct TypeName {
  std::string_view operator()(const Allocated&) const { return "credits.allocated"; }
  std::string_view operator()(const ToppedUp&) const { return "credits.topped_up"; }
  std::string_view operator()(const Reserved&) const { return "credits.reserved"; }
  std::string_view operator()(const Released&) const { return "credits.released"; }
  std::string_view operator()(const Consumed&) const { return "credits.consumed"; }
  std::string_view operator()(const Refunded&) const { return "credits.refunded"; }
  std::string_view operator()(const Adjusted&) const { return "credits.adjusted"; }
  std::string_view operator()(const Expired&) const { return "credits.expired"; }
};

}  // namespace

std::string_view to_string(AllocationReason reason) {
  return name_of(kAllocationReasons, reason);
}
std::string_view to_string(ReleaseReason reason) {
  return name_of(kReleaseReasons, reason);
}
std::string_view to_string(ExpiryReason reason) {
  return name_of(kExpiryReasons, reason);
}

std::optional<AllocationReason> parse_allocation_reason(std::string_view text) {
  return parse_name(kAllocationReasons, text);
}
std::optional<ReleaseReason> parse_release_reason(std::string_view text) {
  return parse_name(kReleaseReasons, text);
}
std::optional<ExpiryReason> parse_expiry_reason(std::string_view text) {
  return parse_name(kExpiryReasons, text);
}

std::string_view event_type(const Event& event) {
  return std::visit(TypeName{}, event);
}

}  // namespace lf::engine::credits
