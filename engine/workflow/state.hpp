// The workflow decision state of one tenant (docs/domains/workflow.md):
// media buys, approvals, activities and runs — only what decisions read
// (statuses, links, deadlines), never the descriptive fields, which live in
// the events and the read tables. Plain data with value semantics.
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
inline constexpr std::size_t kTimerBatchMax = 100;
// Objects one tenant may have of each kind (every one ever created is kept:
// its id stays taken).
inline constexpr std::size_t kObjectsPerKindMax = 1'000'000;
// Default lifetime of an approval: 72 h after the request's issued_at.
inline constexpr int64_t kApprovalDefaultTtlMs = 72LL * 3'600'000;

// ---- statuses ----------------------------------------------------------------

enum class BuyStatus { pending, approved, active, paused, completed, failed };
enum class ApprovalStatus { pending, approved, rejected, revision_requested, expired };
enum class ActivityStatus {
  created, assigned, in_progress, awaiting_approval, approved, rejected, completed, failed, cancelled
};
enum class RunStatus { running, completed, failed, timed_out };
enum class SubjectKind { activity, media_buy, creative };

std::string_view to_string(BuyStatus status);
std::string_view to_string(ApprovalStatus status);
std::string_view to_string(ActivityStatus status);
std::string_view to_string(RunStatus status);
std::string_view to_string(SubjectKind kind);
std::optional<BuyStatus> parse_buy_status(std::string_view text);
std::optional<ApprovalStatus> parse_approval_status(std::string_view text);
std::optional<ActivityStatus> parse_activity_status(std::string_view text);
std::optional<RunStatus> parse_run_status(std::string_view text);
std::optional<SubjectKind> parse_subject_kind(std::string_view text);

bool is_final(BuyStatus status);       // completed, failed
bool is_final(ActivityStatus status);  // completed, failed, cancelled

// ---- objects -----------------------------------------------------------------

struct MediaBuy {
  BuyStatus status = BuyStatus::pending;
  bool requires_approval = false;
  std::optional<std::string> pending_approval_id;  // the linked approval still pending
  bool operator==(const MediaBuy&) const = default;
};

struct Approval {
  ApprovalStatus status = ApprovalStatus::pending;
  SubjectKind subject_kind = SubjectKind::creative;
  std::string subject_id;
  int64_t expires_at_ms = 0;
  bool linked = false;  // its outcome moves the subject
  bool operator==(const Approval&) const = default;
};

struct Activity {
  ActivityStatus status = ActivityStatus::created;
  bool is_approval_gate = false;
  int64_t approvals_opened = 0;  // numbers default approval ids
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
  // Deadlines: pending approvals by expires_at, running runs by their
  // hold's deadline. Derived from the maps (rebuilt on restore).
  std::set<std::pair<int64_t, std::string>> approval_deadlines;
  std::set<std::pair<int64_t, std::string>> run_deadlines;
  // Running runs' reservations, so credits commands cannot close them.
  std::map<std::string, std::string> run_by_reservation;

  bool operator==(const State&) const = default;
};

// nullopt when the derived indexes agree with the maps; otherwise what is off.
std::optional<std::string> state_invariant_violation(const State& state);
// Recomputes the derived indexes from the maps.
void rebuild_indexes(State& state);

}  // namespace lf::engine::workflow
