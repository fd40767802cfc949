// Parsing audit.record (the seeds' audit rows, their aliases resolved) and
// tenant.configure.
#include <arpa/inet.h>
#include <netinet/in.h>

#include "engine/workflow/parsers.hpp"

namespace lf::engine::workflow {

namespace {

constexpr std::size_t kResourceIdLengthMax = 255;
constexpr std::size_t kPrincipalNameLengthMax = 500;
constexpr std::size_t kIpAddressLengthMax = 45;  // the longest IPv6 text (with an IPv4 tail)
constexpr std::size_t kUserAgentLengthMax = 500;
constexpr std::size_t kRequestIdLengthMax = 100;
constexpr std::size_t kEndpointLengthMax = 255;
constexpr std::size_t kHttpMethodLengthMax = 10;
constexpr int64_t kUserIdNumberMax = 9'007'199'254'740'991;  // 2^53 - 1

// Absent and null both read as "none" (the seeds' nullable columns).
std::optional<std::string> nullable_text(Fields& in, std::string_view name,
                                         std::size_t length_max) {
  if (in.is_null(name)) return std::nullopt;
  return in.optional_text(name, length_max);
}

// user_id: the seeds keep it as text or as an integer.
std::optional<std::string> user_id(Fields& in) {
  const rapidjson::Value* member = json_member(in.payload(), "user_id");
  if (member == nullptr || member->IsString()) return in.optional_text("user_id");
  const std::optional<int64_t> number = in.optional_integer("user_id", 0, kUserIdNumberMax);
  if (!number) return std::nullopt;
  return std::to_string(*number);
}

// An IPv4 or IPv6 address as text.
bool is_ip_address(const std::string& text) {
  in6_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

void parse_identity(Fields& in, AuditRecorded& row) {
  const std::optional<std::string> operation = in.optional_text("operation");
  row.event_type = in.optional_text("event_type");
  row.action = in.optional_text("action");
  if (!operation && !row.event_type && !row.action) {
    in.fail(kInvalidPayloadCode,
            "audit.record needs operation (or its alias event_type or action)");
  }
  row.operation = operation.value_or(row.event_type.value_or(row.action.value_or("")));
  row.resource_type = nullable_text(in, "resource_type", kIdLengthMax);
  row.resource_id = nullable_text(in, "resource_id", kResourceIdLengthMax);
  const std::optional<std::string> principal = in.optional_text("principal_id");
  const std::optional<std::string> user = user_id(in);
  row.principal_id = principal ? principal : user;
  row.principal_name = in.optional_text("principal_name", kPrincipalNameLengthMax);
  row.adapter_id = in.optional_text("adapter_id");
}

void parse_request(Fields& in, AuditRecorded& row) {
  for (const char* name : {"occurred_at", "timestamp", "created_at"}) {
    if (!in.has(name)) continue;
    row.occurred_at_ms = in.optional_timestamp(name, "invalid_occurred_at");
    break;
  }
  row.ip_address = in.optional_text("ip_address", kIpAddressLengthMax);
  if (row.ip_address && !is_ip_address(*row.ip_address)) {
    in.fail(kInvalidPayloadCode,
            "ip_address " + *row.ip_address + " is not an IPv4 or IPv6 address");
  }
  row.user_agent = in.optional_text("user_agent", kUserAgentLengthMax);
  row.request_id = in.optional_text("request_id", kRequestIdLengthMax);
  row.endpoint = in.optional_text("endpoint", kEndpointLengthMax);
  row.http_method = in.optional_text("http_method", kHttpMethodLengthMax);
}

}  // namespace

Result<Command> parse_record_audit(Fields& in) {
  RecordAudit c;
  AuditRecorded& row = c.row;
  parse_identity(in, row);
  row.success = in.optional_flag("success").value_or(true);
  row.error_message = in.note("error_message");
  row.details_json = in.raw_object("details");
  parse_request(in, row);
  row.old_value_json = in.raw("old_value");
  row.new_value_json = in.raw("new_value");
  row.changed_fields_json = in.raw("changed_fields");
  return in.finish<Command>(std::move(c));
}

Result<Command> parse_configure_tenant(Fields& in) {
  if (!in.has("escalation_reviewer_id"))
    in.fail(kInvalidPayloadCode, "escalation_reviewer_id is required (null clears it)");
  ConfigureTenant c{nullable_text(in, "escalation_reviewer_id", kIdLengthMax)};
  return in.finish<Command>(std::move(c));
}

}  // namespace lf::engine::workflow
