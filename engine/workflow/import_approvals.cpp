// Deciding and evolving import.approvals chunks (import_approvals.hpp,
// docs/migrating.md "approvals"): each row read as the live approval.request
// payload is, its status checked against its outcome fields, its times and
// its subject as the live lifecycle would; a pending approval enters the
// state pending and linked to its subject.
#include "engine/workflow/import_approvals.hpp"

#include <variant>

#include "engine/credits/import_codec.hpp"
#include "engine/credits/import_reader.hpp"
#include "engine/credits/import_sequence.hpp"
#include "engine/workflow/codec.hpp"
#include "engine/workflow/commands.hpp"
#include "engine/workflow/fields.hpp"
#include "engine/workflow/review.hpp"
#include "engine/workflow/text.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

namespace why = credits::import_reason;

// As a live command's times may lead the engine's clock (clock skew).
constexpr int64_t kAheadMaxMs = kClockSkewMaxMs;

// Whether the tenant's subjects are known: the engine's decision checks
// them; the CLI's pre-check on a fresh tenant cannot.
enum class Subjects { known, unknown };

credits::ImportHeader header_of(const ApprovalsChunk& chunk) {
  return credits::ImportHeader{chunk.import_id, chunk.chunk, chunk.chunks, chunk.append,
                               chunk.source};
}

Rejection refusal(const ApprovalsChunk& chunk, const ImportedApproval& row, std::string reason,
                  const std::string& message) {
  return Rejection{std::move(reason), chunk.source.file + ":" + std::to_string(row.line) +
                                          ": approval " + row.approval.approval_id + ": " +
                                          message};
}

// The status against the fields and times that come with it.
std::optional<std::string> status_problem(const ImportedApproval& row) {
  const bool decided = row.status == ApprovalStatus::approved ||
                       row.status == ApprovalStatus::rejected ||
                       row.status == ApprovalStatus::revision_requested;
  const std::string status(to_string(row.status));
  if (row.status == ApprovalStatus::pending && (row.resolved_at_ms || row.reviewed_by))
    return "pending: a pending approval has no resolved_at and no reviewed_by";
  if (!decided && (row.reviewer_notes || row.chosen_option))
    return status + ": only a decided approval has reviewer_notes or chosen_option";
  if (decided && (!row.reviewed_by || !row.resolved_at_ms))
    return status + ": a decided approval has its reviewed_by and resolved_at";
  if (row.status == ApprovalStatus::expired && row.reviewed_by)
    return "expired: an expired approval has no reviewed_by";
  return std::nullopt;
}

std::optional<Rejection> check_times(const ApprovalsChunk& chunk, const ImportedApproval& row,
                                     int64_t now_ms) {
  const int64_t created = row.created_on_ms;
  const int64_t expires = row.approval.expires_at_ms;
  if (created > now_ms + kAheadMaxMs) {
    return refusal(chunk, row, "invalid_created_on",
                   "created_on " + format_rfc3339_ms(created) + " is after the engine's clock (" +
                       format_rfc3339_ms(now_ms) + ")");
  }
  auto out_of_order = [&](std::string_view what, int64_t at, std::string_view after,
                          int64_t before) {
    return refusal(chunk, row, why::kTimestampOrder,
                   std::string(what) + " " + format_rfc3339_ms(at) + " is before its " +
                       std::string(after) + " " + format_rfc3339_ms(before));
  };
  if (expires <= created) return out_of_order("expires_at", expires, "created_on", created);
  if (row.resolved_at_ms && *row.resolved_at_ms < created)
    return out_of_order("resolved_at", *row.resolved_at_ms, "created_on", created);
  if (row.resolved_at_ms && *row.resolved_at_ms > now_ms + kAheadMaxMs) {
    return refusal(
        chunk, row, why::kTimestampOrder,
        "resolved_at " + format_rfc3339_ms(*row.resolved_at_ms) + " is after the engine's clock");
  }
  if (row.sent_to_client_at_ms && *row.sent_to_client_at_ms < created)
    return out_of_order("sent_to_client_at", *row.sent_to_client_at_ms, "created_on", created);
  if (row.status == ApprovalStatus::expired && row.resolved_at_ms && *row.resolved_at_ms < expires)
    return out_of_order("resolved_at", *row.resolved_at_ms, "expires_at", expires);
  // Live, an approval past its expiry cannot be decided.
  if (row.resolved_at_ms && row.status != ApprovalStatus::expired &&
      *row.resolved_at_ms > expires) {
    return refusal(chunk, row, "expired",
                   std::string(to_string(row.status)) + " at " +
                       format_rfc3339_ms(*row.resolved_at_ms) + ", after it expired at " +
                       format_rfc3339_ms(expires));
  }
  return std::nullopt;
}

