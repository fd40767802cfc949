// activities mapping.
#include "projections/activities/projection.hpp"

#include <array>

#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::projections {

namespace {

using Columns = std::vector<std::pair<std::string_view, Value>>;

struct StatusMove {
  std::string_view event_type;
  std::string_view status;
};

// Events that only move the status (the others also set columns, below).
constexpr std::array<StatusMove, 2> kPlainMoves{{
    {"activity.failed", "failed"},
    {"activity.cancelled", "cancelled"},
}};

// activity.created (v2): priority is already the seed's (upcasting turned a
// v1 'medium' into 'normal').
void insert_activity(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value& payload = *event.payload;
  const Value created_at = timestamp_value(event.header.occurred_at_ms);
  batch.insert(Activities::table(), {event.header.tenant_id,
                                     text_or_null(payload, "activity_id"),
                                     text_or_null(payload, "title"),
                                     text_or_null(payload, "type"),
                                     text_or_null(payload, "description"),
                                     std::string("created"),
                                     text_or_null(payload, "assignee_type"),
                                     text_or_null(payload, "assignee_agent_role"),
                                     text_or_null(payload, "assignee_user_id"),
                                     text_or_null(payload, "priority"),
                                     bool_or_null(payload, "is_approval_gate"),
                                     Null{},
                                     json_or_null(payload, "input_data"),
                                     Null{},
                                     Null{},
                                     Null{},
                                     Null{},
                                     date_or_null(payload, "due_date"),
                                     text_or_null(payload, "parent_activity_id"),
                                     created_at,
                                     created_at,
                                     Null{},
                                     Null{}});
}

// The assignee columns of `payload`, replacing the old assignee entirely.
void set_assignee(const rapidjson::Value& payload, Columns& columns) {
  columns.emplace_back("assignee_type", text_or_null(payload, "assignee_type"));
  columns.emplace_back("assignee_agent_role", text_or_null(payload, "assignee_agent_role"));
  columns.emplace_back("assignee_user_id", text_or_null(payload, "assignee_user_id"));
}

// The columns an activity event changes besides updated_at; false for events
// this projection does not handle (activity.run_* included).
bool changed_columns(const DecodedEvent& event, Columns& columns) {
  const std::string& type = event.header.type;
  const rapidjson::Value& payload = *event.payload;
  for (const StatusMove& move : kPlainMoves) {
    if (move.event_type != type) continue;
    columns.emplace_back("status", std::string(move.status));
    return true;
  }
  if (type == "activity.started") {
    columns.emplace_back("status", std::string("in_progress"));
    columns.emplace_back("started_on", timestamp_value(event.header.occurred_at_ms));
    return true;
  }
  if (type == "activity.submitted_for_approval") {
    columns.emplace_back("status", std::string("awaiting_approval"));
    // The approval it opened (also set by that approval's approval.requested);
    // an upcast v1 submission without one keeps the column as it was.
    if (json_string(payload, "approval_id")) {
      columns.emplace_back("approval_id", text_or_null(payload, "approval_id"));
    }
    return true;
  }
  if (type == "activity.assigned") {
    // v2 names the status it moves to: assigned (an agent's to-do) or
    // created (a human's).
    columns.emplace_back("status", text_or_null(payload, "status"));
    set_assignee(payload, columns);
    return true;
  }
  if (type == "activity.reassigned") {
    // A review step's reviewer changes (approval.assign, an escalation); its
    // status does not.
    set_assignee(payload, columns);
    return true;
  }
  // An approval's outcome, in the record that resolves the approval.
  if (type == "activity.approved") {
    columns.emplace_back("status", std::string("approved"));
    columns.emplace_back("approval_id", text_or_null(payload, "approval_id"));
    return true;
  }
  if (type == "activity.rejected") {
    columns.emplace_back("status", std::string("rejected"));
    columns.emplace_back("approval_id", text_or_null(payload, "approval_id"));
    columns.emplace_back("rejection_note", text_or_null(payload, "rejection_note"));
    return true;
  }
  if (type == "activity.revision_requested") {
    // v2 names where the work goes back to: assigned (agent) or created
    // (human); an upcast v1 event says in_progress.
    columns.emplace_back("status", text_or_null(payload, "status"));
    columns.emplace_back("approval_id", text_or_null(payload, "approval_id"));
    columns.emplace_back("revision_note", text_or_null(payload, "revision_note"));
    return true;
  }
  if (type == "activity.completed") {
    columns.emplace_back("status", std::string("completed"));
    columns.emplace_back("completed_on", timestamp_value(event.header.occurred_at_ms));
    columns.emplace_back("output_summary", json_or_null(payload, "output_summary"));
    columns.emplace_back("output_ref", text_or_null(payload, "output_ref"));
    return true;
  }
  return false;
}

void patch_activity(const DecodedEvent& event, const Value& activity_id, Columns columns,
                    RowBatch& batch) {
  columns.emplace_back("updated_at", timestamp_value(event.header.occurred_at_ms));
  batch.patch(Activities::table(), {event.header.tenant_id, activity_id}, std::move(columns));
}

// approval.requested: the approval becomes the latest one opened for its
// subject (when that is an activity) and for its review step.
void link_approval(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value& payload = *event.payload;
  const Value approval_id = text_or_null(payload, "approval_id");
  std::optional<std::string_view> subject_activity;
  if (const rapidjson::Value* subject = json_member(payload, "subject")) {
    if (json_string(*subject, "kind") == std::optional<std::string_view>("activity")) {
      subject_activity = json_string(*subject, "id");
    }
  }
  const std::optional<std::string_view> review_step = json_string(payload, "activity_id");
  if (subject_activity) {
    patch_activity(event, std::string(*subject_activity), {{"approval_id", approval_id}}, batch);
  }
  if (review_step && review_step != subject_activity) {
    patch_activity(event, std::string(*review_step), {{"approval_id", approval_id}}, batch);
  }
}

// activities.imported (docs/migrating.md "activities"): each activity as the
// platform left it, at its original times; its queue is the views' as for
// any row.
void insert_imported(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* rows = json_member(*event.payload, "rows");
  LF_ASSERT_MSG(rows != nullptr && rows->IsArray(), "activities.imported carries rows");
  for (const rapidjson::Value& row : rows->GetArray()) {
    const rapidjson::Value* created = json_member(row, "created");
    LF_ASSERT_MSG(created != nullptr, "an imported activity carries its creation");
    const rapidjson::Value& c = *created;
    batch.insert(Activities::table(), {event.header.tenant_id,
                                       text_or_null(c, "activity_id"),
                                       text_or_null(c, "title"),
                                       text_or_null(c, "type"),
                                       text_or_null(c, "description"),
                                       text_or_null(row, "status"),
                                       text_or_null(c, "assignee_type"),
                                       text_or_null(c, "assignee_agent_role"),
                                       text_or_null(c, "assignee_user_id"),
                                       text_or_null(c, "priority"),
                                       bool_or_null(c, "is_approval_gate"),
                                       Null{},
                                       json_or_null(c, "input_data"),
                                       json_or_null(row, "output_summary"),
                                       text_or_null(row, "output_ref"),
                                       text_or_null(row, "rejection_note"),
                                       text_or_null(row, "revision_note"),
                                       date_or_null(c, "due_date"),
                                       text_or_null(c, "parent_activity_id"),
                                       timestamp_or_null(row, "created_on"),
                                       timestamp_or_null(row, "updated_on"),
                                       timestamp_or_null(row, "started_on"),
                                       timestamp_or_null(row, "completed_on")});
  }
}

}  // namespace

