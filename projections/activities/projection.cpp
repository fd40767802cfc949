// activities mapping.
#include "projections/activities/projection.hpp"

#include <array>

#include "events/json.hpp"

namespace lf::projections {

namespace {

using Columns = std::vector<std::pair<std::string_view, Value>>;

constexpr std::array<std::string_view, 4> kPriorities{"urgent", "high", "medium", "low"};

struct StatusMove {
  std::string_view event_type;
  std::string_view status;
};

// Events that only move the status (the others also set columns, below).
constexpr std::array<StatusMove, 3> kPlainMoves{{
    {"activity.started", "in_progress"},
    {"activity.failed", "failed"},
    {"activity.cancelled", "cancelled"},
}};

Value rank_or_null(const rapidjson::Value& payload) {
  std::optional<std::string_view> priority = json_string(payload, "priority");
  std::optional<int64_t> rank = priority ? priority_rank(*priority) : std::nullopt;
  if (!rank) return Null{};
  return *rank;
}

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
                                     rank_or_null(payload),
                                     bool_or_null(payload, "is_approval_gate"),
                                     Null{},
                                     Null{},
                                     Null{},
                                     date_or_null(payload, "due_date"),
                                     text_or_null(payload, "parent_activity_id"),
                                     created_at,
                                     created_at,
                                     Null{}});
}

// The columns an event changes besides updated_at; false for events this
// projection does not handle (activity.run_* included).
bool changed_columns(const DecodedEvent& event, Columns& columns) {
  const std::string& type = event.header.type;
  const rapidjson::Value& payload = *event.payload;
  for (const StatusMove& move : kPlainMoves) {
    if (move.event_type != type) continue;
    columns.emplace_back("status", std::string(move.status));
    return true;
  }
  if (type == "activity.submitted_for_approval") {
    columns.emplace_back("status", std::string("awaiting_approval"));
    // A gate's submission names the approval it opened; a plain submission
    // keeps the column as it was.
    if (json_string(payload, "approval_id")) {
      columns.emplace_back("approval_id", text_or_null(payload, "approval_id"));
    }
    return true;
  }
  if (type == "activity.assigned") {
    // The new assignee replaces the old one entirely.
    columns.emplace_back("status", std::string("assigned"));
    columns.emplace_back("assignee_type", text_or_null(payload, "assignee_type"));
    columns.emplace_back("assignee_agent_role", text_or_null(payload, "assignee_agent_role"));
    columns.emplace_back("assignee_user_id", text_or_null(payload, "assignee_user_id"));
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
    columns.emplace_back("status", std::string("in_progress"));
    columns.emplace_back("approval_id", text_or_null(payload, "approval_id"));
    columns.emplace_back("revision_note", text_or_null(payload, "revision_note"));
    return true;
  }
  if (type == "activity.completed") {
    columns.emplace_back("status", std::string("completed"));
    columns.emplace_back("completed_at", timestamp_value(event.header.occurred_at_ms));
    return true;
  }
  return false;
}

}  // namespace

std::optional<int64_t> priority_rank(std::string_view priority) {
  for (std::size_t rank = 0; rank < kPriorities.size(); ++rank) {
    if (kPriorities[rank] == priority) return static_cast<int64_t>(rank);
  }
  return std::nullopt;
}

const TableSpec& Activities::table() {
  static const TableSpec spec{
      "activities",
      {{"tenant_id", SqlType::uuid},
       {"activity_id", SqlType::text},
       {"title", SqlType::text},
       {"type", SqlType::text},
       {"description", SqlType::text},
       {"status", SqlType::text},
       {"assignee_type", SqlType::text},
       {"assignee_agent_role", SqlType::text},
       {"assignee_user_id", SqlType::text},
       {"priority", SqlType::text},
       {"priority_rank", SqlType::int32},
       {"is_approval_gate", SqlType::boolean},
       {"approval_id", SqlType::text},
       {"rejection_note", SqlType::text},
       {"revision_note", SqlType::text},
       {"due_date", SqlType::date},
       {"parent_activity_id", SqlType::text},
       {"created_at", SqlType::timestamptz},
       {"updated_at", SqlType::timestamptz},
       {"completed_at", SqlType::timestamptz}},
      {0, 1}};
  return spec;
}

void Activities::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type == "activity.created") {
      insert_activity(event, batch);
      continue;
    }
    Columns columns;
    if (!changed_columns(event, columns)) continue;
    columns.emplace_back("updated_at", timestamp_value(event.header.occurred_at_ms));
    batch.patch(table(), {event.header.tenant_id, text_or_null(*event.payload, "activity_id")},
                std::move(columns));
  }
}

}  // namespace lf::projections