// The subject (and a named review step) as the live approval.request finds
// them; sets the row's review step and whether it links.
std::optional<Rejection> check_subject(const State& state, const ApprovalsChunk& chunk,
                                       ImportedApproval& row) {
  const Subject& subject = row.approval.subject;
  const bool pending = row.status == ApprovalStatus::pending;
  if (subject.kind == SubjectKind::media_buy) {
    const auto buy = state.media_buys.find(subject.id);
    if (buy == state.media_buys.end())
      return refusal(chunk, row, "unknown_subject", "no media buy " + subject.id);
    if (pending && (buy->second.status != BuyStatus::pending || buy->second.pending_approval_id)) {
      return refusal(chunk, row, "invalid_transition",
                     "pending, but media buy " + subject.id + " is " +
                         std::string(to_string(buy->second.status)) +
                         (buy->second.pending_approval_id ? " with a pending approval" : "") +
                         ", not waiting for an approval");
    }
  } else if (subject.kind == SubjectKind::activity) {
    const auto work = state.activities.find(subject.id);
    if (work == state.activities.end())
      return refusal(chunk, row, "unknown_subject", "no activity " + subject.id);
    if (pending && (work->second.status != ActivityStatus::awaiting_approval ||
                    work->second.pending_approval_id)) {
      return refusal(chunk, row, "invalid_transition",
                     "pending, but activity " + subject.id + " is " +
                         std::string(to_string(work->second.status)) +
                         (work->second.pending_approval_id ? " with a pending approval" : "") +
                         ", not awaiting_approval");
    }
    if (!row.approval.activity_id && work->second.is_approval_gate)
      row.approval.activity_id = subject.id;  // the subject is its own review step
  }
  if (row.approval.activity_id && *row.approval.activity_id != subject.id) {
    const auto step = state.activities.find(*row.approval.activity_id);
    if (step == state.activities.end())
      return refusal(chunk, row, "unknown_activity", "no activity " + *row.approval.activity_id);
    if (!step->second.is_approval_gate) {
      return refusal(chunk, row, "invalid_transition",
                     "activity " + *row.approval.activity_id + " is not a review step");
    }
    if (pending && step->second.pending_approval_id) {
      return refusal(chunk, row, "invalid_transition",
                     "review step " + *row.approval.activity_id + " has a pending approval");
    }
  }
  row.linked = pending && subject.kind != SubjectKind::creative;
  return std::nullopt;
}

