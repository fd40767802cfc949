// Deciding and evolving import.activities chunks (import_activities.hpp,
// docs/migrating.md "activities"): each row's creation part read as a live
// activity.create payload is, then checked as the lifecycle would have let
// it get where it is (an id used once, a known parent, a status its assignee
// can reach, times in order and not in the future).
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

// As a live record's time may lead the engine's clock (clock skew).
constexpr int64_t kTimeAheadMaxMs = kClockSkewMaxMs;
constexpr std::size_t kOutputRefLengthMax = 255;
constexpr std::size_t kImportNoteLengthMax = 10'000;

// The ids an import adds, on top of the state's (a chunk's rows, and in the
// CLI's pre-check the earlier chunks').
struct Added {
  const State& state;
  std::set<std::string>& ids;
  // The CLI's pre-check of an --append tail: the tenant's activities are
  // the engine's to know, so a parent not in the file is left to it.
  bool parents_elsewhere = false;
  bool known(const std::string& id) const {
    return state.activities.contains(id) || ids.contains(id);
  }
};

Rejection at_line(const ActivitiesChunk& chunk, const ImportedActivity& row, const char* reason,
                  const std::string& message) {
  return Rejection{reason,
                   chunk.header.source.file + ":" + std::to_string(row.line) + ": " + message};
}

std::optional<Rejection> check_times(const ActivitiesChunk& chunk, const ImportedActivity& row,
                                     int64_t now_ms) {
  const std::string& id = row.created.activity_id;
  struct Named {
    const char* name;
    std::optional<int64_t> at_ms;
  };
  const Named times[] = {{"created_on", row.created_on_ms},
                         {"started_on", row.started_on_ms},
                         {"completed_on", row.completed_on_ms},
                         {"updated_on", row.updated_on_ms}};
  for (const Named& time : times) {
    if (time.at_ms && *time.at_ms > now_ms + kTimeAheadMaxMs) {
      return at_line(chunk, row, "invalid_created_on",
                     "activity " + id + ": " + time.name + " " + format_rfc3339_ms(*time.at_ms) +
                         " is after the engine's clock (" + format_rfc3339_ms(now_ms) + ")");
    }
  }
  auto before = [&](const Named& earlier, const Named& later) -> std::optional<Rejection> {
    if (!earlier.at_ms || !later.at_ms || *later.at_ms >= *earlier.at_ms) return std::nullopt;
    return at_line(chunk, row, why::kTimestampOrder,
                   "activity " + id + ": " + later.name + " " + format_rfc3339_ms(*later.at_ms) +
                       " is before its " + earlier.name + " " + format_rfc3339_ms(*earlier.at_ms));
  };
  for (const auto& [earlier, later] : {std::pair{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}}) {
    if (std::optional<Rejection> refused = before(times[earlier], times[later])) return refused;
  }
  return std::nullopt;
}

// The status as the live lifecycle reaches it: a human's to-do is `created`
// (never `assigned`), work in progress was started, completed work has its
// completion time and only it.
std::optional<Rejection> check_status(const ActivitiesChunk& chunk, const ImportedActivity& row) {
  const std::string& id = row.created.activity_id;
  const std::string status(to_string(row.status));
  if (row.status == ActivityStatus::assigned && row.created.assignee.type == AssigneeType::human) {
    return at_line(chunk, row, reason::kInvalidTransition,
                   "activity " + id +
                       " is a human's and assigned; a human's to-do is created (an assignment to "
                       "a human leaves it created)");
  }
  if (row.status == ActivityStatus::in_progress && !row.started_on_ms) {
    return at_line(chunk, row, reason::kInvalidTransition,
                   "activity " + id + " is in_progress without started_on");
  }
  if ((row.status == ActivityStatus::completed) != row.completed_on_ms.has_value()) {
    return at_line(chunk, row, reason::kInvalidTransition,
                   "activity " + id + " is " + status +
                       (row.completed_on_ms ? " but has completed_on" : " without completed_on"));
  }
  return std::nullopt;
}

