// Snapshot form of the workflow state (write_state / read_state): every
// field, instants as Unix milliseconds, so read_state(write_state(s)) == s.
// Snapshots the previous binary wrote (no "version") still load: what they
// lack takes its default (an agent assignee, normal priority, no escalation
// chain, no tenant default reviewer; a pending approval's review details
// from its subject: docs/domains/workflow.md "Engine snapshots").
#include "engine/workflow/decider.hpp"

namespace lf::engine::workflow {

namespace {

constexpr int64_t kSnapshotVersion = 2;

// ---- writing -----------------------------------------------------------------

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

void write_review(JsonWriter& writer, const PendingReview& review) {
  writer.key("review");
  writer.begin_object();
  writer.field("activity_id", review.activity_id);
  writer.field("type", to_string(review.type));
  writer.field("risk_level", to_string(review.risk_level));
  writer.field("title", review.title);
  writer.field("content_ref", review.content_ref);
  writer.field("reviewer_id", review.reviewer_id);
  writer.field("escalate_to", review.escalate_to);
  writer.end_object();
}

void write_approval(JsonWriter& writer, const Approval& approval) {
  writer.field("status", to_string(approval.status));
  writer.field("subject_kind", to_string(approval.subject_kind));
  writer.field("subject_id", approval.subject_id);
  writer.field("expires_at_ms", approval.expires_at_ms);
  writer.field("linked", approval.linked);
  writer.field("chain_root_id", approval.chain_root_id);
  writer.field("escalation_number", approval.escalation_number);
  if (approval.review) write_review(writer, *approval.review);
}

void write_activity(JsonWriter& writer, const Activity& activity) {
  writer.field("status", to_string(activity.status));
  writer.field("is_approval_gate", activity.is_approval_gate);
  writer.field("assignee_type", to_string(activity.assignee_type));
  writer.field("priority", to_string(activity.priority));
  writer.field("approvals_opened", activity.approvals_opened);
  writer.field("pending_approval_id", activity.pending_approval_id);
}

void write_run(JsonWriter& writer, const Run& run) {
  writer.field("activity_id", run.activity_id);
  writer.field("reservation_id", run.reservation_id);
  writer.field("estimated_credits", run.estimated_credits);
  writer.field("expires_at_ms", run.expires_at_ms);
  writer.field("status", to_string(run.status));
}

// ---- reading -----------------------------------------------------------------

Error bad_snapshot(std::string_view what) {
  return Error{"invalid_snapshot", "workflow state: " + std::string(what)};
}

std::optional<std::string> optional_text(const rapidjson::Value& object, std::string_view name) {
  const std::optional<std::string_view> text = json_string(object, name);
  if (!text) return std::nullopt;
  return std::string(*text);
}

// A member that may be missing (an older snapshot): `fallback` then; a
// member that is there must parse.
template <typename T>
std::optional<T> with_default(const rapidjson::Value& item, std::string_view name,
                              std::optional<T> (*parse)(std::string_view), T fallback) {
  if (json_member(item, name) == nullptr) return fallback;
  return parse(json_string(item, name).value_or(""));
}

// Calls `read(id, object)` for each member of the object `name` of `value`.
template <typename Read>
std::optional<Error> each_object(const rapidjson::Value& value, std::string_view name,
                                 Read&& read) {
  const rapidjson::Value* map = json_member(value, name);
  if (map == nullptr || !map->IsObject())
    return bad_snapshot(std::string(name) + " is not an object");
  for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
    if (!it->value.IsObject()) return bad_snapshot(std::string(name) + " holds a non-object");
    if (!read(std::string(json_view(it->name)), it->value)) {
      return bad_snapshot("unreadable entry " + std::string(json_view(it->name)) + " in " +
                          std::string(name));
    }
  }
  return std::nullopt;
}

bool read_buy(State& state, std::string id, const rapidjson::Value& item) {
  const std::optional<BuyStatus> status =
      parse_buy_status(json_string(item, "status").value_or(""));
  const std::optional<bool> requires_approval = json_bool(item, "requires_approval");
  if (!status || !requires_approval) return false;
  state.media_buys.emplace(std::move(id), MediaBuy{*status, *requires_approval,
                                                   optional_text(item, "pending_approval_id")});
  return true;
}

// A pending approval's review details; the previous binary kept none, so
// they default from the subject.
std::optional<PendingReview> read_review(const rapidjson::Value& item, const std::string& id,
                                         SubjectKind kind) {
  const rapidjson::Value* review = json_member(item, "review");
  if (review == nullptr) {
    return PendingReview{std::nullopt,      default_approval_type(kind),
                         RiskLevel::medium, "Approval " + id,
                         std::nullopt,      std::nullopt,
                         std::nullopt};
  }
  if (!review->IsObject()) return std::nullopt;
  const std::optional<ApprovalType> type =
      parse_approval_type(json_string(*review, "type").value_or(""));
  const std::optional<RiskLevel> risk =
      parse_risk_level(json_string(*review, "risk_level").value_or(""));
  const std::optional<std::string> title = optional_text(*review, "title");
  if (!type || !risk || !title) return std::nullopt;
  return PendingReview{optional_text(*review, "activity_id"),
                       *type,
                       *risk,
                       *title,
                       optional_text(*review, "content_ref"),
                       optional_text(*review, "reviewer_id"),
                       optional_text(*review, "escalate_to")};
}

bool read_approval(State& state, std::string id, const rapidjson::Value& item) {
  Approval approval;
  const std::optional<ApprovalStatus> status =
      parse_approval_status(json_string(item, "status").value_or(""));
  const std::optional<SubjectKind> kind =
      parse_subject_kind(json_string(item, "subject_kind").value_or(""));
  const std::optional<std::string> subject_id = optional_text(item, "subject_id");
  const std::optional<int64_t> expires_at_ms = json_int64(item, "expires_at_ms");
  const std::optional<bool> linked = json_bool(item, "linked");
  if (!status || !kind || !subject_id || !expires_at_ms || !linked) return false;
  approval.status = *status;
  approval.subject_kind = *kind;
  approval.subject_id = *subject_id;
  approval.expires_at_ms = *expires_at_ms;
  approval.linked = *linked;
  approval.chain_root_id = optional_text(item, "chain_root_id");
  approval.escalation_number =
      static_cast<int32_t>(json_int64(item, "escalation_number").value_or(0));
  if (*status == ApprovalStatus::pending) {
    approval.review = read_review(item, id, *kind);
    if (!approval.review) return false;
  } else if (json_member(item, "review") != nullptr) {
    return false;  // details are kept only while pending
  }
  state.approvals.emplace(std::move(id), std::move(approval));
  return true;
}

bool read_activity(State& state, std::string id, const rapidjson::Value& item) {
  const std::optional<ActivityStatus> status =
      parse_activity_status(json_string(item, "status").value_or(""));
  const std::optional<bool> gate = json_bool(item, "is_approval_gate");
  const std::optional<int64_t> opened = json_int64(item, "approvals_opened");
  const std::optional<AssigneeType> assignee =
      with_default(item, "assignee_type", &parse_assignee_type, AssigneeType::agent);
  const std::optional<Priority> priority =
      with_default(item, "priority", &parse_priority, Priority::normal);
  if (!status || !gate || !opened || !assignee || !priority) return false;
  // A review step is a human's. A version-1 snapshot has no assignee (read as
  // an agent's): its gate meant "submissions open an approval", as the
  // activity.created upcaster reads it for an agent's activity.
  const bool review_step = *gate && *assignee == AssigneeType::human;
  state.activities.emplace(std::move(id),
                           Activity{*status, review_step, *assignee, *priority, *opened,
                                    optional_text(item, "pending_approval_id")});
  return true;
}

bool read_run(State& state, std::string id, const rapidjson::Value& item) {
  const std::optional<std::string> activity_id = optional_text(item, "activity_id");
  const std::optional<std::string> reservation_id = optional_text(item, "reservation_id");
  const std::optional<int64_t> estimated = json_int64(item, "estimated_credits");
  const std::optional<int64_t> expires_at_ms = json_int64(item, "expires_at_ms");
  const std::optional<RunStatus> status =
      parse_run_status(json_string(item, "status").value_or(""));
  if (!activity_id || !reservation_id || !estimated || !expires_at_ms || !status) return false;
  state.runs.emplace(std::move(id),
                     Run{*activity_id, *reservation_id, *estimated, *expires_at_ms, *status});
  return true;
}

}  // namespace

