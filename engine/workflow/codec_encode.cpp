// Encoding workflow events: one writer per event type, fields in the order
// of their schema.
#include "engine/workflow/codec.hpp"

#include "events/json.hpp"

namespace lf::engine::workflow {

namespace {

void write_subject(JsonWriter& writer, const Subject& subject) {
  writer.key("subject");
  writer.begin_object();
  writer.field("kind", to_string(subject.kind));
  writer.field("id", subject.id);
  writer.end_object();
}

// A free-form member: the JSON text the producer sent, written as is.
void write_raw(JsonWriter& writer, std::string_view name, const std::optional<std::string>& json) {
  if (!json) return;
  writer.key(name);
  writer.raw(*json);
}

void write_assignee(JsonWriter& writer, const Assignee& assignee) {
  writer.field("assignee_type", to_string(assignee.type));
  writer.field("assignee_agent_role", assignee.agent_role);
  writer.field("assignee_user_id", assignee.user_id);
}

void write_packages(JsonWriter& writer, const std::vector<Package>& packages) {
  writer.key("packages");
  writer.begin_array();
  for (const Package& package : packages) {
    writer.begin_object();
    writer.field("package_id", package.package_id);
    writer.field("product_id", package.product_id);
    writer.field("budget_minor", package.budget_minor);
    write_raw(writer, "pricing", package.pricing_json);
    write_raw(writer, "targeting", package.targeting_json);
    writer.end_object();
  }
  writer.end_array();
}

void write_usage(JsonWriter& writer, const RunUsage& usage) {
  writer.key("usage");
  writer.begin_object();
  writer.field("input_tokens", usage.input_tokens);
  writer.field("output_tokens", usage.output_tokens);
  writer.field("duration_ms", usage.duration_ms);
  writer.field("cost_usd_micros", usage.cost_usd_micros);
  writer.end_object();
}

struct FieldWriter {
  JsonWriter& w;