std::optional<Rejection> check_row(const ActivitiesChunk& chunk, const ImportedActivity& row,
                                   const Added& added, int64_t now_ms) {
  const std::string& id = row.created.activity_id;
  if (added.known(id)) {
    return at_line(chunk, row, reason::kDuplicateActivity, "activity " + id + " already exists");
  }
  if (row.created.parent_activity_id && !added.known(*row.created.parent_activity_id) &&
      !added.parents_elsewhere) {
    return at_line(chunk, row, reason::kUnknownParent,
                   "activity " + id + ": no parent activity " + *row.created.parent_activity_id +
                       " (imported earlier in the file, or before)");
  }
  if (added.state.activities.size() + added.ids.size() >= kObjectsPerKindMax) {
    return at_line(chunk, row, reason::kLimitExceeded,
                   "the tenant already has " + std::to_string(kObjectsPerKindMax) + " activities");
  }
  if (std::optional<Rejection> refused = check_status(chunk, row)) return refused;
  return check_times(chunk, row, now_ms);
}

std::optional<Rejection> decide_on(const Added& added, StreamImports& imports, int64_t live_events,
                                   const ActivitiesChunk& chunk, int64_t now_ms) {
  if (std::optional<Rejection> refused = credits::refuse_import_sequence(
          imports.by_kind, imports.events, imports.events + live_events, chunk.header,
          kActivitiesKind, "activity"))
    return refused;
  for (const ImportedActivity& row : chunk.rows) {
    if (std::optional<Rejection> refused = check_row(chunk, row, added, now_ms)) return refused;
    added.ids.insert(row.created.activity_id);
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events},
                                  chunk.header, kActivitiesKind);
  return std::nullopt;
}

// The latest of the row's times: its updated_on unless the export had none.
int64_t updated_on_of(const ImportedActivity& row) {
  return std::max({row.created_on_ms, row.started_on_ms.value_or(0),
                   row.completed_on_ms.value_or(0), row.updated_on_ms.value_or(0)});
}