void write_state(JsonWriter& writer, const State& state) {
  writer.begin_object();
  writer.field("version", kSnapshotVersion);
  write_map(writer, "media_buys", state.media_buys, [&](const MediaBuy& buy) {
    writer.field("status", to_string(buy.status));
    writer.field("requires_approval", buy.requires_approval);
    writer.field("pending_approval_id", buy.pending_approval_id);
  });
  write_map(writer, "approvals", state.approvals,
            [&](const Approval& approval) { write_approval(writer, approval); });
  write_map(writer, "activities", state.activities,
            [&](const Activity& activity) { write_activity(writer, activity); });
  write_map(writer, "runs", state.runs, [&](const Run& run) { write_run(writer, run); });
  writer.field("escalation_reviewer_id", state.escalation_reviewer_id);
  writer.end_object();
}

Result<State> read_state(const rapidjson::Value& value) {
  if (!value.IsObject()) return bad_snapshot("not an object");
  const int64_t version = json_int64(value, "version").value_or(1);
  if (version < 1 || version > kSnapshotVersion)
    return bad_snapshot("unknown version " + std::to_string(version));
  State state;
  std::optional<Error> problem =
      each_object(value, "media_buys", [&](std::string id, const rapidjson::Value& item) {
        return read_buy(state, std::move(id), item);
      });
  if (!problem) {
    problem = each_object(value, "approvals", [&](std::string id, const rapidjson::Value& item) {
      return read_approval(state, std::move(id), item);
    });
  }
  if (!problem) {
    problem = each_object(value, "activities", [&](std::string id, const rapidjson::Value& item) {
      return read_activity(state, std::move(id), item);
    });
  }
  if (!problem) {
    problem = each_object(value, "runs", [&](std::string id, const rapidjson::Value& item) {
      return read_run(state, std::move(id), item);
    });
  }
  if (problem) return *problem;
  state.escalation_reviewer_id = optional_text(value, "escalation_reviewer_id");
  rebuild_indexes(state);
  if (std::optional<std::string> broken = state_invariant_violation(state))
    return bad_snapshot(*broken);
  return state;
}

}  // namespace lf::engine::workflow
