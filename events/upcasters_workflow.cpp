// The workflow events' upcasters: for each workflow event type changed since
// v1, one pure step per version, from_version -> from_version + 1. Each step
// states the change field by field; docs/domains/workflow.md ("Event
// versions") keeps the types' version history. A payload without the fields
// a step reads is no payload an engine wrote (its schema requires them): the
// step leaves it as it is, as the credits steps do, so decoding a record
// never stops on it; it fails the schema of either version. Adding a version: add
// schemas/events/<type>.v<N>.json, a step from N-1 here, and make the decider
// write N. A version that only adds optional fields gets an identity step (a
// v(N-1) payload is a vN payload): the new number makes an older binary
// classify such an event as newer than it knows instead of misreading it.
#include <array>
#include <string_view>

#include "events/assert.hpp"
#include "events/upcast.hpp"

namespace lf {
namespace {

rapidjson::Value name_of(std::string_view name) {
  return rapidjson::Value(rapidjson::StringRef(name.data(), name.size()));
}

// Sets member `name` (a string literal: names are not copied) to the string
// `text` (a literal too), adding it at the end when absent.
void set_literal(rapidjson::Value& payload, std::string_view name, std::string_view text,
                 JsonAllocator& allocator) {
  rapidjson::Value value(rapidjson::StringRef(text.data(), text.size()));
  const auto member = payload.FindMember(name_of(name));
  if (member != payload.MemberEnd()) {
    member->value = value;
    return;
  }
  payload.AddMember(name_of(name), value, allocator);
}

// The version adds only optional fields: a payload of the previous version is
// a payload of this one.
void unchanged(rapidjson::Value& payload, JsonAllocator& /*allocator*/) {
  LF_ASSERT(payload.IsObject());
}

// activity.run_finished v1 -> v2: what the run reported about itself moves
// into one `usage` object, always present (empty when nothing was reported,
// as for a timed_out run), so new meters join it without widening the top
// level:
//   input_tokens  -> usage.input_tokens   (only when present)
//   output_tokens -> usage.output_tokens  (only when present)
//   duration_ms   -> usage.duration_ms    (only when present)
// Every other field is kept as it is.
void run_finished_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  static constexpr std::array<std::string_view, 3> kUsageFields = {"input_tokens", "output_tokens",
                                                                   "duration_ms"};
  rapidjson::Value usage(rapidjson::kObjectType);
  for (const std::string_view field : kUsageFields) {
    const auto member = payload.FindMember(name_of(field));
    if (member == payload.MemberEnd()) continue;
    usage.AddMember(name_of(field), member->value, allocator);
    payload.EraseMember(member);  // keeps the other members in order
  }
  payload.AddMember("usage", usage, allocator);
}

// activity.created v1 -> v2: priority takes the seed's enum (low, normal,
// high, urgent), and is_approval_gate the seed's meaning (a human review
// step):
//   priority "medium" -> "normal"; "low", "high", "urgent" stay;
//   is_approval_gate true on an agent's activity -> false: v1's flag meant
//   "its submission opens an approval", which every v2 submission does; an
//   agent's activity is never a review step. A human's stays as it is.
// Every other field is kept as it is (input_data is new and optional).
void activity_created_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  const auto priority = payload.FindMember("priority");
  if (priority != payload.MemberEnd() && priority->value.IsString() &&
      std::string_view(priority->value.GetString(), priority->value.GetStringLength()) ==
          "medium") {
    set_literal(payload, "priority", "normal", allocator);
  }
  const auto gate = payload.FindMember("is_approval_gate");
  const auto assignee_type = payload.FindMember("assignee_type");
  if (gate == payload.MemberEnd() || !gate->value.IsBool() ||
      assignee_type == payload.MemberEnd() || !assignee_type->value.IsString()) {
    return;
  }
  if (gate->value.GetBool() &&
      std::string_view(assignee_type->value.GetString(), assignee_type->value.GetStringLength()) ==
          "agent") {
    gate->value.SetBool(false);
  }
}

// activity.assigned v1 -> v2: the status the activity moved to is added:
//   status = "assigned" (v1 always moved there, whoever the assignee).
void activity_assigned_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  set_literal(payload, "status", "assigned", allocator);
}

// activity.revision_requested v1 -> v2: the status the work went back to is
// added:
//   status = "in_progress" (where v1 sent it).
void revision_requested_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  set_literal(payload, "status", "in_progress", allocator);
}

