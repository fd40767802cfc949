// The review flow's shared pieces (docs/domains/workflow.md "The review
// flow"): opening an approval with its review step, finding a pending
// approval, cancelling a work's open review step. Used by the approval and
// activity decisions and by the expiry timers. Internal to engine/workflow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/workflow/emitter.hpp"
#include "engine/workflow/events.hpp"
#include "engine/workflow/state.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

// An approval about to be opened and, when it belongs to one, its review
// step: opened for it (new_step) and/or moved to awaiting_approval in the
// same record (step_to_submit).
struct NewReview {
  ApprovalRequested approval;
  std::optional<ActivityCreated> new_step;
  std::optional<std::string> step_to_submit;
};

// The review step's events, then approval.requested (evolve links the
// approval to a step that must exist by then).
void emit_review(Emitter& out, const NewReview& review);

// The id is free for a new approval (duplicate_approval), within the id
// limit (invalid_payload) and the tenant has room (limit_exceeded).
Result<bool> check_new_approval(const State& state, const std::string& approval_id);
// The same for a new review step (duplicate_activity).
Result<bool> check_new_review_step(const State& state, const std::string& activity_id);

// The deadline of an approval a command opens: `given_ms`, else issued_at +
// 72 h; after now, else invalid_expiry.
Result<int64_t> approval_deadline(std::optional<int64_t> given_ms, int64_t issued_at_ms,
                                  int64_t now_ms);

// Defaults for the review a work's submission opens, numbered by the work's
// approvals: <work>:approval:<n>, <work>:review:<n>, "Review: <work>".
std::string default_approval_id(const std::string& work_id, const Activity& work);
std::string default_review_step_id(const std::string& work_id, const Activity& work);
std::string default_review_title(const std::string& work_id);

// The review step opened for work: a human activity with is_approval_gate,
// parent the work, type "review", assigned to the reviewer when there is one.
ActivityCreated review_step(const std::string& step_id, const std::string& work_id,
                            const std::string& title, Priority priority,
                            const std::optional<std::string>& due_date,
                            const std::optional<std::string>& reviewer_id);

// The pending approval `approval_id` names, or unknown_approval, expired (its
// deadline has passed, even if the timer has not fired yet) or
// invalid_transition (already decided).
Result<const Approval*> pending_approval(const State& state, const std::string& approval_id,
                                         std::string_view command_type, int64_t now_ms);

// activity.cancelled for the open review step of the work `work_id` is
// waiting on, when that step is another activity; nullopt otherwise.
std::optional<ActivityMoved> review_step_cancellation(const State& state,
                                                      const std::string& work_id,
                                                      const std::string& note);

}  // namespace lf::engine::workflow
