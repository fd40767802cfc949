// record_fuzz: what every reader of ledgerflow.events does with a message:
// decode_commit_record (bounded parse, header and event envelopes, upcasting
// of old event versions: events/upcast*.cpp), then the pure projections'
// mapping of each decoded event to row changes (projections/). The input is
// one message value.
//
// The log is trusted for payload contents: the engine validates what it
// writes, and evolve() and the projections assert on a payload that breaks
// its schema rather than guess (engine/workflow/codec.hpp). So decoding must
// survive any bytes (an error the projector dead-letters, never a crash);
// the mapping is driven only with records whose every payload passes its
// event schema, which is what a reader can meet in a log ledgerflow wrote.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/partition.hpp"
#include "events/envelope.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "events/upcast.hpp"
#include "fuzz/batch_check.hpp"
#include "fuzz/check.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace {

using lf::DecodedEvent;
using lf::DecodedRecord;
using lf::fuzz::as_text;

const lf::JsonLimits& record_limits() {
  static const lf::JsonLimits limits = lf::engine::PartitionOptions{}.record_limits;
  return limits;
}

const std::vector<std::unique_ptr<lf::projections::Projection>>& projections() {
  static const auto all = lf::projections::all_projections();
  return all;
}

bool is_decode_error_code(std::string_view code) {
  return code == "invalid_record" || code == "empty" || code == "too_large" || code == "too_deep" ||
         code == "invalid_utf8" || code == "invalid_json";
}

// What decoding promises about each event (events/envelope.hpp).
void check_event(const DecodedRecord& record, const DecodedEvent& event) {
  const lf::UpcasterRegistry& upcasters = lf::UpcasterRegistry::embedded();
  LF_FUZZ_CHECK(event.header.tenant_id == record.header.tenant_id, event.header.tenant_id);
  LF_FUZZ_CHECK(event.payload != nullptr && event.payload->IsObject(), event.header.type);
  LF_FUZZ_CHECK(event.object != nullptr && event.object->IsObject(), event.header.type);
  LF_FUZZ_CHECK(event.header.stream_version >= 1 && event.written_schema_version >= 1,
                event.header.type);
  const lf::UpcastOutcome outcome =
      upcasters.classify(event.header.type, event.written_schema_version);
  LF_FUZZ_CHECK(event.schema == outcome, std::string(lf::to_string(event.schema)));
  if (event.readable()) {
    LF_FUZZ_CHECK(
        event.header.schema_version == *upcasters.current_version(event.header.type),
        event.header.type + " read at version " + std::to_string(event.header.schema_version));
  } else {
    LF_FUZZ_CHECK(event.header.schema_version == event.written_schema_version, event.header.type);
  }
}

// The payload as the log holds it (the envelope's own, never upcast).
const rapidjson::Value& written_payload(const DecodedEvent& event) {
  const rapidjson::Value* payload = lf::json_member(*event.object, "payload");
  LF_FUZZ_CHECK(payload != nullptr && payload->IsObject(), event.header.type);
  return *payload;
}

// Whether `object` holds a period (period_start, period_end) that the
// credits upcasters cannot convert: not two RFC 3339 instants, the end after
// the start. The v1 schemas' pattern admits such periods ("2026-13-45T99:00:00Z",
// an end before the start), no v1 engine wrote one, and the upcaster leaves
// them as they are (events/upcasters_credits.cpp), so they fail v2's schema.
bool unconvertible_period(const rapidjson::Value* object) {
  if (object == nullptr || !object->IsObject()) return false;
  const std::optional<std::string_view> start = lf::json_string(*object, "period_start");
  const std::optional<std::string_view> end = lf::json_string(*object, "period_end");
  if (!start && !end) return false;
  const std::optional<int64_t> start_ms = lf::parse_rfc3339_ms(start.value_or(""));
  const std::optional<int64_t> end_ms = lf::parse_rfc3339_ms(end.value_or(""));
  return !start_ms || !end_ms || *end_ms <= *start_ms;
}

bool upcast_exempt(const DecodedEvent& event) {
  if (!event.header.type.starts_with("credits.") || event.written_schema_version != 1) return false;
  const rapidjson::Value& payload = written_payload(event);
  return unconvertible_period(&payload) ||
         unconvertible_period(lf::json_member(payload, "balance"));
}

