// The import.credit_ledger payload and the credits.ledger_imported payload
// as JSON (schemas/commands/import.credit_ledger.json,
// schemas/events/credits.ledger_imported.json), and back.
#include "engine/credits/import_codec.hpp"

#include <array>
#include <utility>

#include "engine/credits/import_reader.hpp"
#include "engine/names.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

constexpr std::array<std::pair<EntryType, std::string_view>, 8> kEntryTypes{{
    {EntryType::allocated, "allocated"},
    {EntryType::topup, "topup"},
    {EntryType::reserved, "reserved"},
    {EntryType::consumed, "consumed"},
    {EntryType::released, "released"},
    {EntryType::refunded, "refunded"},
    {EntryType::adjusted, "adjusted"},
    {EntryType::expired, "expired"},
}};

LedgerEntry read_entry(ImportReader& in, const rapidjson::Value& row) {
  LedgerEntry entry;
  entry.line = in.integer(row, "line", 1, kLineMax);
  in.at_line(entry.line);
  entry.source_id = in.optional_text(row, "id", kIdLengthMax);
  const std::optional<std::string> type = in.optional_text(row, "type", 16);
  if (!type) {
    in.fail("type is required");
  } else if (const std::optional<EntryType> parsed = parse_entry_type(*type)) {
    entry.type = *parsed;
  } else {
    in.fail(
        "type " + *type +
        " is none of allocated, topup, reserved, consumed, released, refunded, adjusted, expired");
  }
  entry.credits = in.integer(row, "credits", -kCreditsPerCommandMax, kCreditsPerCommandMax);
  entry.balance_after =
      in.integer(row, "balance_after", -kCreditsAvailableAbsoluteMax, kCreditsAvailableAbsoluteMax);
  entry.created_at_ms = in.timestamp(row, "created_at");
  // Its hold is named "import:<activity_run_id>", an id of at most 128.
  entry.activity_run_id =
      in.optional_text(row, "activity_run_id", kIdLengthMax - kImportedReservationPrefix.size());
  entry.deliverable_type = in.optional_text(row, "deliverable_type", kIdLengthMax);
  entry.topup_order_id = in.optional_text(row, "topup_order_id", kIdLengthMax);
  entry.actor = in.optional_text(row, "actor", kIdLengthMax);
  entry.note = in.optional_text(row, "note", kNoteLengthMax, 0);
  in.at_line(0);
  return entry;
}

void write_entry_fields(JsonWriter& writer, const LedgerEntry& entry) {
  writer.field("line", entry.line);
  writer.field("id", entry.source_id);
  writer.field("type", to_string(entry.type));
  writer.field("credits", entry.credits);
  writer.field("balance_after", entry.balance_after);
  writer.timestamp_field("created_at", entry.created_at_ms);
  writer.field("activity_run_id", entry.activity_run_id);
  writer.field("deliverable_type", entry.deliverable_type);
  writer.field("topup_order_id", entry.topup_order_id);
  writer.field("actor", entry.actor);
  writer.field("note", entry.note);
}

void write_source(JsonWriter& writer, const ImportSource& source) {
  writer.key("source");
  writer.begin_object();
  writer.field("file", source.file);
  writer.field("first_line", source.first_line);
  writer.field("last_line", source.last_line);
  writer.end_object();
}

void write_expected(JsonWriter& writer, const ExpectedBalance& expected) {
  writer.key("expected_balance");
  writer.begin_object();
  writer.field("credits_monthly", expected.credits_monthly);
  writer.field("credits_available", expected.credits_available);
  writer.field("credits_reserved", expected.credits_reserved);
  writer.field("credits_consumed", expected.credits_consumed);
  writer.field("credits_topup", expected.credits_topup);
  if (expected.period_start_day)
    writer.field("period_start", format_date_days(*expected.period_start_day));
  if (expected.period_end_day)
    writer.field("period_end", format_date_days(*expected.period_end_day));
  writer.end_object();
}

ExpectedBalance read_expected(ImportReader& in, const rapidjson::Value& object) {
  constexpr int64_t kMax = kCreditsAvailableAbsoluteMax;
  ExpectedBalance expected;
  expected.credits_monthly = in.integer(object, "credits_monthly", 0, kMax);
  expected.credits_available = in.integer(object, "credits_available", 0, kMax);
  expected.credits_reserved = in.integer(object, "credits_reserved", 0, kMax);
  expected.credits_consumed = in.integer(object, "credits_consumed", 0, kMax);
  expected.credits_topup = in.integer(object, "credits_topup", 0, kMax);
  expected.period_start_day = in.optional_date(object, "period_start");
  expected.period_end_day = in.optional_date(object, "period_end");
  return expected;
}

ImportHeader header_of(const LedgerChunk& chunk) {
  return ImportHeader{chunk.import_id, chunk.chunk, chunk.chunks, chunk.append, chunk.source};
}

}  // namespace

// The chunk's header fields, shared by the command and the event.
void read_import_header(ImportReader& in, const rapidjson::Value& payload, ImportHeader& header) {
  header.import_id = in.text(payload, "import_id", kImportIdLength);
  if (!header.import_id.empty() && header.import_id.size() != kImportIdLength) {
    in.fail("import_id must be 64 hex digits");
  }
  header.chunks = in.integer(payload, "chunks", 1, kImportChunksMax);
  header.chunk = in.integer(payload, "chunk", 0, kImportChunksMax - 1);
  if (!in.failed() && header.chunk >= header.chunks) in.fail("chunk must be below chunks");
  const std::optional<bool> append = json_bool(payload, "append");
  if (json_member(payload, "append") != nullptr && !append) in.fail("append must be a boolean");
  header.append = append.value_or(false);
  if (const rapidjson::Value* source = in.object(payload, "source", true)) {
    header.source.file = in.text(*source, "file", kFileLengthMax);
    header.source.first_line = in.integer(*source, "first_line", 1, kLineMax);
    header.source.last_line = in.integer(*source, "last_line", 1, kLineMax);
  }
}

