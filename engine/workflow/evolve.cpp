// evolve(), the timers and the snapshot form of the workflow state.
#include <algorithm>

#include "engine/workflow/decider.hpp"
#include "engine/workflow/payload.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

int64_t timestamp(const rapidjson::Value& payload, std::string_view field) {
  std::optional<int64_t> unix_ms = parse_rfc3339_ms(json_string(payload, field).value_or(""));
  LF_ASSERT_MSG(unix_ms.has_value(), "a workflow event lacks a timestamp it must carry");
  return *unix_ms;
}

template <typename Map>
typename Map::mapped_type& existing(Map& map, const std::string& id) {
  auto found = map.find(id);
  LF_ASSERT_MSG(found != map.end(), "a workflow event names an object the state does not hold");
  return found->second;
}

void set_buy_status(State& state, const std::string& id, BuyStatus status) {
  existing(state.media_buys, id).status = status;
}

void set_activity_status(State& state, const std::string& id, ActivityStatus status) {
  existing(state.activities, id).status = status;
}

// An approval leaves `pending`: off the deadline index, and its subject no
// longer waits on it.
void close_approval(State& state, const std::string& id, ApprovalStatus status) {
  Approval& approval = existing(state.approvals, id);
  LF_ASSERT(approval.status == ApprovalStatus::pending);
  approval.status = status;
  state.approval_deadlines.erase({approval.expires_at_ms, id});
  if (!approval.linked) return;
  if (approval.subject_kind == SubjectKind::media_buy) {
    MediaBuy& buy = existing(state.media_buys, approval.subject_id);
    if (buy.pending_approval_id == id) buy.pending_approval_id.reset();
  } else if (approval.subject_kind == SubjectKind::activity) {
    Activity& activity = existing(state.activities, approval.subject_id);
    if (activity.pending_approval_id == id) activity.pending_approval_id.reset();
  }
}

void apply_requested(State& state, const Payload& in) {
  const std::string id = in.text("approval_id");
  const rapidjson::Value& subject = in.member("subject");
  Approval approval;
  approval.subject_kind = parse_subject_kind(json_string(subject, "kind").value_or("")).value_or(SubjectKind::creative);
  approval.subject_id = std::string(json_string(subject, "id").value_or(""));
  approval.expires_at_ms = timestamp(in.value(), "expires_at");
  if (approval.subject_kind == SubjectKind::media_buy) {
    MediaBuy& buy = existing(state.media_buys, approval.subject_id);
    LF_ASSERT(!buy.pending_approval_id);
    buy.pending_approval_id = id;
    approval.linked = true;
  } else if (approval.subject_kind == SubjectKind::activity) {
    Activity& activity = existing(state.activities, approval.subject_id);
    LF_ASSERT(!activity.pending_approval_id);
    activity.pending_approval_id = id;
    ++activity.approvals_opened;
    approval.linked = true;
  }
  state.approval_deadlines.emplace(approval.expires_at_ms, id);
  const bool inserted = state.approvals.emplace(id, std::move(approval)).second;
  LF_ASSERT_MSG(inserted, "approval.requested for an approval id already taken");
}

void evolve_media_buy(State& state, std::string_view type, const Payload& in) {
  const std::string id = in.text("media_buy_id");
  if (type == "media_buy.created") {
    MediaBuy buy;
    buy.requires_approval = in.flag("requires_approval");
    const bool inserted = state.media_buys.emplace(id, buy).second;
    LF_ASSERT_MSG(inserted, "media_buy.created for a media buy id already taken");
    return;
  }
  if (type == "media_buy.approved") return set_buy_status(state, id, BuyStatus::approved);
  if (type == "media_buy.activated" || type == "media_buy.resumed") {
    return set_buy_status(state, id, BuyStatus::active);
  }
  if (type == "media_buy.paused") return set_buy_status(state, id, BuyStatus::paused);
  if (type == "media_buy.completed") return set_buy_status(state, id, BuyStatus::completed);
  if (type == "media_buy.failed") return set_buy_status(state, id, BuyStatus::failed);
  LF_ASSERT_MSG(false, "unknown media_buy event");
}

