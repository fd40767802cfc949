// decide(): media buys, approvals, activities, runs, audit records.
#include "engine/workflow/decider.hpp"

#include <algorithm>
#include <set>
#include <variant>

#include "engine/credits/decide.hpp"
#include "engine/credits/decider.hpp"
#include "engine/credits/period.hpp"
#include "engine/workflow/payload.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

// The events of one decision, each on its stream.
class Out {
 public:
  void emit(std::string type, std::string stream, JsonWriter& payload, int32_t schema_version = 1) {
    events_.push_back(NewEvent{std::move(type), schema_version, std::move(stream), payload.str()});
    payload.reset();
  }
  void append(std::vector<NewEvent> more) {
    for (NewEvent& event : more) events_.push_back(std::move(event));
  }
  Decision accept() { return Decision::accept(std::move(events_)); }

 private:
  std::vector<NewEvent> events_;
};

std::string buy_stream(std::string_view id) { return "media_buy/" + std::string(id); }
std::string approval_stream(std::string_view id) { return "approval/" + std::string(id); }
std::string activity_stream(std::string_view id) { return "activity/" + std::string(id); }

Decision refuse(const char* reason, std::string message) {
  return Decision::reject(reason, std::move(message));
}

Decision invalid_transition(std::string_view what, std::string_view id, std::string_view status,
                            std::string_view command_type) {
  return refuse(reason::kInvalidTransition, std::string(what) + " " + std::string(id) + " is " +
                                                std::string(status) + "; " +
                                                std::string(command_type) + " does not apply");
}

// An optional timestamp field; error when present but no instant.
Result<std::optional<int64_t>> optional_time(const rapidjson::Value& payload, std::string_view field) {
  std::optional<std::string_view> text = json_string(payload, field);
  if (!text) return std::optional<int64_t>{};
  std::optional<int64_t> unix_ms = parse_rfc3339_ms(*text);
  if (!unix_ms) return make_error(reason::kInvalidExpiry, std::string(field) + " is not an instant");
  return std::optional<int64_t>{*unix_ms};
}

// The deadline of an approval opened by `command`: `field` of the payload,
// or issued_at + 72 h; it must lie after now.
Result<int64_t> approval_deadline(const rapidjson::Value& payload, std::string_view field,
                                  const CommandEnvelope& command, int64_t now_ms) {
  Result<std::optional<int64_t>> given = optional_time(payload, field);
  if (!given) return given.error();
  const int64_t expires_at_ms = given.value().value_or(
      std::min(command.issued_at_ms + kApprovalDefaultTtlMs, credits::kTimestampMaxMs));
  if (expires_at_ms <= now_ms) {
    return make_error(reason::kInvalidExpiry,
                      "the approval would expire at " + format_rfc3339_ms(expires_at_ms) +
                          ", which is not after now");
  }
  return expires_at_ms;
}


struct NewApproval {
  std::string approval_id;
  SubjectKind subject_kind = SubjectKind::creative;
  std::string subject_id;
  std::string type;
  std::string risk_level;
  std::string title;
  std::optional<std::string> content_ref;
  std::optional<std::string> reviewer_id;
  int64_t expires_at_ms = 0;
};

void emit_approval_requested(Out& out, const NewApproval& approval) {
  JsonWriter payload;
  payload.begin_object();
  payload.field("approval_id", approval.approval_id);
  write_subject(payload, approval.subject_kind, approval.subject_id);
  payload.field("type", approval.type);
  payload.field("risk_level", approval.risk_level);
  payload.field("title", approval.title);
  payload.field("content_ref", approval.content_ref);
  payload.field("reviewer_id", approval.reviewer_id);
  payload.timestamp_field("expires_at", approval.expires_at_ms);
  payload.end_object();
  out.emit("approval.requested", approval_stream(approval.approval_id), payload);
}

// Ids the engine derives (default approval ids, run reservations) obey the
// same 128-character limit as the ids producers choose.
constexpr std::size_t kIdLengthMax = 128;
constexpr int64_t kBudgetTotalMax = 9'007'199'254'740'991;  // 2^53 - 1: exact in every JSON reader

