// Encoding and decoding of the wire envelopes (DESIGN.md "Wire contract").
//
// Command (ledgerflow.commands), unknown top-level fields ignored:
//   {"command_id": "1..128 bytes, no control characters",
//    "type": "^[a-z][a-z_]*(\.[a-z][a-z_]*)+$, at most 64 characters",
//    "tenant_id": "UUID 8-4-4-4-12 hex (normalised to lower case)",
//    "actor": "system | user:<id> | agent:<role> | admin:<id> | support:<id>",
//    "issued_at": "RFC 3339",
//    "correlation_id": "optional, 1..128 bytes, no control characters",
//    "expected_version": optional integer >= 0,
//    "payload": {...}}
//
// Commit record (ledgerflow.events), one per decision:
//   {"tenant_id": ..., "command_id": ..., "seq": N (>= 1),
//    "record_id": "<ULID>", "prev_record_id": "<ULID, or empty when seq is 1>",
//    "writer": "<engine instance>",
//    "source": {"topic": ..., "partition": ..., "offset": ...}   (omitted for timer records)
//    "events": [<event envelope>, ...]                           (at least one)}
// Event envelope:
//   {"event_id": "<ULID>", "type": ..., "schema_version": N (>= 1),
//    "tenant_id": (equal to the record's), "stream": ..., "stream_version": N (>= 1),
//    "command_id": ..., "correlation_id": (omitted if none), "actor": ...,
//    "occurred_at": "RFC 3339", "payload": {...}}
//
// Result (ledgerflow.results), one per command:
//   {"command_id": ..., "tenant_id": ..., "type": (omitted if empty),
//    "status": "accepted" | "rejected" | "duplicate", "reason": (omitted if empty),
//    "message": ..., "event_ids": [...], "seq": (omitted if none),
//    "correlation_id": (omitted if none)}
//
// The JSON Schemas in schemas/envelopes/ state the same contract.
#include "events/envelope.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

#include "events/envelope_fields.hpp"
#include "events/time.hpp"
#include "events/ulid.hpp"