void evolve_approval(State& state, std::string_view type, const Payload& in) {
  if (type == "approval.requested") return apply_requested(state, in);
  const std::string id = in.text("approval_id");
  if (type == "approval.assigned" || type == "approval.escalated") {
    LF_ASSERT(state.approvals.contains(id));
    return;
  }
  if (type == "approval.approved") return close_approval(state, id, ApprovalStatus::approved);
  if (type == "approval.rejected") return close_approval(state, id, ApprovalStatus::rejected);
  if (type == "approval.revision_requested") {
    return close_approval(state, id, ApprovalStatus::revision_requested);
  }
  if (type == "approval.expired") return close_approval(state, id, ApprovalStatus::expired);
  LF_ASSERT_MSG(false, "unknown approval event");
}

void evolve_activity(State& state, std::string_view type, const Payload& in) {
  const std::string id = in.text("activity_id");
  if (type == "activity.created") {
    Activity activity;
    activity.is_approval_gate = in.flag("is_approval_gate");
    const bool inserted = state.activities.emplace(id, activity).second;
    LF_ASSERT_MSG(inserted, "activity.created for an activity id already taken");
    return;
  }
  if (type == "activity.assigned") return set_activity_status(state, id, ActivityStatus::assigned);
  if (type == "activity.started") return set_activity_status(state, id, ActivityStatus::in_progress);
  if (type == "activity.submitted_for_approval") {
    return set_activity_status(state, id, ActivityStatus::awaiting_approval);
  }
  if (type == "activity.approved") return set_activity_status(state, id, ActivityStatus::approved);
  if (type == "activity.rejected") return set_activity_status(state, id, ActivityStatus::rejected);
  if (type == "activity.revision_requested") return set_activity_status(state, id, ActivityStatus::in_progress);
  if (type == "activity.completed") return set_activity_status(state, id, ActivityStatus::completed);
  if (type == "activity.failed") return set_activity_status(state, id, ActivityStatus::failed);
  if (type == "activity.cancelled") return set_activity_status(state, id, ActivityStatus::cancelled);
  if (type == "activity.run_started") {
    const std::string run_id = in.text("run_id");
    LF_ASSERT(state.activities.contains(id));
    Run run;
    run.activity_id = id;
    run.reservation_id = in.text("reservation_id");
    run.estimated_credits = in.integer("estimated_credits");
    run.expires_at_ms = timestamp(in.value(), "expires_at");
    state.run_deadlines.emplace(run.expires_at_ms, run_id);
    state.run_by_reservation.emplace(run.reservation_id, run_id);
    const bool inserted = state.runs.emplace(run_id, std::move(run)).second;
    LF_ASSERT_MSG(inserted, "activity.run_started for a run id already taken");
    return;
  }
  if (type == "activity.run_finished") {
    const std::string run_id = in.text("run_id");
    Run& run = existing(state.runs, run_id);
    LF_ASSERT(run.status == RunStatus::running);
    const std::optional<RunStatus> status = parse_run_status(in.text("status"));
    LF_ASSERT(status.has_value() && *status != RunStatus::running);
    run.status = *status;
    state.run_deadlines.erase({run.expires_at_ms, run_id});
    state.run_by_reservation.erase(run.reservation_id);
    return;
  }
  LF_ASSERT_MSG(false, "unknown activity event");
}

}  // namespace

void evolve(State& state, const EventHeader& header, const rapidjson::Value& payload) {
  const Payload in(payload);
  const std::string_view type = header.type;
  if (type.starts_with("media_buy.")) {
    evolve_media_buy(state, type, in);
  } else if (type.starts_with("approval.")) {
    evolve_approval(state, type, in);
  } else if (type.starts_with("activity.")) {
    evolve_activity(state, type, in);
  }
#ifdef LF_DEEP_CHECKS
  if (std::optional<std::string> broken = state_invariant_violation(state)) {
    LF_ASSERT_MSG(false, broken->c_str());
  }
#endif
}

// ---- timers ----------------------------------------------------------------

std::optional<int64_t> next_due_ms(const State& state) {
  std::optional<int64_t> next;
  if (!state.approval_deadlines.empty()) next = state.approval_deadlines.begin()->first;
  if (!state.run_deadlines.empty()) {
    const int64_t run_due = state.run_deadlines.begin()->first;
    next = next ? std::min(*next, run_due) : run_due;
  }
  return next;
}

