// Deciding and evolving import.audit_logs chunks (import_audit.hpp,
// docs/migrating.md "audit_logs"): each row read as the live audit.record
// payload is, occurred_at required and not in the future; the rows are
// history, so nothing but the import's progress changes.
#include "engine/workflow/import_audit.hpp"

#include <variant>

#include "engine/credits/import_codec.hpp"
#include "engine/credits/import_reader.hpp"
#include "engine/credits/import_sequence.hpp"
#include "engine/workflow/codec.hpp"
#include "engine/workflow/commands.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

namespace why = credits::import_reason;

// As a live record's occurred_at may lead the engine's clock (clock skew).
constexpr int64_t kOccurredAtAheadMaxMs = kClockSkewMaxMs;

credits::ImportHeader header_of(const AuditLogsChunk& chunk) {
  return credits::ImportHeader{chunk.import_id, chunk.chunk, chunk.chunks, chunk.append,
                               chunk.source};
}

std::optional<Rejection> decide_on(StreamImports& imports, int64_t audit_stream_version,
                                   const AuditLogsChunk& chunk, int64_t now_ms) {
  const credits::ImportHeader header = header_of(chunk);
  if (std::optional<Rejection> refused = credits::refuse_import_sequence(
          imports.by_kind, imports.events, audit_stream_version, header, kAuditLogsKind, "audit"))
    return refused;
  for (const ImportedAuditRow& row : chunk.rows) {
    LF_ASSERT(row.row.occurred_at_ms.has_value());
    if (*row.row.occurred_at_ms > now_ms + kOccurredAtAheadMaxMs) {
      return Rejection{"invalid_occurred_at",
                       chunk.source.file + ":" + std::to_string(row.line) + ": occurred_at " +
                           format_rfc3339_ms(*row.row.occurred_at_ms) +
                           " is after the engine's clock (" + format_rfc3339_ms(now_ms) + ")"};
    }
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kAuditLogsKind);
  return std::nullopt;
}

std::string encode_imported(const AuditLogsChunk& chunk) {
  JsonWriter w;
  w.begin_object();
  w.field("kind", kAuditLogsKind);
  credits::write_import_header(w, header_of(chunk));
  w.key("rows");
  w.begin_array();
  for (const ImportedAuditRow& row : chunk.rows) {
    w.begin_object();
    w.field("line", row.line);
    w.key("record");  // as an audit.recorded payload
    w.raw(encode_event_payload(Event{row.row}));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace

namespace {

// One row: {line, record} with the record an audit.record payload that has its time.
Result<ImportedAuditRow> parse_row(const rapidjson::Value& item, const std::string&) {
  const std::optional<int64_t> line = item.IsObject() ? json_int64(item, "line") : std::nullopt;
  const rapidjson::Value* record = item.IsObject() ? json_member(item, "record") : nullptr;
  if (!line || *line < 1 || *line > credits::kLineMax || record == nullptr)
    return make_error(why::kInvalidRow, "every row is an object with its line and record");
  Result<Command> parsed = parse_command("audit.record", record);
  if (!parsed) {
    return make_error(why::kInvalidRow, "line " + std::to_string(*line) + ": " +
                                            parsed.error().code + ": " + parsed.error().message);
  }
  AuditRecorded row = std::get<RecordAudit>(std::move(parsed).value()).row;
  if (!row.occurred_at_ms) {
    return make_error(why::kInvalidRow,
                      "line " + std::to_string(*line) +
                          ": an imported audit row needs its time (occurred_at, timestamp or "
                          "created_at)");
  }
  return ImportedAuditRow{*line, std::move(row)};
}

}  // namespace

Result<AuditLogsChunk> parse_audit_logs_chunk(const rapidjson::Value* payload) {
  return credits::read_chunk_rows<AuditLogsChunk>(payload, "audit rows", &parse_row);
}

Decision decide_audit_logs_chunk(const StreamImports& imports, int64_t audit_stream_version,
                                 const AuditLogsChunk& chunk, const std::string& stream,
                                 int64_t now_ms) {
  StreamImports scratch = imports;
  return credits::chunk_decision(decide_on(scratch, audit_stream_version, chunk, now_ms),
                                 kAuditLogsImportedEvent, stream,
                                 [&] { return encode_imported(chunk); });
}

void evolve_audit_logs_imported(StreamImports& imports, const rapidjson::Value& payload) {
  std::optional<Error> error;
  credits::ImportReader in(error);
  credits::ImportHeader header;
  credits::read_import_header(in, payload, header);
  LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
  const rapidjson::Value* rows = json_member(payload, "rows");
  LF_ASSERT_MSG(rows != nullptr && rows->IsArray() && !rows->Empty(),
                "audit.logs_imported carries rows");
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kAuditLogsKind);
}

std::optional<Rejection> precheck_audit_logs_chunks(const std::vector<AuditLogsChunk>& chunks,
                                                    int64_t now_ms) {
  StreamImports imports;
  int64_t version = 0;
  for (const AuditLogsChunk& chunk : chunks) {
    if (std::optional<Rejection> refused = decide_on(imports, version, chunk, now_ms))
      return refused;
    ++version;  // the chunk's one event
  }
  return std::nullopt;
}

}  // namespace lf::engine::workflow