std::optional<Decision> refuse_long_id(const std::string& id, std::string_view what) {
  if (id.size() <= kIdLengthMax) return std::nullopt;
  return refuse(reason::kInvalidPayload, "the " + std::string(what) + " " + id + " would be longer than " +
                                             std::to_string(kIdLengthMax) + " characters; give a shorter id");
}

std::optional<Decision> refuse_when_full(std::size_t size, std::string_view kind) {
  if (size < kObjectsPerKindMax) return std::nullopt;
  return refuse(reason::kLimitExceeded, "the tenant already has " +
                                            std::to_string(kObjectsPerKindMax) + " " +
                                            std::string(kind));
}

// The approval a subject's command opens (media_buy.create, a gate's
// activity.submit_for_approval), from the command's optional approval_id,
// risk_level, reviewer_id and approval_expires_at; or the refusal.
std::variant<NewApproval, Decision> subject_approval(const State& state, const CommandEnvelope& command,
                                                     const Payload& in, int64_t now_ms, SubjectKind kind,
                                                     const std::string& subject_id, std::string default_id,
                                                     std::string type, std::string title) {
  NewApproval approval;
  approval.approval_id = in.optional_text("approval_id").value_or(std::move(default_id));
  if (auto long_id = refuse_long_id(approval.approval_id, "approval id")) return std::move(*long_id);
  if (state.approvals.contains(approval.approval_id)) {
    return refuse(reason::kDuplicateApproval, "approval " + approval.approval_id + " already exists");
  }
  if (auto full = refuse_when_full(state.approvals.size(), "approvals")) return std::move(*full);
  Result<int64_t> deadline = approval_deadline(in.value(), "approval_expires_at", command, now_ms);
  if (!deadline) return refuse(reason::kInvalidExpiry, deadline.error().message);
  approval.subject_kind = kind;
  approval.subject_id = subject_id;
  approval.type = std::move(type);
  approval.risk_level = in.optional_text("risk_level").value_or("medium");
  approval.title = std::move(title);
  approval.reviewer_id = in.optional_text("reviewer_id");
  approval.expires_at_ms = deadline.value();
  return approval;
}

// ---- media buys ------------------------------------------------------------

Decision decide_create_buy(const State& state, const CommandEnvelope& command, const Payload& in,
                           int64_t now_ms) {
  const std::string id = in.text("media_buy_id");
  if (state.media_buys.contains(id)) {
    return refuse(reason::kDuplicateMediaBuy, "media buy " + id + " already exists");
  }
  if (auto full = refuse_when_full(state.media_buys.size(), "media buys")) return std::move(*full);
  const std::optional<int32_t> start = parse_date_days(in.text("start_date"));
  const std::optional<int32_t> end = parse_date_days(in.text("end_date"));
  if (!start || !end) return refuse(reason::kInvalidDates, "start_date or end_date is not a calendar date");
  if (*end < *start) {
    return refuse(reason::kInvalidDates, "end_date " + in.text("end_date") + " is before start_date " +
                                             in.text("start_date"));
  }
  const rapidjson::Value& packages = in.member("packages");
  int64_t budget_total = 0;
  std::set<std::string_view> package_ids;
  for (const rapidjson::Value& package : packages.GetArray()) {
    const std::string_view package_id = json_string(package, "package_id").value_or("");
    if (!package_ids.insert(package_id).second) {
      return refuse(reason::kDuplicatePackage, "package " + std::string(package_id) + " appears twice");
    }
    budget_total += json_int64(package, "budget").value_or(0);  // <= 100 x 10^15: no overflow
  }
  if (budget_total > kBudgetTotalMax) {
    return refuse(reason::kLimitExceeded, "the packages' budgets add up to more than " +
                                              std::to_string(kBudgetTotalMax));
  }
  const bool requires_approval = in.flag("requires_approval");
  std::optional<NewApproval> approval;
  if (requires_approval) {
    auto opened = subject_approval(state, command, in, now_ms, SubjectKind::media_buy, id, id + ":approval",
                                   "media_buy", "Approve media buy " + in.text("campaign_name"));
    if (Decision* refused = std::get_if<Decision>(&opened)) return std::move(*refused);
    approval = std::move(std::get<NewApproval>(opened));
  }

  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("media_buy_id", id);
  payload.field("principal_id", in.text("principal_id"));
  payload.field("campaign_name", in.text("campaign_name"));
  payload.field("buyer_ref", in.optional_text("buyer_ref"));
  payload.field("start_date", in.text("start_date"));
  payload.field("end_date", in.text("end_date"));
  payload.key("packages");
  payload.value(packages);
  payload.field("budget_total", budget_total);
  payload.field("requires_approval", requires_approval);
  if (approval) payload.field("approval_id", approval->approval_id);
  payload.end_object();
  out.emit("media_buy.created", buy_stream(id), payload);
  if (approval) emit_approval_requested(out, *approval);
  return out.accept();
}

