// Commit records (ledgerflow.events): encoding, and decoding with the
// checks of a record read from the topic and the upcast of old events. The
// format is described at the top of envelope.cpp.
#include "events/envelope.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include "events/envelope_fields.hpp"
#include "events/time.hpp"
#include "events/ulid.hpp"

namespace lf {

using namespace envelope_fields;

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
  // This runs for every record: the writer and its buffer are reused (the
  // function calls no other encoder while it writes).
  thread_local JsonWriter writer;
  writer.reuse();
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

}  // namespace lf
