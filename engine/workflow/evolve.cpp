// apply_event(): each workflow event's change to the state.
#include "engine/workflow/evolve.hpp"
#include "events/assert.hpp"

#include "engine/workflow/transitions.hpp"

namespace lf::engine::workflow {

namespace {

template <typename Map>
typename Map::mapped_type& existing(Map& map, const std::string& id) {
  const auto found = map.find(id);
  LF_ASSERT_MSG(found != map.end(), "a workflow event names an object the state does not hold");
  return found->second;
}

Activity& open_activity(State& state, const std::string& id) {
  Activity& activity = existing(state.activities, id);
  LF_ASSERT_MSG(!is_final(activity.status), "a workflow event moves an activity that has ended");
  return activity;
}

void clear_link(std::optional<std::string>& link, const std::string& approval_id) {
  if (link == approval_id) link.reset();
}

// An approval leaves `pending`: off the deadline index, its review details
// dropped, its subject and review step no longer wait on it.
void close_approval(State& state, const std::string& id, ApprovalStatus status) {
  Approval& approval = existing(state.approvals, id);
  LF_ASSERT(approval.status == ApprovalStatus::pending && approval.review.has_value());
  if (approval.review->activity_id) {
    if (auto step = state.activities.find(*approval.review->activity_id);
        step != state.activities.end()) {
      clear_link(step->second.pending_approval_id, id);
    }
  }
  if (approval.linked && approval.subject_kind == SubjectKind::media_buy) {
    clear_link(existing(state.media_buys, approval.subject_id).pending_approval_id, id);
  } else if (approval.linked && approval.subject_kind == SubjectKind::activity) {
    clear_link(existing(state.activities, approval.subject_id).pending_approval_id, id);
  }
  approval.status = status;
  approval.review.reset();
  state.approval_deadlines.erase({approval.expires_at_ms, id});
}

void link_pending(std::optional<std::string>& link, const std::string& approval_id) {
  LF_ASSERT_MSG(!link || *link == approval_id,
                "an activity or buy waits on one pending approval at a time");
  link = approval_id;
}

void apply_requested(State& state, const ApprovalRequested& e) {
  Approval approval;
  approval.subject_kind = e.subject.kind;
  approval.subject_id = e.subject.id;
  approval.expires_at_ms = e.expires_at_ms;
  approval.review = PendingReview{e.activity_id, e.type,        e.risk_level, e.title,
                                  e.content_ref, e.reviewer_id, e.escalate_to};
  if (e.escalated_from) {
    const Approval& from = existing(state.approvals, *e.escalated_from);
    approval.chain_root_id = from.chain_root_id.value_or(*e.escalated_from);
    approval.escalation_number = from.escalation_number + 1;
  }
  if (e.subject.kind == SubjectKind::media_buy) {
    link_pending(existing(state.media_buys, e.subject.id).pending_approval_id, e.approval_id);
    approval.linked = true;
  } else if (e.subject.kind == SubjectKind::activity) {
    Activity& work = existing(state.activities, e.subject.id);
    link_pending(work.pending_approval_id, e.approval_id);
    ++work.approvals_opened;
    approval.linked = true;
  }
  if (e.activity_id)
    link_pending(existing(state.activities, *e.activity_id).pending_approval_id, e.approval_id);
  state.approval_deadlines.emplace(approval.expires_at_ms, e.approval_id);
  const bool inserted = state.approvals.emplace(e.approval_id, std::move(approval)).second;
  LF_ASSERT_MSG(inserted, "approval.requested for an approval id already taken");
}

void apply_run_started(State& state, const RunStarted& e) {
  LF_ASSERT(state.activities.contains(e.activity_id));
  Run run{e.activity_id, e.reservation_id, e.estimated_credits, e.expires_at_ms,
          RunStatus::running};
  state.run_deadlines.emplace(run.expires_at_ms, e.run_id);
  state.run_by_reservation.emplace(run.reservation_id, e.run_id);
  const bool inserted = state.runs.emplace(e.run_id, std::move(run)).second;
  LF_ASSERT_MSG(inserted, "activity.run_started for a run id already taken");
}

void apply_run_finished(State& state, const RunFinished& e) {
  Run& run = existing(state.runs, e.run_id);
  LF_ASSERT(run.status == RunStatus::running && run.activity_id == e.activity_id);
  run.status = e.status;
  state.run_deadlines.erase({run.expires_at_ms, e.run_id});
  state.run_by_reservation.erase(run.reservation_id);
}

struct Apply {
  State& state;

