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

#include "events/time.hpp"
#include "events/ulid.hpp"

namespace lf {
namespace {

constexpr std::size_t kTypeLengthMax = 64;
constexpr std::size_t kActorIdLengthMax = 128;
constexpr std::size_t kCorrelationIdLengthMax = 128;

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

bool is_lower_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}

// ^[a-z][a-z_]*(\.[a-z][a-z_]*)+$
bool is_valid_type(std::string_view type) {
  if (type.empty() || type.size() > kTypeLengthMax) return false;
  std::size_t segments = 0;
  std::size_t at = 0;
  while (true) {
    if (at >= type.size() || type[at] < 'a' || type[at] > 'z') return false;
    ++at;
    while (at < type.size() && is_lower_identifier_char(type[at])) ++at;
    ++segments;
    if (at == type.size()) break;
    if (type[at] != '.') return false;
    ++at;
  }
  return segments >= 2;
}

std::string lower_ascii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// ---- decoding helpers: each names the field it fails on -------------------

class FieldReader {
 public:
  FieldReader(const rapidjson::Value& object, std::string code, std::string context)
      : object_(object), code_(std::move(code)), context_(std::move(context)) {}

  // The error for `field` and what is wrong with it.
  Error error(std::string_view field, std::string_view problem) const {
    return make_error(code_, context_ + std::string(field) + " " + std::string(problem));
  }

  const rapidjson::Value* find(std::string_view field) const { return json_member(object_, field); }

  // A required string; on failure sets `failure` and returns nullopt.
  std::optional<std::string_view> string(std::string_view field,
                                         std::optional<Error>& failure) const {
    const rapidjson::Value* value = find(field);
    if (value == nullptr) {
      failure = error(field, "is missing");
      return std::nullopt;
    }
    if (!value->IsString()) {
      failure = error(field, "must be a string");
      return std::nullopt;
    }
    return json_view(*value);
  }

  std::optional<int64_t> int64(std::string_view field, std::optional<Error>& failure) const {
    const rapidjson::Value* value = find(field);
    if (value == nullptr) {
      failure = error(field, "is missing");
      return std::nullopt;
    }
    if (!value->IsInt64()) {
      failure = error(field, "must be an integer");
      return std::nullopt;
    }
    return value->GetInt64();
  }

  const rapidjson::Value* object(std::string_view field, std::optional<Error>& failure) const {
    const rapidjson::Value* value = find(field);
    if (value == nullptr) {
      failure = error(field, "is missing");
      return nullptr;
    }
    if (!value->IsObject()) {
      failure = error(field, "must be an object");
      return nullptr;
    }
    return value;
  }

  std::optional<int64_t> timestamp(std::string_view field, std::optional<Error>& failure) const {
    const auto text = string(field, failure);
    if (!text) return std::nullopt;
    const auto unix_ms = parse_rfc3339_ms(*text);
    if (!unix_ms) failure = error(field, "must be an RFC 3339 timestamp");
    return unix_ms;
  }

 private:
  const rapidjson::Value& object_;
  std::string code_;
  std::string context_;
};

// An identifier of 1..max bytes without control characters.
std::optional<std::string_view> bounded_id(const FieldReader& reader, std::string_view field,
                                           std::size_t length_max, std::optional<Error>& failure) {
  const auto text = reader.string(field, failure);
  if (!text) return std::nullopt;
  if (text->empty() || text->size() > length_max) {
    failure = reader.error(field, "must be 1.." + std::to_string(length_max) + " bytes long");
    return std::nullopt;
  }
  if (has_control_character(*text)) {
    failure = reader.error(field, "must not contain control characters");
    return std::nullopt;
  }
  return text;
}

#define LF_TRY_FIELD(target, expression) \
  do {                                   \
    auto value_ = (expression);          \
    if (failure) return *failure;        \
    target = std::move(*value_);         \
  } while (0)

}  // namespace

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

// ---- commit records ----------------------------------------------------------