// Enters an imported approval into the state as the event says (shared by
// the decision's scratch state and evolve).
void apply_imported(State& state, const ImportedApproval& row) {
  const ApprovalRequested& e = row.approval;
  Approval approval;
  approval.status = row.status;
  approval.subject_kind = e.subject.kind;
  approval.subject_id = e.subject.id;
  approval.expires_at_ms = e.expires_at_ms;
  approval.linked = row.linked;
  if (row.status == ApprovalStatus::pending) {
    approval.review = PendingReview{e.activity_id, e.type,        e.risk_level, e.title,
                                    e.content_ref, e.reviewer_id, e.escalate_to};
    state.approval_deadlines.emplace(e.expires_at_ms, e.approval_id);
    if (e.activity_id && e.activity_id != std::optional<std::string>(e.subject.id)) {
      auto step = state.activities.find(*e.activity_id);
      LF_ASSERT_MSG(step != state.activities.end(), "an imported approval's review step exists");
      step->second.pending_approval_id = e.approval_id;
    }
  }
  if (row.linked && e.subject.kind == SubjectKind::media_buy) {
    MediaBuy& buy = state.media_buys.at(e.subject.id);
    LF_ASSERT_MSG(!buy.pending_approval_id, "a buy waits on one pending approval at a time");
    buy.pending_approval_id = e.approval_id;
    buy.requires_approval = true;  // its approval decides it now
  } else if (row.linked && e.subject.kind == SubjectKind::activity) {
    Activity& work = state.activities.at(e.subject.id);
    LF_ASSERT_MSG(!work.pending_approval_id, "an activity waits on one pending approval at a time");
    work.pending_approval_id = e.approval_id;
    ++work.approvals_opened;
  }
  const bool inserted = state.approvals.emplace(e.approval_id, std::move(approval)).second;
  LF_ASSERT_MSG(inserted, "approval.imported for an approval id already taken");
}

std::optional<Rejection> decide_on(State& state, KindImports& imports, ApprovalsChunk& chunk,
                                   int64_t now_ms, Subjects subjects) {
  const credits::ImportHeader header = header_of(chunk);
  if (std::optional<Rejection> refused = credits::refuse_import_sequence(
          imports.by_kind, imports.events, imports.events + imports.live_events, header,
          kApprovalsKind, "approval"))
    return refused;
  for (ImportedApproval& row : chunk.rows) {
    Result<bool> free = check_new_approval(state, row.approval.approval_id);
    if (!free) return refusal(chunk, row, free.error().code, free.error().message);
    if (std::optional<std::string> problem = status_problem(row))
      return refusal(chunk, row, "invalid_transition", *problem);
    if (std::optional<Rejection> refused = check_times(chunk, row, now_ms)) return refused;
    if (subjects == Subjects::known) {
      if (std::optional<Rejection> refused = check_subject(state, chunk, row)) return refused;
      apply_imported(state, row);
    } else {
      state.approvals.emplace(row.approval.approval_id, Approval{});  // its id is taken
    }
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kApprovalsKind);
  return std::nullopt;
}

