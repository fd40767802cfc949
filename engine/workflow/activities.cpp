// Activity decisions (docs/domains/workflow.md "Activities"): create, assign,
// start, fail, cancel, complete. Submitting for review: submissions.cpp.
#include "engine/workflow/decide.hpp"
#include "engine/workflow/review.hpp"
#include "engine/workflow/transitions.hpp"

namespace lf::engine::workflow {

namespace {

// The activity a command names, or unknown_activity.
Result<const Activity*> find_activity(const State& state, const std::string& activity_id) {
  const auto found = state.activities.find(activity_id);
  if (found == state.activities.end())
    return make_error("unknown_activity", "no activity " + activity_id);
  return &found->second;
}

// Ending or completing work ends its open review step too: it leaves the
// reviewer's queue (the approval stays pending and later moves nothing).
void emit_review_step_cancellation(Emitter& out, const State& state, const std::string& work_id,
                                   std::string_view why) {
  if (std::optional<ActivityMoved> cancelled = review_step_cancellation(
          state, work_id, "activity " + work_id + " " + std::string(why))) {
    out.emit(*cancelled);
  }
}

}  // namespace

Decision decide_create_activity(const DecisionInput& in, const CreateActivity& command) {
  if (in.state.activities.contains(command.activity_id)) {
    return Decision::reject("duplicate_activity",
                            "activity " + command.activity_id + " already exists");
  }
  Result<bool> room = check_room(in.state.activities.size(), "activities");
  if (!room) return refused(room.error());
  if (command.parent_activity_id && !in.state.activities.contains(*command.parent_activity_id)) {
    return Decision::reject("unknown_parent", "no parent activity " + *command.parent_activity_id);
  }
  Emitter out(in.command.tenant_id);
  out.emit(ActivityCreated{command.activity_id, command.title, command.type, command.description,
                           command.assignee, command.priority, command.is_approval_gate,
                           command.due_date, command.parent_activity_id, command.input_data_json});
  return out.accept();
}

Decision decide_assign_activity(const DecisionInput& in, const AssignActivity& command) {
  Result<const Activity*> found = find_activity(in.state, command.activity_id);
  if (!found) return refused(found.error());
  const Activity& activity = *found.value();
  if (!may_assign(activity)) {
    return refused(invalid_transition("activity", command.activity_id, to_string(activity.status),
                                      in.command.type));
  }
  if (activity.is_approval_gate && command.assignee.type != AssigneeType::human) {
    return Decision::reject("invalid_payload",
                            "activity " + command.activity_id +
                                " is a review step (is_approval_gate): it is assigned to a human");
  }
  Emitter out(in.command.tenant_id);
  out.emit(ActivityAssigned{command.activity_id, command.assignee,
                            to_do_status(command.assignee.type), command.note});
  return out.accept();
}

Decision decide_move_activity(const DecisionInput& in, const MoveActivity& command) {
  Result<const Activity*> found = find_activity(in.state, command.activity_id);
  if (!found) return refused(found.error());
  const Activity& activity = *found.value();
  const bool allowed =
      command.move == ActivityMove::started ? may_start(activity) : may_end(activity);
  if (!allowed) {
    return refused(invalid_transition("activity", command.activity_id, to_string(activity.status),
                                      in.command.type));
  }
  Emitter out(in.command.tenant_id);
  out.emit(ActivityMoved{command.move, command.activity_id, command.note});
  if (command.move != ActivityMove::started) {
    emit_review_step_cancellation(
        out, in.state, command.activity_id,
        command.move == ActivityMove::failed ? "failed" : "was cancelled");
  }
  return out.accept();
}

Decision decide_complete_activity(const DecisionInput& in, const CompleteActivity& command) {
  Result<const Activity*> found = find_activity(in.state, command.activity_id);
  if (!found) return refused(found.error());
  const Activity& activity = *found.value();
  if (!may_complete(activity)) {
    return refused(invalid_transition("activity", command.activity_id, to_string(activity.status),
                                      in.command.type));
  }
  Emitter out(in.command.tenant_id);
  out.emit(ActivityCompleted{command.activity_id, command.note, command.output_summary_json,
                             command.output_ref, std::nullopt, std::nullopt});
  emit_review_step_cancellation(out, in.state, command.activity_id, "was completed");
  return out.accept();
}

}  // namespace lf::engine::workflow
