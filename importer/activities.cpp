// The activities kind: Leadmetrics' `activities` rows to import.activities
// chunks, each row's creation part the payload a live activity.create would
// carry (`id` as activity_id), then the status and times the platform left
// it at; pre-checked with the engine's own parse, schema and decision
// (engine/workflow/import_activities.hpp).
#include "importer/activities.hpp"

#include "engine/intake.hpp"
#include "engine/workflow/import_activities.hpp"
#include "engine/workflow/state.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

namespace {

// Text columns as the commands' schemas bound them (characters): those of
// the activity.create payload, then the row's own.
constexpr TextColumn kActivityTexts[] = {{"id", "activity_id", 128, true},
                                         {"title", "title", 500, true},
                                         {"type", "type", 64, true},
                                         {"description", "description", 2000, false},
                                         {"assignee_agent_role", "assignee_agent_role", 128, false},
                                         {"assignee_user_id", "assignee_user_id", 128, false},
                                         {"parent_activity_id", "parent_activity_id", 128, false}};
constexpr TextColumn kRowTexts[] = {{"output_ref", "output_ref", 255, false},
                                    {"rejection_note", "rejection_note", 10'000, false},
                                    {"revision_note", "revision_note", 10'000, false}};
constexpr std::string_view kTimes[] = {"created_on", "updated_on", "started_on", "completed_on"};
constexpr std::size_t kJsonBytesMax = 64 * 1024;

}  // namespace

// id and created_on (updated_on) are the Leadmetrics base record's columns.
const std::vector<std::string_view> kActivitiesRequiredColumns{
    "tenant_id", "id", "title", "type", "assignee_type", "status", "created_on"};
const std::vector<std::string_view> kActivitiesOptionalColumns{
    "description", "assignee_agent_role", "assignee_user_id", "priority",       "is_approval_gate",
    "input_data",  "output_summary",      "output_ref",       "rejection_note", "revision_note",
    "due_date",    "parent_activity_id",  "updated_on",       "started_on",     "completed_on"};

std::variant<ConvertedRow, RowError> convert_activity_row(const Columns& columns,
                                                          const CsvRecord& record) {
  namespace workflow = engine::workflow;
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return row_error(std::nullopt, "column tenant_id: not a uuid");
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };
  auto json_column = [&](std::string_view name, JsonWriter& writer) -> std::optional<RowError> {
    const std::optional<std::string_view> value = text(name);
    if (!value) return std::nullopt;
    Result<std::unique_ptr<rapidjson::Document>> parsed =
        parse_json_bounded(*value, JsonLimits{.max_bytes = kJsonBytesMax, .max_depth = 32});
    if (!parsed || !(*parsed)->IsObject())
      return row_error(tenant_id, "column " + std::string(name) + ": not a JSON object");
    writer.key(name);
    writer.raw(json_to_string(**parsed));
    return std::nullopt;
  };

  JsonWriter writer;
  writer.begin_object();
  writer.key("activity");
  writer.begin_object();
  if (std::optional<std::string> bad =
          write_text_columns(writer, columns, record, kActivityTexts)) {
    return row_error(tenant_id, std::move(*bad));
  }
  const std::optional<std::string_view> assignee = text("assignee_type");
  if (!assignee || !workflow::parse_assignee_type(*assignee))
    return row_error(tenant_id, "column assignee_type: neither agent nor human");
  writer.field("assignee_type", *assignee);
  const std::string_view priority = text("priority").value_or("normal");
  if (!workflow::parse_priority(priority))
    return row_error(tenant_id, "column priority: none of low, normal, high, urgent");
  writer.field("priority", priority);
  if (const std::optional<std::string_view> gate = text("is_approval_gate")) {
    const bool yes = *gate == "t" || *gate == "true" || *gate == "1";
    const bool no = *gate == "f" || *gate == "false" || *gate == "0";
    if (!yes && !no) return row_error(tenant_id, "column is_approval_gate: not a boolean (t, f)");
    writer.field("is_approval_gate", yes);
  }
  if (const std::optional<std::string_view> due = text("due_date")) {
    const std::optional<int32_t> day = read_date_days(*due);
    if (!day) return row_error(tenant_id, "column due_date: not a date (YYYY-MM-DD)");
    writer.field("due_date", format_date_days(*day));
  }
  if (std::optional<RowError> bad = json_column("input_data", writer)) return *bad;
  writer.end_object();

  const std::optional<std::string_view> status = text("status");
  if (!status || !workflow::parse_activity_status(*status))
    return row_error(tenant_id, "column status: not an activity status of the seed");
  writer.field("status", *status);
  std::optional<int64_t> created_on_ms;
  for (const std::string_view name : kTimes) {
    const std::optional<std::string_view> value = text(name);
    if (!value) {
      if (name == "created_on") return row_error(tenant_id, "column created_on: NULL");
      continue;
    }
    const std::optional<int64_t> at_ms = read_timestamp_ms(*value);
    if (!at_ms)
      return row_error(tenant_id,
                       "column " + std::string(name) + ": not a timestamp with a time zone");
    if (name == "created_on") created_on_ms = at_ms;
    writer.timestamp_field(name, *at_ms);
  }
  if (std::optional<RowError> bad = json_column("output_summary", writer)) return *bad;
  if (std::optional<std::string> bad = write_text_columns(writer, columns, record, kRowTexts)) {
    return row_error(tenant_id, std::move(*bad));
  }
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *created_on_ms};
}

std::optional<engine::Rejection> precheck_activities(const PrecheckInput& input) {
  namespace workflow = engine::workflow;
  Result<std::vector<workflow::ActivitiesChunk>> read =
      read_chunks(input, workflow::kImportActivitiesCommand, workflow::parse_activities_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<workflow::ActivitiesChunk>& chunks = *read;
  return workflow::precheck_activities_chunks(chunks, input.append, input.now_ms);
}

}  // namespace lf::importer