std::string encode_imported(const ActivitiesChunk& chunk) {
  JsonWriter w;
  w.begin_object();
  w.field("kind", kActivitiesKind);
  credits::write_import_header(w, chunk.header);
  w.key("rows");
  w.begin_array();
  for (const ImportedActivity& row : chunk.rows) {
    w.begin_object();
    w.field("line", row.line);
    w.key("created");  // as an activity.created payload
    w.raw(encode_event_payload(Event{row.created}));
    w.field("status", to_string(row.status));
    w.timestamp_field("created_on", row.created_on_ms);
    w.timestamp_field("updated_on", updated_on_of(row));
    w.timestamp_field("started_on", row.started_on_ms);
    w.timestamp_field("completed_on", row.completed_on_ms);
    if (row.output_summary_json) {
      w.key("output_summary");
      w.raw(*row.output_summary_json);
    }
    w.field("output_ref", row.output_ref);
    w.field("rejection_note", row.rejection_note);
    w.field("revision_note", row.revision_note);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

// The fields after the creation part, shared by the command's rows and the
// event's.
void read_lifecycle(credits::ImportReader& in, const rapidjson::Value& item,
                    ImportedActivity& row) {
  const std::string status = in.text(item, "status", 32);
  if (!in.failed()) {
    const std::optional<ActivityStatus> parsed = parse_activity_status(status);
    if (!parsed) in.fail("status has no value " + status);
    row.status = parsed.value_or(ActivityStatus::created);
  }
  row.created_on_ms = in.timestamp(item, "created_on");
  row.updated_on_ms = in.optional_timestamp(item, "updated_on");
  row.started_on_ms = in.optional_timestamp(item, "started_on");
  row.completed_on_ms = in.optional_timestamp(item, "completed_on");
  if (const rapidjson::Value* summary = in.object(item, "output_summary", false)) {
    row.output_summary_json = json_to_string(*summary);
  }
  row.output_ref = in.optional_text(item, "output_ref", kOutputRefLengthMax);
  row.rejection_note = in.optional_text(item, "rejection_note", kImportNoteLengthMax);
  row.revision_note = in.optional_text(item, "revision_note", kImportNoteLengthMax);
}

}  // namespace

std::string activity_imports_stream(std::string_view tenant_id) {
  return "activities/" + std::string(tenant_id);
}

bool is_activity_stream(std::string_view stream) {
  return stream.starts_with("activity/");
}

Result<ActivitiesChunk> parse_activities_chunk(const rapidjson::Value* payload) {
  Result<credits::ChunkFrame> frame = credits::read_chunk_frame(payload, "activities");
  if (!frame) return frame.error();
  std::optional<Error> error;
  credits::ImportReader in(error);
  ActivitiesChunk chunk;
  chunk.header = frame->header;
  const rapidjson::Value* rows = frame->rows;
  chunk.rows.reserve(rows->Size());
  for (const rapidjson::Value& item : rows->GetArray()) {
    const std::optional<int64_t> line = item.IsObject() ? json_int64(item, "line") : std::nullopt;
    const rapidjson::Value* activity = item.IsObject() ? json_member(item, "activity") : nullptr;
    if (!line || *line < 1 || *line > credits::kLineMax || activity == nullptr)
      return make_error(why::kInvalidRow, "every row is an object with its line and activity");
    Result<Command> parsed = parse_command("activity.create", activity);
    if (!parsed) {
      return make_error(why::kInvalidRow, "line " + std::to_string(*line) + ": " +
                                              parsed.error().code + ": " + parsed.error().message);
    }
    const CreateActivity c = std::get<CreateActivity>(std::move(parsed).value());
    ImportedActivity row;
    row.line = *line;
    row.created = ActivityCreated{c.activity_id,      c.title,    c.type,
                                  c.description,      c.assignee, c.priority,
                                  c.is_approval_gate, c.due_date, c.parent_activity_id,
                                  c.input_data_json};
    in.at_line(*line);
    read_lifecycle(in, item, row);
    if (error) return *error;
    chunk.rows.push_back(std::move(row));
  }
  return chunk;
}

Decision decide_activities_chunk(const State& state, const StreamImports& imports,
                                 int64_t live_events, const ActivitiesChunk& chunk,
                                 const std::string& stream, int64_t now_ms) {
  StreamImports scratch = imports;
  std::set<std::string> ids;
  return credits::chunk_decision(decide_on(Added{state, ids}, scratch, live_events, chunk, now_ms),
                                 kActivitiesImportedEvent, stream,
                                 [&] { return encode_imported(chunk); });
}

void evolve_activities_imported(State& state, StreamImports& imports,
                                const rapidjson::Value& payload) {
  Result<credits::ChunkFrame> frame = credits::read_chunk_frame(&payload, "activities");
  LF_ASSERT_MSG(frame.ok(), "activities.imported carries its header and rows");
  const credits::ImportHeader& header = frame->header;
  const rapidjson::Value* rows = frame->rows;
  std::optional<Error> error;
  credits::ImportReader in(error);
  for (const rapidjson::Value& item : rows->GetArray()) {
    const rapidjson::Value* created = json_member(item, "created");
    LF_ASSERT_MSG(created != nullptr, "an imported activity carries its creation");
    const Event decoded = decode_event("activity.created", *created);
    const ActivityCreated& e = std::get<ActivityCreated>(decoded);
    ImportedActivity row;
    read_lifecycle(in, item, row);
    LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
    LF_ASSERT_MSG(!e.parent_activity_id || state.activities.contains(*e.parent_activity_id),
                  "an imported activity's parent is known");
    Activity activity;
    activity.status = row.status;
    activity.is_approval_gate = e.is_approval_gate;
    activity.assignee_type = e.assignee.type;
    activity.priority = e.priority;
    const bool inserted = state.activities.emplace(e.activity_id, activity).second;
    LF_ASSERT_MSG(inserted, "activities.imported for an activity id already taken");
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kActivitiesKind);
}

std::optional<Rejection> precheck_activities_chunks(const std::vector<ActivitiesChunk>& chunks,
                                                    bool append, int64_t now_ms) {
  const State empty;
  StreamImports imports;
  std::set<std::string> ids;
  for (const ActivitiesChunk& chunk : chunks) {
    if (std::optional<Rejection> refused =
            decide_on(Added{empty, ids, append}, imports, 0, chunk, now_ms))
      return refused;
  }
  return std::nullopt;
}

}  // namespace lf::engine::workflow
