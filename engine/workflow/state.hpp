// The workflow decision state of one tenant (docs/domains/workflow.md):
// media buys, approvals, activities and runs, and the tenant's settings —
// only what decisions read (statuses, links, deadlines, who a review goes to
// and what a follow-up approval copies while an approval is pending), never
// the descriptive fields, which live in the events and the read tables.
// Plain data with value semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace lf::engine::workflow {

// ---- limits ------------------------------------------------------------------

// Approvals and runs one timer record closes at most; more that fall due
// together fire in the following records.
inline constexpr std::size_t kTimerBatchMax = 50;
// Objects one tenant may have of each kind (every one ever created is kept:
// its id stays taken).
inline constexpr std::size_t kObjectsPerKindMax = 1'000'000;
// Ids producers choose and ids the engine derives alike.
inline constexpr std::size_t kIdLengthMax = 128;
// Lifetime of an approval without expires_at (after the request's
// issued_at), and of a follow-up approval (after the expiry that opens it).
inline constexpr int64_t kApprovalDefaultTtlMs = 72LL * 3'600'000;
// The last instant an RFC 3339 timestamp can name (9999-12-31T23:59:59.999Z):
// default deadlines are clamped to it.
inline constexpr int64_t kInstantMaxMs = 253'402'300'799'999;

// ---- values ------------------------------------------------------------------

enum class BuyStatus { pending, approved, active, paused, completed, failed };
enum class ApprovalStatus { pending, approved, rejected, revision_requested, expired };
enum class ActivityStatus {
  created,
  assigned,
  in_progress,
  awaiting_approval,
  approved,
  rejected,
  completed,
  failed,
  cancelled
};
enum class RunStatus { running, completed, failed, timed_out };
enum class SubjectKind { activity, media_buy, creative };
enum class AssigneeType { agent, human };
// Declared in queue order: urgent first (the PostgreSQL enum's order).
enum class Priority { urgent, high, normal, low };
// The seeds' review types: Leadmetrics' five, then the Prebid sales agent's tasks.
enum class ApprovalType {
  content_review,
  strategy_review,
  brand_direction,
  content_direction,
  hire_agent,
  media_buy,
  creative,
  product
};
enum class RiskLevel { low, medium, high, critical };

std::string_view to_string(BuyStatus status);
std::string_view to_string(ApprovalStatus status);
std::string_view to_string(ActivityStatus status);
std::string_view to_string(RunStatus status);
std::string_view to_string(SubjectKind kind);
std::string_view to_string(AssigneeType type);
std::string_view to_string(Priority priority);
std::string_view to_string(ApprovalType type);
std::string_view to_string(RiskLevel level);
std::optional<BuyStatus> parse_buy_status(std::string_view text);
std::optional<ApprovalStatus> parse_approval_status(std::string_view text);
std::optional<ActivityStatus> parse_activity_status(std::string_view text);
std::optional<RunStatus> parse_run_status(std::string_view text);
std::optional<SubjectKind> parse_subject_kind(std::string_view text);
std::optional<AssigneeType> parse_assignee_type(std::string_view text);
// "medium" is read as normal (catalogue v1's name).
std::optional<Priority> parse_priority(std::string_view text);
std::optional<ApprovalType> parse_approval_type(std::string_view text);
std::optional<RiskLevel> parse_risk_level(std::string_view text);

bool is_final(BuyStatus status);       // completed, failed
bool is_final(ActivityStatus status);  // completed, failed, cancelled

// The approval type a subject gets when none is known (the upcasting rule of
// approval.requested v1 -> v2).
ApprovalType default_approval_type(SubjectKind kind);
// A command's approval type: a seed type as it is; any other text (catalogue
// v1's free-text types, accepted for one version) as the seed type of the
// subject's kind, as the approval.requested upcaster reads v1 events.
ApprovalType approval_type_of(std::string_view text, SubjectKind kind);

// ---- objects -----------------------------------------------------------------

struct MediaBuy {
  BuyStatus status = BuyStatus::pending;
  bool requires_approval = false;
  std::optional<std::string> pending_approval_id;  // the linked approval still pending
  bool operator==(const MediaBuy&) const = default;
};

// What an expiry needs of a pending approval: where its follow-up goes and
// what it copies. Dropped when the approval closes.
struct PendingReview {
  std::optional<std::string> activity_id;  // its review step
  ApprovalType type = ApprovalType::content_review;
  RiskLevel risk_level = RiskLevel::medium;
  std::string title;
  std::optional<std::string> content_ref;
  std::optional<std::string> reviewer_id;
  std::optional<std::string> escalate_to;
  bool operator==(const PendingReview&) const = default;
};

struct Approval {
  ApprovalStatus status = ApprovalStatus::pending;
  SubjectKind subject_kind = SubjectKind::creative;
  std::string subject_id;
  int64_t expires_at_ms = 0;
  bool linked = false;  // its outcome moves the subject
  // A follow-up's chain: the first approval and this one's number in it
  // (<root>:escalation:<n>); absent and 0 for an approval nobody escalated.
  std::optional<std::string> chain_root_id;
  int32_t escalation_number = 0;
  std::optional<PendingReview> review;  // present exactly while pending
  bool operator==(const Approval&) const = default;
};

struct Activity {
  ActivityStatus status = ActivityStatus::created;
  bool is_approval_gate = false;  // a human review step
  AssigneeType assignee_type = AssigneeType::agent;
  Priority priority = Priority::normal;
  int64_t approvals_opened = 0;  // numbers default approval and review step ids
  // The pending approval this activity waits on, as its subject or as its
  // review step (one at a time).
  std::optional<std::string> pending_approval_id;
  bool operator==(const Activity&) const = default;
};

struct Run {
  std::string activity_id;
  std::string reservation_id;
  int64_t estimated_credits = 0;
  int64_t expires_at_ms = 0;  // the hold's deadline
  RunStatus status = RunStatus::running;
  bool operator==(const Run&) const = default;
};

// ---- the state ---------------------------------------------------------------

struct State {
  std::map<std::string, MediaBuy> media_buys;
  std::map<std::string, Approval> approvals;
  std::map<std::string, Activity> activities;
  std::map<std::string, Run> runs;
  // Tenant settings (tenant.configure): the default escalation target.
  std::optional<std::string> escalation_reviewer_id;
  // Deadlines: pending approvals by expires_at, running runs by their
  // hold's deadline. Derived from the maps (rebuilt on restore).
  std::set<std::pair<int64_t, std::string>> approval_deadlines;
  std::set<std::pair<int64_t, std::string>> run_deadlines;
  // Running runs' reservations, so credits commands cannot close them.
  std::map<std::string, std::string> run_by_reservation;

  bool operator==(const State&) const = default;
};

// The open review step an approval belongs to (an activity of the state, not
// final), if any.
std::optional<std::string> open_review_step(const State& state, const Approval& approval);

// nullopt when the derived indexes and the links agree with the maps;
// otherwise what is off.
std::optional<std::string> state_invariant_violation(const State& state);
// Recomputes the derived indexes from the maps.
void rebuild_indexes(State& state);

}  // namespace lf::engine::workflow
