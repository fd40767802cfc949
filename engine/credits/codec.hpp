// Credits event payloads as JSON (schemas/events/credits.*.json) and back.
// Decoding trusts the log: a payload that does not fit its type is a defect
// and aborts (LF_ASSERT), it is never guessed at.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/credits/events.hpp"
#include "engine/credits/state.hpp"

namespace lf::engine::credits {

// The payload of `event` with `balance` (the figures after it) as its
// `balance` object.
std::string encode_event_payload(const Event& event, const Balance& balance);

// The typed event of a credits event payload of type `type`.
Event decode_event(std::string_view type, const rapidjson::Value& payload);

// The payload's `balance` object.
Balance decode_balance(const rapidjson::Value& payload);

}  // namespace lf::engine::credits