// Whether every readable event's payload passes the schema of the version it
// was written at. When it does, upcasting must give a payload that passes
// the current version's schema: an upcaster's whole promise.
bool payloads_valid(const DecodedRecord& record) {
  const lf::SchemaRegistry& schemas = lf::SchemaRegistry::embedded();
  for (const DecodedEvent& event : record.events) {
    if (!event.readable()) continue;
    if (schemas.validate_event_payload(event.header.type, event.written_schema_version,
                                       written_payload(event))) {
      return false;
    }
  }
  for (const DecodedEvent& event : record.events) {
    if (!event.readable()) continue;
    const std::optional<std::string> problem = schemas.validate_event_payload(
        event.header.type, event.header.schema_version, *event.payload);
    if (problem && upcast_exempt(event)) return false;
    LF_FUZZ_CHECK(!problem, event.header.type + " upcast from version " +
                                std::to_string(event.written_schema_version) + ": " +
                                problem.value_or(""));
  }
  return true;
}

// Encoding what was decoded (payloads as written) and decoding that again
// gives the same record: decoding is a function of the log alone.
void check_reencoding(const DecodedRecord& record) {
  std::vector<lf::OutgoingEvent> events;
  for (const DecodedEvent& event : record.events) {
    lf::EventHeader header = event.header;
    header.schema_version = event.written_schema_version;
    events.push_back(
        lf::OutgoingEvent{std::move(header), lf::json_to_string(written_payload(event))});
  }
  const std::string bytes = lf::encode_commit_record(record.header, events);
  lf::Result<DecodedRecord> again = lf::decode_commit_record(bytes, record_limits());
  LF_FUZZ_CHECK(again.ok(), again.error().message + " in " + bytes);
  const lf::CommitRecordHeader& a = record.header;
  const lf::CommitRecordHeader& b = again->header;
  LF_FUZZ_CHECK(a.tenant_id == b.tenant_id && a.command_id == b.command_id && a.seq == b.seq &&
                    a.record_id == b.record_id && a.prev_record_id == b.prev_record_id &&
                    a.writer == b.writer && a.source.has_value() == b.source.has_value(),
                bytes);
  if (a.source) {
    LF_FUZZ_CHECK(a.source->topic == b.source->topic &&
                      a.source->partition == b.source->partition &&
                      a.source->offset == b.source->offset,
                  bytes);
  }
  LF_FUZZ_CHECK(again->events.size() == record.events.size(), bytes);
  for (std::size_t i = 0; i < record.events.size(); ++i) {
    const DecodedEvent& x = record.events[i];
    const DecodedEvent& y = again->events[i];
    LF_FUZZ_CHECK(x.header.event_id == y.header.event_id && x.header.type == y.header.type &&
                      x.header.schema_version == y.header.schema_version &&
                      x.written_schema_version == y.written_schema_version &&
                      x.header.stream == y.header.stream &&
                      x.header.stream_version == y.header.stream_version &&
                      x.header.command_id == y.header.command_id &&
                      x.header.correlation_id == y.header.correlation_id &&
                      x.header.actor == y.header.actor &&
                      x.header.occurred_at_ms == y.header.occurred_at_ms && x.schema == y.schema,
                  bytes);
    LF_FUZZ_CHECK(lf::json_to_string(*x.payload) == lf::json_to_string(*y.payload),
                  x.header.type + ": " + lf::json_to_string(*x.payload) + " became " +
                      lf::json_to_string(*y.payload));
  }
}

// The projections' mapping of each readable event, the unknown-event policy
// asked for the others (the runtime holds those back). One event at a time,
// each into a batch of its own: a record that inserts one key twice (two
// events with one event_id, one activity created twice) is no record an
// engine writes, and RowBatch stops on it by design; the mapping of whole
// records as the engine writes them is command_fuzz's.
void project(const DecodedRecord& record) {
  for (const auto& projection : projections()) {
    for (std::size_t i = 0; i < record.events.size(); ++i) {
      if (!record.events[i].readable()) {
        (void)projection->unknown_event_policy(record.events[i].header.type);
        continue;
      }
      const lf::projections::RecordSubset one(record, {static_cast<int32_t>(i)});
      lf::projections::RowBatch batch;
      projection->apply(one.at(0, 0), batch);
      lf::fuzz::check_batch(batch, projection->name());
    }
  }
  // The result a reader derives for the record's command.
  const lf::ResultEnvelope result = lf::engine::PartitionCore::result_of(record, "");
  LF_FUZZ_CHECK(result.event_ids.size() == record.events.size(), result.command_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  lf::Result<DecodedRecord> record = lf::decode_commit_record(as_text(data, size), record_limits());
  if (!record) {
    LF_FUZZ_CHECK(is_decode_error_code(record.error().code), record.error().code);
    LF_FUZZ_CHECK(!record.error().message.empty(), record.error().code);
    return 0;
  }
  LF_FUZZ_CHECK(!record->events.empty(), record->header.command_id);
  for (const DecodedEvent& event : record->events) check_event(*record, event);
  check_reencoding(*record);
  if (payloads_valid(*record)) project(*record);
  return 0;
}
