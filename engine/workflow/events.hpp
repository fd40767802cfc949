// The workflow events as typed values (docs/domains/workflow.md "Events").
// The deciders build them, the codec turns them into payload JSON at the
// current schema_version and back, and apply() (evolve.hpp) is the one place
// that changes state with them. Free-form members (pricing, targeting,
// input_data, output_summary, an audit row's details and change) travel as
// the JSON text the producer sent; nothing in the engine reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/workflow/state.hpp"

namespace lf::engine::workflow {

enum class BuyMove { approved, activated, paused, resumed, completed, failed };
enum class ActivityMove { started, failed, cancelled };
enum class ReviewOutcome { approved, rejected, revision_requested };
enum class ReassignReason { assigned, escalated };
enum class AdapterType { claude, openai, ollama, webhook };

std::string_view to_string(ReviewOutcome outcome);
std::string_view to_string(ReassignReason reason);
std::string_view to_string(AdapterType type);
std::optional<ReviewOutcome> parse_review_outcome(std::string_view text);
std::optional<ReassignReason> parse_reassign_reason(std::string_view text);
std::optional<AdapterType> parse_adapter_type(std::string_view text);

struct Subject {
  SubjectKind kind = SubjectKind::creative;
  std::string id;
  bool operator==(const Subject&) const = default;
};

struct Assignee {
  AssigneeType type = AssigneeType::agent;
  std::optional<std::string> agent_role;  // agents
  std::optional<std::string> user_id;     // humans (a review step may have none yet)
  bool operator==(const Assignee&) const = default;
};

// ---- media buys ----------------------------------------------------------------

struct Package {
  std::string package_id;
  std::string product_id;
  int64_t budget_minor = 0;
  std::optional<std::string> pricing_json;
  std::optional<std::string> targeting_json;
  bool operator==(const Package&) const = default;
};

struct BuyCreated {
  std::string media_buy_id;
  std::string principal_id;
  std::string campaign_name;
  std::optional<std::string> buyer_ref;
  std::string start_date;  // YYYY-MM-DD
  std::string end_date;
  std::string currency;  // ISO 4217
  std::vector<Package> packages;
  int64_t budget_total_minor = 0;
  bool requires_approval = false;
  std::optional<std::string> approval_id;
  bool operator==(const BuyCreated&) const = default;
};

// media_buy.approved / activated / paused / resumed / completed / failed.
struct BuyMoved {
  BuyMove move = BuyMove::approved;
  std::string media_buy_id;
  std::optional<std::string> reason;
  std::optional<std::string> approval_id;  // approved, failed: the approval that decided
  std::optional<std::string> reviewed_by;  // approved
  bool operator==(const BuyMoved&) const = default;
};

// ---- approvals -----------------------------------------------------------------

struct ApprovalRequested {
  std::string approval_id;
  std::optional<std::string> activity_id;  // its review step
  Subject subject;
  ApprovalType type = ApprovalType::content_review;
  RiskLevel risk_level = RiskLevel::medium;
  std::string title;
  std::optional<std::string> content_ref;
  std::optional<std::string> reviewer_id;
  std::optional<std::string> escalate_to;
  std::optional<std::string> escalated_from;
  int64_t expires_at_ms = 0;
  bool operator==(const ApprovalRequested&) const = default;
};

struct ApprovalAssigned {
  std::string approval_id;
  std::string reviewer_id;
  bool operator==(const ApprovalAssigned&) const = default;
};

struct ApprovalSentToClient {
  std::string approval_id;
  int64_t sent_to_client_at_ms = 0;
  bool operator==(const ApprovalSentToClient&) const = default;
};

// approval.approved / rejected / revision_requested.
struct ApprovalDecided {
  ReviewOutcome outcome = ReviewOutcome::approved;
  std::string approval_id;
  std::optional<std::string> activity_id;
  Subject subject;
  std::string reviewed_by;
  std::optional<std::string> notes;
  std::optional<std::string> chosen_option;
  bool operator==(const ApprovalDecided&) const = default;
};

struct ApprovalExpired {
  std::string approval_id;
  Subject subject;
  int64_t expires_at_ms = 0;
  bool operator==(const ApprovalExpired&) const = default;
};

struct ApprovalEscalated {
  std::string approval_id;
  Subject subject;
  int64_t escalated_at_ms = 0;
  std::optional<std::string> escalated_to;
  std::optional<std::string> follow_up_approval_id;
  bool operator==(const ApprovalEscalated&) const = default;
};

// ---- activities ----------------------------------------------------------------

struct ActivityCreated {
  std::string activity_id;
  std::string title;
  std::string type;
  std::optional<std::string> description;
  Assignee assignee;
  Priority priority = Priority::normal;
  bool is_approval_gate = false;
  std::optional<std::string> due_date;
  std::optional<std::string> parent_activity_id;
  std::optional<std::string> input_data_json;
  bool operator==(const ActivityCreated&) const = default;
};

struct ActivityAssigned {
  std::string activity_id;
  Assignee assignee;
  ActivityStatus status = ActivityStatus::assigned;  // assigned (agent) or created (human)
  std::optional<std::string> note;
  bool operator==(const ActivityAssigned&) const = default;
};

// A review step's reviewer changes; its status does not.
struct ActivityReassigned {
  std::string activity_id;
  AssigneeType assignee_type = AssigneeType::human;
  std::optional<std::string> assignee_user_id;
  std::string approval_id;
  ReassignReason reason = ReassignReason::assigned;
  bool operator==(const ActivityReassigned&) const = default;
};

// activity.started / failed / cancelled.
struct ActivityMoved {
  ActivityMove move = ActivityMove::started;
  std::string activity_id;
  std::optional<std::string> note;
  bool operator==(const ActivityMoved&) const = default;
};

struct ActivityCompleted {
  std::string activity_id;
  std::optional<std::string> note;
  std::optional<std::string> output_summary_json;
  std::optional<std::string> output_ref;
  std::optional<std::string> approval_id;  // a review step completed by its decision
  std::optional<ReviewOutcome> review_outcome;
  bool operator==(const ActivityCompleted&) const = default;
};

struct ActivitySubmitted {
  std::string activity_id;
  std::optional<std::string> approval_id;         // absent only in upcast v1 events
  std::optional<std::string> review_activity_id;  // likewise
  std::optional<std::string> note;
  bool operator==(const ActivitySubmitted&) const = default;
};

struct ActivityApproved {
  std::string activity_id;
  std::string approval_id;
  std::string reviewed_by;
  std::optional<std::string> notes;
  bool operator==(const ActivityApproved&) const = default;
};

struct ActivityRejected {
  std::string activity_id;
  std::string approval_id;
  std::string reviewed_by;
  std::string rejection_note;
  bool operator==(const ActivityRejected&) const = default;
};

struct ActivityRevisionRequested {
  std::string activity_id;
  std::string approval_id;
  std::string reviewed_by;
  std::string revision_note;
  ActivityStatus status = ActivityStatus::assigned;  // assigned, created (in_progress: v1)
  bool operator==(const ActivityRevisionRequested&) const = default;
};

// ---- runs --------------------------------------------------------------------

struct RunStarted {
  std::string activity_id;
  std::string run_id;
  int64_t estimated_credits = 0;
  std::string reservation_id;
  std::optional<std::string> deliverable_type;
  std::optional<AdapterType> adapter_type;
  std::optional<std::string> model_id;
  std::optional<std::string> session_id;
  int64_t expires_at_ms = 0;
  bool operator==(const RunStarted&) const = default;
};

struct RunUsage {
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> output_tokens;
  std::optional<int64_t> duration_ms;
  std::optional<int64_t> cost_usd_micros;
  bool operator==(const RunUsage&) const = default;
};

struct RunFinished {
  std::string activity_id;
  std::string run_id;
  RunStatus status = RunStatus::completed;
  int64_t credits_used = 0;
  int64_t credits_charged = 0;
  int64_t credits_released = 0;
  std::optional<std::string> error;
  RunUsage usage;
  bool operator==(const RunFinished&) const = default;
};

// ---- audit and tenant settings -------------------------------------------------

struct AuditRecorded {
  std::string operation;
  std::optional<std::string> event_type;
  std::optional<std::string> action;
  std::optional<std::string> resource_type;
  std::optional<std::string> resource_id;
  std::optional<std::string> principal_id;
  std::optional<std::string> principal_name;
  std::optional<std::string> adapter_id;
  bool success = true;
  std::optional<std::string> error_message;
  std::optional<std::string> details_json;
  std::optional<int64_t> occurred_at_ms;
  std::optional<std::string> ip_address;
  std::optional<std::string> user_agent;
  std::optional<std::string> request_id;
  std::optional<std::string> endpoint;
  std::optional<std::string> http_method;
  std::optional<std::string> old_value_json;
  std::optional<std::string> new_value_json;
  std::optional<std::string> changed_fields_json;
  bool operator==(const AuditRecorded&) const = default;
};

struct TenantConfigured {
  std::optional<std::string> escalation_reviewer_id;  // absent: cleared
  bool operator==(const TenantConfigured&) const = default;
};

using Event =
    std::variant<BuyCreated, BuyMoved, ApprovalRequested, ApprovalAssigned, ApprovalSentToClient,
                 ApprovalDecided, ApprovalExpired, ApprovalEscalated, ActivityCreated,
                 ActivityAssigned, ActivityReassigned, ActivityMoved, ActivityCompleted,
                 ActivitySubmitted, ActivityApproved, ActivityRejected, ActivityRevisionRequested,
                 RunStarted, RunFinished, AuditRecorded, TenantConfigured>;

// "media_buy.created", ...
std::string_view event_type(const Event& event);
// The schema_version the engine writes for the event's type (its current one).
int32_t event_schema_version(const Event& event);

// The streams of the domain (docs/domains/workflow.md "Streams").
std::string media_buy_stream(std::string_view media_buy_id);
std::string approval_stream(std::string_view approval_id);
std::string activity_stream(std::string_view activity_id);
std::string tenant_audit_stream(std::string_view tenant_id);
std::string tenant_settings_stream(std::string_view tenant_id);

// The stream an event belongs to: media_buy/<id>, approval/<id>,
// activity/<id>, audit/<tenant>, tenant/<tenant>.
std::string event_stream(const Event& event, std::string_view tenant_id);

}  // namespace lf::engine::workflow
