// An approval's expiry and its escalation.
#include "engine/workflow/escalation.hpp"
#include "events/assert.hpp"

#include <algorithm>
#include <array>

#include "engine/workflow/events.hpp"

namespace lf::engine::workflow {

namespace {

// FNV-1a, 64 bits: a stable, dependency-free hash for long chain roots.
uint64_t fnv1a_64(std::string_view text) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char byte : text) {
    hash ^= static_cast<unsigned char>(byte);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string hex16(uint64_t value) {
  static constexpr std::array<char, 16> kDigits = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                   '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4)
    text[static_cast<std::size_t>(i)] = kDigits[value & 0xF];
  return text;
}

// The subject still waits on this approval: a buy still pending on it, an
// activity still awaiting_approval on it; a creative always.
bool subject_waits(const State& state, const std::string& approval_id, const Approval& approval) {
  if (approval.subject_kind == SubjectKind::media_buy) {
    const auto buy = state.media_buys.find(approval.subject_id);
    return buy != state.media_buys.end() && buy->second.status == BuyStatus::pending &&
           buy->second.pending_approval_id == approval_id;
  }
  if (approval.subject_kind == SubjectKind::activity) {
    const auto work = state.activities.find(approval.subject_id);
    return work != state.activities.end() &&
           work->second.status == ActivityStatus::awaiting_approval &&
           work->second.pending_approval_id == approval_id;
  }
  return true;
}

ApprovalRequested follow_up(const std::string& id, const std::string& from,
                            const Approval& approval, const std::optional<std::string>& step,
                            const std::optional<std::string>& target, int64_t now_ms) {
  const PendingReview& review = *approval.review;
  return ApprovalRequested{id,
                           step,
                           Subject{approval.subject_kind, approval.subject_id},
                           review.type,
                           review.risk_level,
                           review.title,
                           review.content_ref,
                           target,
                           std::nullopt,
                           from,
                           std::min(now_ms + kApprovalDefaultTtlMs, kInstantMaxMs)};
}

}  // namespace

std::optional<std::string> escalation_target(const State& state, const Approval& approval) {
  LF_ASSERT(approval.review.has_value());
  if (approval.review->escalate_to) return approval.review->escalate_to;
  if (state.escalation_reviewer_id) return state.escalation_reviewer_id;
  return approval.review->reviewer_id;
}

std::optional<std::string> follow_up_id(const State& state, const std::string& approval_id,
                                        const Approval& approval,
                                        const std::set<std::string>& opened) {
  if (state.approvals.size() + opened.size() >= kObjectsPerKindMax) return std::nullopt;
  const std::string& root = approval.chain_root_id.value_or(approval_id);
  const std::string number = std::to_string(approval.escalation_number + 1);
  const std::string readable = root + ":escalation:" + number;
  const std::string hashed = "escalation:" + hex16(fnv1a_64(root)) + ":" + number;
  for (int32_t attempt = 1; attempt <= kFollowUpIdAttemptsMax; ++attempt) {
    const std::string suffix = attempt == 1 ? "" : ":" + std::to_string(attempt);
    const std::string candidate =
        readable.size() + suffix.size() <= kIdLengthMax ? readable + suffix : hashed + suffix;
    LF_ASSERT(candidate.size() <= kIdLengthMax);
    if (!state.approvals.contains(candidate) && !opened.contains(candidate)) return candidate;
  }
  return std::nullopt;
}

void emit_expiry(Emitter& out, const State& state, const std::string& approval_id,
                 const Approval& approval, int64_t now_ms, std::set<std::string>& opened) {
  LF_ASSERT(approval.status == ApprovalStatus::pending && approval.expires_at_ms <= now_ms);
  const Subject subject{approval.subject_kind, approval.subject_id};
  const std::optional<std::string> target = escalation_target(state, approval);
  const std::optional<std::string> step = open_review_step(state, approval);
  std::optional<std::string> next;
  if (subject_waits(state, approval_id, approval))
    next = follow_up_id(state, approval_id, approval, opened);
  out.emit(ApprovalExpired{approval_id, subject, approval.expires_at_ms});
  out.emit(ApprovalEscalated{approval_id, subject, now_ms, target, next});
  if (next) {
    opened.insert(*next);
    out.emit(follow_up(*next, approval_id, approval, step, target, now_ms));
    if (step && target) {
      out.emit(
          ActivityReassigned{*step, AssigneeType::human, target, *next, ReassignReason::escalated});
    }
    return;
  }
  const bool step_is_subject =
      approval.subject_kind == SubjectKind::activity && step == approval.subject_id;
  if (step && !step_is_subject) {
    out.emit(ActivityMoved{
        ActivityMove::cancelled, *step,
        "approval " + approval_id + " expired and its subject no longer waits on it"});
  }
}

}  // namespace lf::engine::workflow
