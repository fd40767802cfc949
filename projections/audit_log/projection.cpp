// audit_log mapping.
#include "projections/audit_log/projection.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"
#include "projections/credit_ledger/projection.hpp"

namespace lf::projections {

namespace {

// A row's columns other than its key, recorded_at and command_id (the
// event's), in table order.
struct AuditFields {
  Value occurred_at;
  Value operation;
  Value resource_type;
  Value resource_id;
  Value principal_id;
  Value principal_name;
  Value adapter_id;
  Value success;
  Value error_message;
  Value details;
  // The request and the change, from audit.recorded only.
  Value ip_address = Null{};
  Value user_agent = Null{};
  Value request_id = Null{};
  Value endpoint = Null{};
  Value http_method = Null{};
  Value old_value = Null{};
  Value new_value = Null{};
  Value changed_fields = Null{};
};

// audit.recorded (v2): a seed's audit row, as given. It happened at its own
// occurred_at when the producer gave one (the engine bounds its skew), else
// when the engine recorded it.
AuditFields recorded_fields(const rapidjson::Value& payload, int64_t recorded_at_ms) {
  Value occurred_at = timestamp_or_null(payload, "occurred_at");
  if (std::holds_alternative<Null>(occurred_at)) occurred_at = timestamp_value(recorded_at_ms);
  return AuditFields{std::move(occurred_at),
                     text_or_null(payload, "operation"),
                     text_or_null(payload, "resource_type"),
                     text_or_null(payload, "resource_id"),
                     text_or_null(payload, "principal_id"),
                     text_or_null(payload, "principal_name"),
                     text_or_null(payload, "adapter_id"),
                     bool_or_null(payload, "success"),
                     text_or_null(payload, "error_message"),
                     json_or_null(payload, "details"),
                     text_or_null(payload, "ip_address"),
                     text_or_null(payload, "user_agent"),
                     text_or_null(payload, "request_id"),
                     text_or_null(payload, "endpoint"),
                     text_or_null(payload, "http_method"),
                     json_value_or_null(payload, "old_value"),
                     json_value_or_null(payload, "new_value"),
                     json_value_or_null(payload, "changed_fields")};
}

AuditFields rejected_fields(const DecodedEvent& event) {
  const rapidjson::Value& payload = *event.payload;
  const std::string_view command_type = json_string(payload, "command_type").value_or("");
  std::pair<Value, Value> resource;
  if (std::optional<std::string_view> target = json_string(payload, "target_stream")) {
    resource = stream_resource(*target);
  } else {
    // No stream named: the command type's domain ("credits" of credits.reserve).
    resource = {std::string(command_type.substr(0, command_type.find('.'))), Null{}};
  }
  std::string error_message(json_string(payload, "reason").value_or(""));
  error_message += ": ";
  error_message += json_string(payload, "message").value_or("");
  return AuditFields{timestamp_value(event.header.occurred_at_ms),
                     std::string(command_type),
                     std::move(resource.first),
                     std::move(resource.second),
                     event.header.actor,
                     Null{},
                     Null{},
                     false,
                     std::move(error_message),
                     Json{json_to_string(payload)}};
}

// An imported chunk's entries (orders) are its credit_ledger
// (credit_topup_orders) rows, and in event_log; the audit row says what was
// imported: the payload without them, and how many there were.
std::string imported_chunk_details(const rapidjson::Value& payload) {
  JsonWriter writer;
  writer.begin_object();
  for (auto it = payload.MemberBegin(); it != payload.MemberEnd(); ++it) {
    const std::string_view name = json_view(it->name);
    if (name == "entries" || name == "orders" || name == "calls" || name == "rows" ||
        name == "buys" || name == "approvals") {
      writer.field(std::string(name) + "_count",
                   static_cast<int64_t>(it->value.IsArray() ? it->value.Size() : 0));
      continue;
    }
    writer.key(name);
    writer.value(it->value);
  }
  writer.end_object();
  return writer.str();
}

AuditFields event_fields(const DecodedEvent& event) {
  std::pair<Value, Value> resource = stream_resource(event.header.stream);
  if (event.header.type == "credits.ledger_imported" ||
      event.header.type == "topup_order.imported" ||
      event.header.type == "usage.llm_calls_imported" ||
      event.header.type == "audit.logs_imported" || event.header.type == "media_buy.imported" ||
      event.header.type == "approval.imported" || event.header.type == "activities.imported" ||
      event.header.type == "activity_runs.imported") {
    return AuditFields{timestamp_value(event.header.occurred_at_ms),
                       event.header.type,
                       std::move(resource.first),
                       std::move(resource.second),
                       event.header.actor,
                       Null{},
                       Null{},
                       true,
                       Null{},
                       Json{imported_chunk_details(*event.payload)}};
  }
  return AuditFields{timestamp_value(event.header.occurred_at_ms),
                     event.header.type,
                     std::move(resource.first),
                     std::move(resource.second),
                     event.header.actor,
                     Null{},
                     Null{},
                     true,
                     Null{},
                     Json{json_to_string(*event.payload)}};
}

void insert_row(RowBatch& batch, const DecodedEvent& event, std::string key, AuditFields fields) {
  batch.insert(AuditLog::table(),
               {event.header.tenant_id,           std::move(key),
                std::move(fields.occurred_at),    timestamp_value(event.header.occurred_at_ms),
                std::move(fields.operation),      std::move(fields.resource_type),
                std::move(fields.resource_id),    std::move(fields.principal_id),
                std::move(fields.principal_name), std::move(fields.adapter_id),
                std::move(fields.success),        std::move(fields.error_message),
                std::move(fields.details),        std::move(fields.ip_address),
                std::move(fields.user_agent),     std::move(fields.request_id),
                std::move(fields.endpoint),       std::move(fields.http_method),
                std::move(fields.old_value),      std::move(fields.new_value),
                std::move(fields.changed_fields), event.header.command_id});
}

// audit.logs_imported: besides the chunk's own row, a row per imported
// audit row at its original occurred_at, keyed <event_id>:<index> (as
// credit_ledger keys imported entries) so rows sort in log order.
void insert_imported(RowBatch& batch, const DecodedEvent& event) {
  const rapidjson::Value* rows = json_member(*event.payload, "rows");
  LF_ASSERT_MSG(rows != nullptr && rows->IsArray(), "audit.logs_imported carries rows");
  std::size_t index = 0;
  for (const rapidjson::Value& row : rows->GetArray()) {
    const rapidjson::Value* record = json_member(row, "record");
    LF_ASSERT_MSG(record != nullptr && record->IsObject(), "an imported audit row has its record");
    insert_row(batch, event, imported_entry_key(event.header.event_id, index++),
               recorded_fields(*record, event.header.occurred_at_ms));
  }
}

}  // namespace

std::pair<Value, Value> stream_resource(std::string_view stream) {
  const std::size_t slash = stream.find('/');
  if (slash == std::string_view::npos) return {std::string(stream), Null{}};
  const std::string_view id = stream.substr(slash + 1);
  Value resource_id = Null{};
  if (!id.empty()) resource_id = std::string(id);
  return {std::string(stream.substr(0, slash)), std::move(resource_id)};
}

const TableSpec& AuditLog::table() {
  static const TableSpec spec{
      "audit_log",
      {{"tenant_id", SqlType::uuid},          {"event_id", SqlType::text},
       {"occurred_at", SqlType::timestamptz}, {"recorded_at", SqlType::timestamptz},
       {"operation", SqlType::text},          {"resource_type", SqlType::text},
       {"resource_id", SqlType::text},        {"principal_id", SqlType::text},
       {"principal_name", SqlType::text},     {"adapter_id", SqlType::text},
       {"success", SqlType::boolean},         {"error_message", SqlType::text},
       {"details", SqlType::jsonb},           {"ip_address", SqlType::inet},
       {"user_agent", SqlType::text},         {"request_id", SqlType::text},
       {"endpoint", SqlType::text},           {"http_method", SqlType::text},
       {"old_value", SqlType::jsonb},         {"new_value", SqlType::jsonb},
       {"changed_fields", SqlType::jsonb},    {"command_id", SqlType::text}},
      {0, 1}};
  return spec;
}

void AuditLog::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    const std::string& type = event.header.type;
    AuditFields fields = type == "audit.recorded"
                             ? recorded_fields(*event.payload, event.header.occurred_at_ms)
                         : type == "command.rejected" ? rejected_fields(event)
                                                      : event_fields(event);
    insert_row(batch, event, event.header.event_id, std::move(fields));
    if (type == "audit.logs_imported") insert_imported(batch, event);
  }
}

}  // namespace lf::projections
