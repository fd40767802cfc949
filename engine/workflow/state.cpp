// Value names and the derived indexes and links of the workflow state.
#include "engine/workflow/state.hpp"

#include "engine/names.hpp"

namespace lf::engine::workflow {

namespace {

constexpr NameTable<BuyStatus, 6> kBuyStatuses{{
    {BuyStatus::pending, "pending"},
    {BuyStatus::approved, "approved"},
    {BuyStatus::active, "active"},
    {BuyStatus::paused, "paused"},
    {BuyStatus::completed, "completed"},
    {BuyStatus::failed, "failed"},
}};
constexpr NameTable<ApprovalStatus, 5> kApprovalStatuses{{
    {ApprovalStatus::pending, "pending"},
    {ApprovalStatus::approved, "approved"},
    {ApprovalStatus::rejected, "rejected"},
    {ApprovalStatus::revision_requested, "revision_requested"},
    {ApprovalStatus::expired, "expired"},
}};
constexpr NameTable<ActivityStatus, 9> kActivityStatuses{{
    {ActivityStatus::created, "created"},
    {ActivityStatus::assigned, "assigned"},
    {ActivityStatus::in_progress, "in_progress"},
    {ActivityStatus::awaiting_approval, "awaiting_approval"},
    {ActivityStatus::approved, "approved"},
    {ActivityStatus::rejected, "rejected"},
    {ActivityStatus::completed, "completed"},
    {ActivityStatus::failed, "failed"},
    {ActivityStatus::cancelled, "cancelled"},
}};
constexpr NameTable<RunStatus, 4> kRunStatuses{{
    {RunStatus::running, "running"},
    {RunStatus::completed, "completed"},
    {RunStatus::failed, "failed"},
    {RunStatus::timed_out, "timed_out"},
}};
constexpr NameTable<SubjectKind, 3> kSubjectKinds{{
    {SubjectKind::activity, "activity"},
    {SubjectKind::media_buy, "media_buy"},
    {SubjectKind::creative, "creative"},
}};
constexpr NameTable<AssigneeType, 2> kAssigneeTypes{{
    {AssigneeType::agent, "agent"},
    {AssigneeType::human, "human"},
}};
constexpr NameTable<Priority, 4> kPriorities{{
    {Priority::urgent, "urgent"},
    {Priority::high, "high"},
    {Priority::normal, "normal"},
    {Priority::low, "low"},
}};
constexpr NameTable<ApprovalType, 8> kApprovalTypes{{
    {ApprovalType::content_review, "content_review"},
    {ApprovalType::strategy_review, "strategy_review"},
    {ApprovalType::brand_direction, "brand_direction"},
    {ApprovalType::content_direction, "content_direction"},
    {ApprovalType::hire_agent, "hire_agent"},
    {ApprovalType::media_buy, "media_buy"},
    {ApprovalType::creative, "creative"},
    {ApprovalType::product, "product"},
}};
constexpr NameTable<RiskLevel, 4> kRiskLevels{{
    {RiskLevel::low, "low"},
    {RiskLevel::medium, "medium"},
    {RiskLevel::high, "high"},
    {RiskLevel::critical, "critical"},
}};

}  // namespace

std::string_view to_string(BuyStatus status) {
  return name_in(kBuyStatuses, status);
}
std::string_view to_string(ApprovalStatus status) {
  return name_in(kApprovalStatuses, status);
}
std::string_view to_string(ActivityStatus status) {
  return name_in(kActivityStatuses, status);
}
std::string_view to_string(RunStatus status) {
  return name_in(kRunStatuses, status);
}
std::string_view to_string(SubjectKind kind) {
  return name_in(kSubjectKinds, kind);
}
std::string_view to_string(AssigneeType type) {
  return name_in(kAssigneeTypes, type);
}
std::string_view to_string(Priority priority) {
  return name_in(kPriorities, priority);
}
std::string_view to_string(ApprovalType type) {
  return name_in(kApprovalTypes, type);
}
std::string_view to_string(RiskLevel level) {
  return name_in(kRiskLevels, level);
}

std::optional<BuyStatus> parse_buy_status(std::string_view text) {
  return parse_in(kBuyStatuses, text);
}
std::optional<ApprovalStatus> parse_approval_status(std::string_view text) {
  return parse_in(kApprovalStatuses, text);
}
std::optional<ActivityStatus> parse_activity_status(std::string_view text) {
  return parse_in(kActivityStatuses, text);
}
std::optional<RunStatus> parse_run_status(std::string_view text) {
  return parse_in(kRunStatuses, text);
}
std::optional<SubjectKind> parse_subject_kind(std::string_view text) {
  return parse_in(kSubjectKinds, text);
}
std::optional<AssigneeType> parse_assignee_type(std::string_view text) {
  return parse_in(kAssigneeTypes, text);
}
std::optional<Priority> parse_priority(std::string_view text) {
  if (text == "medium") return Priority::normal;
  return parse_in(kPriorities, text);
}
std::optional<ApprovalType> parse_approval_type(std::string_view text) {
  return parse_in(kApprovalTypes, text);
}
std::optional<RiskLevel> parse_risk_level(std::string_view text) {
  return parse_in(kRiskLevels, text);
}

bool is_final(BuyStatus status) {
  return status == BuyStatus::completed || status == BuyStatus::failed;
}

bool is_final(ActivityStatus status) {
  return status == ActivityStatus::completed || status == ActivityStatus::failed ||
         status == ActivityStatus::cancelled;
}

ApprovalType default_approval_type(SubjectKind kind) {
  switch (kind) {
    case SubjectKind::media_buy:
      return ApprovalType::media_buy;
    case SubjectKind::creative:
      return ApprovalType::creative;
    case SubjectKind::activity:
      return ApprovalType::content_review;
  }
  LF_ASSERT_MSG(false, "unknown subject kind");
  return ApprovalType::content_review;
}

ApprovalType approval_type_of(std::string_view text, SubjectKind kind) {
  return parse_approval_type(text).value_or(default_approval_type(kind));
}

std::optional<std::string> open_review_step(const State& state, const Approval& approval) {
  if (!approval.review || !approval.review->activity_id) return std::nullopt;
  const auto step = state.activities.find(*approval.review->activity_id);
  if (step == state.activities.end() || is_final(step->second.status)) return std::nullopt;
  return step->first;
}

void rebuild_indexes(State& state) {
  state.approval_deadlines.clear();
  state.run_deadlines.clear();
  state.run_by_reservation.clear();
  for (const auto& [id, approval] : state.approvals) {
    if (approval.status == ApprovalStatus::pending)
      state.approval_deadlines.emplace(approval.expires_at_ms, id);
  }
  for (const auto& [id, run] : state.runs) {
    if (run.status != RunStatus::running) continue;
    state.run_deadlines.emplace(run.expires_at_ms, id);
    state.run_by_reservation.emplace(run.reservation_id, id);
  }
}

namespace {

// The approval `approval_id` is pending and names `activity_id` as its
// subject or its review step.
bool pending_for_activity(const State& state, const std::string& approval_id,
                          const std::string& activity_id) {
  const auto found = state.approvals.find(approval_id);
  if (found == state.approvals.end() || found->second.status != ApprovalStatus::pending)
    return false;
  const Approval& approval = found->second;
  const bool subject =
      approval.subject_kind == SubjectKind::activity && approval.subject_id == activity_id;
  const bool step = approval.review && approval.review->activity_id == activity_id;
  return subject || step;
}

std::optional<std::string> link_violation(const State& state) {
  for (const auto& [id, buy] : state.media_buys) {
    if (!buy.pending_approval_id) continue;
    const auto approval = state.approvals.find(*buy.pending_approval_id);
    if (approval == state.approvals.end() || approval->second.status != ApprovalStatus::pending ||
        approval->second.subject_kind != SubjectKind::media_buy ||
        approval->second.subject_id != id) {
      return "media buy " + id + " points at an approval that is not its pending one";
    }
  }
  for (const auto& [id, activity] : state.activities) {
    if (activity.pending_approval_id &&
        !pending_for_activity(state, *activity.pending_approval_id, id)) {
      return "activity " + id + " points at an approval that is not its pending one";
    }
  }
  for (const auto& [id, approval] : state.approvals) {
    if ((approval.status == ApprovalStatus::pending) != approval.review.has_value()) {
      return "approval " + id + " keeps its review details exactly while pending";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> state_invariant_violation(const State& state) {
  State rebuilt = state;
  rebuild_indexes(rebuilt);
  if (rebuilt.approval_deadlines != state.approval_deadlines)
    return "approval deadlines disagree with the approvals";
  if (rebuilt.run_deadlines != state.run_deadlines) return "run deadlines disagree with the runs";
  if (rebuilt.run_by_reservation != state.run_by_reservation)
    return "run reservations disagree with the runs";
  return link_violation(state);
}

}  // namespace lf::engine::workflow