struct BuyMove {
  std::string_view command;  // "media_buy.activate"
  std::string_view event;    // "media_buy.activated"
  std::initializer_list<BuyStatus> from;
};

Decision decide_move_buy(const State& state, const CommandEnvelope& command, const Payload& in) {
  static const BuyMove kMoves[] = {
      {"media_buy.approve", "media_buy.approved", {BuyStatus::pending}},
      {"media_buy.activate", "media_buy.activated", {BuyStatus::approved}},
      {"media_buy.pause", "media_buy.paused", {BuyStatus::active}},
      {"media_buy.resume", "media_buy.resumed", {BuyStatus::paused}},
      {"media_buy.complete", "media_buy.completed", {BuyStatus::active, BuyStatus::paused}},
      {"media_buy.fail", "media_buy.failed",
       {BuyStatus::pending, BuyStatus::approved, BuyStatus::active, BuyStatus::paused}},
  };
  const BuyMove* move = nullptr;
  for (const BuyMove& candidate : kMoves) {
    if (candidate.command == command.type) move = &candidate;
  }
  if (move == nullptr) return refuse("unknown_command_type", "no workflow rule decides " + command.type);
  const std::string id = in.text("media_buy_id");
  auto found = state.media_buys.find(id);
  if (found == state.media_buys.end()) return refuse(reason::kUnknownMediaBuy, "no media buy " + id);
  const MediaBuy& buy = found->second;
  if (std::find(move->from.begin(), move->from.end(), buy.status) == move->from.end()) {
    return invalid_transition("media buy", id, to_string(buy.status), command.type);
  }
  if (command.type == "media_buy.approve" && buy.requires_approval) {
    return refuse(reason::kApprovalRequired,
                  "media buy " + id + " is decided by its approval" +
                      (buy.pending_approval_id ? " " + *buy.pending_approval_id : std::string()) +
                      "; approve the approval instead");
  }
  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("media_buy_id", id);
  payload.field("reason", in.optional_text("reason"));
  payload.end_object();
  out.emit(std::string(move->event), buy_stream(id), payload);
  return out.accept();
}

// ---- approvals -------------------------------------------------------------

