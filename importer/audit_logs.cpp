// The audit_logs kind: any of the seeds' four audit row shapes (Prebid
// audit_logs, the two platforms' audit_logs with their action and request
// columns, Leadmetrics' base record) to import.audit_logs chunks, each row
// the payload a live audit.record would carry; pre-checked with the engine's
// own parse, schema and decision (engine/workflow/import_audit.hpp).
#include "importer/audit_logs.hpp"

#include "engine/intake.hpp"
#include "engine/workflow/import_audit.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

namespace {

// Columns copied as text when not NULL (audit.record bounds them).
constexpr std::string_view kTextColumns[] = {
    "operation",    "event_type", "action",         "resource_type", "resource_id",
    "principal_id", "user_id",    "principal_name", "adapter_id",    "error_message",
    "ip_address",   "user_agent", "request_id",     "endpoint",      "http_method"};
// jsonb columns, written as the JSON they hold.
constexpr std::string_view kJsonColumns[] = {"details", "old_value", "new_value", "changed_fields"};
// The time of the row, by the names the seeds give it.
constexpr std::string_view kTimeColumns[] = {"occurred_at", "timestamp", "created_at"};

constexpr std::size_t kTextBytesMax = 64 * 1024;
constexpr std::size_t kJsonBytesMax = 64 * 1024;

}  // namespace

const std::vector<std::string_view> kAuditRequiredColumns{"tenant_id"};
const std::vector<std::string_view> kAuditOptionalColumns{
    "operation",   "event_type",     "action",     "resource_type", "resource_id",   "principal_id",
    "user_id",     "principal_name", "adapter_id", "success",       "error_message", "details",
    "occurred_at", "timestamp",      "created_at", "ip_address",    "user_agent",    "request_id",
    "endpoint",    "http_method",    "old_value",  "new_value",     "changed_fields"};

std::variant<ConvertedRow, RowError> convert_audit_row(const Columns& columns,
                                                       const CsvRecord& record) {
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return row_error(std::nullopt, "column tenant_id: not a uuid");
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };

  JsonWriter writer;
  writer.begin_object();
  writer.key("record");
  writer.begin_object();
  bool has_operation = false;
  for (const std::string_view name : kTextColumns) {
    const std::optional<std::string_view> value = text(name);
    if (!value) continue;
    if (value->size() > kTextBytesMax || !utf8_length(*value))
      return row_error(tenant_id,
                       "column " + std::string(name) + ": not UTF-8 text of at most 64 KiB");
    has_operation |= name == "operation" || name == "event_type" || name == "action";
    writer.field(name, *value);
  }
  if (!has_operation)
    return row_error(tenant_id, "no operation (columns operation, event_type or action)");
  if (const std::optional<std::string_view> success = text("success")) {
    const bool yes = *success == "t" || *success == "true" || *success == "1";
    const bool no = *success == "f" || *success == "false" || *success == "0";
    if (!yes && !no) return row_error(tenant_id, "column success: not a boolean (t, f)");
    writer.field("success", yes);
  }
  for (const std::string_view name : kJsonColumns) {
    const std::optional<std::string_view> value = text(name);
    if (!value) continue;
    Result<std::unique_ptr<rapidjson::Document>> parsed =
        parse_json_bounded(*value, JsonLimits{.max_bytes = kJsonBytesMax, .max_depth = 32});
    if (!parsed) return row_error(tenant_id, "column " + std::string(name) + ": not JSON");
    writer.key(name);
    writer.raw(json_to_string(**parsed));
  }
  std::optional<int64_t> occurred_at_ms;
  for (const std::string_view name : kTimeColumns) {
    const std::optional<std::string_view> value = text(name);
    if (!value) continue;
    occurred_at_ms = read_timestamp_ms(*value);
    if (!occurred_at_ms)
      return row_error(tenant_id,
                       "column " + std::string(name) + ": not a timestamp with a time zone");
    break;
  }
  if (!occurred_at_ms)
    return row_error(tenant_id, "no time (columns occurred_at, timestamp or created_at)");
  writer.timestamp_field("occurred_at", *occurred_at_ms);
  writer.end_object();
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *occurred_at_ms};
}

std::optional<engine::Rejection> precheck_audit_logs(const PrecheckInput& input) {
  namespace workflow = engine::workflow;
  Result<std::vector<workflow::AuditLogsChunk>> read =
      read_chunks(input, workflow::kImportAuditLogsCommand, workflow::parse_audit_logs_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<workflow::AuditLogsChunk>& chunks = *read;
  return workflow::precheck_audit_logs_chunks(chunks, input.now_ms);
}

}  // namespace lf::importer
