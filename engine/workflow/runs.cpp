// Run decisions (docs/domains/workflow.md "Runs"): a run's start and its
// credit hold, its end and the hold's close, each in one commit record; the
// holds are decided by the credits domain's own rules.
#include <algorithm>

#include "engine/credits/decide.hpp"
#include "engine/credits/decider.hpp"
#include "engine/workflow/decide.hpp"
#include "engine/workflow/emitter.hpp"

namespace lf::engine::workflow {

namespace {

std::string run_reservation_id(std::string_view run_id) {
  return "run:" + std::string(run_id);
}

Result<bool> check_start(const State& state, const StartRun& command) {
  const auto activity = state.activities.find(command.activity_id);
  if (activity == state.activities.end()) {
    return make_error("unknown_activity", "no activity " + command.activity_id);
  }
  if (activity->second.status != ActivityStatus::in_progress) {
    return make_error("invalid_transition", "activity " + command.activity_id + " is " +
                                                std::string(to_string(activity->second.status)) +
                                                "; a run starts only while it is in_progress");
  }
  if (state.runs.contains(command.run_id))
    return make_error("duplicate_run", "run " + command.run_id + " already exists");
  Result<bool> length =
      check_derived_id(run_reservation_id(command.run_id), "run's reservation id");
  if (!length) return length;
  return check_room(state.runs.size(), "runs");
}

}  // namespace

Decision decide_start_run(const DecisionInput& in, const StartRun& command) {
  Result<bool> allowed = check_start(in.state, command);
  if (!allowed) return refused(allowed.error());
  const int64_t expires_at_ms = command.expires_at_ms.value_or(
      std::min(in.now_ms + credits::kReservationDefaultTtlMs, kInstantMaxMs));
  credits::Reserve hold;
  hold.reservation_id = run_reservation_id(command.run_id);
  hold.credits = command.estimated_credits;
  hold.activity_run_id = command.run_id;
  hold.deliverable_type = command.deliverable_type;
  hold.expires_at_ms = expires_at_ms;
  Decision reserved =
      credits::decide_reserve(credits::DecisionInput{in.credits, in.command, in.now_ms,
                                                     credits::stream_name(in.command.tenant_id)},
                              hold);
  if (!reserved.accepted()) return reserved;
  Emitter out(in.command.tenant_id);
  out.emit(RunStarted{command.activity_id, command.run_id, command.estimated_credits,
                      hold.reservation_id, command.deliverable_type, command.adapter_type,
                      command.model_id, command.session_id, expires_at_ms});
  out.append(std::move(reserved.events()));
  return out.accept();
}

Decision decide_finish_run(const DecisionInput& in, const FinishRun& command) {
  const auto found = in.state.runs.find(command.run_id);
  if (found == in.state.runs.end())
    return Decision::reject("unknown_run", "no run " + command.run_id);
  const Run& run = found->second;
  if (run.status != RunStatus::running) {
    return Decision::reject("invalid_transition", "run " + command.run_id + " already finished (" +
                                                      std::string(to_string(run.status)) + ")");
  }
  const bool completed = command.status == RunStatus::completed;
  if (completed && command.credits_used > run.estimated_credits) {
    return Decision::reject("exceeds_reservation",
                            "run " + command.run_id + " used " +
                                std::to_string(command.credits_used) + " credits, more than the " +
                                std::to_string(run.estimated_credits) + " reserved");
  }
  const int64_t charged = completed ? command.credits_used : 0;
  const credits::DecisionInput credits_in{in.credits, in.command, in.now_ms,
                                          credits::stream_name(in.command.tenant_id)};
  Decision closed =
      charged > 0
          ? credits::decide_consume(credits_in, credits::Consume{run.reservation_id, charged})
          : credits::decide_release(credits_in, credits::Release{run.reservation_id});
  if (!closed.accepted()) return closed;
  Emitter out(in.command.tenant_id);
  out.emit(RunFinished{run.activity_id, command.run_id, command.status, command.credits_used,
                       charged, run.estimated_credits - charged, command.error, command.usage});
  out.append(std::move(closed.events()));
  return out.accept();
}

}  // namespace lf::engine::workflow