Decision decide_request_approval(const State& state, const CommandEnvelope& command,
                                 const Payload& in, int64_t now_ms) {
  NewApproval approval;
  approval.approval_id = in.text("approval_id");
  if (state.approvals.contains(approval.approval_id)) {
    return refuse(reason::kDuplicateApproval, "approval " + approval.approval_id + " already exists");
  }
  if (auto full = refuse_when_full(state.approvals.size(), "approvals")) return std::move(*full);
  const rapidjson::Value& subject = in.member("subject");
  const std::optional<SubjectKind> kind = parse_subject_kind(json_string(subject, "kind").value_or(""));
  if (!kind) return refuse(reason::kInvalidPayload, "subject.kind is not activity, media_buy or creative");
  approval.subject_kind = *kind;
  approval.subject_id = std::string(json_string(subject, "id").value_or(""));
  if (*kind == SubjectKind::media_buy) {
    auto buy = state.media_buys.find(approval.subject_id);
    if (buy == state.media_buys.end()) {
      return refuse(reason::kUnknownSubject, "no media buy " + approval.subject_id);
    }
    if (buy->second.status != BuyStatus::pending || !buy->second.requires_approval ||
        buy->second.pending_approval_id) {
      return refuse(reason::kInvalidTransition,
                    "media buy " + approval.subject_id + " is not waiting for an approval");
    }
  } else if (*kind == SubjectKind::activity) {
    auto activity = state.activities.find(approval.subject_id);
    if (activity == state.activities.end()) {
      return refuse(reason::kUnknownSubject, "no activity " + approval.subject_id);
    }
    if (activity->second.status != ActivityStatus::awaiting_approval ||
        activity->second.pending_approval_id) {
      return refuse(reason::kInvalidTransition,
                    "activity " + approval.subject_id + " is not waiting for an approval");
    }
  }
  Result<int64_t> deadline = approval_deadline(in.value(), "expires_at", command, now_ms);
  if (!deadline) return refuse(reason::kInvalidExpiry, deadline.error().message);
  approval.type = in.text("type");
  approval.risk_level = in.text("risk_level");
  approval.title = in.text("title");
  approval.content_ref = in.optional_text("content_ref");
  approval.reviewer_id = in.optional_text("reviewer_id");
  approval.expires_at_ms = deadline.value();
  Out out;
  emit_approval_requested(out, approval);
  return out.accept();
}

// The pending approval `id` names, or the refusal: unknown, already decided,
// or past its deadline (even if the timer has not fired yet).
std::variant<const Approval*, Decision> pending_approval(const State& state, const std::string& id,
                                                         const CommandEnvelope& command,
                                                         int64_t now_ms) {
  auto found = state.approvals.find(id);
  if (found == state.approvals.end()) return refuse(reason::kUnknownApproval, "no approval " + id);
  const Approval& approval = found->second;
  if (approval.status == ApprovalStatus::expired ||
      (approval.status == ApprovalStatus::pending && approval.expires_at_ms <= now_ms)) {
    return refuse(reason::kExpired, "approval " + id + " expired at " +
                                        format_rfc3339_ms(approval.expires_at_ms));
  }
  if (approval.status != ApprovalStatus::pending) {
    return invalid_transition("approval", id, to_string(approval.status), command.type);
  }
  return &approval;
}

Decision decide_assign_approval(const State& state, const CommandEnvelope& command,
                                const Payload& in, int64_t now_ms) {
  const std::string id = in.text("approval_id");
  auto found = pending_approval(state, id, command, now_ms);
  if (Decision* refused = std::get_if<Decision>(&found)) return std::move(*refused);
  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("approval_id", id);
  payload.field("reviewer_id", in.text("reviewer_id"));
  payload.end_object();
  out.emit("approval.assigned", approval_stream(id), payload);
  return out.accept();
}

enum class Outcome { approved, rejected, revision_requested };

