// activity.submit_for_approval (docs/domains/workflow.md "The review flow"):
// work opens a review step and its approval in the same record; a review
// step opens only its approval.
#include "engine/workflow/decide.hpp"
#include "engine/workflow/review.hpp"
#include "engine/workflow/transitions.hpp"

namespace lf::engine::workflow {

namespace {

// The review a submission opens: the approval (subject the activity) and,
// for work, a new review step it belongs to.
Result<NewReview> submitted_review(const DecisionInput& in, const SubmitActivity& command,
                                   const Activity& activity) {
  const std::string& id = command.activity_id;
  NewReview review;
  ApprovalRequested& approval = review.approval;
  approval.approval_id = command.approval.approval_id.value_or(default_approval_id(id, activity));
  Result<bool> free = check_new_approval(in.state, approval.approval_id);
  if (!free) return free.error();
  const std::string title = command.review_title.value_or(default_review_title(id));
  if (activity.is_approval_gate) {
    approval.activity_id = id;  // the step reviews itself
  } else {
    const std::string step_id =
        command.review_activity_id.value_or(default_review_step_id(id, activity));
    Result<bool> step_free = check_new_review_step(in.state, step_id);
    if (!step_free) return step_free.error();
    review.new_step = review_step(step_id, id, title, command.priority.value_or(activity.priority),
                                  command.due_date, command.approval.reviewer_id);
    review.step_to_submit = step_id;
    approval.activity_id = step_id;
  }
  Result<int64_t> deadline =
      approval_deadline(command.approval.expires_at_ms, in.command.issued_at_ms, in.now_ms);
  if (!deadline) return deadline.error();
  approval.subject = Subject{SubjectKind::activity, id};
  approval.type = command.approval_type.value_or(ApprovalType::content_review);
  approval.risk_level = command.approval.risk_level.value_or(RiskLevel::medium);
  approval.title = title;
  approval.content_ref = command.content_ref;
  approval.reviewer_id = command.approval.reviewer_id;
  approval.escalate_to = command.approval.escalate_to;
  approval.expires_at_ms = deadline.value();
  return review;
}

}  // namespace

Decision decide_submit_activity(const DecisionInput& in, const SubmitActivity& command) {
  const auto found = in.state.activities.find(command.activity_id);
  if (found == in.state.activities.end()) {
    return Decision::reject("unknown_activity", "no activity " + command.activity_id);
  }
  const Activity& activity = found->second;
  if (!may_submit(activity)) {
    return refused(invalid_transition(activity.is_approval_gate ? "review step" : "activity",
                                      command.activity_id, to_string(activity.status),
                                      in.command.type));
  }
  Result<NewReview> review = submitted_review(in, command, activity);
  if (!review) return refused(review.error());
  Emitter out(in.command.tenant_id);
  out.emit(ActivitySubmitted{command.activity_id, review->approval.approval_id,
                             review->approval.activity_id, command.note});
  emit_review(out, review.value());
  return out.accept();
}

}  // namespace lf::engine::workflow
