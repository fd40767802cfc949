// Names, schema versions and streams of the workflow events.
#include "engine/workflow/events.hpp"
#include "events/assert.hpp"

#include "engine/names.hpp"

namespace lf::engine::workflow {

namespace {

constexpr NameTable<ReviewOutcome, 3> kReviewOutcomes{{
    {ReviewOutcome::approved, "approved"},
    {ReviewOutcome::rejected, "rejected"},
    {ReviewOutcome::revision_requested, "revision_requested"},
}};
constexpr NameTable<ReassignReason, 2> kReassignReasons{{
    {ReassignReason::assigned, "assigned"},
    {ReassignReason::escalated, "escalated"},
}};
constexpr NameTable<AdapterType, 4> kAdapterTypes{{
    {AdapterType::claude, "claude"},
    {AdapterType::openai, "openai"},
    {AdapterType::ollama, "ollama"},
    {AdapterType::webhook, "webhook"},
}};
constexpr NameTable<BuyMove, 6> kBuyEventTypes{{
    {BuyMove::approved, "media_buy.approved"},
    {BuyMove::activated, "media_buy.activated"},
    {BuyMove::paused, "media_buy.paused"},
    {BuyMove::resumed, "media_buy.resumed"},
    {BuyMove::completed, "media_buy.completed"},
    {BuyMove::failed, "media_buy.failed"},
}};
constexpr NameTable<ReviewOutcome, 3> kDecisionEventTypes{{
    {ReviewOutcome::approved, "approval.approved"},
    {ReviewOutcome::rejected, "approval.rejected"},
    {ReviewOutcome::revision_requested, "approval.revision_requested"},
}};
constexpr NameTable<ActivityMove, 3> kActivityEventTypes{{
    {ActivityMove::started, "activity.started"},
    {ActivityMove::failed, "activity.failed"},
    {ActivityMove::cancelled, "activity.cancelled"},
}};

// The type of each event and the version the engine writes: the newest
// schema of the type (docs/domains/workflow.md "Event versions").
struct TypeAndVersion {
  std::string_view type;
  int32_t version;
};

struct Describe {
  TypeAndVersion operator()(const BuyCreated&) const { return {"media_buy.created", 2}; }
  TypeAndVersion operator()(const BuyMoved& e) const {
    return {name_in(kBuyEventTypes, e.move), 1};
  }
  TypeAndVersion operator()(const ApprovalRequested&) const { return {"approval.requested", 2}; }
  TypeAndVersion operator()(const ApprovalAssigned&) const { return {"approval.assigned", 1}; }
  TypeAndVersion operator()(const ApprovalSentToClient&) const {
    return {"approval.sent_to_client", 1};
  }
  TypeAndVersion operator()(const ApprovalDecided& e) const {
    return {name_in(kDecisionEventTypes, e.outcome), 2};
  }
  TypeAndVersion operator()(const ApprovalExpired&) const { return {"approval.expired", 1}; }
  TypeAndVersion operator()(const ApprovalEscalated&) const { return {"approval.escalated", 2}; }
  TypeAndVersion operator()(const ActivityCreated&) const { return {"activity.created", 2}; }
  TypeAndVersion operator()(const ActivityAssigned&) const { return {"activity.assigned", 2}; }
  TypeAndVersion operator()(const ActivityReassigned&) const { return {"activity.reassigned", 1}; }
  TypeAndVersion operator()(const ActivityMoved& e) const {
    return {name_in(kActivityEventTypes, e.move), 1};
  }
  TypeAndVersion operator()(const ActivityCompleted&) const { return {"activity.completed", 2}; }
  TypeAndVersion operator()(const ActivitySubmitted&) const {
    return {"activity.submitted_for_approval", 2};
  }
  TypeAndVersion operator()(const ActivityApproved&) const { return {"activity.approved", 1}; }
  TypeAndVersion operator()(const ActivityRejected&) const { return {"activity.rejected", 1}; }
  TypeAndVersion operator()(const ActivityRevisionRequested&) const {
    return {"activity.revision_requested", 2};
  }
  TypeAndVersion operator()(const RunStarted&) const { return {"activity.run_started", 2}; }
  TypeAndVersion operator()(const RunFinished&) const { return {"activity.run_finished", 3}; }
  TypeAndVersion operator()(const AuditRecorded&) const { return {"audit.recorded", 2}; }
  TypeAndVersion operator()(const TenantConfigured&) const { return {"tenant.configured", 1}; }
};

// The id in the event's stream name; empty for the tenant-wide streams.
struct StreamId {
  std::string_view operator()(const BuyCreated& e) const { return e.media_buy_id; }
  std::string_view operator()(const BuyMoved& e) const { return e.media_buy_id; }
  std::string_view operator()(const ApprovalRequested& e) const { return e.approval_id; }
  std::string_view operator()(const ApprovalAssigned& e) const { return e.approval_id; }
  std::string_view operator()(const ApprovalSentToClient& e) const { return e.approval_id; }
  std::string_view operator()(const ApprovalDecided& e) const { return e.approval_id; }
  std::string_view operator()(const ApprovalExpired& e) const { return e.approval_id; }
  std::string_view operator()(const ApprovalEscalated& e) const { return e.approval_id; }
  std::string_view operator()(const ActivityCreated& e) const { return e.activity_id; }
  std::string_view operator()(const ActivityAssigned& e) const { return e.activity_id; }
  std::string_view operator()(const ActivityReassigned& e) const { return e.activity_id; }
  std::string_view operator()(const ActivityMoved& e) const { return e.activity_id; }
  std::string_view operator()(const ActivityCompleted& e) const { return e.activity_id; }
  std::string_view operator()(const ActivitySubmitted& e) const { return e.activity_id; }
  std::string_view operator()(const ActivityApproved& e) const { return e.activity_id; }
  std::string_view operator()(const ActivityRejected& e) const { return e.activity_id; }
  std::string_view operator()(const ActivityRevisionRequested& e) const { return e.activity_id; }
  std::string_view operator()(const RunStarted& e) const { return e.activity_id; }
  std::string_view operator()(const RunFinished& e) const { return e.activity_id; }
  std::string_view operator()(const AuditRecorded&) const { return {}; }
  std::string_view operator()(const TenantConfigured&) const { return {}; }
};

}  // namespace

std::string_view to_string(ReviewOutcome outcome) {
  return name_in(kReviewOutcomes, outcome);
}
std::string_view to_string(ReassignReason reason) {
  return name_in(kReassignReasons, reason);
}
std::string_view to_string(AdapterType type) {
  return name_in(kAdapterTypes, type);
}
std::optional<ReviewOutcome> parse_review_outcome(std::string_view text) {
  return parse_in(kReviewOutcomes, text);
}
std::optional<ReassignReason> parse_reassign_reason(std::string_view text) {
  return parse_in(kReassignReasons, text);
}
std::optional<AdapterType> parse_adapter_type(std::string_view text) {
  return parse_in(kAdapterTypes, text);
}

std::string_view event_type(const Event& event) {
  return std::visit(Describe{}, event).type;
}
int32_t event_schema_version(const Event& event) {
  return std::visit(Describe{}, event).version;
}

std::string media_buy_stream(std::string_view media_buy_id) {
  return "media_buy/" + std::string(media_buy_id);
}
std::string approval_stream(std::string_view approval_id) {
  return "approval/" + std::string(approval_id);
}
std::string activity_stream(std::string_view activity_id) {
  return "activity/" + std::string(activity_id);
}
std::string tenant_audit_stream(std::string_view tenant_id) {
  return "audit/" + std::string(tenant_id);
}
std::string tenant_settings_stream(std::string_view tenant_id) {
  return "tenant/" + std::string(tenant_id);
}

std::string event_stream(const Event& event, std::string_view tenant_id) {
  if (std::holds_alternative<AuditRecorded>(event)) return tenant_audit_stream(tenant_id);
  if (std::holds_alternative<TenantConfigured>(event)) return tenant_settings_stream(tenant_id);
  const std::string_view id = std::visit(StreamId{}, event);
  LF_ASSERT_MSG(!id.empty(), "a workflow event names its object");
  const std::string_view type = event_type(event);
  if (type.starts_with("media_buy.")) return media_buy_stream(id);
  if (type.starts_with("approval.")) return approval_stream(id);
  return activity_stream(id);
}

}  // namespace lf::engine::workflow
