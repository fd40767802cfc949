// Signed ledger amounts of credits events.
#include "engine/credits/ledger.hpp"

#include <array>
#include <optional>
#include <utility>

#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::engine::credits {

namespace {

// +1 or -1: the sign of the payload's `credits` in effective available.
constexpr std::array<std::pair<std::string_view, int>, 10> kSigns{{
    {"credits.allocated", +1},
    {"credits.topped_up", +1},
    {"credits.reserved", -1},
    {"credits.released", +1},
    {"credits.consumed", -1},
    {"credits.refunded", +1},
    {"credits.adjusted", +1},
    {"credits.expired", -1},
    {"credits.topup_refunded", -1},
    {"credits.ledger_imported", +1},  // credits: the sum over its entries
}};

}  // namespace

int64_t effective_delta(std::string_view event_type, const rapidjson::Value& payload) {
  for (const auto& [type, sign] : kSigns) {
    if (type != event_type) continue;
    const std::optional<int64_t> credits = json_int64(payload, "credits");
    LF_ASSERT_MSG(credits.has_value(), "a credits event without integer credits");
    return sign * *credits;
  }
  return 0;
}

}  // namespace lf::engine::credits
