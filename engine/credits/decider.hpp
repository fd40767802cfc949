// The credits domain (docs/domains/credits.md): decide, evolve, and the
// timers the engine fires on its own (reservation deadlines, top-up expiry,
// period end). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::engine::credits {

// "credits/<tenant_id>"
std::string stream_name(std::string_view tenant_id);

// True for the command types this domain decides ("credits.*",
// "topup_order.*").
bool handles_command(std::string_view command_type);
// True for the event types this domain evolves on ("credits.*",
// "topup_order.*").
bool handles_event(std::string_view event_type);

// The decision for `command` (whose payload has already passed its JSON
// Schema) against `state` at `context.now_ms`. Never throws on any payload
// the schema admits.
Decision decide(const State& state, const CommandEnvelope& command, const Context& context);

// True for the import commands (import.credit_ledger,
// import.credit_topup_orders): decided by decide_import.
bool is_import_command(std::string_view command_type);

// The decision on an import command (import.credit_ledger, engine/credits/
// import.hpp); `credits_stream_version` counts the tenant's credits events.
Decision decide_import(const State& state, int64_t credits_stream_version,
                       const CommandEnvelope& command, const Context& context);

// Applies one event of this domain. The log is trusted: an event that does
// not fit the state is a defect and aborts (LF_ASSERT).
void evolve(State& state, const EventHeader& header, const rapidjson::Value& payload);

// Applies one event this domain's decider emitted, from its typed form
// (NewEvent::typed), as evolve applies its payload. With `payload` (deep-check
// builds), also asserts that the payload decodes to that very event.
void evolve_typed(State& state, const EventHeader& header, const TypedEvent& event,
                  const rapidjson::Value* payload);

// The events the engine must emit on its own at `context.now_ms` (reservation
// deadlines passed, top-ups and periods ended), in the order they fall due.
// Empty when nothing is due.
std::vector<NewEvent> due(const State& state, std::string_view tenant_id, const Context& context);

// The earliest time at which `due` would return something, if any.
std::optional<int64_t> next_due_ms(const State& state);

// Snapshot form of the state (engine snapshots in PostgreSQL).
void write_state(JsonWriter& writer, const State& state);
Result<State> read_state(const rapidjson::Value& value);

}  // namespace lf::engine::credits
