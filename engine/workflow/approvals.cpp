// Approval decisions besides the outcome (docs/domains/workflow.md
// "Approvals"): request, assign, send to the client.
#include "engine/workflow/decide.hpp"
#include "engine/workflow/review.hpp"
#include "engine/workflow/transitions.hpp"

namespace lf::engine::workflow {

namespace {

// A linked subject must exist and wait for a decision with no pending
// approval; a creative lives outside ledgerflow.
Result<bool> check_subject(const State& state, const Subject& subject) {
  if (subject.kind == SubjectKind::media_buy) {
    const auto buy = state.media_buys.find(subject.id);
    if (buy == state.media_buys.end())
      return make_error("unknown_subject", "no media buy " + subject.id);
    if (buy->second.status != BuyStatus::pending || !buy->second.requires_approval ||
        buy->second.pending_approval_id) {
      return make_error("invalid_transition",
                        "media buy " + subject.id + " is not waiting for an approval");
    }
  } else if (subject.kind == SubjectKind::activity) {
    const auto activity = state.activities.find(subject.id);
    if (activity == state.activities.end())
      return make_error("unknown_subject", "no activity " + subject.id);
    if (activity->second.status != ActivityStatus::awaiting_approval ||
        activity->second.pending_approval_id) {
      return make_error("invalid_transition",
                        "activity " + subject.id + " is not waiting for an approval");
    }
  }
  return true;
}

// The review step `activity_id` names: an existing review step open for
// review (created, assigned or in_progress, no pending approval).
Result<bool> check_named_step(const State& state, const std::string& activity_id) {
  const auto step = state.activities.find(activity_id);
  if (step == state.activities.end())
    return make_error("unknown_activity", "no activity " + activity_id);
  if (!step->second.is_approval_gate) {
    return make_error("invalid_transition",
                      "activity " + activity_id + " is not a review step (is_approval_gate)");
  }
  if (!may_submit(step->second)) {
    return make_error("invalid_transition",
                      "review step " + activity_id + " is " +
                          std::string(to_string(step->second.status)) +
                          (step->second.pending_approval_id ? " with a pending approval" : "") +
                          "; it cannot take another approval");
  }
  return true;
}

// The review step a requested approval belongs to: the one named, else the
// subject itself when it is a review step, else one opened for the subject
// when it is work; media-buy and creative approvals have one only when named.
Result<NewReview> review_for_request(const State& state, const RequestApproval& command) {
  NewReview review;
  const bool activity_subject = command.subject.kind == SubjectKind::activity;
  const Activity* work = activity_subject ? &state.activities.at(command.subject.id) : nullptr;
  if (command.activity_id && !(activity_subject && *command.activity_id == command.subject.id)) {
    Result<bool> named = check_named_step(state, *command.activity_id);
    if (!named) return named.error();
    review.approval.activity_id = command.activity_id;
    review.step_to_submit = command.activity_id;
  } else if (work != nullptr && work->is_approval_gate) {
    review.approval.activity_id = command.subject.id;
  } else if (command.activity_id) {
    return make_error("invalid_transition",
                      "activity " + command.subject.id + " is not a review step");
  } else if (work != nullptr) {
    const std::string step_id = default_review_step_id(command.subject.id, *work);
    Result<bool> free = check_new_review_step(state, step_id);
    if (!free) return free.error();
    review.new_step = review_step(step_id, command.subject.id, command.title, work->priority,
                                  std::nullopt, command.reviewer_id);
    review.approval.activity_id = step_id;
    review.step_to_submit = step_id;
  }
  return review;
}

}  // namespace

Decision decide_request_approval(const DecisionInput& in, const RequestApproval& command) {
  Result<bool> free = check_new_approval(in.state, command.approval_id);
  if (!free) return refused(free.error());
  Result<bool> subject = check_subject(in.state, command.subject);
  if (!subject) return refused(subject.error());
  Result<NewReview> review = review_for_request(in.state, command);
  if (!review) return refused(review.error());
  Result<int64_t> deadline =
      approval_deadline(command.expires_at_ms, in.command.issued_at_ms, in.now_ms);
  if (!deadline) return refused(deadline.error());
  ApprovalRequested& approval = review->approval;
  approval.approval_id = command.approval_id;
  approval.subject = command.subject;
  approval.type = command.type;
  approval.risk_level = command.risk_level;
  approval.title = command.title;
  approval.content_ref = command.content_ref;
  approval.reviewer_id = command.reviewer_id;
  approval.escalate_to = command.escalate_to;
  approval.expires_at_ms = deadline.value();
  Emitter out(in.command.tenant_id);
  emit_review(out, review.value());
  return out.accept();
}

Decision decide_assign_approval(const DecisionInput& in, const AssignApproval& command) {
  Result<const Approval*> found =
      pending_approval(in.state, command.approval_id, in.command.type, in.now_ms);
  if (!found) return refused(found.error());
  Emitter out(in.command.tenant_id);
  out.emit(ApprovalAssigned{command.approval_id, command.reviewer_id});
  if (const std::optional<std::string> step = open_review_step(in.state, *found.value())) {
    out.emit(ActivityReassigned{*step, AssigneeType::human, command.reviewer_id,
                                command.approval_id, ReassignReason::assigned});
  }
  return out.accept();
}

Decision decide_send_to_client(const DecisionInput& in, const SendToClient& command) {
  Result<const Approval*> found =
      pending_approval(in.state, command.approval_id, in.command.type, in.now_ms);
  if (!found) return refused(found.error());
  Emitter out(in.command.tenant_id);
  out.emit(
      ApprovalSentToClient{command.approval_id, command.sent_to_client_at_ms.value_or(in.now_ms)});
  return out.accept();
}

}  // namespace lf::engine::workflow
