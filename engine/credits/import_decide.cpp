// Deciding and evolving import.credit_ledger chunks (docs/migrating.md):
// the order of chunks (shared by every import kind, import_sequence.hpp), the rows one by one
// (import_rules.hpp), the end state against credit_balances, and the one event of a chunk.
#include <algorithm>

#include "engine/credits/decider.hpp"
#include "engine/credits/import.hpp"
#include "engine/credits/import_codec.hpp"
#include "engine/credits/import_orders.hpp"
#include "engine/credits/import_reader.hpp"
#include "engine/credits/import_rules.hpp"
#include "engine/credits/import_sequence.hpp"
#include "engine/credits/period.hpp"

namespace lf::engine::credits {

namespace why = import_reason;

namespace {

std::string short_id(const std::string& import_id) {
  return import_id.substr(0, 12);
}

std::string chunk_text(int64_t chunk, int64_t chunks) {
  return "chunk " + std::to_string(chunk) + " of " + std::to_string(chunks);
}

}  // namespace

// Chunk order, re-runs, a second import, live events.
std::optional<Rejection> refuse_import_sequence(
    const std::map<std::string, ImportProgress>& by_kind, int64_t import_events,
    int64_t stream_version, const ImportHeader& header, std::string_view kind,
    std::string_view stream_noun) {
  auto found = by_kind.find(std::string(kind));
  const ImportProgress* progress = found == by_kind.end() ? nullptr : &found->second;
  if (progress != nullptr && progress->import_id == header.import_id) {
    if (header.chunks != progress->chunks_total) {
      return Rejection{why::kImportConflict, "import " + short_id(header.import_id) + " has " +
                                                 std::to_string(progress->chunks_total) +
                                                 " chunks, not " + std::to_string(header.chunks)};
    }
    if (header.chunk < progress->chunks_committed) {
      return Rejection{why::kAlreadyImported,
                       chunk_text(header.chunk, header.chunks) + " of import " +
                           short_id(header.import_id) + " is already imported (" +
                           std::to_string(progress->chunks_committed) + " committed)"};
    }
    if (header.chunk > progress->chunks_committed) {
      return Rejection{why::kChunkOutOfOrder, "import " + short_id(header.import_id) +
                                                  " expects chunk " +
                                                  std::to_string(progress->chunks_committed) +
                                                  ", not " + std::to_string(header.chunk)};
    }
    return std::nullopt;
  }
  if (progress != nullptr && !progress->finished()) {
    return Rejection{why::kImportConflict,
                     "import " + short_id(progress->import_id) + " of this tenant's " +
                         std::string(kind) + " is unfinished (" +
                         std::to_string(progress->chunks_committed) + " of " +
                         std::to_string(progress->chunks_total) +
                         " chunks); run it again with the same files to finish it"};
  }
  if (progress != nullptr && !header.append) {
    return Rejection{why::kImportConflict, "this tenant's " + std::string(kind) +
                                               " was imported from other rows (import " +
                                               short_id(progress->import_id) +
                                               "); import more rows with --append"};
  }
  if (header.chunk != 0) {
    return Rejection{why::kChunkOutOfOrder,
                     "a new import starts with chunk 0, not " + std::to_string(header.chunk)};
  }
  const int64_t live_events = stream_version - import_events;
  LF_ASSERT(live_events >= 0);
  if (live_events > 0 && !header.append) {
    return Rejection{why::kLiveEvents, "the tenant already has " + std::to_string(live_events) +
                                           " live " + std::string(stream_noun) +
                                           " event(s); to import its history beside "
                                           "them, use --append (docs/migrating.md \"Cut-over\")"};
  }
  return std::nullopt;
}

const ImportProgress& record_import_progress(ImportLedger imports, const ImportHeader& header,
                                             std::string_view kind) {
  ImportProgress& progress = imports.by_kind[std::string(kind)];
  if (progress.import_id != header.import_id) {
    LF_ASSERT_MSG(header.chunk == 0, "an import starts with its chunk 0");
    progress = ImportProgress{header.import_id, 0, header.chunks};
  }
  LF_ASSERT_MSG(header.chunk == progress.chunks_committed && header.chunks == progress.chunks_total,
                "import chunks are applied in order");
  ++progress.chunks_committed;
  ++imports.events;
  return progress;
}

Result<ChunkFrame> read_chunk_frame(const rapidjson::Value* payload, std::string_view noun) {
  if (payload == nullptr || !payload->IsObject())
    return make_error("invalid_payload", "the payload is not an object");
  std::optional<Error> error;
  ImportReader in(error);
  ChunkFrame frame;
  read_import_header(in, *payload, frame.header);
  if (error) return *error;
  frame.rows = json_member(*payload, "rows");
  if (frame.rows == nullptr || !frame.rows->IsArray() || frame.rows->Empty() ||
      frame.rows->Size() > kImportChunkRowsMax) {
    return make_error("invalid_payload", "rows must be an array of 1 to " +
                                             std::to_string(kImportChunkRowsMax) + " " +
                                             std::string(noun));
  }
  return frame;
}

void write_import_progress(JsonWriter& writer,
                           const std::map<std::string, ImportProgress>& by_kind) {
  writer.begin_array();
  for (const auto& [kind, progress] : by_kind) {
    writer.begin_object();
    writer.field("kind", kind);
    writer.field("import_id", progress.import_id);
    writer.field("chunks_committed", progress.chunks_committed);
    writer.field("chunks_total", progress.chunks_total);
    writer.end_object();
  }
  writer.end_array();
}

Result<std::map<std::string, ImportProgress>> read_import_progress(const rapidjson::Value& array) {
  if (!array.IsArray()) return make_error("invalid_snapshot", "the imports are not an array");
  std::map<std::string, ImportProgress> by_kind;
  for (const rapidjson::Value& item : array.GetArray()) {
    const std::optional<std::string_view> kind = json_string(item, "kind");
    const std::optional<std::string_view> import_id = json_string(item, "import_id");
    const std::optional<int64_t> committed = json_int64(item, "chunks_committed");
    const std::optional<int64_t> total = json_int64(item, "chunks_total");
    if (!kind || !import_id || !committed || !total || *committed < 0 || *committed > *total) {
      return make_error("invalid_snapshot",
                        "an import lacks a field or its chunks are out of range");
    }
    if (!by_kind
             .emplace(std::string(*kind),
                      ImportProgress{std::string(*import_id), *committed, *total})
             .second) {
      return make_error("invalid_snapshot", "an import kind appears twice");
    }
  }
  return by_kind;
}

namespace {

void record_progress(State& state, const ImportHeader& header) {
  const ImportProgress& progress = record_import_progress(state, header, kLedgerKind);
  // A finished import forgets its closed holds (a consumption follows its
  // release within the platform's ledger, not across imports); its open
  // ones stay, so an appended tail can close them.
  if (progress.finished()) {
    std::erase_if(state.imports.runs, [](const auto& run) { return run.second.held_credits == 0; });
    state.imports.closed_runs.clear();
  }
}

// Takes `state` to what it is after the chunk, or refuses (then `state` is
// partly changed). Fills in what the decision adds to the entries.
std::optional<Rejection> decide_on(State& state, int64_t credits_stream_version,
                                   ImportedChunk& imported, int64_t now_ms) {
  const ImportHeader& header = imported.header;
  if (std::optional<Rejection> refused =
          refuse_import_sequence(state, credits_stream_version, header, kLedgerKind))
    return refused;
  for (LedgerEntry& entry : imported.entries) {
    entry.reservation_id.reset();
    entry.expires_at_ms.reset();
    entry.hold_status.reset();
    entry.hold_consumed.reset();
    entry.source_balance_after.reset();
    if (entry.type == EntryType::reserved) {
      entry.expires_at_ms = std::min(
          std::max(entry.created_at_ms, now_ms) + kImportedReservationTtlMs, kTimestampMaxMs);
    }
    if (std::optional<Rejection> refused = import_rules::apply_entry(state, entry, header.append)) {
      refused->message =
          header.source.file + ":" + std::to_string(entry.line) + ": " + refused->message;
      return refused;
    }
  }
  if (imported.expected_balance) {
    if (std::optional<Rejection> refused =
            import_rules::settle(state, *imported.expected_balance)) {
      refused->message = "the tenant's credit_balances row: " + refused->message;
      return refused;
    }
  }
  record_progress(state, header);
  return std::nullopt;
}

ImportedChunk imported_of(const LedgerChunk& chunk) {
  return ImportedChunk{
      ImportHeader{chunk.import_id, chunk.chunk, chunk.chunks, chunk.append, chunk.source},
      chunk.rows, chunk.expected_balance};
}

}  // namespace

Decision decide_import(const State& state, int64_t credits_stream_version,
                       const CommandEnvelope& command, const Context& context) {
  if (command.type == kImportOrdersCommand) {
    Result<OrdersChunk> orders = parse_orders_chunk(command.payload);
    if (!orders) return Decision::reject(orders.error().code, orders.error().message);
    return decide_orders_chunk(state, credits_stream_version, *orders,
                               stream_name(command.tenant_id));
  }
  LF_ASSERT(command.type == kImportLedgerCommand);
  Result<LedgerChunk> chunk = parse_ledger_chunk(command.payload);
  if (!chunk) return Decision::reject(chunk.error().code, chunk.error().message);
  return decide_ledger_chunk(state, credits_stream_version, *chunk, stream_name(command.tenant_id),
                             context.now_ms);
}

Decision decide_ledger_chunk(const State& state, int64_t credits_stream_version,
                             const LedgerChunk& chunk, const std::string& stream, int64_t now_ms) {
  State scratch = state;
  ImportedChunk imported = imported_of(chunk);
  return chunk_decision(decide_on(scratch, credits_stream_version, imported, now_ms),
                        kLedgerImportedEvent, stream,
                        [&] { return encode_ledger_imported(imported, balance_of(scratch.book)); });
}

void evolve_ledger_imported(State& state, const rapidjson::Value& payload) {
  ImportedChunk imported = decode_ledger_imported(payload);
  for (LedgerEntry& logged : imported.entries) {
    LedgerEntry entry = logged;
    entry.hold_status.reset();
    entry.hold_consumed.reset();
    entry.balance_after = logged.source_balance_after.value_or(logged.balance_after);
    entry.source_balance_after.reset();
    const std::optional<Rejection> refused =
        import_rules::apply_entry(state, entry, imported.header.append);
    LF_ASSERT_MSG(!refused.has_value(), refused ? refused->message.c_str() : "");
    LF_ASSERT_MSG(entry == logged, "an imported entry's hold is the one the decision found");
  }
  if (imported.expected_balance) {
    const std::optional<Rejection> refused =
        import_rules::settle(state, *imported.expected_balance);
    LF_ASSERT_MSG(!refused.has_value(), refused ? refused->message.c_str() : "");
  }
  record_progress(state, imported.header);
  LF_ASSERT_MSG(balance_of(state.book) == decode_balance(payload),
                "credits.ledger_imported's balance differs from the state after it");
}

std::optional<Rejection> precheck_ledger_chunks(State state, int64_t credits_stream_version,
                                                const std::vector<LedgerChunk>& chunks,
                                                const std::string& /*stream*/, int64_t now_ms) {
  for (const LedgerChunk& chunk : chunks) {
    ImportedChunk imported = imported_of(chunk);
    if (std::optional<Rejection> refused =
            decide_on(state, credits_stream_version, imported, now_ms))
      return refused;
    ++credits_stream_version;  // the chunk's one event
  }
  return std::nullopt;
}

}  // namespace lf::engine::credits
