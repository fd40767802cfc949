// Parsing activity and run commands: assignees that match their type, the
// seed's priorities, the review a submission opens, exact run costs.
#include "engine/workflow/parsers.hpp"
#include "events/money.hpp"

namespace lf::engine::workflow {

namespace {

constexpr int64_t kCreditsMax = 1'000'000'000'000'000;  // per run, as the schemas bound them
constexpr int64_t kCostUsdMicrosMax = 9'999'999'999;    // 9999.999999 USD: numeric(10,6)
constexpr std::size_t kModelIdLengthMax = 100;
constexpr std::size_t kOutputRefLengthMax = 255;

constexpr std::pair<std::string_view, ActivityMove> kActivityMoves[] = {
    {"activity.start", ActivityMove::started},
    {"activity.fail", ActivityMove::failed},
    {"activity.cancel", ActivityMove::cancelled},
};

// assignee_type with the field of its type: assignee_agent_role for an agent,
// assignee_user_id for a human (the other one, if sent, is not kept).
Assignee parse_assignee(Fields& in) {
  Assignee assignee;
  assignee.type = in.named("assignee_type", &parse_assignee_type, AssigneeType::agent);
  const std::optional<std::string> role = in.optional_text("assignee_agent_role");
  const std::optional<std::string> user = in.optional_text("assignee_user_id");
  if (assignee.type == AssigneeType::agent) {
    if (!role) in.fail(kInvalidPayloadCode, "an agent assignee needs assignee_agent_role");
    assignee.agent_role = role;
  } else {
    if (!user) in.fail(kInvalidPayloadCode, "a human assignee needs assignee_user_id");
    assignee.user_id = user;
  }
  return assignee;
}

Result<Command> parse_create_activity(Fields& in) {
  CreateActivity c;
  c.activity_id = in.text("activity_id");
  c.title = in.text("title", kTitleLengthMax);
  c.type = in.text("type", kTypeLengthMax);
  c.description = in.note("description");
  c.assignee = parse_assignee(in);
  c.priority = in.named("priority", &parse_priority, Priority::normal);
  c.is_approval_gate = in.optional_flag("is_approval_gate").value_or(false);
  c.due_date = in.optional_date("due_date", kInvalidPayloadCode);
  c.parent_activity_id = in.optional_text("parent_activity_id");
  c.input_data_json = in.raw_object("input_data");
  if (c.is_approval_gate && c.assignee.type != AssigneeType::human) {
    in.fail(kInvalidPayloadCode, "a review step (is_approval_gate) is assigned to a human");
  }
  return in.finish<Command>(std::move(c));
}

Result<Command> parse_submit(Fields& in) {
  SubmitActivity c;
  c.activity_id = in.text("activity_id");
  c.note = in.note("note");
  c.approval = parse_approval_options(in);
  c.review_activity_id = in.optional_text("review_activity_id");
  c.review_title = in.optional_text("review_title", kTitleLengthMax);
  if (std::optional<std::string> type = in.optional_text("approval_type", kTypeLengthMax)) {
    c.approval_type = approval_type_of(*type, SubjectKind::activity);
  }
  c.content_ref = in.optional_text("content_ref", kNoteLengthMax);
  c.priority = in.optional_named("priority", &parse_priority);
  c.due_date = in.optional_date("due_date", kInvalidPayloadCode);
  return in.finish<Command>(std::move(c));
}

Result<Command> parse_start_run(Fields& in) {
  StartRun c;
  c.activity_id = in.text("activity_id");
  c.run_id = in.text("run_id");
  c.estimated_credits = in.integer("estimated_credits", 1, kCreditsMax);
  c.deliverable_type = in.optional_text("deliverable_type");
  c.adapter_type = in.optional_named("adapter_type", &parse_adapter_type);
  c.model_id = in.optional_text("model_id", kModelIdLengthMax);
  c.session_id = in.optional_text("session_id");
  c.expires_at_ms = in.optional_timestamp("expires_at", "invalid_expiry");
  return in.finish<Command>(std::move(c));
}

// cost_usd (a number or a decimal string, at most 6 decimals) as integer
// micro-dollars.
std::optional<int64_t> parse_cost_usd_micros(Fields& in) {
  const rapidjson::Value* cost = json_member(in.payload(), "cost_usd");
  if (cost == nullptr) return std::nullopt;
  Result<int64_t> micros =
      json_scaled_decimal(*cost, kMicroUsdDigits, 0, kCostUsdMicrosMax, "cost_usd");
  if (!micros) {
    in.fail(micros.error().code, micros.error().message);
    return std::nullopt;
  }
  return micros.value();
}

Result<Command> parse_finish_run(Fields& in) {
  FinishRun c;
  c.run_id = in.text("run_id");
  c.status = in.named("status", &parse_run_status, RunStatus::completed);
  if (c.status == RunStatus::running)
    in.fail(kInvalidPayloadCode, "a run finishes completed, failed or timed_out");
  c.credits_used = in.integer("credits_used", 0, kCreditsMax);
  c.error = in.optional_text("error", kRunErrorLengthMax);
  c.usage.input_tokens = in.optional_integer("input_tokens", 0, kCreditsMax);
  c.usage.output_tokens = in.optional_integer("output_tokens", 0, kCreditsMax);
  c.usage.duration_ms = in.optional_integer("duration_ms", 0, kCreditsMax);
  c.usage.cost_usd_micros = parse_cost_usd_micros(in);
  return in.finish<Command>(std::move(c));
}

}  // namespace

Result<Command> parse_activity_command(std::string_view type, Fields& in) {
  if (type == "activity.create") return parse_create_activity(in);
  if (type == "activity.assign") {
    AssignActivity c{in.text("activity_id"), parse_assignee(in), in.note("note")};
    return in.finish<Command>(std::move(c));
  }
  if (type == "activity.complete") {
    CompleteActivity c{in.text("activity_id"), in.note("note"), in.raw_object("output_summary"),
                       in.optional_text("output_ref", kOutputRefLengthMax)};
    return in.finish<Command>(std::move(c));
  }
  if (type == "activity.submit_for_approval") return parse_submit(in);
  if (type == "activity.start_run") return parse_start_run(in);
  if (type == "activity.finish_run") return parse_finish_run(in);
  for (const auto& [name, move] : kActivityMoves) {
    if (name != type) continue;
    MoveActivity c{move, in.text("activity_id"), in.note("note")};
    return in.finish<Command>(std::move(c));
  }
  return make_error("unknown_command_type", "no activity command is called " + std::string(type));
}

}  // namespace lf::engine::workflow