std::vector<NewEvent> due(const State& state, const Context& context) {
  std::vector<NewEvent> events;
  auto approval = state.approval_deadlines.begin();
  auto run = state.run_deadlines.begin();
  JsonWriter payload;
  for (std::size_t fired = 0; fired < kTimerBatchMax; ++fired) {
    const bool approval_due = approval != state.approval_deadlines.end() && approval->first <= context.now_ms;
    const bool run_due = run != state.run_deadlines.end() && run->first <= context.now_ms;
    if (!approval_due && !run_due) break;
    if (approval_due && (!run_due || approval->first <= run->first)) {
      const std::string& id = approval->second;
      const Approval& expired = state.approvals.at(id);
      const std::string stream = "approval/" + id;
      payload.begin_object();
      payload.field("approval_id", id);
      write_subject(payload, expired.subject_kind, expired.subject_id);
      payload.timestamp_field("expires_at", expired.expires_at_ms);
      payload.end_object();
      events.push_back(NewEvent{"approval.expired", 1, stream, payload.str()});
      payload.reset();
      payload.begin_object();
      payload.field("approval_id", id);
      write_subject(payload, expired.subject_kind, expired.subject_id);
      payload.timestamp_field("escalated_at", context.now_ms);
      payload.field("reason", "expired");
      payload.end_object();
      events.push_back(NewEvent{"approval.escalated", 1, stream, payload.str()});
      payload.reset();
      ++approval;
      continue;
    }
    const std::string& run_id = run->second;
    const Run& timed_out = state.runs.at(run_id);
    payload.begin_object();
    payload.field("activity_id", timed_out.activity_id);
    payload.field("run_id", run_id);
    payload.field("status", "timed_out");
    payload.field("credits_used", int64_t{0});
    payload.field("credits_charged", int64_t{0});
    payload.field("credits_released", timed_out.estimated_credits);
    write_run_usage(payload, std::nullopt, std::nullopt, std::nullopt);  // the run reported nothing
    payload.end_object();
    events.push_back(NewEvent{"activity.run_finished", kRunFinishedSchemaVersion, "activity/" + timed_out.activity_id,
                              payload.str()});
    payload.reset();
    ++run;
  }
  return events;
}

// ---- snapshots -------------------------------------------------------------

namespace {

// Writes `map` as the object `name`: id -> the object `write` fills.
template <typename Map, typename Write>
void write_map(JsonWriter& writer, std::string_view name, const Map& map, Write&& write) {
  writer.key(name);
  writer.begin_object();
  for (const auto& [id, item] : map) {
    writer.key(id);
    writer.begin_object();
    write(item);
    writer.end_object();
  }
  writer.end_object();
}

}  // namespace

void write_state(JsonWriter& writer, const State& state) {
  writer.begin_object();
  write_map(writer, "media_buys", state.media_buys, [&](const MediaBuy& buy) {
    writer.field("status", to_string(buy.status));
    writer.field("requires_approval", buy.requires_approval);
    writer.field("pending_approval_id", buy.pending_approval_id);
  });
  write_map(writer, "approvals", state.approvals, [&](const Approval& approval) {
    writer.field("status", to_string(approval.status));
    writer.field("subject_kind", to_string(approval.subject_kind));
    writer.field("subject_id", approval.subject_id);
    writer.field("expires_at_ms", approval.expires_at_ms);
    writer.field("linked", approval.linked);
  });
  write_map(writer, "activities", state.activities, [&](const Activity& activity) {
    writer.field("status", to_string(activity.status));
    writer.field("is_approval_gate", activity.is_approval_gate);
    writer.field("approvals_opened", activity.approvals_opened);
    writer.field("pending_approval_id", activity.pending_approval_id);
  });
  write_map(writer, "runs", state.runs, [&](const Run& run) {
    writer.field("activity_id", run.activity_id);
    writer.field("reservation_id", run.reservation_id);
    writer.field("estimated_credits", run.estimated_credits);
    writer.field("expires_at_ms", run.expires_at_ms);
    writer.field("status", to_string(run.status));
  });
  writer.end_object();
}