void write_import_header(JsonWriter& writer, const ImportHeader& header) {
  writer.field("import_id", header.import_id);
  writer.field("chunk", header.chunk);
  writer.field("chunks", header.chunks);
  writer.field("append", header.append);
  write_source(writer, header.source);
}

std::string_view to_string(EntryType type) {
  return name_in(kEntryTypes, type);
}

std::optional<EntryType> parse_entry_type(std::string_view text) {
  return parse_in(kEntryTypes, text);
}

void write_ledger_row(JsonWriter& writer, const LedgerEntry& entry) {
  writer.begin_object();
  write_entry_fields(writer, entry);
  writer.end_object();
}

std::string encode_ledger_chunk(const LedgerChunk& chunk) {
  JsonWriter writer;
  writer.begin_object();
  write_import_header(writer, header_of(chunk));
  writer.key("rows");
  writer.begin_array();
  for (const LedgerEntry& entry : chunk.rows) write_ledger_row(writer, entry);
  writer.end_array();
  if (chunk.expected_balance) write_expected(writer, *chunk.expected_balance);
  writer.end_object();
  return writer.str();
}

Result<LedgerChunk> parse_ledger_chunk(const rapidjson::Value* payload) {
  if (payload == nullptr || !payload->IsObject())
    return make_error("invalid_payload", "the payload is not an object");
  std::optional<Error> error;
  ImportReader in(error);
  ImportHeader header;
  read_import_header(in, *payload, header);
  LedgerChunk chunk{header.import_id, header.chunk, header.chunks, header.append,
                    header.source,    {},           std::nullopt};
  const rapidjson::Value* rows = json_member(*payload, "rows");
  if (rows == nullptr || !rows->IsArray() || rows->Empty() || rows->Size() > kImportChunkRowsMax) {
    in.fail("rows must be an array of 1 to " + std::to_string(kImportChunkRowsMax) + " rows");
  } else {
    chunk.rows.reserve(rows->Size());
    for (const rapidjson::Value& row : rows->GetArray()) {
      if (!row.IsObject()) {
        in.fail("every row is an object");
        break;
      }
      chunk.rows.push_back(read_entry(in, row));
      if (in.failed()) break;
    }
  }
  if (const rapidjson::Value* expected = in.object(*payload, "expected_balance", false)) {
    chunk.expected_balance = read_expected(in, *expected);
  }
  if (!in.failed() && chunk.expected_balance && chunk.chunk + 1 != chunk.chunks) {
    in.fail("only the last chunk carries expected_balance");
  }
  if (error) return *error;
  return chunk;
}

std::string encode_ledger_imported(const ImportedChunk& imported, const Balance& balance) {
  JsonWriter writer;
  writer.begin_object();
  writer.field("kind", kLedgerKind);
  write_import_header(writer, imported.header);
  int64_t credits = 0;
  writer.key("entries");
  writer.begin_array();
  for (const LedgerEntry& entry : imported.entries) {
    writer.begin_object();
    write_entry_fields(writer, entry);
    writer.field("reservation_id", entry.reservation_id);
    writer.timestamp_field("expires_at", entry.expires_at_ms);
    writer.field("hold_status", entry.hold_status);
    writer.field("hold_consumed", entry.hold_consumed);
    writer.field("source_balance_after", entry.source_balance_after);
    writer.end_object();
    credits += entry.credits;
  }
  writer.end_array();
  writer.field("credits", credits);
  if (imported.expected_balance) write_expected(writer, *imported.expected_balance);
  write_balance(writer, balance);
  writer.end_object();
  return writer.str();
}

ImportedChunk decode_ledger_imported(const rapidjson::Value& payload) {
  std::optional<Error> error;
  ImportReader in(error);
  ImportedChunk imported;
  read_import_header(in, payload, imported.header);
  const rapidjson::Value* entries = json_member(payload, "entries");
  LF_ASSERT_MSG(entries != nullptr && entries->IsArray(),
                "credits.ledger_imported carries entries");
  imported.entries.reserve(entries->Size());
  for (const rapidjson::Value& item : entries->GetArray()) {
    LedgerEntry entry = read_entry(in, item);
    entry.reservation_id = in.optional_text(item, "reservation_id", kIdLengthMax);
    entry.expires_at_ms = in.optional_timestamp(item, "expires_at");
    entry.hold_status = in.optional_text(item, "hold_status", 16);
    if (json_member(item, "hold_consumed") != nullptr)
      entry.hold_consumed = in.integer(item, "hold_consumed", 1, kCreditsAvailableAbsoluteMax);
    if (json_member(item, "source_balance_after") != nullptr) {
      entry.source_balance_after =
          in.integer(item, "source_balance_after", -kCreditsAvailableAbsoluteMax,
                     kCreditsAvailableAbsoluteMax);
    }
    imported.entries.push_back(std::move(entry));
  }
  if (const rapidjson::Value* expected = in.object(payload, "expected_balance", false)) {
    imported.expected_balance = read_expected(in, *expected);
  }
  LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
  return imported;
}

}  // namespace lf::engine::credits