namespace lf {

using namespace envelope_fields;

// ---- commands --------------------------------------------------------------

bool is_uuid(std::string_view text) {
  constexpr std::string_view kShape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  if (text.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (kShape[i] == '-') {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

bool is_valid_actor(std::string_view actor) {
  if (actor == "system") return true;
  constexpr std::string_view kKinds[] = {"user:", "agent:", "admin:", "support:"};
  for (const std::string_view kind : kKinds) {
    if (actor.substr(0, kind.size()) != kind) continue;
    const std::string_view id = actor.substr(kind.size());
    return !id.empty() && id.size() <= kActorIdLengthMax && !has_control_character(id);
  }
  return false;
}

Result<CommandEnvelope> decode_command(const rapidjson::Value& document) {
  if (!document.IsObject()) {
    return make_error("invalid_envelope", "the command envelope must be a JSON object");
  }
  const FieldReader reader(document, "invalid_envelope", "command ");
  std::optional<Error> failure;
  CommandEnvelope command;

  LF_TRY_FIELD(command.command_id, bounded_id(reader, "command_id", kCommandIdLengthMax, failure));

  LF_TRY_FIELD(command.type, reader.string("type", failure));
  if (!is_valid_type(command.type)) {
    return reader.error("type",
                        "must be dotted lower-case words like \"credits.reserve\", at most " +
                            std::to_string(kTypeLengthMax) + " characters");
  }

  std::string_view tenant_id;
  LF_TRY_FIELD(tenant_id, reader.string("tenant_id", failure));
  if (!is_uuid(tenant_id))
    return reader.error("tenant_id", "must be a UUID (8-4-4-4-12 hex digits)");
  command.tenant_id = lower_ascii(tenant_id);

  LF_TRY_FIELD(command.actor, reader.string("actor", failure));
  if (!is_valid_actor(command.actor)) {
    return reader.error("actor",
                        "must be system, user:<id>, agent:<role>, admin:<id> or support:<id>");
  }

  LF_TRY_FIELD(command.issued_at_ms, reader.timestamp("issued_at", failure));

  command.payload = reader.object("payload", failure);
  if (failure) return *failure;

  if (reader.find("correlation_id") != nullptr) {
    LF_TRY_FIELD(command.correlation_id,
                 bounded_id(reader, "correlation_id", kCorrelationIdLengthMax, failure));
  }
  if (reader.find("expected_version") != nullptr) {
    int64_t expected_version = 0;
    LF_TRY_FIELD(expected_version, reader.int64("expected_version", failure));
    if (expected_version < 0) return reader.error("expected_version", "must not be negative");
    command.expected_version = expected_version;
  }
  LF_ASSERT(command.payload != nullptr && command.payload->IsObject());
  return command;
}

namespace {

// The member `name` of `object` when it occurs exactly once, else null.
const rapidjson::Value* unique_member(const rapidjson::Value& object, std::string_view name) {
  const rapidjson::Value* found = nullptr;
  for (const auto& member : object.GetObject()) {
    if (json_view(member.name) != name) continue;
    if (found != nullptr) return nullptr;
    found = &member.value;
  }
  return found;
}

// A string of 1..length_max bytes without control characters, or nullopt.
std::optional<std::string_view> readable_string(const rapidjson::Value* value,
                                                std::size_t length_max) {
  if (value == nullptr || !value->IsString()) return std::nullopt;
  const std::string_view text = json_view(*value);
  if (text.empty() || text.size() > length_max || has_control_character(text)) return std::nullopt;
  return text;
}

}  // namespace

std::optional<CommandIdentity> identify_command(const rapidjson::Value& document) {
  if (!document.IsObject()) return std::nullopt;
  const auto command_id =
      readable_string(unique_member(document, "command_id"), kCommandIdLengthMax);
  const rapidjson::Value* tenant_id = unique_member(document, "tenant_id");
  if (!command_id || tenant_id == nullptr || !tenant_id->IsString() ||
      !is_uuid(json_view(*tenant_id))) {
    return std::nullopt;
  }
  CommandIdentity identity;
  identity.command_id = std::string(*command_id);
  identity.tenant_id = lower_ascii(json_view(*tenant_id));
  identity.type =
      std::string(readable_string(unique_member(document, "type"), kRefusedTypeLengthMax)
                      .value_or(kUnreadableCommandType));
  const rapidjson::Value* actor = unique_member(document, "actor");
  identity.actor = actor != nullptr && actor->IsString() && is_valid_actor(json_view(*actor))
                       ? std::string(json_view(*actor))
                       : std::string("system");
  if (auto correlation_id =
          readable_string(unique_member(document, "correlation_id"), kCorrelationIdLengthMax)) {
    identity.correlation_id = std::string(*correlation_id);
  }
  LF_ASSERT(is_uuid(identity.tenant_id) && !identity.type.empty() &&
            is_valid_actor(identity.actor));
  return identity;
}

CommandIdentity identity_of(const CommandEnvelope& command) {
  LF_ASSERT(is_uuid(command.tenant_id) && !command.command_id.empty());
  return CommandIdentity{command.command_id, command.tenant_id, command.type, command.actor,
                         command.correlation_id};
}

CommandEnvelope command_envelope(std::string command_id, std::string type, std::string tenant_id,
                                 std::string actor, int64_t issued_at_ms) {
  CommandEnvelope command;
  command.command_id = std::move(command_id);
  command.type = std::move(type);
  command.tenant_id = std::move(tenant_id);
  command.actor = std::move(actor);
  command.issued_at_ms = issued_at_ms;
  return command;
}

std::string encode_command(const CommandEnvelope& command, std::string_view payload_json) {
  LF_ASSERT(!payload_json.empty());
  JsonWriter writer;
  writer.begin_object();
  writer.field("command_id", command.command_id);
  writer.field("type", command.type);
  writer.field("tenant_id", command.tenant_id);
  writer.field("actor", command.actor);
  writer.timestamp_field("issued_at", command.issued_at_ms);
  writer.field("correlation_id", command.correlation_id);
  writer.field("expected_version", command.expected_version);
  writer.key("payload");
  writer.raw(payload_json);
  writer.end_object();
  return writer.str();
}

}  // namespace lf
