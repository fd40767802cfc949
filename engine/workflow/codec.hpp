// Workflow event payloads as JSON (schemas/events/<type>[.v<N>].json at each
// type's current version) and back. Every event is checked right before it is
// encoded and right after it is decoded (check_event): a payload that does not
// fit its type is a defect and aborts (LF_ASSERT), it is never guessed at.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/workflow/events.hpp"

namespace lf::engine::workflow {

// The payload JSON of `event`, at event_schema_version(event).
std::string encode_event_payload(const Event& event);

// The typed event of a payload of type `type` at its current version (the
// reader has upcast older ones).
Event decode_event(std::string_view type, const rapidjson::Value& payload);

// Aborts unless `event` holds what its schema promises (ids of 1 to 128
// characters, amounts in range, the statuses its type allows, ...).
void check_event(const Event& event);

}  // namespace lf::engine::workflow
