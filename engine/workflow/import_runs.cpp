// Deciding and evolving import.activity_runs chunks (import_activities.hpp,
// docs/migrating.md "activity_runs"): each run read as its row says, then
// checked against the tenant as the live lifecycle would have let it get
// there (a known activity, an end exactly when finished, nothing after the
// engine's clock); a running run takes over its activity's open hold.
#include "engine/workflow/import_activities.hpp"

#include <algorithm>
#include <variant>

#include "engine/credits/import_reader.hpp"
#include "engine/credits/import_sequence.hpp"
#include "engine/workflow/codec.hpp"
#include "engine/workflow/commands.hpp"
#include "engine/workflow/decider.hpp"
#include "engine/workflow/text.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/money.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

namespace why = credits::import_reason;

constexpr int64_t kRunNumberMax = 1'000'000'000'000'000;  // tokens, duration: as live
constexpr int64_t kCostUsdMicrosMax = 9'999'999'999;      // numeric(10,6)
constexpr std::size_t kModelIdLengthMax = 100;

std::string imported_hold_id(const std::string& run_id) {
  return std::string(credits::kImportedReservationPrefix) + run_id;
}

// The fields a run's command row and its event row share.
void read_run(credits::ImportReader& in, const rapidjson::Value& item, ImportedRun& run) {
  run.run_id = in.text(item, "run_id", kIdLengthMax);
  run.activity_id = in.text(item, "activity_id", kIdLengthMax);
  const std::string status = in.text(item, "status", 32);
  if (!in.failed()) {
    const std::optional<RunStatus> parsed = parse_run_status(status);
    if (!parsed) in.fail("status has no value " + status);
    run.status = parsed.value_or(RunStatus::completed);
  }
  if (std::optional<std::string> adapter = in.optional_text(item, "adapter_type", 32)) {
    run.adapter_type = parse_adapter_type(*adapter);
    if (!run.adapter_type) in.fail("adapter_type has no value " + *adapter);
  }
  run.model_id = in.optional_text(item, "model_id", kModelIdLengthMax);
  run.session_id = in.optional_text(item, "session_id", kIdLengthMax);
  run.error = in.optional_text(item, "error", kRunErrorLengthMax);
  run.started_on_ms = in.timestamp(item, "started_on");
  run.ended_on_ms = in.optional_timestamp(item, "ended_on");
}

std::optional<int64_t> optional_number(credits::ImportReader& in, const rapidjson::Value& object,
                                       std::string_view name) {
  if (json_member(object, name) == nullptr) return std::nullopt;
  return in.integer(object, name, 0, kRunNumberMax);
}

Rejection run_at_line(const ActivityRunsChunk& chunk, const ImportedRun& run, const char* reason,
                      const std::string& message) {
  return Rejection{reason, chunk.header.source.file + ":" + std::to_string(run.line) + ": run " +
                               run.run_id + ": " + message};
}

// What the row says of itself: an end exactly when finished, after the
// start, nothing after the engine's clock.
std::optional<Rejection> check_run_row(const ActivityRunsChunk& chunk, const ImportedRun& run,
                                       int64_t now_ms) {
  const bool running = run.status == RunStatus::running;
  if (running == run.ended_on_ms.has_value()) {
    return run_at_line(chunk, run, reason::kInvalidTransition,
                       running ? "running but has ended_on"
                               : std::string(to_string(run.status)) + " without ended_on");
  }
  for (const std::optional<int64_t>& at_ms : {std::optional(run.started_on_ms), run.ended_on_ms}) {
    if (at_ms && *at_ms > now_ms + kClockSkewMaxMs) {
      return run_at_line(chunk, run, "invalid_created_on",
                         format_rfc3339_ms(*at_ms) + " is after the engine's clock (" +
                             format_rfc3339_ms(now_ms) + ")");
    }
  }
  if (run.ended_on_ms && *run.ended_on_ms < run.started_on_ms) {
    return run_at_line(chunk, run, why::kTimestampOrder,
                       "ended_on " + format_rfc3339_ms(*run.ended_on_ms) +
                           " is before its started_on " + format_rfc3339_ms(run.started_on_ms));
  }
  return std::nullopt;
}

