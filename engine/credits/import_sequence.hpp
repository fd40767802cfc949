// What every import kind on the credits stream shares (docs/migrating.md
// "Commands, chunks and resuming"): a chunk is decided only as the next one
// of its import, re-runs answer already_imported, a second import of a kind
// needs --append, live events need --append; and the progress each
// accepted chunk records. Internal to engine/credits.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/credits/import.hpp"
#include "engine/credits/import_codec.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "events/result.hpp"

namespace lf::engine::credits {

// What a stream remembers of its imports: each kind's progress, and how
// many of the stream's events are imports (the rest are live).
struct ImportLedger {
  std::map<std::string, ImportProgress>& by_kind;
  int64_t& events;
};

// already_imported, chunk_out_of_order, import_conflict or
// tenant_has_live_events (`stream_noun`: "credits", "usage": the stream
// whose live events count); nullopt when `header` is the kind's next chunk.
std::optional<Rejection> refuse_import_sequence(
    const std::map<std::string, ImportProgress>& by_kind, int64_t import_events,
    int64_t stream_version, const ImportHeader& header, std::string_view kind,
    std::string_view stream_noun);
inline std::optional<Rejection> refuse_import_sequence(const State& state,
                                                       int64_t credits_stream_version,
                                                       const ImportHeader& header,
                                                       std::string_view kind) {
  return refuse_import_sequence(state.imports.by_kind, state.imports.events, credits_stream_version,
                                header, kind, "credits");
}

// Counts the chunk (and its one event) as committed; asserts it is the next.
const ImportProgress& record_import_progress(ImportLedger imports, const ImportHeader& header,
                                             std::string_view kind);
inline const ImportProgress& record_import_progress(State& state, const ImportHeader& header,
                                                    std::string_view kind) {
  return record_import_progress(ImportLedger{state.imports.by_kind, state.imports.events}, header,
                                kind);
}

// The decision on an import chunk: its refusal, or the kind's one event
// (kImportEventSchemaVersion) on `stream`, the payload from `encode()`
// (called only when accepted).
template <typename Encode>
Decision chunk_decision(std::optional<Rejection> refused, std::string_view event_type,
                        const std::string& stream, Encode encode) {
  if (refused) return Decision::reject(std::move(refused->reason), std::move(refused->message));
  std::vector<NewEvent> events;
  events.push_back(
      NewEvent{std::string(event_type), kImportEventSchemaVersion, stream, encode(), nullptr});
  return Decision::accept(std::move(events));
}

// A chunk payload's header and its "rows" array (1 to kImportChunkRowsMax
// items, `noun` naming them in the error), or invalid_payload.
struct ChunkFrame {
  ImportHeader header;
  const rapidjson::Value* rows = nullptr;
};
Result<ChunkFrame> read_chunk_frame(const rapidjson::Value* payload, std::string_view noun);

// A chunk payload as `Chunk` (import_id, chunk, chunks, append, source,
// rows): its frame, then each row read by `read_row(item, file)` (a Result
// of the row), or the first error.
template <typename Chunk, typename ReadRow>
Result<Chunk> read_chunk_rows(const rapidjson::Value* payload, std::string_view noun,
                              ReadRow read_row) {
  Result<ChunkFrame> frame = read_chunk_frame(payload, noun);
  if (!frame) return frame.error();
  const ImportHeader& header = frame->header;
  Chunk chunk{header.import_id, header.chunk, header.chunks, header.append, header.source, {}};
  chunk.rows.reserve(frame->rows->Size());
  for (const rapidjson::Value& item : frame->rows->GetArray()) {
    auto row = read_row(item, chunk.source.file);
    if (!row) return row.error();
    chunk.rows.push_back(std::move(row).value());
  }
  return chunk;
}

// A stream's import progress in its snapshot: an array of {kind,
// import_id, chunks_committed, chunks_total}, one per kind.
void write_import_progress(JsonWriter& writer,
                           const std::map<std::string, ImportProgress>& by_kind);
// The array back, or an invalid_snapshot error saying what is wrong with it.
Result<std::map<std::string, ImportProgress>> read_import_progress(const rapidjson::Value& array);

}  // namespace lf::engine::credits
