// Credits event payloads as JSON (schemas/events/credits.*.json) and back.
// Decoding trusts the log: a payload that does not fit its type is a defect
// and aborts (LF_ASSERT), it is never guessed at.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/credits/events.hpp"
#include "engine/credits/state.hpp"
#include "events/json.hpp"

namespace lf::engine::credits {

// The schema_version of every credits event type this codec writes and
// reads (schemas/events/credits.<type>.v2.json). Older versions in the log
// reach it through the upcasters (events/upcasters_credits.cpp) before any
// payload gets here.
inline constexpr int32_t kEventSchemaVersion = 2;

// The schema_version this codec writes and reads for `type`:
// kEventSchemaVersion for the eight credits events of catalogue v1, 1 for
// the event types added since (credits.topup_refunded, topup_order.*).
int32_t event_schema_version(std::string_view type);

// The payload of `event`, with `balance` (the figures after it) as its
// `balance` object when the event carries one (carries_balance). Asserts a
// period it writes is well-formed.
std::string encode_event_payload(const Event& event, const Balance& balance);

// Writes `balance` as the payload member "balance" (every credits event
// carries one).
void write_balance(JsonWriter& writer, const Balance& balance);

// The typed event of a credits event payload of type `type`.
Event decode_event(std::string_view type, const rapidjson::Value& payload);

// The payload's `balance` object.
Balance decode_balance(const rapidjson::Value& payload);

}  // namespace lf::engine::credits