// Against the tenant: a known activity, and for a running run work in
// progress and its open hold, which it takes over (its figures go into the
// event); a finished run's hold is closed.
std::optional<Rejection> check_run_on_state(const ActivityRunsChunk& chunk, ImportedRun& run,
                                            const State& state, const credits::State& credits,
                                            std::size_t runs_added) {
  const auto activity = state.activities.find(run.activity_id);
  if (activity == state.activities.end()) {
    return run_at_line(chunk, run, reason::kUnknownActivity,
                       "no activity " + run.activity_id +
                           " (import the tenant's activities first, or create it live)");
  }
  if (state.runs.size() + runs_added >= kObjectsPerKindMax) {
    return run_at_line(chunk, run, reason::kLimitExceeded,
                       "the tenant already has " + std::to_string(kObjectsPerKindMax) + " runs");
  }
  const std::string hold_id = imported_hold_id(run.run_id);
  const auto hold = credits.reservations.find(hold_id);
  if (run.status != RunStatus::running) {
    if (hold != credits.reservations.end()) {
      return run_at_line(chunk, run, reason::kInvalidTransition,
                         std::string(to_string(run.status)) + " but its hold " + hold_id +
                             " is still open in the imported ledger");
    }
    return std::nullopt;  // history: what it used is in the ledger's rows for it
  }
  if (activity->second.status != ActivityStatus::in_progress) {
    return run_at_line(chunk, run, reason::kInvalidTransition,
                       "running, but activity " + run.activity_id + " is " +
                           std::string(to_string(activity->second.status)) +
                           "; a run runs only while its activity is in_progress");
  }
  if (hold == credits.reservations.end()) {
    return run_at_line(chunk, run, why::kUnknownReservation,
                       "running, but the tenant has no open hold " + hold_id +
                           " (import its credit_ledger first: the run's reserved entry)");
  }
  run.reservation_id = hold_id;
  run.credits_reserved = hold->second.credits;
  run.expires_at_ms = hold->second.expires_at_ms;
  return std::nullopt;
}

// The chunk's rows, checked in order; `ids`: run ids taken by earlier rows
// of the import. With `credits`, also against the tenant.
std::optional<Rejection> decide_runs_on(const State& state, const credits::State* credits,
                                        std::set<std::string>& ids, StreamImports& imports,
                                        int64_t live_events, ActivityRunsChunk& chunk,
                                        int64_t now_ms) {
  if (std::optional<Rejection> refused = credits::refuse_import_sequence(
          imports.by_kind, imports.events, imports.events + live_events, chunk.header,
          kActivityRunsKind, "activity"))
    return refused;
  for (ImportedRun& run : chunk.rows) {
    if (state.runs.contains(run.run_id) || ids.contains(run.run_id))
      return run_at_line(chunk, run, reason::kDuplicateRun, "already exists");
    if (std::optional<Rejection> refused = check_run_row(chunk, run, now_ms)) return refused;
    if (credits != nullptr) {
      if (std::optional<Rejection> refused =
              check_run_on_state(chunk, run, state, *credits, ids.size()))
        return refused;
    }
    ids.insert(run.run_id);
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events},
                                  chunk.header, kActivityRunsKind);
  return std::nullopt;
}

void write_usage(JsonWriter& w, const RunUsage& usage) {
  w.key("usage");
  w.begin_object();
  w.field("input_tokens", usage.input_tokens);
  w.field("output_tokens", usage.output_tokens);
  w.field("duration_ms", usage.duration_ms);
  w.field("cost_usd_micros", usage.cost_usd_micros);
  w.end_object();
}