// approval.requested v1 -> v2: type takes the seeds' review types:
//   a seed type (content_review, strategy_review, brand_direction,
//   content_direction, hire_agent, media_buy, creative, product) stays;
//   any other value (v1's default activity_review included) becomes
//   content_review for an activity subject, media_buy for a media buy,
//   creative for a creative.
// Every other field is kept (activity_id, escalate_to, escalated_from are
// new and optional).
void approval_requested_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  static constexpr std::array<std::string_view, 8> kSeedTypes = {
      "content_review", "strategy_review", "brand_direction", "content_direction",
      "hire_agent",     "media_buy",       "creative",        "product"};
  const auto type = payload.FindMember("type");
  if (type == payload.MemberEnd() || !type->value.IsString()) return;
  const std::string_view given(type->value.GetString(), type->value.GetStringLength());
  for (const std::string_view seed : kSeedTypes) {
    if (given == seed) return;
  }
  const auto subject = payload.FindMember("subject");
  if (subject == payload.MemberEnd() || !subject->value.IsObject()) return;
  const auto kind = subject->value.FindMember("kind");
  if (kind == subject->value.MemberEnd() || !kind->value.IsString()) return;
  const std::string_view subject_kind(kind->value.GetString(), kind->value.GetStringLength());
  const std::string_view mapped = subject_kind == "media_buy"  ? "media_buy"
                                  : subject_kind == "creative" ? "creative"
                                                               : "content_review";
  set_literal(payload, "type", mapped, allocator);
}

// media_buy.created v1 -> v2: budgets are named for their unit and the
// currency is stated:
//   packages[].budget -> packages[].budget_minor (same value, minor units)
//   budget_total      -> budget_total_minor     (same value)
//   currency = "USD"  (v1 had none; USD is the v2 default)
// Member order: budget_minor where budget stood; currency and
// budget_total_minor at the end.
void media_buy_created_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  const auto packages = payload.FindMember("packages");
  const auto total = payload.FindMember("budget_total");
  if (packages == payload.MemberEnd() || !packages->value.IsArray() ||
      total == payload.MemberEnd()) {
    return;
  }
  for (const rapidjson::Value& package : packages->value.GetArray()) {
    if (!package.IsObject() || !package.HasMember("budget")) return;
  }
  for (rapidjson::Value& package : packages->value.GetArray()) {
    package.FindMember("budget")->name.SetString("budget_minor", allocator);
  }
  rapidjson::Value total_value(total->value, allocator);
  payload.EraseMember(total);
  payload.AddMember("currency", "USD", allocator);
  payload.AddMember("budget_total_minor", total_value, allocator);
}

constexpr std::array kUpcasters = {
    Upcaster{"activity.run_finished", 1, &run_finished_v1_to_v2},
    Upcaster{"activity.run_finished", 2, &unchanged},  // + error, usage.cost_usd_micros
    Upcaster{"activity.run_started", 1, &unchanged},   // + adapter_type, model_id, session_id
    Upcaster{"activity.created", 1, &activity_created_v1_to_v2},
    Upcaster{"activity.assigned", 1, &activity_assigned_v1_to_v2},
    Upcaster{"activity.revision_requested", 1, &revision_requested_v1_to_v2},
    // + review_activity_id; approval_id and it stay optional for v1
    // submissions that opened no approval.
    Upcaster{"activity.submitted_for_approval", 1, &unchanged},
    // + output_summary, output_ref, approval_id, review_outcome
    Upcaster{"activity.completed", 1, &unchanged},
    Upcaster{"approval.requested", 1, &approval_requested_v1_to_v2},
    // + activity_id; chosen_option may hold 255 characters (v1: 128)
    Upcaster{"approval.approved", 1, &unchanged},
    Upcaster{"approval.rejected", 1, &unchanged},
    Upcaster{"approval.revision_requested", 1, &unchanged},
    // + escalated_to, follow_up_approval_id (v1 escalations opened no follow-up)
    Upcaster{"approval.escalated", 1, &unchanged},
    Upcaster{"media_buy.created", 1, &media_buy_created_v1_to_v2},
    // the seeds' audit fields, all optional; resource_type and resource_id
    // become optional (v1 required them)
    Upcaster{"audit.recorded", 1, &unchanged},
};

}  // namespace

std::span<const Upcaster> workflow_upcasters() {
  return kUpcasters;
}

}  // namespace lf
