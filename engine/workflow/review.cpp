// The review flow's shared pieces.
#include "engine/workflow/review.hpp"
#include "events/assert.hpp"

#include <algorithm>

#include "engine/workflow/decide.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

constexpr const char* kReviewStepType = "review";

}  // namespace

void emit_review(Emitter& out, const NewReview& review) {
  if (review.new_step) out.emit(*review.new_step);
  if (review.step_to_submit) {
    out.emit(ActivitySubmitted{*review.step_to_submit, review.approval.approval_id,
                               *review.step_to_submit, std::nullopt});
  }
  LF_ASSERT(!review.new_step || review.approval.activity_id == review.new_step->activity_id);
  out.emit(review.approval);
}

Result<bool> check_new_approval(const State& state, const std::string& approval_id) {
  Result<bool> length = check_derived_id(approval_id, "approval id");
  if (!length) return length;
  if (state.approvals.contains(approval_id)) {
    return make_error("duplicate_approval", "approval " + approval_id + " already exists");
  }
  return check_room(state.approvals.size(), "approvals");
}

Result<bool> check_new_review_step(const State& state, const std::string& activity_id) {
  Result<bool> length = check_derived_id(activity_id, "review step id");
  if (!length) return length;
  if (state.activities.contains(activity_id)) {
    return make_error("duplicate_activity",
                      "activity " + activity_id + " already exists (the review step's id)");
  }
  return check_room(state.activities.size(), "activities");
}

Result<int64_t> approval_deadline(std::optional<int64_t> given_ms, int64_t issued_at_ms,
                                  int64_t now_ms) {
  const int64_t expires_at_ms =
      given_ms.value_or(std::min(issued_at_ms + kApprovalDefaultTtlMs, kInstantMaxMs));
  if (expires_at_ms <= now_ms) {
    return make_error("invalid_expiry", "the approval would expire at " +
                                            format_rfc3339_ms(expires_at_ms) +
                                            ", which is not after now");
  }
  return expires_at_ms;
}

std::string default_approval_id(const std::string& work_id, const Activity& work) {
  return work_id + ":approval:" + std::to_string(work.approvals_opened + 1);
}

std::string default_review_step_id(const std::string& work_id, const Activity& work) {
  return work_id + ":review:" + std::to_string(work.approvals_opened + 1);
}

std::string default_review_title(const std::string& work_id) {
  return "Review: " + work_id;
}

ActivityCreated review_step(const std::string& step_id, const std::string& work_id,
                            const std::string& title, Priority priority,
                            const std::optional<std::string>& due_date,
                            const std::optional<std::string>& reviewer_id) {
  ActivityCreated step;
  step.activity_id = step_id;
  step.title = title;
  step.type = kReviewStepType;
  step.assignee = Assignee{AssigneeType::human, std::nullopt, reviewer_id};
  step.priority = priority;
  step.is_approval_gate = true;
  step.due_date = due_date;
  step.parent_activity_id = work_id;
  return step;
}

Result<const Approval*> pending_approval(const State& state, const std::string& approval_id,
                                         std::string_view command_type, int64_t now_ms) {
  const auto found = state.approvals.find(approval_id);
  if (found == state.approvals.end())
    return make_error("unknown_approval", "no approval " + approval_id);
  const Approval& approval = found->second;
  if (approval.status == ApprovalStatus::expired ||
      (approval.status == ApprovalStatus::pending && approval.expires_at_ms <= now_ms)) {
    return make_error("expired", "approval " + approval_id + " expired at " +
                                     format_rfc3339_ms(approval.expires_at_ms));
  }
  if (approval.status != ApprovalStatus::pending) {
    return invalid_transition("approval", approval_id, to_string(approval.status), command_type);
  }
  return &approval;
}

std::optional<ActivityMoved> review_step_cancellation(const State& state,
                                                      const std::string& work_id,
                                                      const std::string& note) {
  const auto work = state.activities.find(work_id);
  if (work == state.activities.end() || !work->second.pending_approval_id) return std::nullopt;
  const auto approval = state.approvals.find(*work->second.pending_approval_id);
  LF_ASSERT(approval != state.approvals.end());
  const std::optional<std::string> step = open_review_step(state, approval->second);
  if (!step || *step == work_id) return std::nullopt;
  return ActivityMoved{ActivityMove::cancelled, *step, note};
}

}  // namespace lf::engine::workflow
