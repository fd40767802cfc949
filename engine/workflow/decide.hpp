// The per-command decisions behind decide() (decider.hpp), one file per
// sub-domain: media_buys.cpp, approvals.cpp, activities.cpp, runs.cpp,
// audit.cpp, tenant_settings.cpp. Each reads the state as it is, refuses
// with one reason, or emits its events through an Emitter. Internal to
// engine/workflow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "engine/workflow/commands.hpp"
#include "engine/workflow/state.hpp"
#include "events/envelope.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

struct DecisionInput {
  const State& state;
  const credits::State& credits;
  const CommandEnvelope& command;
  int64_t now_ms = 0;
};

Decision decide_create_buy(const DecisionInput& in, const CreateBuy& command);
Decision decide_move_buy(const DecisionInput& in, const MoveBuy& command);

Decision decide_request_approval(const DecisionInput& in, const RequestApproval& command);
Decision decide_assign_approval(const DecisionInput& in, const AssignApproval& command);
Decision decide_send_to_client(const DecisionInput& in, const SendToClient& command);
Decision decide_approval_outcome(const DecisionInput& in, const DecideApproval& command);

Decision decide_create_activity(const DecisionInput& in, const CreateActivity& command);
Decision decide_assign_activity(const DecisionInput& in, const AssignActivity& command);
Decision decide_move_activity(const DecisionInput& in, const MoveActivity& command);
Decision decide_complete_activity(const DecisionInput& in, const CompleteActivity& command);
Decision decide_submit_activity(const DecisionInput& in, const SubmitActivity& command);

Decision decide_start_run(const DecisionInput& in, const StartRun& command);
Decision decide_finish_run(const DecisionInput& in, const FinishRun& command);

Decision decide_record_audit(const DecisionInput& in, const RecordAudit& command);
Decision decide_configure_tenant(const DecisionInput& in, const ConfigureTenant& command);

// media_buy.create's own checks on a new buy (the id free, the dates in
// order, package ids unique, the total in range): the budget total in minor
// units. The import of media buys runs them on every imported buy.
Result<int64_t> check_new_buy(const State& state, const CreateBuy& command);

// ---- shared by the decisions -----------------------------------------------------

// A refusal as a decision.
inline Decision refused(const Error& error) {
  return Decision::reject(error.code, error.message);
}

// invalid_transition naming the object, its status and the command.
Error invalid_transition(std::string_view what, std::string_view id, std::string_view status,
                         std::string_view command_type);

// invalid_payload when an id the engine derives would pass kIdLengthMax.
Result<bool> check_derived_id(const std::string& id, std::string_view what);
// limit_exceeded when the tenant already has kObjectsPerKindMax of a kind.
Result<bool> check_room(std::size_t size, std::string_view kind);

}  // namespace lf::engine::workflow
