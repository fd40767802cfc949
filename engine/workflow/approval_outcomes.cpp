// An approval's outcome (approval.approve / reject / request_revision): the
// approval, its review step and its subject move in one commit record
// (docs/domains/workflow.md "The outcome reaches a linked subject").
#include "engine/workflow/decide.hpp"
#include "engine/workflow/review.hpp"
#include "engine/workflow/transitions.hpp"
#include "events/assert.hpp"

namespace lf::engine::workflow {

namespace {

// The buy's event, when it still waits on this approval.
void emit_buy_outcome(Emitter& out, const State& state, const std::string& approval_id,
                      const Approval& approval, const DecideApproval& command) {
  const auto buy = state.media_buys.find(approval.subject_id);
  LF_ASSERT(buy != state.media_buys.end());
  if (buy->second.pending_approval_id != approval_id || buy->second.status != BuyStatus::pending)
    return;
  switch (command.outcome) {
    case ReviewOutcome::approved:
      out.emit(BuyMoved{BuyMove::approved, approval.subject_id, command.notes, approval_id,
                        command.reviewed_by});
      return;
    case ReviewOutcome::rejected:
      out.emit(BuyMoved{BuyMove::failed, approval.subject_id,
                        command.notes.value_or("rejected by " + command.reviewed_by), approval_id,
                        std::nullopt});
      return;
    case ReviewOutcome::revision_requested:
      return;  // stays pending, free for a new approval
  }
}

// The work's event, when it still waits on this approval.
void emit_work_outcome(Emitter& out, const State& state, const std::string& approval_id,
                       const Approval& approval, const DecideApproval& command) {
  const auto work = state.activities.find(approval.subject_id);
  LF_ASSERT(work != state.activities.end());
  if (work->second.pending_approval_id != approval_id ||
      work->second.status != ActivityStatus::awaiting_approval) {
    return;
  }
  const std::string& id = approval.subject_id;
  switch (command.outcome) {
    case ReviewOutcome::approved:
      out.emit(ActivityApproved{id, approval_id, command.reviewed_by, command.notes});
      return;
    case ReviewOutcome::rejected:
      out.emit(ActivityRejected{id, approval_id, command.reviewed_by,
                                command.notes.value_or("rejected by " + command.reviewed_by)});
      return;
    case ReviewOutcome::revision_requested:
      out.emit(ActivityRevisionRequested{
          id, approval_id, command.reviewed_by,
          command.notes.value_or("revision requested by " + command.reviewed_by),
          to_do_status(work->second.assignee_type)});
      return;
  }
}

}  // namespace

Decision decide_approval_outcome(const DecisionInput& in, const DecideApproval& command) {
  Result<const Approval*> found =
      pending_approval(in.state, command.approval_id, in.command.type, in.now_ms);
  if (!found) return refused(found.error());
  const Approval& approval = *found.value();
  LF_ASSERT(approval.review.has_value());
  Emitter out(in.command.tenant_id);
  out.emit(ApprovalDecided{command.outcome, command.approval_id, approval.review->activity_id,
                           Subject{approval.subject_kind, approval.subject_id}, command.reviewed_by,
                           command.notes, command.chosen_option});
  const std::optional<std::string> step = open_review_step(in.state, approval);
  const bool step_is_subject =
      approval.subject_kind == SubjectKind::activity && step == approval.subject_id;
  if (step && !step_is_subject) {
    out.emit(ActivityCompleted{*step, std::nullopt, std::nullopt, std::nullopt, command.approval_id,
                               command.outcome});
  }
  if (approval.linked && approval.subject_kind == SubjectKind::media_buy) {
    emit_buy_outcome(out, in.state, command.approval_id, approval, command);
  } else if (approval.linked && approval.subject_kind == SubjectKind::activity) {
    emit_work_outcome(out, in.state, command.approval_id, approval, command);
  }
  return out.accept();
}

}  // namespace lf::engine::workflow