  void operator()(const BuyCreated& e) const {
    const bool inserted =
        state.media_buys
            .emplace(e.media_buy_id, MediaBuy{BuyStatus::pending, e.requires_approval, {}})
            .second;
    LF_ASSERT_MSG(inserted, "media_buy.created for a media buy id already taken");
  }
  void operator()(const BuyMoved& e) const {
    MediaBuy& buy = existing(state.media_buys, e.media_buy_id);
    LF_ASSERT_MSG(buy_move_allowed(e.move, buy.status),
                  "a media buy event the transition table refuses");
    buy.status = buy_status_after(e.move);
  }
  void operator()(const ApprovalRequested& e) const { apply_requested(state, e); }
  void operator()(const ApprovalAssigned& e) const {
    Approval& approval = existing(state.approvals, e.approval_id);
    LF_ASSERT(approval.status == ApprovalStatus::pending && approval.review.has_value());
    approval.review->reviewer_id = e.reviewer_id;
  }
  void operator()(const ApprovalSentToClient& e) const {
    LF_ASSERT(existing(state.approvals, e.approval_id).status == ApprovalStatus::pending);
  }
  void operator()(const ApprovalDecided& e) const {
    close_approval(state, e.approval_id,
                   e.outcome == ReviewOutcome::approved   ? ApprovalStatus::approved
                   : e.outcome == ReviewOutcome::rejected ? ApprovalStatus::rejected
                                                          : ApprovalStatus::revision_requested);
  }
  void operator()(const ApprovalExpired& e) const {
    close_approval(state, e.approval_id, ApprovalStatus::expired);
  }
  void operator()(const ApprovalEscalated& e) const {
    LF_ASSERT(existing(state.approvals, e.approval_id).status == ApprovalStatus::expired);
  }
  void operator()(const ActivityCreated& e) const {
    Activity activity;
    activity.is_approval_gate = e.is_approval_gate;
    activity.assignee_type = e.assignee.type;
    activity.priority = e.priority;
    const bool inserted = state.activities.emplace(e.activity_id, activity).second;
    LF_ASSERT_MSG(inserted, "activity.created for an activity id already taken");
  }
  void operator()(const ActivityAssigned& e) const {
    Activity& activity = open_activity(state, e.activity_id);
    activity.status = e.status;
    activity.assignee_type = e.assignee.type;
  }
  void operator()(const ActivityReassigned& e) const {
    open_activity(state, e.activity_id).assignee_type = e.assignee_type;
  }
  void operator()(const ActivityMoved& e) const {
    open_activity(state, e.activity_id).status =
        e.move == ActivityMove::started  ? ActivityStatus::in_progress
        : e.move == ActivityMove::failed ? ActivityStatus::failed
                                         : ActivityStatus::cancelled;
  }
  void operator()(const ActivityCompleted& e) const {
    open_activity(state, e.activity_id).status = ActivityStatus::completed;
  }
  void operator()(const ActivitySubmitted& e) const {
    open_activity(state, e.activity_id).status = ActivityStatus::awaiting_approval;
  }
  void operator()(const ActivityApproved& e) const {
    decided(e.activity_id, ActivityStatus::approved);
  }
  void operator()(const ActivityRejected& e) const {
    decided(e.activity_id, ActivityStatus::rejected);
  }
  void operator()(const ActivityRevisionRequested& e) const { decided(e.activity_id, e.status); }
  void operator()(const RunStarted& e) const { apply_run_started(state, e); }
  void operator()(const RunFinished& e) const { apply_run_finished(state, e); }
  void operator()(const AuditRecorded&) const {}  // changes no decision state
  void operator()(const TenantConfigured& e) const {
    state.escalation_reviewer_id = e.escalation_reviewer_id;
  }

  // Work moved by its approval's outcome (which closed the approval first).
  void decided(const std::string& activity_id, ActivityStatus status) const {
    Activity& activity = existing(state.activities, activity_id);
    LF_ASSERT_MSG(activity.status == ActivityStatus::awaiting_approval,
                  "an outcome moves work awaiting approval");
    activity.status = status;
  }
};

}  // namespace

void apply_event(State& state, const Event& event) {
  std::visit(Apply{state}, event);
#ifdef LF_DEEP_CHECKS
  if (std::optional<std::string> broken = state_invariant_violation(state)) {
    LF_ASSERT_MSG(false, broken->c_str());
  }
#endif
}

}  // namespace lf::engine::workflow
