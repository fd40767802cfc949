// approvals mapping.
#include "projections/approvals/projection.hpp"

#include <array>

#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::projections {

namespace {

using Columns = std::vector<std::pair<std::string_view, Value>>;

struct Outcome {
  std::string_view event_type;
  std::string_view status;
};

constexpr std::array<Outcome, 3> kOutcomes{{
    {"approval.approved", "approved"},
    {"approval.rejected", "rejected"},
    {"approval.revision_requested", "revision_requested"},
}};

const Outcome* outcome_of(std::string_view event_type) {
  for (const Outcome& outcome : kOutcomes) {
    if (outcome.event_type == event_type) return &outcome;
  }
  return nullptr;
}

// approval.requested (v2): a pending approval, linked to its review step
// (activity_id) and, for a follow-up, to the approval whose expiry opened it.
void insert_approval(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value& payload = *event.payload;
  const rapidjson::Value* subject = json_member(payload, "subject");
  LF_ASSERT_MSG(subject != nullptr && subject->IsObject(), "approval.requested carries a subject");
  const Value requested_at = timestamp_value(event.header.occurred_at_ms);
  batch.insert(Approvals::table(), {event.header.tenant_id,
                                    text_or_null(payload, "approval_id"),
                                    text_or_null(payload, "activity_id"),
                                    text_or_null(*subject, "kind"),
                                    text_or_null(*subject, "id"),
                                    text_or_null(payload, "type"),
                                    text_or_null(payload, "risk_level"),
                                    std::string("pending"),
                                    text_or_null(payload, "title"),
                                    text_or_null(payload, "content_ref"),
                                    text_or_null(payload, "reviewer_id"),
                                    Null{},
                                    Null{},
                                    Null{},
                                    timestamp_or_null(payload, "expires_at"),
                                    requested_at,
                                    Null{},
                                    Null{},
                                    Null{},
                                    text_or_null(payload, "escalate_to"),
                                    text_or_null(payload, "escalated_from"),
                                    Null{},
                                    requested_at});
}

// The latest of an imported approval's times, for updated_at.
Value latest_time(const rapidjson::Value& item) {
  std::optional<int64_t> latest;
  for (const std::string_view name : {"created_on", "resolved_at", "sent_to_client_at"}) {
    const std::optional<int64_t> at = parse_rfc3339_ms(json_string(item, name).value_or(""));
    if (at && (!latest || *at > *latest)) latest = at;
  }
  LF_ASSERT_MSG(latest.has_value(), "an imported approval has its created_on");
  return timestamp_value(*latest);
}

// approval.imported: each approval as approval.requested writes it, in the
// status the platform left it in, with its outcome and original times.
void insert_imported(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* approvals = json_member(*event.payload, "approvals");
  LF_ASSERT_MSG(approvals != nullptr && approvals->IsArray(),
                "approval.imported carries approvals");
  for (const rapidjson::Value& item : approvals->GetArray()) {
    const rapidjson::Value* payload = json_member(item, "approval");
    LF_ASSERT_MSG(payload != nullptr, "an imported approval carries its approval.requested");
    const rapidjson::Value* subject = json_member(*payload, "subject");
    LF_ASSERT_MSG(subject != nullptr && subject->IsObject(), "an approval has a subject");
    batch.insert(Approvals::table(), {event.header.tenant_id,
                                      text_or_null(*payload, "approval_id"),
                                      text_or_null(*payload, "activity_id"),
                                      text_or_null(*subject, "kind"),
                                      text_or_null(*subject, "id"),
                                      text_or_null(*payload, "type"),
                                      text_or_null(*payload, "risk_level"),
                                      text_or_null(item, "status"),
                                      text_or_null(*payload, "title"),
                                      text_or_null(*payload, "content_ref"),
                                      text_or_null(*payload, "reviewer_id"),
                                      text_or_null(item, "reviewed_by"),
                                      text_or_null(item, "reviewer_notes"),
                                      text_or_null(item, "chosen_option"),
                                      timestamp_or_null(*payload, "expires_at"),
                                      timestamp_or_null(item, "created_on"),
                                      timestamp_or_null(item, "resolved_at"),
                                      timestamp_or_null(item, "sent_to_client_at"),
                                      Null{},
                                      text_or_null(*payload, "escalate_to"),
                                      Null{},
                                      Null{},
                                      latest_time(item)});
  }
}

// The columns an event changes besides updated_at; false for events this
// projection does not handle.
bool changed_columns(const DecodedEvent& event, Columns& columns) {
  const std::string& type = event.header.type;
  const rapidjson::Value& payload = *event.payload;
  const Value occurred_at = timestamp_value(event.header.occurred_at_ms);
  if (type == "approval.assigned") {
    columns.emplace_back("reviewer_id", text_or_null(payload, "reviewer_id"));
    return true;
  }
  if (type == "approval.sent_to_client") {
    columns.emplace_back("sent_to_client_at", timestamp_or_null(payload, "sent_to_client_at"));
    return true;
  }
  if (const Outcome* outcome = outcome_of(type)) {
    columns.emplace_back("status", std::string(outcome->status));
    columns.emplace_back("reviewed_by", text_or_null(payload, "reviewed_by"));
    columns.emplace_back("reviewer_notes", text_or_null(payload, "notes"));
    columns.emplace_back("chosen_option", text_or_null(payload, "chosen_option"));
    columns.emplace_back("resolved_at", occurred_at);
    return true;
  }
  if (type == "approval.expired") {
    columns.emplace_back("status", std::string("expired"));
    columns.emplace_back("resolved_at", occurred_at);
    return true;
  }
  if (type == "approval.escalated") {
    // The status stays expired; the follow-up (when one was opened) carries
    // escalated_from back to this approval.
    columns.emplace_back("escalated_at", timestamp_or_null(payload, "escalated_at"));
    columns.emplace_back("follow_up_approval_id", text_or_null(payload, "follow_up_approval_id"));
    return true;
  }
  return false;
}

}  // namespace

const TableSpec& Approvals::table() {
  static const TableSpec spec{"approvals",
                              {{"tenant_id", SqlType::uuid},
                               {"approval_id", SqlType::text},
                               {"activity_id", SqlType::text},
                               {"subject_kind", SqlType::text},
                               {"subject_id", SqlType::text},
                               {"type", SqlType::enumeration, "approval_type"},
                               {"risk_level", SqlType::text},
                               {"status", SqlType::text},
                               {"title", SqlType::text},
                               {"content_ref", SqlType::text},
                               {"reviewer_id", SqlType::text},
                               {"reviewed_by", SqlType::text},
                               {"reviewer_notes", SqlType::text},
                               {"chosen_option", SqlType::text},
                               {"expires_at", SqlType::timestamptz},
                               {"created_on", SqlType::timestamptz},
                               {"resolved_at", SqlType::timestamptz},
                               {"sent_to_client_at", SqlType::timestamptz},
                               {"escalated_at", SqlType::timestamptz},
                               {"escalate_to", SqlType::text},
                               {"escalated_from", SqlType::text},
                               {"follow_up_approval_id", SqlType::text},
                               {"updated_at", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

void Approvals::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type == "approval.requested") {
      insert_approval(event, batch);
      continue;
    }
    if (event.header.type == "approval.imported") {
      insert_imported(event, batch);
      continue;
    }
    Columns columns;
    if (!changed_columns(event, columns)) continue;
    columns.emplace_back("updated_at", timestamp_value(event.header.occurred_at_ms));
    batch.patch(table(), {event.header.tenant_id, text_or_null(*event.payload, "approval_id")},
                std::move(columns));
  }
}

}  // namespace lf::projections
