// The workflow commands as typed values, parsed from payloads that passed
// schemas/commands/<type>.json. Parsing re-checks what decisions rely on
// (lengths, enums, dates that exist, instants, exact amounts, assignees that
// match their type, addresses) and resolves the seeds' aliases and defaults
// that need no state; a problem is an Error whose code is the rejection
// reason, never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <rapidjson/document.h>

#include "engine/workflow/events.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

// ---- media buys ----------------------------------------------------------------

// The approval a subject's own command opens (media_buy.create,
// activity.submit_for_approval), as far as the command says.
struct ApprovalOptions {
  std::optional<std::string> approval_id;
  std::optional<RiskLevel> risk_level;
  std::optional<std::string> reviewer_id;
  std::optional<std::string> escalate_to;
  std::optional<int64_t> expires_at_ms;
};

struct CreateBuy {
  std::string media_buy_id;
  std::string principal_id;
  std::string campaign_name;
  std::optional<std::string> buyer_ref;
  std::string start_date;  // calendar dates (their order is the decider's)
  std::string end_date;
  int32_t start_days = 0;  // days since 1970-01-01
  int32_t end_days = 0;
  std::string currency;           // ISO 4217, default USD
  std::vector<Package> packages;  // budgets in minor units of the currency
  bool requires_approval = false;
  ApprovalOptions approval;
};

struct MoveBuy {
  BuyMove move = BuyMove::approved;  // the event the command aims at
  std::string media_buy_id;
  std::optional<std::string> reason;
};

// ---- approvals -----------------------------------------------------------------

struct RequestApproval {
  std::string approval_id;
  Subject subject;
  std::optional<std::string> activity_id;
  ApprovalType type = ApprovalType::content_review;
  RiskLevel risk_level = RiskLevel::medium;
  std::string title;
  std::optional<std::string> content_ref;
  std::optional<std::string> reviewer_id;
  std::optional<std::string> escalate_to;
  std::optional<int64_t> expires_at_ms;
};

struct AssignApproval {
  std::string approval_id;
  std::string reviewer_id;
};

struct SendToClient {
  std::string approval_id;
  std::optional<int64_t> sent_to_client_at_ms;
};

struct DecideApproval {
  ReviewOutcome outcome = ReviewOutcome::approved;
  std::string approval_id;
  std::string reviewed_by;
  std::optional<std::string> notes;
  std::optional<std::string> chosen_option;
};

// ---- activities ----------------------------------------------------------------

struct CreateActivity {
  std::string activity_id;
  std::string title;
  std::string type;
  std::optional<std::string> description;
  Assignee assignee;  // only the field of its type
  Priority priority = Priority::normal;
  bool is_approval_gate = false;
  std::optional<std::string> due_date;
  std::optional<std::string> parent_activity_id;
  std::optional<std::string> input_data_json;
};

struct AssignActivity {
  std::string activity_id;
  Assignee assignee;  // only the field of its type
  std::optional<std::string> note;
};

// activity.start / fail / cancel.
struct MoveActivity {
  ActivityMove move = ActivityMove::started;
  std::string activity_id;
  std::optional<std::string> note;
};

struct CompleteActivity {
  std::string activity_id;
  std::optional<std::string> note;
  std::optional<std::string> output_summary_json;
  std::optional<std::string> output_ref;
};

struct SubmitActivity {
  std::string activity_id;
  std::optional<std::string> note;
  ApprovalOptions approval;
  std::optional<std::string> review_activity_id;
  std::optional<std::string> review_title;
  std::optional<ApprovalType> approval_type;
  std::optional<std::string> content_ref;
  std::optional<Priority> priority;
  std::optional<std::string> due_date;
};

// ---- runs ----------------------------------------------------------------------

struct StartRun {
  std::string activity_id;
  std::string run_id;
  int64_t estimated_credits = 0;
  std::optional<std::string> deliverable_type;
  std::optional<AdapterType> adapter_type;
  std::optional<std::string> model_id;
  std::optional<std::string> session_id;
  std::optional<int64_t> expires_at_ms;
};

struct FinishRun {
  std::string run_id;
  RunStatus status = RunStatus::completed;
  int64_t credits_used = 0;
  std::optional<std::string> error;
  RunUsage usage;  // cost_usd as integer micro-dollars
};

// ---- audit and tenant settings -------------------------------------------------

// audit.record with the seeds' aliases resolved: operation = operation ?:
// event_type ?: action (all kept), principal_id = principal_id ?: user_id,
// occurred_at = occurred_at ?: timestamp ?: created_at. Its bounds against
// the engine's clock are the decider's (invalid_occurred_at).
struct RecordAudit {
  AuditRecorded row;
};

struct ConfigureTenant {
  std::optional<std::string> escalation_reviewer_id;  // nullopt: clear
};

using Command =
    std::variant<CreateBuy, MoveBuy, RequestApproval, AssignApproval, SendToClient, DecideApproval,
                 CreateActivity, AssignActivity, MoveActivity, CompleteActivity, SubmitActivity,
                 StartRun, FinishRun, RecordAudit, ConfigureTenant>;

// Error codes: "invalid_payload" (a field missing, of another type, out of
// range, an assignee field missing for its type, an impossible due date, an
// ip_address that is no address), "invalid_dates" (a media buy date that does
// not exist), "invalid_expiry" (a deadline that is no instant),
// "invalid_currency", "invalid_amount" (docs/domains/workflow.md),
// "unknown_command_type".
Result<Command> parse_command(std::string_view type, const rapidjson::Value* payload);

}  // namespace lf::engine::workflow
