// The wire contract (DESIGN.md "Wire contract"): command envelopes, event
// envelopes, commit records on ledgerflow.events, and results. Encoding and
// decoding here check envelope-level rules; payloads are checked against the
// JSON Schemas by events/schema_registry.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "events/json.hpp"
#include "events/result.hpp"
#include "events/upcast.hpp"

namespace lf {

// ---- commands --------------------------------------------------------------

constexpr std::size_t kCommandIdLengthMax = 128;

struct CommandEnvelope {
  std::string command_id;  // 1..128 chars, chosen by the producer
  std::string type;        // e.g. "credits.reserve"
  std::string tenant_id;   // canonical lower-case UUID
  std::string actor;       // system | user:<id> | agent:<role> | admin:<id> | support:<id>
  int64_t issued_at_ms = 0;
  std::optional<std::string> correlation_id;
  std::optional<int64_t> expected_version;
  // Points into the document the envelope was decoded from (null when the
  // envelope was built in code); always an object when decoded.
  const rapidjson::Value* payload = nullptr;
};

// Checks presence, types and formats of the envelope fields (not the
// payload's contents). Error code: "invalid_envelope", message names the field.
Result<CommandEnvelope> decode_command(const rapidjson::Value& document);

// A command envelope as a producer fills it in before encoding it: the
// fields every command has, correlation_id and expected_version unset (set
// them on the result where wanted), no payload (encode_command writes it).
CommandEnvelope command_envelope(std::string command_id, std::string type, std::string tenant_id,
                                 std::string actor, int64_t issued_at_ms);

// A command as JSON text, with `payload_json` (an object) as its payload.
std::string encode_command(const CommandEnvelope& command, std::string_view payload_json);

bool is_uuid(std::string_view text);  // 8-4-4-4-12 hex, either case
bool is_valid_actor(std::string_view actor);

// ---- refused commands --------------------------------------------------------

// The command_type of a command.rejected event (and the absent type of its
// result) when the command's "type" is missing or not a readable string.
inline constexpr std::string_view kUnreadableCommandType = "unknown";
// A readable type is kept as sent (even one no domain knows), at most this long.
constexpr std::size_t kRefusedTypeLengthMax = 128;

// Who sent a command the intake refuses (bad envelope, key, type or payload)
// and what it asked, as far as it can be read: enough for a rejected result
// and a command.rejected event in the tenant's partition.
struct CommandIdentity {
  std::string command_id;                     // a valid command_id (1..128 bytes)
  std::string tenant_id;                      // a valid tenant_id, lower-cased
  std::string type;                           // as sent if readable, else kUnreadableCommandType
  std::string actor;                          // as sent if valid, else "system"
  std::optional<std::string> correlation_id;  // as sent if valid
};

// The identity of a command whose envelope may break every rule but these
// two: "tenant_id" a UUID and "command_id" 1..128 bytes without control
// characters, each present once at the top level (a document parsed
// without_input_checks may hold a key twice). nullopt otherwise: nothing to
// address a result to.
std::optional<CommandIdentity> identify_command(const rapidjson::Value& document);
// The identity of a command whose envelope is valid.
CommandIdentity identity_of(const CommandEnvelope& command);

// ---- events and commit records ---------------------------------------------

struct EventHeader {
  std::string event_id;  // ULID
  std::string type;      // e.g. "credits.reserved"
  int32_t schema_version = 1;
  std::string tenant_id;
  std::string stream;          // e.g. "credits/<tenant>"
  int64_t stream_version = 0;  // from 1, no gaps, per stream
  std::string command_id;
  std::optional<std::string> correlation_id;
  std::string actor;
  int64_t occurred_at_ms = 0;
};

struct OutgoingEvent {
  EventHeader header;
  std::string payload_json;  // a JSON object
};

struct SourcePosition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

// One decision: every event of one accepted command (or its single
// command.rejected event, or one timer firing) in one Kafka message.
struct CommitRecordHeader {
  std::string tenant_id;
  std::string command_id;
  int64_t seq = 0;                       // 1, 2, 3... per partition of ledgerflow.events
  std::string record_id;                 // ULID naming this record
  std::string prev_record_id;            // record_id of the record at seq-1; "" when seq == 1
  std::string writer;                    // the engine instance that decided it
  std::optional<SourcePosition> source;  // the command's position; none for timers
};

std::string encode_commit_record(const CommitRecordHeader& header,
                                 std::span<const OutgoingEvent> events);

// An event as readers see it. Decoding upcasts (events/upcast.hpp): an event
// written at an older schema_version of its type is read at the current
// one, so `header.schema_version` and `payload` are current while `object`
// and `written_schema_version` keep what the log holds.
struct DecodedEvent {
  EventHeader header;                         // schema_version: that of `payload`
  const rapidjson::Value* payload = nullptr;  // the payload object, at header.schema_version
  // The whole event envelope exactly as written in the log (its payload is
  // never upcast: archives such as event_log keep it); null for an event the
  // engine applies from its own payloads before encoding them.
  const rapidjson::Value* object = nullptr;
  int32_t written_schema_version = 1;  // the schema_version in the log
  // current or upcast: readable; newer_version (a newer binary wrote it) or
  // unknown_type: `payload` is as written, and the reader's policy decides.
  UpcastOutcome schema = UpcastOutcome::current;
  bool readable() const { return is_readable(schema); }
};

struct DecodedRecord {
  std::unique_ptr<rapidjson::Document> document;  // owns what the pointers point to
  CommitRecordHeader header;
  std::vector<DecodedEvent> events;  // at least one
  // Upcast copies of old payloads (allocated in `document`'s allocator);
  // heap cells so the events' pointers survive moves of the record.
  std::vector<std::unique_ptr<rapidjson::Value>> upcast_payloads;
};

// Error codes: those of parse_json_bounded, and "invalid_record" (message
// names the field). `limits` bounds size and depth; the checks on producer
// input (JsonLimits::unique_keys, exact_numbers) are off: the log is read
// as any earlier engine wrote it. Every event comes out upcast to its type's current
// version where it has an older one (see DecodedEvent); an event of a newer
// version or an unknown type is decoded as written and flagged, never an
// error, so the record still holds its seq in the chain.
Result<DecodedRecord> decode_commit_record(std::string_view bytes, const JsonLimits& limits);
// The same checks on a record this process has just encoded itself (its
// bytes need no size, depth or encoding checks).
Result<DecodedRecord> decode_own_commit_record(std::string_view bytes);

// ---- results ---------------------------------------------------------------

enum class ResultStatus { accepted, rejected, duplicate };
std::string_view to_string(ResultStatus status);

// What ledgerflow.results carries for one command (DESIGN.md "A result
// carries"): the outgoing counterpart of CommandEnvelope. Not to be confused
// with Result<T> (events/result.hpp), a value or an error.
struct ResultEnvelope {
  std::string command_id;
  std::string tenant_id;
  std::string type;  // the command's type, when known
  ResultStatus status = ResultStatus::accepted;
  std::string reason;                  // machine-readable, empty when accepted
  std::string message;                 // a human sentence
  std::vector<std::string> event_ids;  // events written (for duplicates: the original's)
  std::optional<int64_t> seq;          // the commit record's seq, when there is one
  std::optional<std::string> correlation_id;
};

std::string encode_result(const ResultEnvelope& result);
Result<ResultEnvelope> decode_result(std::string_view bytes);

}  // namespace lf
