// Dispatch from command and event types to their domains.
#include "engine/tenant.hpp"

#include "engine/credits/decider.hpp"

namespace lf::engine {

std::string audit_stream(std::string_view tenant_id) {
  return "audit/" + std::string(tenant_id);
}

bool knows_command(std::string_view command_type) {
  return credits::handles_command(command_type);
}

std::string target_stream(const CommandEnvelope& command) {
  if (credits::handles_command(command.type)) return credits::stream_name(command.tenant_id);
  return audit_stream(command.tenant_id);
}

Decision decide(const TenantState& state, const CommandEnvelope& command, const Context& context) {
  if (command.expected_version) {
    const std::string stream = target_stream(command);
    const int64_t current = state.stream_version(stream);
    if (current != *command.expected_version) {
      return Decision::reject("version_conflict",
                              "expected " + stream + " at version " +
                                  std::to_string(*command.expected_version) + ", it is at " +
                                  std::to_string(current));
    }
  }
  if (credits::handles_command(command.type)) return credits::decide(state.credits, command, context);
  return Decision::reject("unknown_command_type", "no domain decides " + command.type);
}

void evolve(TenantState& state, const EventHeader& header, const rapidjson::Value& payload) {
  int64_t& version = state.stream_versions[header.stream];
  LF_ASSERT_MSG(header.stream_version == version + 1, "stream versions count from 1 without gaps");
  version = header.stream_version;
  if (credits::handles_event(header.type)) {
    credits::evolve(state.credits, header, payload);
  }
  // command.rejected and other audit events change no decision state.
}

std::vector<NewEvent> due(const TenantState& state, std::string_view tenant_id, const Context& context) {
  return credits::due(state.credits, tenant_id, context);
}

std::optional<int64_t> next_due_ms(const TenantState& state) {
  return credits::next_due_ms(state.credits);
}

void write_tenant_state(JsonWriter& writer, const TenantState& state) {
  writer.begin_object();
  writer.key("streams");
  writer.begin_object();
  for (const auto& [stream, version] : state.stream_versions) writer.field(stream, version);
  writer.end_object();
  writer.key("credits");
  credits::write_state(writer, state.credits);
  writer.end_object();
}

Result<TenantState> read_tenant_state(const rapidjson::Value& value) {
  if (!value.IsObject()) return make_error("invalid_snapshot", "tenant state is not an object");
  TenantState state;
  const rapidjson::Value* streams = json_member(value, "streams");
  if (streams == nullptr || !streams->IsObject()) {
    return make_error("invalid_snapshot", "tenant state has no streams object");
  }
  for (auto it = streams->MemberBegin(); it != streams->MemberEnd(); ++it) {
    if (!it->value.IsInt64()) return make_error("invalid_snapshot", "stream version is not an integer");
    state.stream_versions[std::string(json_view(it->name))] = it->value.GetInt64();
  }
  const rapidjson::Value* credits_value = json_member(value, "credits");
  if (credits_value == nullptr) return make_error("invalid_snapshot", "tenant state has no credits");
  Result<credits::State> credits_state = credits::read_state(*credits_value);
  if (!credits_state) return credits_state.error();
  state.credits = std::move(credits_state).value();
  return state;
}

}  // namespace lf::engine