namespace {

void write_event(JsonWriter& writer, const OutgoingEvent& event) {
  const EventHeader& header = event.header;
  writer.begin_object();
  writer.field("event_id", header.event_id);
  writer.field("type", header.type);
  writer.field("schema_version", header.schema_version);
  writer.field("tenant_id", header.tenant_id);
  writer.field("stream", header.stream);
  writer.field("stream_version", header.stream_version);
  writer.field("command_id", header.command_id);
  writer.field("correlation_id", header.correlation_id);
  writer.field("actor", header.actor);
  writer.timestamp_field("occurred_at", header.occurred_at_ms);
  writer.key("payload");
  writer.raw(event.payload_json);
  writer.end_object();
}

Result<DecodedEvent> decode_event(const rapidjson::Value& object, std::size_t index,
                                  std::string_view record_tenant_id) {
  const std::string context = "commit record events[" + std::to_string(index) + "].";
  if (!object.IsObject()) {
    return make_error("invalid_record",
                      "commit record events[" + std::to_string(index) + "] must be an object");
  }
  const FieldReader reader(object, "invalid_record", context);
  std::optional<Error> failure;
  DecodedEvent event;
  EventHeader& header = event.header;

  LF_TRY_FIELD(header.event_id, reader.string("event_id", failure));
  if (!is_ulid(header.event_id)) return reader.error("event_id", "must be a ULID");
  LF_TRY_FIELD(header.type, reader.string("type", failure));
  if (!is_valid_type(header.type)) return reader.error("type", "must be dotted lower-case words");
  int64_t schema_version = 0;
  LF_TRY_FIELD(schema_version, reader.int64("schema_version", failure));
  if (schema_version < 1 || schema_version > std::numeric_limits<int32_t>::max()) {
    return reader.error("schema_version", "must be a positive 32-bit integer");
  }
  header.schema_version = static_cast<int32_t>(schema_version);
  LF_TRY_FIELD(header.tenant_id, reader.string("tenant_id", failure));
  if (header.tenant_id != record_tenant_id) {
    return reader.error("tenant_id", "must equal the record's tenant_id");
  }
  LF_TRY_FIELD(header.stream, reader.string("stream", failure));
  if (header.stream.empty()) return reader.error("stream", "must not be empty");
  LF_TRY_FIELD(header.stream_version, reader.int64("stream_version", failure));
  if (header.stream_version < 1) return reader.error("stream_version", "must be at least 1");
  LF_TRY_FIELD(header.command_id, reader.string("command_id", failure));
  if (reader.find("correlation_id") != nullptr) {
    LF_TRY_FIELD(header.correlation_id, reader.string("correlation_id", failure));
  }
  LF_TRY_FIELD(header.actor, reader.string("actor", failure));
  LF_TRY_FIELD(header.occurred_at_ms, reader.timestamp("occurred_at", failure));
  event.payload = reader.object("payload", failure);
  if (failure) return *failure;
  event.object = &object;
  event.written_schema_version = header.schema_version;
  return event;
}

Result<SourcePosition> decode_source(const rapidjson::Value& object) {
  const FieldReader reader(object, "invalid_record", "commit record source.");
  std::optional<Error> failure;
  SourcePosition source;
  LF_TRY_FIELD(source.topic, reader.string("topic", failure));
  int64_t partition = 0;
  LF_TRY_FIELD(partition, reader.int64("partition", failure));
  if (partition < 0 || partition > std::numeric_limits<int32_t>::max()) {
    return reader.error("partition", "must be a non-negative 32-bit integer");
  }
  source.partition = static_cast<int32_t>(partition);
  LF_TRY_FIELD(source.offset, reader.int64("offset", failure));
  if (source.offset < 0) return reader.error("offset", "must not be negative");
  return source;
}

}  // namespace