std::optional<std::string_view> queue_of(std::string_view assignee_type, std::string_view status) {
  auto listed = [status](const auto& statuses) {
    for (const std::string_view listed_status : statuses) {
      if (listed_status == status) return true;
    }
    return false;
  };
  if (assignee_type == "agent" && listed(kAgentQueueStatuses)) return "agent_queue";
  if (assignee_type == "human" && listed(kHumanQueueStatuses)) return "human_queue";
  return std::nullopt;
}

const TableSpec& Activities::table() {
  static const TableSpec spec{"activities",
                              {{"tenant_id", SqlType::uuid},
                               {"activity_id", SqlType::text},
                               {"title", SqlType::text},
                               {"type", SqlType::text},
                               {"description", SqlType::text},
                               {"status", SqlType::text},
                               {"assignee_type", SqlType::text},
                               {"assignee_agent_role", SqlType::text},
                               {"assignee_user_id", SqlType::text},
                               {"priority", SqlType::enumeration, "activity_priority"},
                               {"is_approval_gate", SqlType::boolean},
                               {"approval_id", SqlType::text},
                               {"input_data", SqlType::jsonb},
                               {"output_summary", SqlType::jsonb},
                               {"output_ref", SqlType::text},
                               {"rejection_note", SqlType::text},
                               {"revision_note", SqlType::text},
                               {"due_date", SqlType::date},
                               {"parent_activity_id", SqlType::text},
                               {"created_at", SqlType::timestamptz},
                               {"updated_at", SqlType::timestamptz},
                               {"started_on", SqlType::timestamptz},
                               {"completed_on", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

void Activities::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type == "activity.created") {
      insert_activity(event, batch);
      continue;
    }
    if (event.header.type == "activities.imported") {
      insert_imported(event, batch);
      continue;
    }
    Columns columns;
    if (!changed_columns(event, columns)) continue;
    patch_activity(event, text_or_null(*event.payload, "activity_id"), std::move(columns), batch);
  }
  // After the record's activity events: a review step opened in the same
  // record exists by then, whatever the events' order.
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type == "approval.requested") link_approval(event, batch);
  }
}

}  // namespace lf::projections
