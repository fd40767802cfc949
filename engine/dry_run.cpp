// Deciding without a log (dry_run.hpp).
#include "engine/dry_run.hpp"

#include <unordered_map>

#include "engine/partition.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::engine {

Decision DryRun::decide(const CommandEnvelope& command, const Context& context) {
  LF_ASSERT(command.tenant_id == tenant_id_);
  // As PartitionCore::decide: the tenant's timers due by now fire first.
  if (std::optional<int64_t> next = next_due_ms(state_); next && *next <= context.now_ms) {
    apply(due(state_, tenant_id_, context), nullptr, context.now_ms);
  }
  Decision decision = engine::decide(state_, command, context);
  if (decision.accepted()) {
    apply(decision.events(), &command, context.now_ms);
  } else {
    // Its command.rejected event counts in the tenant's audit stream.
    apply({rejection_event(&state_, command, decision.rejection())}, &command, context.now_ms);
  }
  return decision;
}

// Stamps the events as the partition's commit record would (stream versions
// counted on from the state's, the command's provenance) and folds them.
void DryRun::apply(const std::vector<NewEvent>& events, const CommandEnvelope* command,
                   int64_t now_ms) {
  if (events.empty()) return;
  std::string payloads = "[";
  for (const NewEvent& event : events) {
    if (payloads.size() > 1) payloads.push_back(',');
    payloads += event.payload_json;
  }
  payloads.push_back(']');
  Result<std::unique_ptr<rapidjson::Document>> parsed = parse_json_trusted(payloads);
  LF_ASSERT_MSG(parsed.ok(), "a decider wrote a payload that is not JSON");
  const rapidjson::Document& document = **parsed;
  std::unordered_map<std::string, int64_t> versions;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const NewEvent& event = events[i];
    auto [slot, inserted] = versions.try_emplace(event.stream, state_.stream_version(event.stream));
    EventHeader header;
    header.type = event.type;
    header.schema_version = event.schema_version;
    header.tenant_id = tenant_id_;
    header.stream = event.stream;
    header.stream_version = ++slot->second;
    header.command_id = command != nullptr ? command->command_id : "timer/dry-run";
    if (command != nullptr) {
      header.correlation_id = command->correlation_id;
      header.actor = command->actor;
    } else {
      header.actor = "system";
    }
    header.occurred_at_ms = now_ms;
    evolve(state_, header, document[static_cast<rapidjson::SizeType>(i)]);
  }
}

}  // namespace lf::engine
