// Importing a seed platform's activities (Leadmetrics `activities`;
// docs/migrating.md "activities"): the `import.activities` command as a
// typed chunk of rows (each row's creation part read by the live
// activity.create parser, then the status and times the platform left it
// at), the rules a row must pass as the live lifecycle would, and the one
// event a chunk becomes, `activities.imported`, on activities/<tenant> (the
// tenant's workflow-import stream: an imported activity's own stream
// activity/<id> starts empty, so its live events count from 1). An imported
// activity enters the workflow state with its status and goes on live from
// there; a final one is history. Pure; the CLI pre-checks with these
// functions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/import.hpp"
#include "engine/credits/import_codec.hpp"
#include "engine/domain.hpp"
#include "engine/workflow/events.hpp"
#include "engine/workflow/import_audit.hpp"
#include "engine/workflow/state.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

inline constexpr std::string_view kImportActivitiesCommand = "import.activities";
inline constexpr std::string_view kActivitiesImportedEvent = "activities.imported";
inline constexpr std::string_view kActivitiesKind = "activities";

// The tenant's workflow-import stream: activities/<tenant>.
std::string activity_imports_stream(std::string_view tenant_id);
// Whether `stream` is an activity's own stream (activity/<id>): its events
// are the tenant's live activity events.
bool is_activity_stream(std::string_view stream);

struct ImportedActivity {
  int64_t line = 0;
  ActivityCreated created;  // as activity.created carries it (priority normalised)
  ActivityStatus status = ActivityStatus::created;
  int64_t created_on_ms = 0;
  std::optional<int64_t> updated_on_ms;  // in the event: always set (the latest time)
  std::optional<int64_t> started_on_ms;
  std::optional<int64_t> completed_on_ms;
  std::optional<std::string> output_summary_json;
  std::optional<std::string> output_ref;
  std::optional<std::string> rejection_note;
  std::optional<std::string> revision_note;
  bool operator==(const ImportedActivity&) const = default;
};

struct ActivitiesChunk {
  credits::ImportHeader header;
  std::vector<ImportedActivity> rows;
};

// Never throws; the error code is the rejection reason (invalid_payload,
// invalid_row naming the line).
Result<ActivitiesChunk> parse_activities_chunk(const rapidjson::Value* payload);

// The decision on one chunk at now_ms. `imports` is the tenant's
// workflow-import progress (activities/<tenant>), `live_events` how many
// events its activities' own streams hold (activity/<id>).
Decision decide_activities_chunk(const State& state, const StreamImports& imports,
                                 int64_t live_events, const ActivitiesChunk& chunk,
                                 const std::string& stream, int64_t now_ms);

// Applies an activities.imported payload (the log is trusted: asserts).
void evolve_activities_imported(State& state, StreamImports& imports,
                                const rapidjson::Value& payload);

// The CLI's pre-check: every chunk in order on a fresh tenant at now_ms
// (append: a parent not in the chunks is the engine's to find).
std::optional<Rejection> precheck_activities_chunks(const std::vector<ActivitiesChunk>& chunks,
                                                    bool append, int64_t now_ms);

// ---- activity_runs (docs/migrating.md "activity_runs") ------------------------
//
// The runs of imported or live activities, after them: a run of an unknown
// activity is refused. A finished run is history; a running one goes on live
// (activity.finish_run, or its deadline): it must run on work in_progress and
// hold its credits in the imported ledger (the open reservation
// import:<run_id>), which becomes the run's hold, closed only by the run.

inline constexpr std::string_view kImportActivityRunsCommand = "import.activity_runs";
inline constexpr std::string_view kActivityRunsImportedEvent = "activity_runs.imported";
inline constexpr std::string_view kActivityRunsKind = "activity_runs";

struct ImportedRun {
  int64_t line = 0;
  std::string run_id;
  std::string activity_id;
  RunStatus status = RunStatus::completed;
  std::optional<AdapterType> adapter_type;
  std::optional<std::string> model_id;
  std::optional<std::string> session_id;
  std::optional<std::string> error;
  RunUsage usage;
  int64_t started_on_ms = 0;
  std::optional<int64_t> ended_on_ms;
  // A running run's hold in the imported ledger (import:<run_id>), what it
  // holds and its deadline: decided against the tenant's credits, in the
  // event only.
  std::optional<std::string> reservation_id;
  std::optional<int64_t> credits_reserved;
  std::optional<int64_t> expires_at_ms;
  bool operator==(const ImportedRun&) const = default;
};

struct ActivityRunsChunk {
  credits::ImportHeader header;
  std::vector<ImportedRun> rows;
};

Result<ActivityRunsChunk> parse_activity_runs_chunk(const rapidjson::Value* payload);

Decision decide_activity_runs_chunk(const State& state, const credits::State& credits,
                                    const StreamImports& imports, int64_t live_events,
                                    const ActivityRunsChunk& chunk, const std::string& stream,
                                    int64_t now_ms);

void evolve_activity_runs_imported(State& state, StreamImports& imports,
                                   const rapidjson::Value& payload);

// The CLI's pre-check on a fresh tenant: only what needs no state (the
// rows' own rules, ids once); the activities and holds are the engine's.
std::optional<Rejection> precheck_activity_runs_chunks(const std::vector<ActivityRunsChunk>& chunks,
                                                       int64_t now_ms);

}  // namespace lf::engine::workflow