std::string encode_commit_record(const CommitRecordHeader& header,
                                 std::span<const OutgoingEvent> events) {
  // What is written here is what every reader will decode: check it first.
  LF_ASSERT(header.seq >= 1);
  LF_ASSERT(is_ulid(header.record_id));
  LF_ASSERT(header.prev_record_id.empty() || is_ulid(header.prev_record_id));
  LF_ASSERT(!events.empty());
  JsonWriter writer;
  writer.begin_object();
  writer.field("tenant_id", header.tenant_id);
  writer.field("command_id", header.command_id);
  writer.field("seq", header.seq);
  writer.field("record_id", header.record_id);
  writer.field("prev_record_id", header.prev_record_id);
  writer.field("writer", header.writer);
  if (header.source) {
    writer.key("source");
    writer.begin_object();
    writer.field("topic", header.source->topic);
    writer.field("partition", header.source->partition);
    writer.field("offset", header.source->offset);
    writer.end_object();
  }
  writer.key("events");
  writer.begin_array();
  for (const OutgoingEvent& event : events) {
    LF_ASSERT(is_ulid(event.header.event_id));
    LF_ASSERT(event.header.tenant_id == header.tenant_id);
    LF_ASSERT(event.header.stream_version >= 1);
    LF_ASSERT(event.header.schema_version >= 1);
    LF_ASSERT(!event.payload_json.empty());
    write_event(writer, event);
  }
  writer.end_array();
  writer.end_object();
  return writer.str();
}

namespace {

Result<DecodedRecord> decode_record_document(Result<std::unique_ptr<rapidjson::Document>> parsed);

}  // namespace

Result<DecodedRecord> decode_commit_record(std::string_view bytes, const JsonLimits& limits) {
  // The log is read as written, by any binary before this one: the checks on
  // producer input (duplicate keys, exact numbers) would turn a record an
  // older engine accepted into a hole in the chain.
  return decode_record_document(parse_json_bounded(bytes, without_input_checks(limits)));
}

Result<DecodedRecord> decode_own_commit_record(std::string_view bytes) {
  return decode_record_document(parse_json_trusted(bytes));
}

namespace {

// Brings an event written at an older version of its type to the current
// one: the payload is copied (in the record's allocator) and the copy upcast,
// so the envelope object stays exactly as written.
void upcast_event(DecodedRecord& record, DecodedEvent& event) {
  const UpcasterRegistry& upcasters = UpcasterRegistry::embedded();
  event.written_schema_version = event.header.schema_version;
  event.schema = upcasters.classify(event.header.type, event.header.schema_version);
  if (event.schema != UpcastOutcome::upcast) return;
  JsonAllocator& allocator = record.document->GetAllocator();
  auto payload = std::make_unique<rapidjson::Value>(*event.payload, allocator);
  event.schema =
      upcasters.upcast(event.header.type, event.header.schema_version, *payload, allocator);
  LF_ASSERT(event.schema == UpcastOutcome::upcast &&
            event.header.schema_version > event.written_schema_version);
  event.payload = payload.get();
  record.upcast_payloads.push_back(std::move(payload));
}

Result<DecodedRecord> decode_record_document(Result<std::unique_ptr<rapidjson::Document>> parsed) {
  if (!parsed) return parsed.error();
  DecodedRecord record;
  record.document = std::move(parsed.value());
  const rapidjson::Value& root = *record.document;
  if (!root.IsObject())
    return make_error("invalid_record", "a commit record must be a JSON object");

  const FieldReader reader(root, "invalid_record", "commit record ");
  std::optional<Error> failure;
  CommitRecordHeader& header = record.header;
  LF_TRY_FIELD(header.tenant_id, reader.string("tenant_id", failure));
  if (header.tenant_id.empty()) return reader.error("tenant_id", "must not be empty");
  LF_TRY_FIELD(header.command_id, reader.string("command_id", failure));
  LF_TRY_FIELD(header.seq, reader.int64("seq", failure));
  if (header.seq < 1) return reader.error("seq", "must be at least 1");
  LF_TRY_FIELD(header.record_id, reader.string("record_id", failure));
  if (!is_ulid(header.record_id)) return reader.error("record_id", "must be a ULID");
  LF_TRY_FIELD(header.prev_record_id, reader.string("prev_record_id", failure));
  if (!header.prev_record_id.empty() && !is_ulid(header.prev_record_id)) {
    return reader.error("prev_record_id", "must be a ULID or empty");
  }
  LF_TRY_FIELD(header.writer, reader.string("writer", failure));
  if (reader.find("source") != nullptr) {
    const rapidjson::Value* source = reader.object("source", failure);
    if (failure) return *failure;
    auto decoded_source = decode_source(*source);
    if (!decoded_source) return decoded_source.error();
    header.source = std::move(decoded_source.value());
  }

  const rapidjson::Value* events = reader.find("events");
  if (events == nullptr) return reader.error("events", "is missing");
  if (!events->IsArray()) return reader.error("events", "must be an array");
  if (events->Empty()) return reader.error("events", "must hold at least one event");
  record.events.reserve(events->Size());
  for (rapidjson::SizeType i = 0; i < events->Size(); ++i) {
    auto event = decode_event((*events)[i], i, header.tenant_id);
    if (!event) return event.error();
    record.events.push_back(std::move(event.value()));
    upcast_event(record, record.events.back());
  }
  // The pointers point into the heap-allocated document, so they stay valid
  // when the record moves.
  LF_ASSERT(!record.events.empty() && record.events.front().payload != nullptr);
  return record;
}

}  // namespace

