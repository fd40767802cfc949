// The usage domain (docs/domains/usage.md): LLM calls, tool calls and usage
// records counted into the tenant's USD spend for the spend period in force,
// the monthly spend cap, and the engine's own spend-period starts. Stream
// usage/<tenant>. Pure: decide, evolve, timers, snapshot form.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "engine/usage/state.hpp"
#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::engine::usage {

// Rejection reasons (docs/domains/usage.md).
namespace reason {
inline constexpr const char* kDuplicateUsage = "duplicate_usage";
inline constexpr const char* kSpendCapReached = "spend_cap_reached";
inline constexpr const char* kForbidden = "forbidden";
inline constexpr const char* kInvalidCreatedOn = "invalid_created_on";
inline constexpr const char* kLimitExceeded = "limit_exceeded";
}  // namespace reason

// usage.record_llm_call, usage.record_tool_call, usage.record,
// tenant.set_spend_cap, import.llm_calls.
bool handles_command(std::string_view command_type);
// usage.* and tenant.spend_cap_set.
bool handles_event(std::string_view event_type);

// "usage/<tenant>": every usage event's stream.
std::string stream_name(std::string_view tenant_id);

// The decision for `command` (payload valid against its JSON Schema).
Decision decide(const State& state, const credits::State& credits, const CommandEnvelope& command,
                const Context& context);

// The decision on import.llm_calls (engine/usage/import.hpp);
// `usage_stream_version` counts the tenant's usage events.
Decision decide_import(const State& state, const credits::State& credits,
                       int64_t usage_stream_version, const CommandEnvelope& command,
                       const Context& context);

// spend_cap_reached when the tenant has a cap and the spend of the period
// in force at now_ms has reached it (activity.start_run asks).
std::optional<Rejection> refuse_for_spend_cap(const State& state, const credits::State& credits,
                                              int64_t now_ms);

// Applies one usage event. The log is trusted: one that does not fit aborts.
void evolve(State& state, const EventHeader& header, const rapidjson::Value& payload);

// usage.spend_period_started when the spend period in force is no longer
// the one the state counts (a renewal or an allocation of the credits
// period, a new calendar month), for a tenant that has a spend period.
std::vector<NewEvent> due(const State& state, const credits::State& credits,
                          std::string_view tenant_id, const Context& context);
std::optional<int64_t> next_due_ms(const State& state, const credits::State& credits);

// Snapshot form; read_state(write_state(s)) == s.
void write_state(JsonWriter& writer, const State& state);
Result<State> read_state(const rapidjson::Value& value);

}  // namespace lf::engine::usage