std::string encode_runs_imported(const ActivityRunsChunk& chunk) {
  JsonWriter w;
  w.begin_object();
  w.field("kind", kActivityRunsKind);
  credits::write_import_header(w, chunk.header);
  w.key("rows");
  w.begin_array();
  for (const ImportedRun& run : chunk.rows) {
    w.begin_object();
    w.field("line", run.line);
    w.field("run_id", run.run_id);
    w.field("activity_id", run.activity_id);
    w.field("status", to_string(run.status));
    if (run.adapter_type) w.field("adapter_type", to_string(*run.adapter_type));
    w.field("model_id", run.model_id);
    w.field("session_id", run.session_id);
    w.field("error", run.error);
    write_usage(w, run.usage);
    w.timestamp_field("started_on", run.started_on_ms);
    w.timestamp_field("ended_on", run.ended_on_ms);
    w.field("reservation_id", run.reservation_id);
    w.field("credits_reserved", run.credits_reserved);
    w.timestamp_field("expires_at", run.expires_at_ms);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace

Result<ActivityRunsChunk> parse_activity_runs_chunk(const rapidjson::Value* payload) {
  Result<credits::ChunkFrame> frame = credits::read_chunk_frame(payload, "runs");
  if (!frame) return frame.error();
  std::optional<Error> error;
  credits::ImportReader in(error);
  ActivityRunsChunk chunk;
  chunk.header = frame->header;
  const rapidjson::Value* rows = frame->rows;
  chunk.rows.reserve(rows->Size());
  for (const rapidjson::Value& item : rows->GetArray()) {
    const std::optional<int64_t> line = item.IsObject() ? json_int64(item, "line") : std::nullopt;
    if (!line || *line < 1 || *line > credits::kLineMax)
      return make_error(why::kInvalidRow, "every row is an object with its line");
    ImportedRun run;
    run.line = *line;
    in.at_line(*line);
    read_run(in, item, run);
    run.usage.input_tokens = optional_number(in, item, "input_tokens");
    run.usage.output_tokens = optional_number(in, item, "output_tokens");
    run.usage.duration_ms = optional_number(in, item, "duration_ms");
    if (const rapidjson::Value* cost = json_member(item, "cost_usd"); cost != nullptr && !error) {
      Result<int64_t> micros =
          json_scaled_decimal(*cost, kMicroUsdDigits, 0, kCostUsdMicrosMax, "cost_usd");
      if (!micros)
        in.fail(micros.error().code + ": " + micros.error().message);
      else
        run.usage.cost_usd_micros = micros.value();
    }
    if (error) return *error;
    chunk.rows.push_back(std::move(run));
  }
  return chunk;
}

Decision decide_activity_runs_chunk(const State& state, const credits::State& credits,
                                    const StreamImports& imports, int64_t live_events,
                                    const ActivityRunsChunk& chunk, const std::string& stream,
                                    int64_t now_ms) {
  StreamImports scratch = imports;
  ActivityRunsChunk decided = chunk;
  std::set<std::string> ids;
  return engine::credits::chunk_decision(
      decide_runs_on(state, &credits, ids, scratch, live_events, decided, now_ms),
      kActivityRunsImportedEvent, stream, [&] { return encode_runs_imported(decided); });
}

void evolve_activity_runs_imported(State& state, StreamImports& imports,
                                   const rapidjson::Value& payload) {
  Result<credits::ChunkFrame> frame = credits::read_chunk_frame(&payload, "runs");
  LF_ASSERT_MSG(frame.ok(), "activity_runs.imported carries its header and rows");
  const credits::ImportHeader& header = frame->header;
  const rapidjson::Value* rows = frame->rows;
  std::optional<Error> error;
  credits::ImportReader in(error);
  for (const rapidjson::Value& item : rows->GetArray()) {
    ImportedRun imported;
    read_run(in, item, imported);
    LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
    LF_ASSERT_MSG(state.activities.contains(imported.activity_id),
                  "an imported run's activity is known");
    Run run;
    run.activity_id = imported.activity_id;
    run.status = imported.status;
    if (imported.status == RunStatus::running) {
      const std::optional<std::string_view> hold = json_string(item, "reservation_id");
      const std::optional<int64_t> credits = json_int64(item, "credits_reserved");
      const std::optional<int64_t> expires_at_ms = in.optional_timestamp(item, "expires_at");
      LF_ASSERT_MSG(hold && credits && expires_at_ms, "a running imported run holds credits");
      run.reservation_id = std::string(*hold);
      run.estimated_credits = *credits;
      run.expires_at_ms = *expires_at_ms;
      state.run_deadlines.emplace(run.expires_at_ms, imported.run_id);
      state.run_by_reservation.emplace(run.reservation_id, imported.run_id);
    }
    const bool inserted = state.runs.emplace(imported.run_id, std::move(run)).second;
    LF_ASSERT_MSG(inserted, "activity_runs.imported for a run id already taken");
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kActivityRunsKind);
}

std::optional<Rejection> precheck_activity_runs_chunks(const std::vector<ActivityRunsChunk>& chunks,
                                                       int64_t now_ms) {
  const State empty;
  StreamImports imports;
  std::set<std::string> ids;
  for (ActivityRunsChunk chunk : chunks) {
    if (std::optional<Rejection> refused =
            decide_runs_on(empty, nullptr, ids, imports, 0, chunk, now_ms))
      return refused;
  }
  return std::nullopt;
}

}  // namespace lf::engine::workflow
