// The domain's entry points: which types it owns, the stream a command
// addresses, decide (payload -> typed command -> its decision) and evolve
// (payload -> typed event -> apply).
#include <algorithm>

#include "engine/workflow/codec.hpp"
#include "engine/workflow/commands.hpp"
#include "engine/workflow/decide.hpp"
#include "engine/workflow/decider.hpp"
#include "engine/workflow/evolve.hpp"

namespace lf::engine::workflow {

namespace {

constexpr std::string_view kTenantConfigure = "tenant.configure";

bool starts_with_any(std::string_view type, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return type.starts_with(prefix); });
}

struct Dispatch {
  const DecisionInput& in;

  Decision operator()(const CreateBuy& c) const { return decide_create_buy(in, c); }
  Decision operator()(const MoveBuy& c) const { return decide_move_buy(in, c); }
  Decision operator()(const RequestApproval& c) const { return decide_request_approval(in, c); }
  Decision operator()(const AssignApproval& c) const { return decide_assign_approval(in, c); }
  Decision operator()(const SendToClient& c) const { return decide_send_to_client(in, c); }
  Decision operator()(const DecideApproval& c) const { return decide_approval_outcome(in, c); }
  Decision operator()(const CreateActivity& c) const { return decide_create_activity(in, c); }
  Decision operator()(const AssignActivity& c) const { return decide_assign_activity(in, c); }
  Decision operator()(const MoveActivity& c) const { return decide_move_activity(in, c); }
  Decision operator()(const CompleteActivity& c) const { return decide_complete_activity(in, c); }
  Decision operator()(const SubmitActivity& c) const { return decide_submit_activity(in, c); }
  Decision operator()(const StartRun& c) const { return decide_start_run(in, c); }
  Decision operator()(const FinishRun& c) const { return decide_finish_run(in, c); }
  Decision operator()(const RecordAudit& c) const { return decide_record_audit(in, c); }
  Decision operator()(const ConfigureTenant& c) const { return decide_configure_tenant(in, c); }
};

}  // namespace

bool handles_command(std::string_view command_type) {
  return starts_with_any(command_type, {"media_buy.", "approval.", "activity.", "audit."}) ||
         command_type == kTenantConfigure;
}

bool handles_event(std::string_view event_type) {
  return starts_with_any(event_type, {"media_buy.", "approval.", "activity."}) ||
         event_type == "tenant.configured";
}

std::string target_stream(const State& state, const CommandEnvelope& command) {
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const rapidjson::Value& payload = command.payload != nullptr ? *command.payload : kEmpty;
  const std::string_view type = command.type;
  auto field = [&](std::string_view name) {
    return std::string(json_string(payload, name).value_or(""));
  };
  if (type.starts_with("media_buy.")) return media_buy_stream(field("media_buy_id"));
  if (type.starts_with("approval.")) return approval_stream(field("approval_id"));
  if (type == "activity.finish_run") {
    const auto run = state.runs.find(field("run_id"));
    return activity_stream(run == state.runs.end() ? std::string() : run->second.activity_id);
  }
  if (type.starts_with("activity.")) return activity_stream(field("activity_id"));
  if (type == kTenantConfigure) return tenant_settings_stream(command.tenant_id);
  return tenant_audit_stream(command.tenant_id);
}

std::optional<Rejection> refuse_credits_command(const State& state,
                                                const CommandEnvelope& command) {
  if (command.type != "credits.consume" && command.type != "credits.release") return std::nullopt;
  if (command.payload == nullptr) return std::nullopt;
  const std::string_view reservation_id =
      json_string(*command.payload, "reservation_id").value_or("");
  const auto run = state.run_by_reservation.find(std::string(reservation_id));
  if (run == state.run_by_reservation.end()) return std::nullopt;
  return Rejection{reason::kReservationOwnedByRun, "reservation " + std::string(reservation_id) +
                                                       " belongs to run " + run->second +
                                                       "; finish the run with activity.finish_run"};
}

Decision decide(const State& state, const credits::State& credits_state,
                const CommandEnvelope& command, const Context& context) {
  Result<Command> parsed = parse_command(command.type, command.payload);
  if (!parsed) return Decision::reject(parsed.error().code, parsed.error().message);
  const DecisionInput in{state, credits_state, command, context.now_ms};
  Decision decision = std::visit(Dispatch{in}, parsed.value());
  LF_ASSERT(!decision.accepted() || !decision.events().empty());
  return decision;
}

void evolve(State& state, const EventHeader& header, const rapidjson::Value& payload) {
  LF_ASSERT(handles_event(header.type));
  apply_event(state, decode_event(header.type, payload));
}

// ---- shared by the decisions (decide.hpp) ----------------------------------------

Error invalid_transition(std::string_view what, std::string_view id, std::string_view status,
                         std::string_view command_type) {
  return make_error(reason::kInvalidTransition, std::string(what) + " " + std::string(id) + " is " +
                                                    std::string(status) + "; " +
                                                    std::string(command_type) + " does not apply");
}

Result<bool> check_derived_id(const std::string& id, std::string_view what) {
  if (id.size() <= kIdLengthMax) return true;
  return make_error(reason::kInvalidPayload,
                    "the " + std::string(what) + " " + id + " would be longer than " +
                        std::to_string(kIdLengthMax) + " characters; give a shorter id");
}

Result<bool> check_room(std::size_t size, std::string_view kind) {
  if (size < kObjectsPerKindMax) return true;
  return make_error(
      reason::kLimitExceeded,
      "the tenant already has " + std::to_string(kObjectsPerKindMax) + " " + std::string(kind));
}

}  // namespace lf::engine::workflow