  void operator()(const BuyCreated& e) const {
    w.field("media_buy_id", e.media_buy_id);
    w.field("principal_id", e.principal_id);
    w.field("campaign_name", e.campaign_name);
    w.field("buyer_ref", e.buyer_ref);
    w.field("start_date", e.start_date);
    w.field("end_date", e.end_date);
    w.field("currency", e.currency);
    write_packages(w, e.packages);
    w.field("budget_total_minor", e.budget_total_minor);
    w.field("requires_approval", e.requires_approval);
    w.field("approval_id", e.approval_id);
  }
  void operator()(const BuyMoved& e) const {
    w.field("media_buy_id", e.media_buy_id);
    w.field("approval_id", e.approval_id);
    w.field("reviewed_by", e.reviewed_by);
    w.field("reason", e.reason);
  }
  void operator()(const ApprovalRequested& e) const {
    w.field("approval_id", e.approval_id);
    w.field("activity_id", e.activity_id);
    write_subject(w, e.subject);
    w.field("type", to_string(e.type));
    w.field("risk_level", to_string(e.risk_level));
    w.field("title", e.title);
    w.field("content_ref", e.content_ref);
    w.field("reviewer_id", e.reviewer_id);
    w.field("escalate_to", e.escalate_to);
    w.field("escalated_from", e.escalated_from);
    w.timestamp_field("expires_at", e.expires_at_ms);
  }
  void operator()(const ApprovalAssigned& e) const {
    w.field("approval_id", e.approval_id);
    w.field("reviewer_id", e.reviewer_id);
  }
  void operator()(const ApprovalSentToClient& e) const {
    w.field("approval_id", e.approval_id);
    w.timestamp_field("sent_to_client_at", e.sent_to_client_at_ms);
  }
  void operator()(const ApprovalDecided& e) const {
    w.field("approval_id", e.approval_id);
    w.field("activity_id", e.activity_id);
    write_subject(w, e.subject);
    w.field("reviewed_by", e.reviewed_by);
    w.field("notes", e.notes);
    w.field("chosen_option", e.chosen_option);
  }
  void operator()(const ApprovalExpired& e) const {
    w.field("approval_id", e.approval_id);
    write_subject(w, e.subject);
    w.timestamp_field("expires_at", e.expires_at_ms);
  }
  void operator()(const ApprovalEscalated& e) const {
    w.field("approval_id", e.approval_id);
    write_subject(w, e.subject);
    w.timestamp_field("escalated_at", e.escalated_at_ms);
    w.field("reason", "expired");
    w.field("escalated_to", e.escalated_to);
    w.field("follow_up_approval_id", e.follow_up_approval_id);
  }
  void operator()(const ActivityCreated& e) const {
    w.field("activity_id", e.activity_id);
    w.field("title", e.title);
    w.field("type", e.type);
    w.field("description", e.description);
    write_assignee(w, e.assignee);
    w.field("priority", to_string(e.priority));
    w.field("is_approval_gate", e.is_approval_gate);
    w.field("due_date", e.due_date);
    w.field("parent_activity_id", e.parent_activity_id);
    write_raw(w, "input_data", e.input_data_json);
  }
  void operator()(const ActivityAssigned& e) const {
    w.field("activity_id", e.activity_id);
    write_assignee(w, e.assignee);
    w.field("status", to_string(e.status));
    w.field("note", e.note);
  }
  void operator()(const ActivityReassigned& e) const {
    w.field("activity_id", e.activity_id);
    w.field("assignee_type", to_string(e.assignee_type));
    w.field("assignee_user_id", e.assignee_user_id);
    w.field("approval_id", e.approval_id);
    w.field("reason", to_string(e.reason));
  }
  void operator()(const ActivityMoved& e) const {
    w.field("activity_id", e.activity_id);
    w.field("note", e.note);
  }
  void operator()(const ActivityCompleted& e) const {
    w.field("activity_id", e.activity_id);
    w.field("note", e.note);
    write_raw(w, "output_summary", e.output_summary_json);
    w.field("output_ref", e.output_ref);
    w.field("approval_id", e.approval_id);
    if (e.review_outcome) w.field("review_outcome", to_string(*e.review_outcome));
  }
  void operator()(const ActivitySubmitted& e) const {
    w.field("activity_id", e.activity_id);
    w.field("approval_id", e.approval_id);
    w.field("review_activity_id", e.review_activity_id);
    w.field("note", e.note);
  }
  void operator()(const ActivityApproved& e) const {
    w.field("activity_id", e.activity_id);
    w.field("approval_id", e.approval_id);
    w.field("reviewed_by", e.reviewed_by);
    w.field("notes", e.notes);
  }
  void operator()(const ActivityRejected& e) const {
    w.field("activity_id", e.activity_id);
    w.field("approval_id", e.approval_id);
    w.field("reviewed_by", e.reviewed_by);
    w.field("rejection_note", e.rejection_note);
  }
  void operator()(const ActivityRevisionRequested& e) const {
    w.field("activity_id", e.activity_id);
    w.field("approval_id", e.approval_id);
    w.field("reviewed_by", e.reviewed_by);
    w.field("revision_note", e.revision_note);
    w.field("status", to_string(e.status));
  }
  void operator()(const RunStarted& e) const {
    w.field("activity_id", e.activity_id);
    w.field("run_id", e.run_id);
    w.field("estimated_credits", e.estimated_credits);
    w.field("reservation_id", e.reservation_id);
    w.field("deliverable_type", e.deliverable_type);
    if (e.adapter_type) w.field("adapter_type", to_string(*e.adapter_type));
    w.field("model_id", e.model_id);
    w.field("session_id", e.session_id);
    w.timestamp_field("expires_at", e.expires_at_ms);
  }
  void operator()(const RunFinished& e) const {
    w.field("activity_id", e.activity_id);
    w.field("run_id", e.run_id);
    w.field("status", to_string(e.status));
    w.field("credits_used", e.credits_used);
    w.field("credits_charged", e.credits_charged);
    w.field("credits_released", e.credits_released);
    w.field("error", e.error);
    write_usage(w, e.usage);
  }
  void operator()(const AuditRecorded& e) const {
    w.field("operation", e.operation);
    w.field("event_type", e.event_type);
    w.field("action", e.action);
    w.field("resource_type", e.resource_type);
    w.field("resource_id", e.resource_id);
    w.field("principal_id", e.principal_id);
    w.field("principal_name", e.principal_name);
    w.field("adapter_id", e.adapter_id);
    w.field("success", e.success);
    w.field("error_message", e.error_message);
    write_raw(w, "details", e.details_json);
    w.timestamp_field("occurred_at", e.occurred_at_ms);
    w.field("ip_address", e.ip_address);
    w.field("user_agent", e.user_agent);
    w.field("request_id", e.request_id);
    w.field("endpoint", e.endpoint);
    w.field("http_method", e.http_method);
    write_raw(w, "old_value", e.old_value_json);
    write_raw(w, "new_value", e.new_value_json);
    write_raw(w, "changed_fields", e.changed_fields_json);
  }
  void operator()(const TenantConfigured& e) const {
    w.field("escalation_reviewer_id", e.escalation_reviewer_id);
  }
};

}  // namespace

std::string encode_event_payload(const Event& event) {
  check_event(event);
  JsonWriter writer;
  writer.begin_object();
  std::visit(FieldWriter{writer}, event);
  writer.end_object();
  return writer.str();
}

}  // namespace lf::engine::workflow