// The subject's event for a linked approval's outcome, when the subject is
// still waiting on this approval.
void emit_subject_outcome(Out& out, const State& state, const std::string& approval_id,
                          const Approval& approval, Outcome outcome, const std::string& reviewed_by,
                          const std::optional<std::string>& notes) {
  if (!approval.linked) return;
  JsonWriter payload;
  if (approval.subject_kind == SubjectKind::media_buy) {
    auto buy = state.media_buys.find(approval.subject_id);
    if (buy == state.media_buys.end() || buy->second.pending_approval_id != approval_id ||
        buy->second.status != BuyStatus::pending) {
      return;
    }
    if (outcome == Outcome::revision_requested) return;  // stays pending
    payload.begin_object();
    payload.field("media_buy_id", approval.subject_id);
    payload.field("approval_id", approval_id);
    if (outcome == Outcome::approved) {
      payload.field("reviewed_by", reviewed_by);
      payload.field("reason", notes);
      payload.end_object();
      out.emit("media_buy.approved", buy_stream(approval.subject_id), payload);
    } else {
      payload.field("reason", notes.value_or("rejected by " + reviewed_by));
      payload.end_object();
      out.emit("media_buy.failed", buy_stream(approval.subject_id), payload);
    }
    return;
  }
  if (approval.subject_kind != SubjectKind::activity) return;
  auto activity = state.activities.find(approval.subject_id);
  if (activity == state.activities.end() || activity->second.pending_approval_id != approval_id ||
      activity->second.status != ActivityStatus::awaiting_approval) {
    return;
  }
  payload.begin_object();
  payload.field("activity_id", approval.subject_id);
  payload.field("approval_id", approval_id);
  payload.field("reviewed_by", reviewed_by);
  switch (outcome) {
    case Outcome::approved:
      payload.field("notes", notes);
      payload.end_object();
      out.emit("activity.approved", activity_stream(approval.subject_id), payload);
      return;
    case Outcome::rejected:
      payload.field("rejection_note", notes.value_or("rejected by " + reviewed_by));
      payload.end_object();
      out.emit("activity.rejected", activity_stream(approval.subject_id), payload);
      return;
    case Outcome::revision_requested:
      payload.field("revision_note", notes.value_or("revision requested by " + reviewed_by));
      payload.end_object();
      out.emit("activity.revision_requested", activity_stream(approval.subject_id), payload);
      return;
  }
}

Decision decide_approval_outcome(const State& state, const CommandEnvelope& command,
                                 const Payload& in, int64_t now_ms, Outcome outcome) {
  const std::string id = in.text("approval_id");
  auto found = pending_approval(state, id, command, now_ms);
  if (Decision* refused = std::get_if<Decision>(&found)) return std::move(*refused);
  const Approval& approval = *std::get<const Approval*>(found);
  const std::string reviewed_by = in.text("reviewed_by");
  const std::optional<std::string> notes = in.optional_text("notes");
  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("approval_id", id);
  write_subject(payload, approval.subject_kind, approval.subject_id);
  payload.field("reviewed_by", reviewed_by);
  payload.field("notes", notes);
  payload.field("chosen_option", in.optional_text("chosen_option"));
  payload.end_object();
  const char* type = outcome == Outcome::approved   ? "approval.approved"
                     : outcome == Outcome::rejected ? "approval.rejected"
                                                    : "approval.revision_requested";
  out.emit(type, approval_stream(id), payload);
  emit_subject_outcome(out, state, id, approval, outcome, reviewed_by, notes);
  return out.accept();
}

// ---- activities ------------------------------------------------------------

// assignee_agent_role for agents, assignee_user_id for humans.
std::optional<Decision> refuse_unpaired_assignee(const Payload& in) {
  const std::string type = in.text("assignee_type");
  if (type == "agent" && !in.optional_text("assignee_agent_role")) {
    return refuse(reason::kInvalidPayload, "an agent activity needs assignee_agent_role");
  }
  if (type == "human" && !in.optional_text("assignee_user_id")) {
    return refuse(reason::kInvalidPayload, "a human activity needs assignee_user_id");
  }
  return std::nullopt;
}

void write_assignee(JsonWriter& payload, const Payload& in) {
  const std::string type = in.text("assignee_type");
  payload.field("assignee_type", type);
  if (type == "agent") payload.field("assignee_agent_role", in.optional_text("assignee_agent_role"));
  if (type == "human") payload.field("assignee_user_id", in.optional_text("assignee_user_id"));
}

