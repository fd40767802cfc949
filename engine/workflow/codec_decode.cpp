// Decoding workflow event payloads (at their current version) into typed
// events. The log is trusted: a payload that does not fit its type aborts.
#include "engine/workflow/codec.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

// Field access that aborts on a payload that does not fit its type.
class Reader {
 public:
  explicit Reader(const rapidjson::Value& object) : object_(object) {
    LF_ASSERT_MSG(object.IsObject(), "a workflow payload is an object");
  }

  std::string text(std::string_view name) const {
    const std::optional<std::string_view> value = json_string(object_, name);
    LF_ASSERT_MSG(value.has_value(), "a workflow payload lacks a string field");
    return std::string(*value);
  }
  std::optional<std::string> optional_text(std::string_view name) const {
    if (json_member(object_, name) == nullptr) return std::nullopt;
    return text(name);
  }
  int64_t integer(std::string_view name) const {
    const std::optional<int64_t> value = json_int64(object_, name);
    LF_ASSERT_MSG(value.has_value(), "a workflow payload lacks an integer field");
    return *value;
  }
  std::optional<int64_t> optional_integer(std::string_view name) const {
    if (json_member(object_, name) == nullptr) return std::nullopt;
    return integer(name);
  }
  bool flag(std::string_view name) const {
    const std::optional<bool> value = json_bool(object_, name);
    LF_ASSERT_MSG(value.has_value(), "a workflow payload lacks a boolean field");
    return *value;
  }
  int64_t timestamp(std::string_view name) const {
    const std::optional<int64_t> unix_ms = parse_rfc3339_ms(text(name));
    LF_ASSERT_MSG(unix_ms.has_value(), "a workflow payload has an invalid timestamp");
    return *unix_ms;
  }
  std::optional<int64_t> optional_timestamp(std::string_view name) const {
    if (json_member(object_, name) == nullptr) return std::nullopt;
    return timestamp(name);
  }
  // A free-form member as JSON text.
  std::optional<std::string> raw(std::string_view name) const {
    const rapidjson::Value* value = json_member(object_, name);
    if (value == nullptr) return std::nullopt;
    return json_to_string(*value);
  }
  template <typename Enum>
  Enum named(std::string_view name, std::optional<Enum> (*parse)(std::string_view)) const {
    const std::optional<Enum> value = parse(text(name));
    LF_ASSERT_MSG(value.has_value(), "a workflow payload has an unknown enum value");
    return *value;
  }
  const rapidjson::Value& member(std::string_view name) const {
    const rapidjson::Value* value = json_member(object_, name);
    LF_ASSERT_MSG(value != nullptr, "a workflow payload lacks a member");
    return *value;
  }
  Subject subject() const {
    const Reader in(member("subject"));
    return Subject{in.named("kind", &parse_subject_kind), in.text("id")};
  }
  Assignee assignee() const {
    return Assignee{named("assignee_type", &parse_assignee_type),
                    optional_text("assignee_agent_role"), optional_text("assignee_user_id")};
  }

 private:
  const rapidjson::Value& object_;
};

std::optional<Priority> parse_current_priority(std::string_view text) {
  if (text == "medium") return std::nullopt;  // v1's name, upcast to normal
  return parse_priority(text);
}

Event decode_buy_created(const Reader& in) {
  BuyCreated e{in.text("media_buy_id"),
               in.text("principal_id"),
               in.text("campaign_name"),
               in.optional_text("buyer_ref"),
               in.text("start_date"),
               in.text("end_date"),
               in.text("currency"),
               {},
               in.integer("budget_total_minor"),
               in.flag("requires_approval"),
               in.optional_text("approval_id")};
  const rapidjson::Value& packages = in.member("packages");
  LF_ASSERT_MSG(packages.IsArray(), "packages is an array");
  for (const rapidjson::Value& item : packages.GetArray()) {
    const Reader package(item);
    e.packages.push_back(Package{package.text("package_id"), package.text("product_id"),
                                 package.integer("budget_minor"), package.raw("pricing"),
                                 package.raw("targeting")});
  }
  return e;
}

Event decode_buy_moved(BuyMove move, const Reader& in) {
  return BuyMoved{move, in.text("media_buy_id"), in.optional_text("reason"),
                  in.optional_text("approval_id"), in.optional_text("reviewed_by")};
}