namespace {

Error bad_snapshot(std::string_view what) {
  return Error{"invalid_snapshot", "workflow state: " + std::string(what)};
}

// Calls `read(id, object)` for each member of the object `name` of `value`.
template <typename Read>
std::optional<Error> each_object(const rapidjson::Value& value, std::string_view name, Read&& read) {
  const rapidjson::Value* map = json_member(value, name);
  if (map == nullptr || !map->IsObject()) return bad_snapshot(std::string(name) + " is not an object");
  for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
    if (!it->value.IsObject()) return bad_snapshot(std::string(name) + " holds a non-object");
    if (!read(std::string(json_view(it->name)), it->value)) {
      return bad_snapshot("unreadable entry in " + std::string(name));
    }
  }
  return std::nullopt;
}

std::optional<std::string> optional_text(const rapidjson::Value& object, std::string_view name) {
  std::optional<std::string_view> text = json_string(object, name);
  if (!text) return std::nullopt;
  return std::string(*text);
}

}  // namespace

Result<State> read_state(const rapidjson::Value& value) {
  if (!value.IsObject()) return bad_snapshot("not an object");
  State state;
  std::optional<Error> problem = each_object(value, "media_buys", [&](std::string id, const rapidjson::Value& item) {
    MediaBuy buy;
    std::optional<BuyStatus> status = parse_buy_status(json_string(item, "status").value_or(""));
    std::optional<bool> requires_approval = json_bool(item, "requires_approval");
    if (!status || !requires_approval) return false;
    buy.status = *status;
    buy.requires_approval = *requires_approval;
    buy.pending_approval_id = optional_text(item, "pending_approval_id");
    state.media_buys.emplace(std::move(id), std::move(buy));
    return true;
  });
  if (!problem) {
    problem = each_object(value, "approvals", [&](std::string id, const rapidjson::Value& item) {
      Approval approval;
      std::optional<ApprovalStatus> status = parse_approval_status(json_string(item, "status").value_or(""));
      std::optional<SubjectKind> kind = parse_subject_kind(json_string(item, "subject_kind").value_or(""));
      std::optional<std::string_view> subject_id = json_string(item, "subject_id");
      std::optional<int64_t> expires_at_ms = json_int64(item, "expires_at_ms");
      std::optional<bool> linked = json_bool(item, "linked");
      if (!status || !kind || !subject_id || !expires_at_ms || !linked) return false;
      approval.status = *status;
      approval.subject_kind = *kind;
      approval.subject_id = std::string(*subject_id);
      approval.expires_at_ms = *expires_at_ms;
      approval.linked = *linked;
      state.approvals.emplace(std::move(id), std::move(approval));
      return true;
    });
  }
  if (!problem) {
    problem = each_object(value, "activities", [&](std::string id, const rapidjson::Value& item) {
      Activity activity;
      std::optional<ActivityStatus> status = parse_activity_status(json_string(item, "status").value_or(""));
      std::optional<bool> gate = json_bool(item, "is_approval_gate");
      std::optional<int64_t> opened = json_int64(item, "approvals_opened");
      if (!status || !gate || !opened) return false;
      activity.status = *status;
      activity.is_approval_gate = *gate;
      activity.approvals_opened = *opened;
      activity.pending_approval_id = optional_text(item, "pending_approval_id");
      state.activities.emplace(std::move(id), std::move(activity));
      return true;
    });
  }
  if (!problem) {
    problem = each_object(value, "runs", [&](std::string id, const rapidjson::Value& item) {
      Run run;
      std::optional<std::string_view> activity_id = json_string(item, "activity_id");
      std::optional<std::string_view> reservation_id = json_string(item, "reservation_id");
      std::optional<int64_t> estimated = json_int64(item, "estimated_credits");
      std::optional<int64_t> expires_at_ms = json_int64(item, "expires_at_ms");
      std::optional<RunStatus> status = parse_run_status(json_string(item, "status").value_or(""));
      if (!activity_id || !reservation_id || !estimated || !expires_at_ms || !status) return false;
      run.activity_id = std::string(*activity_id);
      run.reservation_id = std::string(*reservation_id);
      run.estimated_credits = *estimated;
      run.expires_at_ms = *expires_at_ms;
      run.status = *status;
      state.runs.emplace(std::move(id), std::move(run));
      return true;
    });
  }
  if (problem) return *problem;
  rebuild_indexes(state);
  if (std::optional<std::string> broken = state_invariant_violation(state)) return bad_snapshot(*broken);
  return state;
}

}  // namespace lf::engine::workflow
