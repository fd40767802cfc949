// One tenant's decision state across every domain, and the dispatch from a
// command or event type to the domain that owns it. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "engine/usage/state.hpp"
#include "engine/workflow/import_activities.hpp"
#include "engine/workflow/import_approvals.hpp"
#include "engine/workflow/import_audit.hpp"
#include "engine/workflow/import_buys.hpp"
#include "engine/workflow/state.hpp"
#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/result.hpp"
#include "events/string_hash.hpp"

namespace lf::engine {

struct TenantState {
  credits::State credits;
  workflow::State workflow;
  usage::State usage;
  // Imports into audit/<tenant> (import.audit_logs), a stream no domain owns.
  workflow::StreamImports audit_imports;
  // Imports of workflow entities (import.media_buys on media_buys/<tenant>,
  // import.approvals on approvals/<tenant>).
  workflow::WorkflowImports workflow_imports;
  // Imports into activities/<tenant> (import.activities, import.activity_runs):
  // their progress; the activities themselves are in `workflow`.
  workflow::StreamImports activity_imports;
  // Current version of every stream of this tenant that has events.
  StringMap<int64_t> stream_versions;

  int64_t stream_version(std::string_view stream) const {
    auto found = stream_versions.find(stream);
    return found == stream_versions.end() ? 0 : found->second;
  }
};

// "audit/<tenant>": where command.rejected events go.
std::string audit_stream(std::string_view tenant_id);

// True if some domain decides commands of this type.
bool knows_command(std::string_view command_type);

// The stream `expected_version` refers to for this command.
std::string target_stream(const TenantState& state, const CommandEnvelope& command);

// The domain's decision, after the engine-level checks (expected_version).
Decision decide(const TenantState& state, const CommandEnvelope& command, const Context& context);

// Applies one event to the state of its tenant (stream version included).
// The event must be at its type's current schema_version (decoding upcasts
// older ones); one this binary cannot read (a newer version, an unknown type)
// only advances its stream's version: no domain reads its payload.
void evolve(TenantState& state, const EventHeader& header, const rapidjson::Value& payload);

// Applies one event the engine decided, from its typed form (NewEvent::typed,
// a credits event), as evolve applies its payload. With `payload` (deep-check
// builds), also asserts that the payload decodes to that very event.
void evolve_typed(TenantState& state, const EventHeader& header, const credits::TypedEvent& event,
                  const rapidjson::Value* payload);

// Timer events due at context.now_ms, and when the next will be.
std::vector<NewEvent> due(const TenantState& state, std::string_view tenant_id,
                          const Context& context);
std::optional<int64_t> next_due_ms(const TenantState& state);

// Snapshot form.
void write_tenant_state(JsonWriter& writer, const TenantState& state);
Result<TenantState> read_tenant_state(const rapidjson::Value& value);

}  // namespace lf::engine