Event decode_approval_requested(const Reader& in) {
  return ApprovalRequested{in.text("approval_id"),
                           in.optional_text("activity_id"),
                           in.subject(),
                           in.named("type", &parse_approval_type),
                           in.named("risk_level", &parse_risk_level),
                           in.text("title"),
                           in.optional_text("content_ref"),
                           in.optional_text("reviewer_id"),
                           in.optional_text("escalate_to"),
                           in.optional_text("escalated_from"),
                           in.timestamp("expires_at")};
}

Event decode_approval_decided(ReviewOutcome outcome, const Reader& in) {
  return ApprovalDecided{outcome,
                         in.text("approval_id"),
                         in.optional_text("activity_id"),
                         in.subject(),
                         in.text("reviewed_by"),
                         in.optional_text("notes"),
                         in.optional_text("chosen_option")};
}

Event decode_approval_escalated(const Reader& in) {
  LF_ASSERT(in.text("reason") == "expired");
  return ApprovalEscalated{in.text("approval_id"), in.subject(), in.timestamp("escalated_at"),
                           in.optional_text("escalated_to"),
                           in.optional_text("follow_up_approval_id")};
}

Event decode_activity_created(const Reader& in) {
  return ActivityCreated{in.text("activity_id"),
                         in.text("title"),
                         in.text("type"),
                         in.optional_text("description"),
                         in.assignee(),
                         in.named("priority", &parse_current_priority),
                         in.flag("is_approval_gate"),
                         in.optional_text("due_date"),
                         in.optional_text("parent_activity_id"),
                         in.raw("input_data")};
}

Event decode_activity_completed(const Reader& in) {
  std::optional<ReviewOutcome> outcome;
  if (in.optional_text("review_outcome"))
    outcome = in.named("review_outcome", &parse_review_outcome);
  return ActivityCompleted{in.text("activity_id"),          in.optional_text("note"),
                           in.raw("output_summary"),        in.optional_text("output_ref"),
                           in.optional_text("approval_id"), outcome};
}

Event decode_run_started(const Reader& in) {
  std::optional<AdapterType> adapter;
  if (in.optional_text("adapter_type")) adapter = in.named("adapter_type", &parse_adapter_type);
  return RunStarted{in.text("activity_id"),
                    in.text("run_id"),
                    in.integer("estimated_credits"),
                    in.text("reservation_id"),
                    in.optional_text("deliverable_type"),
                    adapter,
                    in.optional_text("model_id"),
                    in.optional_text("session_id"),
                    in.timestamp("expires_at")};
}

Event decode_run_finished(const Reader& in) {
  const Reader usage(in.member("usage"));
  return RunFinished{
      in.text("activity_id"),
      in.text("run_id"),
      in.named("status", &parse_run_status),
      in.integer("credits_used"),
      in.integer("credits_charged"),
      in.integer("credits_released"),
      in.optional_text("error"),
      RunUsage{usage.optional_integer("input_tokens"), usage.optional_integer("output_tokens"),
               usage.optional_integer("duration_ms"), usage.optional_integer("cost_usd_micros")}};
}

Event decode_audit_recorded(const Reader& in) {
  return AuditRecorded{in.text("operation"),
                       in.optional_text("event_type"),
                       in.optional_text("action"),
                       in.optional_text("resource_type"),
                       in.optional_text("resource_id"),
                       in.optional_text("principal_id"),
                       in.optional_text("principal_name"),
                       in.optional_text("adapter_id"),
                       in.flag("success"),
                       in.optional_text("error_message"),
                       in.raw("details"),
                       in.optional_timestamp("occurred_at"),
                       in.optional_text("ip_address"),
                       in.optional_text("user_agent"),
                       in.optional_text("request_id"),
                       in.optional_text("endpoint"),
                       in.optional_text("http_method"),
                       in.raw("old_value"),
                       in.raw("new_value"),
                       in.raw("changed_fields")};
}

Event decode_media_buy(std::string_view type, const Reader& in) {
  if (type == "media_buy.created") return decode_buy_created(in);
  if (type == "media_buy.approved") return decode_buy_moved(BuyMove::approved, in);
  if (type == "media_buy.activated") return decode_buy_moved(BuyMove::activated, in);
  if (type == "media_buy.paused") return decode_buy_moved(BuyMove::paused, in);
  if (type == "media_buy.resumed") return decode_buy_moved(BuyMove::resumed, in);
  if (type == "media_buy.completed") return decode_buy_moved(BuyMove::completed, in);
  LF_ASSERT_MSG(type == "media_buy.failed", "an unknown media_buy event type");
  return decode_buy_moved(BuyMove::failed, in);
}

