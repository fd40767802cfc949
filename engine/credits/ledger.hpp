// The ledger view of credits events (DESIGN.md "Domains: Credits"): each
// event's signed change to effective available, the `credits` column of
// credit_ledger. For every tenant the sum over its events equals
// effective_available. Pure; used by tests and `ledgerflow verify`.
#pragma once

#include <cstdint>
#include <string_view>

#include <rapidjson/document.h>

namespace lf::engine::credits {

// The signed change to effective available of one event: +credits for
// allocated, topped_up, released, refunded; -credits for reserved, consumed,
// expired, topup_refunded; credits (already signed) for adjusted; 0 for
// events of other domains (and for topup_order.*, which move no credits).
// Asserts a credits event's payload has an integer `credits`.
int64_t effective_delta(std::string_view event_type, const rapidjson::Value& payload);

}  // namespace lf::engine::credits