Decision decide_create_activity(const State& state, const Payload& in) {
  const std::string id = in.text("activity_id");
  if (state.activities.contains(id)) {
    return refuse(reason::kDuplicateActivity, "activity " + id + " already exists");
  }
  if (auto full = refuse_when_full(state.activities.size(), "activities")) return std::move(*full);
  if (auto unpaired = refuse_unpaired_assignee(in)) return std::move(*unpaired);
  const std::optional<std::string> due_date = in.optional_text("due_date");
  if (due_date && !parse_date_days(*due_date)) {
    return refuse(reason::kInvalidPayload, "due_date " + *due_date + " is not a calendar date");
  }
  const std::optional<std::string> parent = in.optional_text("parent_activity_id");
  if (parent && !state.activities.contains(*parent)) {
    return refuse(reason::kUnknownParent, "no parent activity " + *parent);
  }
  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("activity_id", id);
  payload.field("title", in.text("title"));
  payload.field("type", in.text("type"));
  payload.field("description", in.optional_text("description"));
  write_assignee(payload, in);
  payload.field("priority", in.text("priority"));
  payload.field("is_approval_gate", in.flag("is_approval_gate"));
  payload.field("due_date", due_date);
  payload.field("parent_activity_id", parent);
  payload.end_object();
  out.emit("activity.created", activity_stream(id), payload);
  return out.accept();
}

Decision decide_submit_activity(const State& state, const CommandEnvelope& command,
                                const Payload& in, const std::string& id, const Activity& activity,
                                int64_t now_ms) {
  std::optional<NewApproval> approval;
  if (activity.is_approval_gate) {
    auto opened = subject_approval(state, command, in, now_ms, SubjectKind::activity, id,
                                   id + ":approval:" + std::to_string(activity.approvals_opened + 1),
                                   in.optional_text("approval_type").value_or("activity_review"),
                                   "Review activity " + id);
    if (Decision* refused = std::get_if<Decision>(&opened)) return std::move(*refused);
    approval = std::move(std::get<NewApproval>(opened));
  }
  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("activity_id", id);
  if (approval) payload.field("approval_id", approval->approval_id);
  payload.field("note", in.optional_text("note"));
  payload.end_object();
  out.emit("activity.submitted_for_approval", activity_stream(id), payload);
  if (approval) emit_approval_requested(out, *approval);
  return out.accept();
}

bool activity_may(std::string_view command_type, const Activity& activity) {
  using S = ActivityStatus;
  const S status = activity.status;
  if (command_type == "activity.assign") {
    return status == S::created || status == S::assigned || status == S::in_progress || status == S::rejected;
  }
  if (command_type == "activity.start") {
    return status == S::created || status == S::assigned || status == S::rejected;
  }
  if (command_type == "activity.submit_for_approval") return status == S::in_progress;
  if (command_type == "activity.complete") {
    if (activity.is_approval_gate) return status == S::approved;
    return status == S::in_progress || status == S::awaiting_approval || status == S::approved;
  }
  if (command_type == "activity.fail" || command_type == "activity.cancel") return !is_final(status);
  return false;
}

Decision decide_move_activity(const State& state, const CommandEnvelope& command, const Payload& in,
                              int64_t now_ms) {
  const std::string id = in.text("activity_id");
  auto found = state.activities.find(id);
  if (found == state.activities.end()) return refuse(reason::kUnknownActivity, "no activity " + id);
  const Activity& activity = found->second;
  if (!activity_may(command.type, activity)) {
    return invalid_transition("activity", id, to_string(activity.status), command.type);
  }
  if (command.type == "activity.submit_for_approval") {
    return decide_submit_activity(state, command, in, id, activity, now_ms);
  }
  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("activity_id", id);
  std::string event;
  if (command.type == "activity.assign") {
    if (auto unpaired = refuse_unpaired_assignee(in)) return std::move(*unpaired);
    write_assignee(payload, in);
    event = "activity.assigned";
  } else if (command.type == "activity.start") {
    event = "activity.started";
  } else if (command.type == "activity.complete") {
    event = "activity.completed";
  } else if (command.type == "activity.fail") {
    event = "activity.failed";
  } else {
    event = "activity.cancelled";
  }
  payload.field("note", in.optional_text("note"));
  payload.end_object();
  out.emit(std::move(event), activity_stream(id), payload);
  return out.accept();
}

// ---- runs ------------------------------------------------------------------