Event decode_approval(std::string_view type, const Reader& in) {
  if (type == "approval.requested") return decode_approval_requested(in);
  if (type == "approval.assigned")
    return ApprovalAssigned{in.text("approval_id"), in.text("reviewer_id")};
  if (type == "approval.sent_to_client") {
    return ApprovalSentToClient{in.text("approval_id"), in.timestamp("sent_to_client_at")};
  }
  if (type == "approval.approved") return decode_approval_decided(ReviewOutcome::approved, in);
  if (type == "approval.rejected") return decode_approval_decided(ReviewOutcome::rejected, in);
  if (type == "approval.revision_requested")
    return decode_approval_decided(ReviewOutcome::revision_requested, in);
  if (type == "approval.expired") {
    return ApprovalExpired{in.text("approval_id"), in.subject(), in.timestamp("expires_at")};
  }
  LF_ASSERT_MSG(type == "approval.escalated", "an unknown approval event type");
  return decode_approval_escalated(in);
}

Event decode_activity_review(std::string_view type, const Reader& in) {
  if (type == "activity.submitted_for_approval") {
    return ActivitySubmitted{in.text("activity_id"), in.optional_text("approval_id"),
                             in.optional_text("review_activity_id"), in.optional_text("note")};
  }
  if (type == "activity.approved") {
    return ActivityApproved{in.text("activity_id"), in.text("approval_id"), in.text("reviewed_by"),
                            in.optional_text("notes")};
  }
  if (type == "activity.rejected") {
    return ActivityRejected{in.text("activity_id"), in.text("approval_id"), in.text("reviewed_by"),
                            in.text("rejection_note")};
  }
  LF_ASSERT_MSG(type == "activity.revision_requested", "an unknown activity event type");
  return ActivityRevisionRequested{in.text("activity_id"), in.text("approval_id"),
                                   in.text("reviewed_by"), in.text("revision_note"),
                                   in.named("status", &parse_activity_status)};
}

Event decode_activity(std::string_view type, const Reader& in) {
  if (type == "activity.created") return decode_activity_created(in);
  if (type == "activity.assigned") {
    return ActivityAssigned{in.text("activity_id"), in.assignee(),
                            in.named("status", &parse_activity_status), in.optional_text("note")};
  }
  if (type == "activity.reassigned") {
    return ActivityReassigned{in.text("activity_id"),
                              in.named("assignee_type", &parse_assignee_type),
                              in.optional_text("assignee_user_id"), in.text("approval_id"),
                              in.named("reason", &parse_reassign_reason)};
  }
  if (type == "activity.started")
    return ActivityMoved{ActivityMove::started, in.text("activity_id"), in.optional_text("note")};
  if (type == "activity.failed")
    return ActivityMoved{ActivityMove::failed, in.text("activity_id"), in.optional_text("note")};
  if (type == "activity.cancelled") {
    return ActivityMoved{ActivityMove::cancelled, in.text("activity_id"), in.optional_text("note")};
  }
  if (type == "activity.completed") return decode_activity_completed(in);
  if (type == "activity.run_started") return decode_run_started(in);
  if (type == "activity.run_finished") return decode_run_finished(in);
  return decode_activity_review(type, in);
}

}  // namespace

Event decode_event(std::string_view type, const rapidjson::Value& payload) {
  const Reader in(payload);
  Event event = [&]() -> Event {
    if (type.starts_with("media_buy.")) return decode_media_buy(type, in);
    if (type.starts_with("approval.")) return decode_approval(type, in);
    if (type.starts_with("activity.")) return decode_activity(type, in);
    if (type == "audit.recorded") return decode_audit_recorded(in);
    LF_ASSERT_MSG(type == "tenant.configured", "an unknown workflow event type");
    return TenantConfigured{in.optional_text("escalation_reviewer_id")};
  }();
  check_event(event);
  LF_ASSERT_MSG(event_type(event) == type, "a decoded workflow event has another type");
  return event;
}

}  // namespace lf::engine::workflow