// ---- results -----------------------------------------------------------------

std::string_view to_string(ResultStatus status) {
  switch (status) {
    case ResultStatus::accepted:
      return "accepted";
    case ResultStatus::rejected:
      return "rejected";
    case ResultStatus::duplicate:
      return "duplicate";
  }
  LF_ASSERT_MSG(false, "unknown ResultStatus");
  return "unknown";
}

std::string encode_result(const CommandResult& result) {
  JsonWriter writer;
  writer.begin_object();
  writer.field("command_id", result.command_id);
  writer.field("tenant_id", result.tenant_id);
  if (!result.type.empty()) writer.field("type", result.type);
  writer.field("status", to_string(result.status));
  if (!result.reason.empty()) writer.field("reason", result.reason);
  writer.field("message", result.message);
  writer.key("event_ids");
  writer.begin_array();
  for (const std::string& event_id : result.event_ids) writer.string(event_id);
  writer.end_array();
  writer.field("seq", result.seq);
  writer.field("correlation_id", result.correlation_id);
  writer.end_object();
  return writer.str();
}

Result<CommandResult> decode_result(std::string_view bytes) {
  auto parsed = parse_json_bounded(bytes, JsonLimits{});
  if (!parsed) return parsed.error();
  const rapidjson::Value& root = **parsed;
  if (!root.IsObject()) return make_error("invalid_result", "a result must be a JSON object");

  const FieldReader reader(root, "invalid_result", "result ");
  std::optional<Error> failure;
  CommandResult result;
  LF_TRY_FIELD(result.command_id, reader.string("command_id", failure));
  LF_TRY_FIELD(result.tenant_id, reader.string("tenant_id", failure));
  if (reader.find("type") != nullptr) LF_TRY_FIELD(result.type, reader.string("type", failure));

  std::string_view status;
  LF_TRY_FIELD(status, reader.string("status", failure));
  if (status == "accepted") {
    result.status = ResultStatus::accepted;
  } else if (status == "rejected") {
    result.status = ResultStatus::rejected;
  } else if (status == "duplicate") {
    result.status = ResultStatus::duplicate;
  } else {
    return reader.error("status", "must be accepted, rejected or duplicate");
  }
  if (reader.find("reason") != nullptr)
    LF_TRY_FIELD(result.reason, reader.string("reason", failure));
  LF_TRY_FIELD(result.message, reader.string("message", failure));

  const rapidjson::Value* event_ids = reader.find("event_ids");
  if (event_ids == nullptr) return reader.error("event_ids", "is missing");
  if (!event_ids->IsArray()) return reader.error("event_ids", "must be an array");
  for (const rapidjson::Value& event_id : event_ids->GetArray()) {
    if (!event_id.IsString()) return reader.error("event_ids", "must hold only strings");
    result.event_ids.emplace_back(json_view(event_id));
  }
  if (reader.find("seq") != nullptr) {
    int64_t seq = 0;
    LF_TRY_FIELD(seq, reader.int64("seq", failure));
    if (seq < 1) return reader.error("seq", "must be at least 1");
    result.seq = seq;
  }
  if (reader.find("correlation_id") != nullptr) {
    LF_TRY_FIELD(result.correlation_id, reader.string("correlation_id", failure));
  }
  return result;
}

}  // namespace lf
