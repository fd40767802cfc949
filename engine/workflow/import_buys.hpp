// Importing a seed platform's media buys with their packages
// (docs/migrating.md "media_buys"): the `import.media_buys` command as a
// typed chunk of buys (each the payload a live media_buy.create would carry,
// read by the same parser and checked by the same rules, plus the status the
// platform left it in and its created_at), and the one event a chunk
// becomes, `media_buy.imported`, on media_buys/<tenant>. An imported buy
// enters the state with its status, so a non-final one goes on live
// (media_buy.approve, .activate, .pause, ...). The tenant's progress is
// TenantState::workflow_imports. Pure; the CLI pre-checks with these
// functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/import.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "engine/workflow/events.hpp"
#include "engine/workflow/import_stream.hpp"
#include "engine/workflow/state.hpp"
#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

inline constexpr std::string_view kImportMediaBuysCommand = "import.media_buys";
inline constexpr std::string_view kMediaBuysImportedEvent = "media_buy.imported";
inline constexpr std::string_view kMediaBuysKind = "media_buys";

// media_buys/<tenant>: where a tenant's media buy imports go (the buys
// themselves keep their media_buy/<id> streams for what happens live).
std::string media_buys_import_stream(std::string_view tenant_id);

// One imported kind's bookkeeping: progress (credits::ImportProgress by
// kind), the import events (its import stream's), and the live events of
// its domain (events on its entities' streams; derived from the stream
// versions, never in a snapshot).
struct KindImports : StreamImports {
  int64_t live_events = 0;
  bool operator==(const KindImports&) const = default;
};

// The workflow imports of a tenant (TenantState::workflow_imports).
struct WorkflowImports {
  KindImports media_buys;
  KindImports approvals;  // import.approvals (engine/workflow/import_approvals.hpp)
  bool operator==(const WorkflowImports&) const = default;
};

// One buy of a chunk: its lines, the buy as media_buy.created would carry it
// (no approval: an imported buy's approval is an approval row), its status
// and creation time.
struct ImportedBuy {
  int64_t line = 0;
  std::vector<int64_t> package_lines;  // in the packages file (--packages), one per package
  BuyCreated buy;
  BuyStatus status = BuyStatus::pending;
  int64_t created_at_ms = 0;
  bool operator==(const ImportedBuy&) const = default;
};

struct MediaBuysChunk {
  std::string import_id;
  int64_t chunk = 0;
  int64_t chunks = 0;
  bool append = false;
  credits::ImportSource source;
  std::vector<ImportedBuy> rows;
  bool operator==(const MediaBuysChunk&) const = default;
};

// Never throws; the error code is the rejection reason (invalid_payload,
// invalid_row naming the line and the live parser's reason).
Result<MediaBuysChunk> parse_media_buys_chunk(const rapidjson::Value* payload);

// The decision on one chunk at now_ms: the live media_buy.create rules
// (duplicate_media_buy, invalid_dates, duplicate_package, limit_exceeded),
// created_at in file order (timestamps_out_of_order) and not after the
// engine's clock (invalid_created_at), the shared chunk order and
// live-event rules.
Decision decide_media_buys_chunk(const State& state, const KindImports& imports,
                                 const MediaBuysChunk& chunk, const std::string& stream,
                                 int64_t now_ms);

// Applies a media_buy.imported payload (the log is trusted: asserts).
void evolve_media_buys_imported(State& state, KindImports& imports,
                                const rapidjson::Value& payload);

// The CLI's pre-check: every chunk in order on a fresh tenant at now_ms.
std::optional<Rejection> precheck_media_buys_chunks(const std::vector<MediaBuysChunk>& chunks,
                                                    int64_t now_ms);

// Snapshot form ({"media_buys": {by_kind, events}, "approvals": {...}}); live_events is not
// written: read_workflow_imports' caller derives it (count_live_events).
void write_workflow_imports(JsonWriter& writer, const WorkflowImports& imports);
Result<WorkflowImports> read_workflow_imports(const rapidjson::Value& value);
// The events of `streams` (stream -> version) on streams of a domain
// (prefix "media_buy/").
template <typename StreamVersions>
int64_t count_live_events(const StreamVersions& streams, std::string_view prefix) {
  int64_t events = 0;
  for (const auto& [stream, version] : streams) {
    if (std::string_view(stream).starts_with(prefix)) events += version;
  }
  return events;
}

}  // namespace lf::engine::workflow
