// Dispatch from command and event types to their domains.
#include "engine/tenant.hpp"

#include <algorithm>

#include "engine/credits/decider.hpp"
#include "engine/credits/import.hpp"
#include "engine/usage/decider.hpp"
#include "engine/usage/import.hpp"
#include "engine/workflow/decider.hpp"
#include "events/upcast.hpp"

namespace lf::engine {

namespace {
// The streams of media buys (media_buy/<id>), whose events are live ones.
constexpr std::string_view kMediaBuyStreamPrefix = "media_buy/";
// The streams of approvals (approval/<id>), likewise.
constexpr std::string_view kApprovalStreamPrefix = "approval/";
}  // namespace

std::string audit_stream(std::string_view tenant_id) {
  return "audit/" + std::string(tenant_id);
}

namespace {

// ---- activity imports (engine/workflow/import_activities.hpp) -------------------

bool is_activity_import_command(std::string_view command_type) {
  return command_type == workflow::kImportActivitiesCommand ||
         command_type == workflow::kImportActivityRunsCommand;
}

// Events on the tenant's activities' own streams (activity/<id>): its live
// activity and run events (imports go to activities/<tenant>).
int64_t live_activity_events(const TenantState& state) {
  int64_t events = 0;
  for (const auto& [stream, version] : state.stream_versions) {
    if (workflow::is_activity_stream(stream)) events += version;
  }
  return events;
}

Decision decide_activity_import(const TenantState& state, const CommandEnvelope& command,
                                const Context& context) {
  const std::string stream = workflow::activity_imports_stream(command.tenant_id);
  if (command.type == workflow::kImportActivityRunsCommand) {
    Result<workflow::ActivityRunsChunk> runs = workflow::parse_activity_runs_chunk(command.payload);
    if (!runs) return Decision::reject(runs.error().code, runs.error().message);
    return workflow::decide_activity_runs_chunk(state.workflow, state.credits,
                                                state.activity_imports, live_activity_events(state),
                                                *runs, stream, context.now_ms);
  }
  Result<workflow::ActivitiesChunk> chunk = workflow::parse_activities_chunk(command.payload);
  if (!chunk) return Decision::reject(chunk.error().code, chunk.error().message);
  return workflow::decide_activities_chunk(state.workflow, state.activity_imports,
                                           live_activity_events(state), *chunk, stream,
                                           context.now_ms);
}

}  // namespace

bool knows_command(std::string_view command_type) {
  if (is_activity_import_command(command_type)) return true;
  return credits::handles_command(command_type) || workflow::handles_command(command_type) ||
         usage::handles_command(command_type) ||
         command_type == workflow::kImportAuditLogsCommand ||
         command_type == workflow::kImportMediaBuysCommand ||
         command_type == workflow::kImportApprovalsCommand;
}

std::string target_stream(const TenantState& state, const CommandEnvelope& command) {
  if (credits::handles_command(command.type)) return credits::stream_name(command.tenant_id);
  if (workflow::handles_command(command.type))
    return workflow::target_stream(state.workflow, command);
  if (usage::handles_command(command.type)) return usage::stream_name(command.tenant_id);
  if (command.type == workflow::kImportMediaBuysCommand)
    return workflow::media_buys_import_stream(command.tenant_id);
  if (command.type == workflow::kImportApprovalsCommand)
    return workflow::approvals_import_stream(command.tenant_id);
  if (is_activity_import_command(command.type))
    return workflow::activity_imports_stream(command.tenant_id);
  return audit_stream(command.tenant_id);
}

Decision decide(const TenantState& state, const CommandEnvelope& command, const Context& context) {
  if (command.expected_version) {
    const std::string stream = target_stream(state, command);
    const int64_t current = state.stream_version(stream);
    if (current != *command.expected_version) {
      return Decision::reject("version_conflict", "expected " + stream + " at version " +
                                                      std::to_string(*command.expected_version) +
                                                      ", it is at " + std::to_string(current));
    }
  }
  if (credits::is_import_command(command.type)) {
    return credits::decide_import(state.credits,
                                  state.stream_version(credits::stream_name(command.tenant_id)),
                                  command, context);
  }
  if (credits::handles_command(command.type)) {
    if (std::optional<Rejection> owned =
            workflow::refuse_credits_command(state.workflow, command)) {
      return Decision::reject(std::move(owned->reason), std::move(owned->message));
    }
    return credits::decide(state.credits, command, context);
  }
  if (workflow::handles_command(command.type)) {
    // A run is refused once the month's USD spend has reached the cap
    // (docs/domains/usage.md "Spend cap").
    if (command.type == "activity.start_run") {
      if (std::optional<Rejection> capped =
              usage::refuse_for_spend_cap(state.usage, state.credits, context.now_ms)) {
        return Decision::reject(std::move(capped->reason), std::move(capped->message));
      }
    }
    return workflow::decide(state.workflow, state.credits, command, context);
  }
  if (command.type == workflow::kImportAuditLogsCommand) {
    Result<workflow::AuditLogsChunk> chunk = workflow::parse_audit_logs_chunk(command.payload);
    if (!chunk) return Decision::reject(chunk.error().code, chunk.error().message);
    const std::string stream = audit_stream(command.tenant_id);
    return workflow::decide_audit_logs_chunk(state.audit_imports, state.stream_version(stream),
                                             *chunk, stream, context.now_ms);
  }
  if (command.type == workflow::kImportMediaBuysCommand) {
    Result<workflow::MediaBuysChunk> chunk = workflow::parse_media_buys_chunk(command.payload);
    if (!chunk) return Decision::reject(chunk.error().code, chunk.error().message);
    return workflow::decide_media_buys_chunk(
        state.workflow, state.workflow_imports.media_buys, *chunk,
        workflow::media_buys_import_stream(command.tenant_id), context.now_ms);
  }
  if (command.type == workflow::kImportApprovalsCommand) {
    Result<workflow::ApprovalsChunk> chunk = workflow::parse_approvals_chunk(command.payload);
    if (!chunk) return Decision::reject(chunk.error().code, chunk.error().message);
    return workflow::decide_approvals_chunk(
        state.workflow, state.workflow_imports.approvals, *chunk,
        workflow::approvals_import_stream(command.tenant_id), context.now_ms);
  }
  if (is_activity_import_command(command.type))
    return decide_activity_import(state, command, context);
  if (command.type == usage::kImportLlmCallsCommand) {
    return usage::decide_import(state.usage, state.credits,
                                state.stream_version(usage::stream_name(command.tenant_id)),
                                command, context);
  }
  if (usage::handles_command(command.type)) {
    return usage::decide(state.usage, state.credits, command, context);
  }
  return Decision::reject("unknown_command_type", "no domain decides " + command.type);
}

namespace {

// What every event changes whatever its domain: its stream's version and the
// live-event counts. Returns whether a domain reads the event (it is at its
// type's current version).
bool advance_stream(TenantState& state, const EventHeader& header) {
  int64_t& version = state.stream_versions[header.stream];
  LF_ASSERT_MSG(header.stream_version == version + 1, "stream versions count from 1 without gaps");
  version = header.stream_version;
  // Live media buy events (an import's go to media_buys/<tenant>).
  if (header.stream.starts_with(kMediaBuyStreamPrefix))
    ++state.workflow_imports.media_buys.live_events;
  if (header.stream.starts_with(kApprovalStreamPrefix))
    ++state.workflow_imports.approvals.live_events;
  const UpcastOutcome schema =
      UpcasterRegistry::embedded().classify(header.type, header.schema_version);
  LF_ASSERT_MSG(schema != UpcastOutcome::upcast,
                "evolve on an event that was not upcast to its current version");
  return schema == UpcastOutcome::current;  // else a newer binary's event: see tenant.hpp
}

}  // namespace

void evolve_typed(TenantState& state, const EventHeader& header, const credits::TypedEvent& event,
                  const rapidjson::Value* payload) {
  const bool current = advance_stream(state, header);
  LF_ASSERT_MSG(current, "the engine decides events at their current version");
  credits::evolve_typed(state.credits, header, event, payload);
}

void evolve(TenantState& state, const EventHeader& header, const rapidjson::Value& payload) {
  if (!advance_stream(state, header)) return;
  // An import's event, before the domain's media_buy.* and approval.* (it
  // is none of them).
  if (header.type == workflow::kMediaBuysImportedEvent) {
    workflow::evolve_media_buys_imported(state.workflow, state.workflow_imports.media_buys,
                                         payload);
    return;
  }
  if (header.type == workflow::kApprovalsImportedEvent) {
    workflow::evolve_approvals_imported(state.workflow, state.workflow_imports.approvals, payload);
    return;
  }
  if (credits::handles_event(header.type)) {
    credits::evolve(state.credits, header, payload);
  } else if (workflow::handles_event(header.type)) {
    workflow::evolve(state.workflow, header, payload);
  } else if (usage::handles_event(header.type)) {
    usage::evolve(state.usage, header, payload);
  } else if (header.type == workflow::kAuditLogsImportedEvent) {
    workflow::evolve_audit_logs_imported(state.audit_imports, payload);
  } else if (header.type == workflow::kActivitiesImportedEvent) {
    workflow::evolve_activities_imported(state.workflow, state.activity_imports, payload);
  } else if (header.type == workflow::kActivityRunsImportedEvent) {
    workflow::evolve_activity_runs_imported(state.workflow, state.activity_imports, payload);
  }
  // command.rejected and other audit events change no decision state.
}

// Credits timers first: a run whose hold reached its deadline ends in the
// same record that releases the hold. The usage timer (a new spend period)
// waits for a firing of its own, after the credits renewal it follows has
// been applied.
std::vector<NewEvent> due(const TenantState& state, std::string_view tenant_id,
                          const Context& context) {
  std::vector<NewEvent> events = credits::due(state.credits, tenant_id, context);
  for (NewEvent& event : workflow::due(state.workflow, tenant_id, context))
    events.push_back(std::move(event));
  if (events.empty()) return usage::due(state.usage, state.credits, tenant_id, context);
  return events;
}

std::optional<int64_t> next_due_ms(const TenantState& state) {
  std::optional<int64_t> earliest;
  for (const std::optional<int64_t> each :
       {credits::next_due_ms(state.credits), workflow::next_due_ms(state.workflow),
        usage::next_due_ms(state.usage, state.credits)}) {
    if (each && (!earliest || *each < *earliest)) earliest = each;
  }
  return earliest;
}

void write_tenant_state(JsonWriter& writer, const TenantState& state) {
  writer.begin_object();
  writer.key("streams");
  writer.begin_object();
  for (const auto& [stream, version] : state.stream_versions) writer.field(stream, version);
  writer.end_object();
  writer.key("credits");
  credits::write_state(writer, state.credits);
  writer.key("workflow");
  workflow::write_state(writer, state.workflow);
  writer.key("usage");
  usage::write_state(writer, state.usage);
  if (!(state.audit_imports == workflow::StreamImports{})) {  // none in older snapshots
    writer.key("audit_imports");
    workflow::write_stream_imports(writer, state.audit_imports);
  }
  if (!state.workflow_imports.media_buys.by_kind.empty() ||
      !state.workflow_imports.approvals.by_kind.empty()) {  // none in older snapshots
    writer.key("workflow_imports");
    workflow::write_workflow_imports(writer, state.workflow_imports);
  }
  if (!(state.activity_imports == workflow::StreamImports{})) {  // none in older snapshots
    writer.key("activity_imports");
    workflow::write_stream_imports(writer, state.activity_imports);
  }
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
    if (!it->value.IsInt64())
      return make_error("invalid_snapshot", "stream version is not an integer");
    state.stream_versions[std::string(json_view(it->name))] = it->value.GetInt64();
  }
  const rapidjson::Value* credits_value = json_member(value, "credits");
  if (credits_value == nullptr)
    return make_error("invalid_snapshot", "tenant state has no credits");
  Result<credits::State> credits_state = credits::read_state(*credits_value);
  if (!credits_state) return credits_state.error();
  state.credits = std::move(credits_state).value();
  // Snapshots written before the workflow domain existed have no workflow.
  if (const rapidjson::Value* workflow_value = json_member(value, "workflow")) {
    Result<workflow::State> workflow_state = workflow::read_state(*workflow_value);
    if (!workflow_state) return workflow_state.error();
    state.workflow = std::move(workflow_state).value();
  }
  // Nor have those written before the usage domain a usage member.
  if (const rapidjson::Value* usage_value = json_member(value, "usage")) {
    Result<usage::State> usage_state = usage::read_state(*usage_value);
    if (!usage_state) return usage_state.error();
    state.usage = std::move(usage_state).value();
  }
  if (const rapidjson::Value* audit_value = json_member(value, "audit_imports")) {
    Result<workflow::StreamImports> audit_imports =
        workflow::read_stream_imports(*audit_value, "audit imports");
    if (!audit_imports) return audit_imports.error();
    state.audit_imports = std::move(audit_imports).value();
  }
  if (const rapidjson::Value* imports_value = json_member(value, "workflow_imports")) {
    Result<workflow::WorkflowImports> imports = workflow::read_workflow_imports(*imports_value);
    if (!imports) return imports.error();
    state.workflow_imports = std::move(imports).value();
  }
  // Live events are derived, never written: older snapshots have them too.
  state.workflow_imports.media_buys.live_events =
      workflow::count_live_events(state.stream_versions, kMediaBuyStreamPrefix);
  state.workflow_imports.approvals.live_events =
      workflow::count_live_events(state.stream_versions, kApprovalStreamPrefix);
  if (const rapidjson::Value* activity_value = json_member(value, "activity_imports")) {
    Result<workflow::StreamImports> activity_imports =
        workflow::read_stream_imports(*activity_value, "activity imports");
    if (!activity_imports) return activity_imports.error();
    state.activity_imports = std::move(activity_imports).value();
  }
  return state;
}

}  // namespace lf::engine