std::string run_reservation_id(std::string_view run_id) { return "run:" + std::string(run_id); }

Decision decide_start_run(const State& state, const credits::State& credits_state,
                          const CommandEnvelope& command, const Payload& in, int64_t now_ms) {
  const std::string activity_id = in.text("activity_id");
  const std::string run_id = in.text("run_id");
  auto activity = state.activities.find(activity_id);
  if (activity == state.activities.end()) {
    return refuse(reason::kUnknownActivity, "no activity " + activity_id);
  }
  if (activity->second.status != ActivityStatus::in_progress) {
    return refuse(reason::kInvalidTransition,
                  "activity " + activity_id + " is " + std::string(to_string(activity->second.status)) +
                      "; a run starts only while it is in_progress");
  }
  if (state.runs.contains(run_id)) return refuse(reason::kDuplicateRun, "run " + run_id + " already exists");
  if (auto long_id = refuse_long_id(run_reservation_id(run_id), "run's reservation id")) return std::move(*long_id);
  if (auto full = refuse_when_full(state.runs.size(), "runs")) return std::move(*full);
  Result<std::optional<int64_t>> given = optional_time(in.value(), "expires_at");
  if (!given) return refuse(reason::kInvalidExpiry, given.error().message);
  const int64_t expires_at_ms = given.value().value_or(
      std::min(now_ms + credits::kReservationDefaultTtlMs, credits::kTimestampMaxMs));
  const int64_t estimated = in.integer("estimated_credits");
  credits::Reserve hold;
  hold.reservation_id = run_reservation_id(run_id);
  hold.credits = estimated;
  hold.activity_run_id = run_id;
  hold.deliverable_type = in.optional_text("deliverable_type");
  hold.expires_at_ms = expires_at_ms;
  Decision reserved = credits::decide_reserve(
      credits::DecisionInput{credits_state, command, now_ms, credits::stream_name(command.tenant_id)}, hold);
  if (!reserved.accepted()) return reserved;

  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("activity_id", activity_id);
  payload.field("run_id", run_id);
  payload.field("estimated_credits", estimated);
  payload.field("reservation_id", hold.reservation_id);
  payload.field("deliverable_type", hold.deliverable_type);
  payload.timestamp_field("expires_at", expires_at_ms);
  payload.end_object();
  out.emit("activity.run_started", activity_stream(activity_id), payload);
  out.append(std::move(reserved.events()));
  return out.accept();
}

Decision decide_finish_run(const State& state, const credits::State& credits_state,
                           const CommandEnvelope& command, const Payload& in, int64_t now_ms) {
  const std::string run_id = in.text("run_id");
  auto found = state.runs.find(run_id);
  if (found == state.runs.end()) return refuse(reason::kUnknownRun, "no run " + run_id);
  const Run& run = found->second;
  if (run.status != RunStatus::running) {
    return refuse(reason::kInvalidTransition,
                  "run " + run_id + " already finished (" + std::string(to_string(run.status)) + ")");
  }
  const std::string status = in.text("status");
  const int64_t credits_used = in.integer("credits_used");
  const bool completed = status == "completed";
  if (completed && credits_used > run.estimated_credits) {
    return refuse(reason::kExceedsReservation,
                  "run " + run_id + " used " + std::to_string(credits_used) + " credits, more than the " +
                      std::to_string(run.estimated_credits) + " reserved");
  }
  const int64_t charged = completed ? credits_used : 0;
  const credits::DecisionInput credits_in{credits_state, command, now_ms,
                                          credits::stream_name(command.tenant_id)};
  Decision closed = charged > 0
                        ? credits::decide_consume(credits_in, credits::Consume{run.reservation_id, charged})
                        : credits::decide_release(credits_in, credits::Release{run.reservation_id});
  if (!closed.accepted()) return closed;

  Out out;
  JsonWriter payload;
  payload.begin_object();
  payload.field("activity_id", run.activity_id);
  payload.field("run_id", run_id);
  payload.field("status", status);
  payload.field("credits_used", credits_used);
  payload.field("credits_charged", charged);
  payload.field("credits_released", run.estimated_credits - charged);
  write_run_usage(payload, in.optional_integer("input_tokens"), in.optional_integer("output_tokens"),
                  in.optional_integer("duration_ms"));
  payload.end_object();
  out.emit("activity.run_finished", activity_stream(run.activity_id), payload, kRunFinishedSchemaVersion);
  out.append(std::move(closed.events()));
  return out.accept();
}