std::string encode_imported(const ApprovalsChunk& chunk) {
  JsonWriter w;
  w.begin_object();
  w.field("kind", kApprovalsKind);
  credits::write_import_header(w, header_of(chunk));
  w.key("approvals");
  w.begin_array();
  for (const ImportedApproval& row : chunk.rows) {
    w.begin_object();
    w.field("line", row.line);
    w.field("status", to_string(row.status));
    w.timestamp_field("created_on", row.created_on_ms);
    w.timestamp_field("resolved_at", row.resolved_at_ms);
    w.timestamp_field("sent_to_client_at", row.sent_to_client_at_ms);
    w.field("reviewed_by", row.reviewed_by);
    w.field("reviewer_notes", row.reviewer_notes);
    w.field("chosen_option", row.chosen_option);
    w.field("linked", row.linked);
    w.key("approval");  // as an approval.requested payload
    w.raw(encode_event_payload(Event{row.approval}));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

// One row: {line, request, status, created_on, resolved_at?, ...}.
Result<ImportedApproval> parse_row(const rapidjson::Value& item, const std::string& file) {
  const std::optional<int64_t> line = item.IsObject() ? json_int64(item, "line") : std::nullopt;
  if (!line || *line < 1 || *line > credits::kLineMax)
    return make_error(why::kInvalidRow, "every row is an object with its line");
  const std::string at = file + ":" + std::to_string(*line) + ": ";
  Result<Command> parsed = parse_command("approval.request", json_member(item, "request"));
  if (!parsed)
    return make_error(why::kInvalidRow, at + parsed.error().code + ": " + parsed.error().message);
  RequestApproval request = std::get<RequestApproval>(std::move(parsed).value());
  if (!request.expires_at_ms)
    return make_error(why::kInvalidRow, at + "an imported approval needs its expires_at");
  Fields in(item);
  ImportedApproval row;
  row.line = *line;
  row.status = in.named("status", &parse_approval_status, ApprovalStatus::pending);
  row.created_on_ms = in.optional_timestamp("created_on", kInvalidPayloadCode).value_or(0);
  if (!in.has("created_on")) in.fail(kInvalidPayloadCode, "created_on is required");
  row.resolved_at_ms = in.optional_timestamp("resolved_at", kInvalidPayloadCode);
  row.sent_to_client_at_ms = in.optional_timestamp("sent_to_client_at", kInvalidPayloadCode);
  row.reviewed_by = in.optional_text("reviewed_by");
  row.reviewer_notes = in.note("reviewer_notes");
  row.chosen_option = in.optional_text("chosen_option", kChosenOptionLengthMax);
  Result<bool> read = in.finish<bool>(true);
  if (!read)
    return make_error(why::kInvalidRow, at + read.error().code + ": " + read.error().message);
  row.approval = ApprovalRequested{std::move(request.approval_id),
                                   std::move(request.activity_id),
                                   std::move(request.subject),
                                   request.type,
                                   request.risk_level,
                                   std::move(request.title),
                                   std::move(request.content_ref),
                                   std::move(request.reviewer_id),
                                   std::move(request.escalate_to),
                                   std::nullopt,
                                   *request.expires_at_ms};
  return row;
}

}  // namespace

std::string approvals_import_stream(std::string_view tenant_id) {
  return "approvals/" + std::string(tenant_id);
}

Result<ApprovalsChunk> parse_approvals_chunk(const rapidjson::Value* payload) {
  return credits::read_chunk_rows<ApprovalsChunk>(payload, "approvals", &parse_row);
}

Decision decide_approvals_chunk(const State& state, const KindImports& imports,
                                const ApprovalsChunk& chunk, const std::string& stream,
                                int64_t now_ms) {
  State scratch_state = state;
  KindImports scratch = imports;
  ApprovalsChunk decided = chunk;
  return credits::chunk_decision(
      decide_on(scratch_state, scratch, decided, now_ms, Subjects::known), kApprovalsImportedEvent,
      stream, [&] { return encode_imported(decided); });
}

void evolve_approvals_imported(State& state, KindImports& imports,
                               const rapidjson::Value& payload) {
  std::optional<Error> error;
  credits::ImportReader in(error);
  credits::ImportHeader header;
  credits::read_import_header(in, payload, header);
  LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
  const rapidjson::Value* approvals = json_member(payload, "approvals");
  LF_ASSERT_MSG(approvals != nullptr && approvals->IsArray() && !approvals->Empty(),
                "approval.imported carries approvals");
  for (const rapidjson::Value& item : approvals->GetArray()) {
    const rapidjson::Value* requested = json_member(item, "approval");
    LF_ASSERT_MSG(requested != nullptr, "an imported approval carries its approval.requested");
    ImportedApproval row;
    row.approval = std::get<ApprovalRequested>(decode_event("approval.requested", *requested));
    const std::optional<ApprovalStatus> status =
        parse_approval_status(json_string(item, "status").value_or(""));
    LF_ASSERT_MSG(status.has_value(), "an imported approval has its status");
    row.status = *status;
    row.linked = json_bool(item, "linked").value_or(false);
    apply_imported(state, row);
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kApprovalsKind);
#ifdef LF_DEEP_CHECKS
  if (std::optional<std::string> broken = state_invariant_violation(state)) {
    LF_ASSERT_MSG(false, broken->c_str());
  }
#endif
}

std::optional<Rejection> precheck_approvals_chunks(const std::vector<ApprovalsChunk>& chunks,
                                                   int64_t now_ms) {
  State state;
  KindImports imports;
  for (const ApprovalsChunk& chunk : chunks) {
    ApprovalsChunk decided = chunk;
    if (std::optional<Rejection> refused =
            decide_on(state, imports, decided, now_ms, Subjects::unknown))
      return refused;
  }
  return std::nullopt;
}

}  // namespace lf::engine::workflow
