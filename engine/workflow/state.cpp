// Status names and the derived indexes of the workflow state.
#include "engine/workflow/state.hpp"

#include <array>

namespace lf::engine::workflow {

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_named(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 6> kBuyStatusNames{"pending", "approved", "active",
                                                          "paused",  "completed", "failed"};
constexpr std::array<std::string_view, 5> kApprovalStatusNames{
    "pending", "approved", "rejected", "revision_requested", "expired"};
constexpr std::array<std::string_view, 9> kActivityStatusNames{
    "created",  "assigned",  "in_progress", "awaiting_approval", "approved",
    "rejected", "completed", "failed",      "cancelled"};
constexpr std::array<std::string_view, 4> kRunStatusNames{"running", "completed", "failed",
                                                          "timed_out"};
constexpr std::array<std::string_view, 3> kSubjectKindNames{"activity", "media_buy", "creative"};

}  // namespace

std::string_view to_string(BuyStatus status) { return kBuyStatusNames[static_cast<std::size_t>(status)]; }
std::string_view to_string(ApprovalStatus status) {
  return kApprovalStatusNames[static_cast<std::size_t>(status)];
}
std::string_view to_string(ActivityStatus status) {
  return kActivityStatusNames[static_cast<std::size_t>(status)];
}
std::string_view to_string(RunStatus status) { return kRunStatusNames[static_cast<std::size_t>(status)]; }
std::string_view to_string(SubjectKind kind) { return kSubjectKindNames[static_cast<std::size_t>(kind)]; }

std::optional<BuyStatus> parse_buy_status(std::string_view text) {
  return parse_named<BuyStatus>(kBuyStatusNames, text);
}
std::optional<ApprovalStatus> parse_approval_status(std::string_view text) {
  return parse_named<ApprovalStatus>(kApprovalStatusNames, text);
}
std::optional<ActivityStatus> parse_activity_status(std::string_view text) {
  return parse_named<ActivityStatus>(kActivityStatusNames, text);
}
std::optional<RunStatus> parse_run_status(std::string_view text) {
  return parse_named<RunStatus>(kRunStatusNames, text);
}
std::optional<SubjectKind> parse_subject_kind(std::string_view text) {
  return parse_named<SubjectKind>(kSubjectKindNames, text);
}

bool is_final(BuyStatus status) {
  return status == BuyStatus::completed || status == BuyStatus::failed;
}

bool is_final(ActivityStatus status) {
  return status == ActivityStatus::completed || status == ActivityStatus::failed ||
         status == ActivityStatus::cancelled;
}

void rebuild_indexes(State& state) {
  state.approval_deadlines.clear();
  state.run_deadlines.clear();
  state.run_by_reservation.clear();
  for (const auto& [id, approval] : state.approvals) {
    if (approval.status == ApprovalStatus::pending) state.approval_deadlines.emplace(approval.expires_at_ms, id);
  }
  for (const auto& [id, run] : state.runs) {
    if (run.status != RunStatus::running) continue;
    state.run_deadlines.emplace(run.expires_at_ms, id);
    state.run_by_reservation.emplace(run.reservation_id, id);
  }
}

std::optional<std::string> state_invariant_violation(const State& state) {
  State rebuilt = state;
  rebuild_indexes(rebuilt);
  if (rebuilt.approval_deadlines != state.approval_deadlines) return "approval deadlines disagree with the approvals";
  if (rebuilt.run_deadlines != state.run_deadlines) return "run deadlines disagree with the runs";
  if (rebuilt.run_by_reservation != state.run_by_reservation) return "run reservations disagree with the runs";
  for (const auto& [id, buy] : state.media_buys) {
    if (!buy.pending_approval_id) continue;
    auto approval = state.approvals.find(*buy.pending_approval_id);
    if (approval == state.approvals.end() || approval->second.status != ApprovalStatus::pending ||
        approval->second.subject_kind != SubjectKind::media_buy || approval->second.subject_id != id) {
      return "media buy " + id + " points at an approval that is not its pending one";
    }
  }
  for (const auto& [id, activity] : state.activities) {
    if (!activity.pending_approval_id) continue;
    auto approval = state.approvals.find(*activity.pending_approval_id);
    if (approval == state.approvals.end() || approval->second.status != ApprovalStatus::pending ||
        approval->second.subject_kind != SubjectKind::activity || approval->second.subject_id != id) {
      return "activity " + id + " points at an approval that is not its pending one";
    }
  }
  return std::nullopt;
}

}  // namespace lf::engine::workflow