// ---- audit -----------------------------------------------------------------

Decision decide_audit_record(const CommandEnvelope& command, const Payload& in) {
  Out out;
  JsonWriter payload;
  payload.value(in.value());
  out.emit("audit.recorded", "audit/" + command.tenant_id, payload);
  return out.accept();
}

bool starts_with_any(std::string_view type, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return type.starts_with(prefix); });
}

}  // namespace

bool handles_command(std::string_view command_type) {
  return starts_with_any(command_type, {"media_buy.", "approval.", "activity.", "audit."});
}

bool handles_event(std::string_view event_type) {
  return starts_with_any(event_type, {"media_buy.", "approval.", "activity."});
}

std::string target_stream(const State& state, const CommandEnvelope& command) {
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const rapidjson::Value& payload = command.payload != nullptr ? *command.payload : kEmpty;
  const std::string_view type = command.type;
  auto field = [&](std::string_view name) { return std::string(json_string(payload, name).value_or("")); };
  if (type.starts_with("media_buy.")) return buy_stream(field("media_buy_id"));
  if (type.starts_with("approval.")) return approval_stream(field("approval_id"));
  if (type == "activity.finish_run") {
    auto run = state.runs.find(field("run_id"));
    return activity_stream(run == state.runs.end() ? std::string() : run->second.activity_id);
  }
  if (type.starts_with("activity.")) return activity_stream(field("activity_id"));
  return "audit/" + command.tenant_id;
}

std::optional<Rejection> refuse_credits_command(const State& state, const CommandEnvelope& command) {
  if (command.type != "credits.consume" && command.type != "credits.release") return std::nullopt;
  if (command.payload == nullptr) return std::nullopt;
  const std::string_view reservation_id = json_string(*command.payload, "reservation_id").value_or("");
  auto run = state.run_by_reservation.find(std::string(reservation_id));
  if (run == state.run_by_reservation.end()) return std::nullopt;
  return Rejection{reason::kReservationOwnedByRun,
                   "reservation " + std::string(reservation_id) + " belongs to run " + run->second +
                       "; finish the run with activity.finish_run"};
}

Decision decide(const State& state, const credits::State& credits_state,
                const CommandEnvelope& command, const Context& context) {
  LF_ASSERT(command.payload != nullptr);
  const Payload in(*command.payload);
  const std::string_view type = command.type;
  const int64_t now = context.now_ms;
  if (type == "media_buy.create") return decide_create_buy(state, command, in, now);
  if (type.starts_with("media_buy.")) return decide_move_buy(state, command, in);
  if (type == "approval.request") return decide_request_approval(state, command, in, now);
  if (type == "approval.assign") return decide_assign_approval(state, command, in, now);
  if (type == "approval.approve") return decide_approval_outcome(state, command, in, now, Outcome::approved);
  if (type == "approval.reject") return decide_approval_outcome(state, command, in, now, Outcome::rejected);
  if (type == "approval.request_revision") {
    return decide_approval_outcome(state, command, in, now, Outcome::revision_requested);
  }
  if (type == "activity.create") return decide_create_activity(state, in);
  if (type == "activity.start_run") return decide_start_run(state, credits_state, command, in, now);
  if (type == "activity.finish_run") return decide_finish_run(state, credits_state, command, in, now);
  if (type.starts_with("activity.")) return decide_move_activity(state, command, in, now);
  if (type == "audit.record") return decide_audit_record(command, in);
  return refuse("unknown_command_type", "no workflow rule decides " + command.type);
}

}  // namespace lf::engine::workflow
