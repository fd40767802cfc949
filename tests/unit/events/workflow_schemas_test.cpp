// The workflow JSON Schemas (docs/domains/workflow.md): every command and
// event type of media buys, approvals, activities, runs and audit has a
// schema; a realistic payload passes; each required member is required, no
// unknown member is admitted, and the bounds (lengths, integer ranges, enums,
// date and timestamp patterns, array and object sizes) hold at their edges.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/pointer.h>

#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "schemas/resources.hpp"
#include "tests/support/json.hpp"

namespace lf {
namespace {

using testing::parse_json;

enum class Kind { command, event };

// One row per workflow type at its current version: a realistic payload with
// every optional member the doc lists, and the members the doc marks as
// required (no "?"). Older event versions are checked through their
// upcasters (tests/unit/events/upcast_test.cpp).
struct Example {
  Kind kind;
  const char* type;
  const char* required;  // comma-separated, in the schema's order
  const char* valid;
  int32_t version = 1;  // events: the current schema_version
};

const Example kExamples[] = {
    // ---- media buy commands
    {Kind::command, "media_buy.create",
     "media_buy_id,principal_id,campaign_name,start_date,end_date,packages,requires_approval",
     R"({"media_buy_id":"mb-2024-001","principal_id":"acme-agency","campaign_name":"Spring launch",)"
     R"("buyer_ref":"PO-7781","start_date":"2024-03-01","end_date":"2024-03-31","currency":"USD",)"
     R"("packages":[{"package_id":"pkg-1","product_id":"ctv-premium","budget":"25000.00",)"
     R"("pricing":{"model":"cpm","rate":1250},"targeting":{"geo":["US-CA","US-NY"],"device":"ctv"}},)"
     R"({"package_id":"pkg-2","product_id":"display-ros","budget_minor":0}],)"
     R"("requires_approval":true,"approval_id":"mb-2024-001:approval","risk_level":"high",)"
     R"("approval_expires_at":"2024-02-20T12:00:00Z","reviewer_id":"user-42","escalate_to":"user-1"})"},
    {Kind::command, "media_buy.approve", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Budget confirmed with the client."})"},
    {Kind::command, "media_buy.activate", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Creatives trafficked."})"},
    {Kind::command, "media_buy.pause", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Pacing too fast."})"},
    {Kind::command, "media_buy.resume", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Pacing fixed."})"},
    {Kind::command, "media_buy.complete", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Flight ended."})"},
    {Kind::command, "media_buy.fail", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Seller declined the deal."})"},
    // ---- approval commands
    {Kind::command, "approval.request", "approval_id,subject,type,risk_level,title",
     R"({"approval_id":"appr-9","subject":{"kind":"creative","id":"cr-77"},"activity_id":"act-9",)"
     R"("type":"creative","risk_level":"critical","title":"Review the hero banner",)"
     R"("content_ref":"https://cdn.example.com/cr-77.png","reviewer_id":"user-42","escalate_to":"user-1",)"
     R"("expires_at":"2024-02-20T12:00:00.250+01:00"})"},
    {Kind::command, "approval.assign", "approval_id,reviewer_id",
     R"({"approval_id":"appr-9","reviewer_id":"user-43"})"},
    {Kind::command, "approval.send_to_client", "approval_id",
     R"({"approval_id":"appr-9","sent_to_client_at":"2024-02-19T16:00:00Z"})"},
    {Kind::command, "approval.approve", "approval_id,reviewed_by",
     R"({"approval_id":"appr-9","reviewed_by":"user-43","notes":"Looks good.","chosen_option":"variant-b"})"},
    {Kind::command, "approval.reject", "approval_id,reviewed_by",
     R"({"approval_id":"appr-9","reviewed_by":"user-43","notes":"Logo too small.","chosen_option":"none"})"},
    {Kind::command, "approval.request_revision", "approval_id,reviewed_by",
     R"({"approval_id":"appr-9","reviewed_by":"user-43","notes":"Shorten the copy.","chosen_option":"variant-a"})"},
    // ---- activity commands
    {Kind::command, "activity.create", "activity_id,title,type,assignee_type,priority",
     R"({"activity_id":"act-1","title":"Write the creative brief","type":"creative_brief",)"
     R"("description":"Two pages, for the spring launch.","assignee_type":"agent",)"
     R"("assignee_agent_role":"copywriter","assignee_user_id":"user-7","priority":"urgent",)"
     R"("is_approval_gate":false,"due_date":"2024-02-29","parent_activity_id":"act-0",)"
     R"("input_data":{"brief":"spring","words":400}})"},
    {Kind::command, "activity.assign", "activity_id,assignee_type",
     R"({"activity_id":"act-1","assignee_type":"human","assignee_agent_role":"copywriter",)"
     R"("assignee_user_id":"user-7","note":"Needs a human touch."})"},
    {Kind::command, "activity.start", "activity_id",
     R"({"activity_id":"act-1","note":"Starting now."})"},
    {Kind::command, "activity.submit_for_approval", "activity_id",
     R"({"activity_id":"act-1","note":"Draft 2 attached.","reviewer_id":"user-42","approval_id":"act-1:approval:2",)"
     R"("review_activity_id":"act-1:review:2","review_title":"Review the brief","approval_type":"content_review",)"
     R"("risk_level":"low","content_ref":"doc-77","escalate_to":"user-1","approval_expires_at":"2024-02-23T09:30:00Z",)"
     R"("priority":"high","due_date":"2024-02-24"})"},
    {Kind::command, "activity.complete", "activity_id",
     R"({"activity_id":"act-1","note":"Delivered.","output_summary":{"words":410},"output_ref":"doc-78"})"},
    {Kind::command, "activity.fail", "activity_id",
     R"({"activity_id":"act-1","note":"Source material missing."})"},
    {Kind::command, "activity.cancel", "activity_id",
     R"({"activity_id":"act-1","note":"Campaign dropped."})"},
    {Kind::command, "activity.start_run", "activity_id,run_id,estimated_credits",
     R"({"activity_id":"act-1","run_id":"run-5","estimated_credits":300,"deliverable_type":"banner_set",)"
     R"("adapter_type":"claude","model_id":"claude-sonnet-4","session_id":"sess-1",)"
     R"("expires_at":"2024-02-20T13:00:00Z"})"},
    {Kind::command, "activity.finish_run", "run_id,status,credits_used",
     R"({"run_id":"run-5","status":"completed","credits_used":200,"input_tokens":15000,)"
     R"("output_tokens":3200,"duration_ms":48211,"cost_usd":"0.042","error":"Retried once."})"},
    // ---- audit and tenant commands
    {Kind::command, "audit.record", "",
     R"({"operation":"export_report","event_type":"report.exported","action":"export","resource_type":"report",)"
     R"("resource_id":"rep-3","principal_id":"user-7","user_id":"user-7","principal_name":"Dana Smith",)"
     R"("adapter_id":"gam","success":false,"error_message":"Storage quota exceeded.",)"
     R"("details":{"bytes":123456,"format":"csv"},"occurred_at":"2024-02-20T12:00:00Z",)"
     R"("timestamp":"2024-02-20T12:00:00Z","created_at":"2024-02-20T12:00:00Z","ip_address":"203.0.113.7",)"
     R"("user_agent":"Mozilla/5.0","request_id":"req-1","endpoint":"/api/reports","http_method":"POST",)"
     R"("old_value":null,"new_value":{"state":"exported"},"changed_fields":["state"]})"},
    {Kind::command, "tenant.configure", "escalation_reviewer_id",
     R"({"escalation_reviewer_id":"user-1"})"},

    // ---- media buy events
    {Kind::event, "media_buy.created",
     "media_buy_id,principal_id,campaign_name,start_date,end_date,currency,packages,budget_total_"
     "minor,"
     "requires_approval",
     R"({"media_buy_id":"mb-2024-001","principal_id":"acme-agency","campaign_name":"Spring launch",)"
     R"("buyer_ref":"PO-7781","start_date":"2024-03-01","end_date":"2024-03-31","currency":"USD",)"
     R"("packages":[{"package_id":"pkg-1","product_id":"ctv-premium","budget_minor":2500000,)"
     R"("pricing":{"model":"cpm","rate":1250},"targeting":{"geo":["US-CA"]}},)"
     R"({"package_id":"pkg-2","product_id":"display-ros","budget_minor":500000}],)"
     R"("budget_total_minor":3000000,"requires_approval":true,"approval_id":"mb-2024-001:approval"})",
     2},
    {Kind::event, "media_buy.approved", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","approval_id":"mb-2024-001:approval","reviewed_by":"user-42",)"
     R"("reason":"Looks good."})"},
    {Kind::event, "media_buy.activated", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Creatives trafficked."})"},
    {Kind::event, "media_buy.paused", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Pacing too fast."})"},
    {Kind::event, "media_buy.resumed", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Pacing fixed."})"},
    {Kind::event, "media_buy.completed", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"Flight ended."})"},
    {Kind::event, "media_buy.failed", "media_buy_id",
     R"({"media_buy_id":"mb-2024-001","reason":"rejected by user-42","approval_id":"mb-2024-001:approval"})"},
    // ---- approval events
    {Kind::event, "approval.requested", "approval_id,subject,type,risk_level,title,expires_at",
     R"({"approval_id":"mb-2024-001:approval:escalation:1","activity_id":"act-9",)"
     R"("subject":{"kind":"media_buy","id":"mb-2024-001"},"type":"media_buy","risk_level":"medium",)"
     R"("title":"Approve media buy Spring launch","content_ref":"ledgerflow://media_buy/mb-2024-001",)"
     R"("reviewer_id":"user-42","escalate_to":"user-1","escalated_from":"mb-2024-001:approval",)"
     R"("expires_at":"2024-02-20T12:00:00.000Z"})",
     2},
    {Kind::event, "approval.assigned", "approval_id,reviewer_id",
     R"({"approval_id":"appr-9","reviewer_id":"user-43"})"},
    {Kind::event, "approval.sent_to_client", "approval_id,sent_to_client_at",
     R"({"approval_id":"appr-9","sent_to_client_at":"2024-02-19T16:00:00.000Z"})"},
    {Kind::event, "approval.approved", "approval_id,subject,reviewed_by",
     R"({"approval_id":"act-1:approval:1","activity_id":"act-1:review:1","subject":{"kind":"activity","id":"act-1"},)"
     R"("reviewed_by":"user-42","notes":"Ship it.","chosen_option":"variant-b"})",
     2},
    {Kind::event, "approval.rejected", "approval_id,subject,reviewed_by",
     R"({"approval_id":"act-1:approval:1","activity_id":"act-1:review:1","subject":{"kind":"activity","id":"act-1"},)"
     R"("reviewed_by":"user-42","notes":"Off brand.","chosen_option":"none"})",
     2},
    {Kind::event, "approval.revision_requested", "approval_id,subject,reviewed_by",
     R"({"approval_id":"act-1:approval:1","activity_id":"act-1:review:1","subject":{"kind":"activity","id":"act-1"},)"
     R"("reviewed_by":"user-42","notes":"Shorter please.","chosen_option":"variant-a"})",
     2},
    {Kind::event, "approval.expired", "approval_id,subject,expires_at",
     R"({"approval_id":"appr-9","subject":{"kind":"creative","id":"cr-77"},"expires_at":"2024-02-20T12:00:00.000Z"})"},
    {Kind::event, "approval.escalated", "approval_id,subject,escalated_at,reason",
     R"({"approval_id":"appr-9","subject":{"kind":"creative","id":"cr-77"},)"
     R"("escalated_at":"2024-02-20T12:00:00.013Z","reason":"expired","escalated_to":"user-1",)"
     R"("follow_up_approval_id":"appr-9:escalation:1"})",
     2},
    // ---- activity events
    {Kind::event, "activity.created",
     "activity_id,title,type,assignee_type,priority,is_approval_gate",
     R"({"activity_id":"act-1","title":"Write the creative brief","type":"creative_brief",)"
     R"("description":"Two pages.","assignee_type":"human","assignee_agent_role":"copywriter",)"
     R"("assignee_user_id":"user-7","priority":"normal","is_approval_gate":false,"due_date":"2024-02-29",)"
     R"("parent_activity_id":"act-0","input_data":{"brief":"spring"}})",
     2},
    {Kind::event, "activity.assigned", "activity_id,assignee_type,status",
     R"({"activity_id":"act-1","assignee_type":"agent","assignee_agent_role":"designer",)"
     R"("assignee_user_id":"user-7","status":"assigned","note":"Reassigned."})",
     2},
    {Kind::event, "activity.reassigned", "activity_id,assignee_type,approval_id,reason",
     R"({"activity_id":"act-1:review:1","assignee_type":"human","assignee_user_id":"user-1",)"
     R"("approval_id":"act-1:approval:1:escalation:1","reason":"escalated"})"},
    {Kind::event, "activity.started", "activity_id", R"({"activity_id":"act-1","note":"Go."})"},
    {Kind::event, "activity.submitted_for_approval", "activity_id",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","review_activity_id":"act-1:review:1",)"
     R"("note":"Draft attached."})",
     2},
    {Kind::event, "activity.approved", "activity_id,approval_id,reviewed_by",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","reviewed_by":"user-42","notes":"Ship it."})"},
    {Kind::event, "activity.rejected", "activity_id,approval_id,reviewed_by,rejection_note",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","reviewed_by":"user-42","rejection_note":"Off brand."})"},
    {Kind::event, "activity.revision_requested",
     "activity_id,approval_id,reviewed_by,revision_note,status",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","reviewed_by":"user-42","revision_note":"Shorter.",)"
     R"("status":"assigned"})",
     2},
    {Kind::event, "activity.completed", "activity_id",
     R"({"activity_id":"act-1:review:1","note":"Delivered.","output_summary":{"words":410},"output_ref":"doc-78",)"
     R"("approval_id":"act-1:approval:1","review_outcome":"approved"})",
     2},
    {Kind::event, "activity.failed", "activity_id",
     R"({"activity_id":"act-1","note":"Source missing."})"},
    {Kind::event, "activity.cancelled", "activity_id",
     R"({"activity_id":"act-1","note":"Dropped."})"},
    {Kind::event, "activity.run_started",
     "activity_id,run_id,estimated_credits,reservation_id,expires_at",
     R"({"activity_id":"act-1","run_id":"run-5","estimated_credits":300,"reservation_id":"run:run-5",)"
     R"("deliverable_type":"banner_set","adapter_type":"openai","model_id":"gpt-4o","session_id":"sess-1",)"
     R"("expires_at":"2024-02-20T13:00:00.000Z"})",
     2},
    {Kind::event, "activity.run_finished",
     "activity_id,run_id,status,credits_used,credits_charged,credits_released,usage",
     R"({"activity_id":"act-1","run_id":"run-5","status":"completed","credits_used":200,"credits_charged":200,)"
     R"("credits_released":300,"error":"Retried once.",)"
     R"("usage":{"input_tokens":15000,"output_tokens":3200,"duration_ms":48211,"cost_usd_micros":42000}})",
     3},
    // ---- audit and tenant events
    {Kind::event, "audit.recorded", "operation,success",
     R"({"operation":"export_report","event_type":"report.exported","action":"export","resource_type":"report",)"
     R"("resource_id":"rep-3","principal_id":"user-7","principal_name":"Dana Smith","adapter_id":"gam",)"
     R"("success":true,"error_message":"Retried once.","details":{"bytes":123456},)"
     R"("occurred_at":"2024-02-20T12:00:00.000Z","ip_address":"2001:db8::7","user_agent":"curl/8.0",)"
     R"("request_id":"req-1","endpoint":"/api/reports","http_method":"POST","old_value":{"a":1},)"
     R"("new_value":[1,2],"changed_fields":["a"]})",
     2},
    {Kind::event, "tenant.configured", "", R"({"escalation_reviewer_id":"user-1"})"},
};

// Mutations that must fail: `pointer` into the valid example of `type` is set
// to `value` (JSON); the error must name `keyword`.
struct Mutation {
  Kind kind;
  const char* type;
  const char* pointer;
  const char* value;
  const char* keyword;
};

const Mutation kMutations[] = {
    // string where an integer is expected
    {Kind::command, "activity.start_run", "/estimated_credits", R"("300")", "type"},
    {Kind::command, "media_buy.create", "/packages/1/budget_minor", R"("2500000")", "type"},
    {Kind::event, "activity.run_finished", "/credits_charged", R"("200")", "type"},
    {Kind::command, "activity.finish_run", "/credits_used", "1.5", "type"},
    // amounts: a number or a decimal string, never a boolean or an object
    {Kind::command, "media_buy.create", "/packages/0/budget", "true", "type"},
    {Kind::command, "media_buy.create", "/packages/0/budget", R"({"amount":1})", "type"},
    {Kind::command, "activity.finish_run", "/cost_usd", "[1]", "type"},
    {Kind::event, "media_buy.created", "/packages/0/budget_minor", "1.5", "type"},
    {Kind::event, "activity.run_finished", "/usage/cost_usd_micros", "10000000000", "maximum"},
    // negative or zero credits, amounts and counters
    {Kind::command, "activity.finish_run", "/credits_used", "-1", "minimum"},
    {Kind::command, "activity.start_run", "/estimated_credits", "0", "minimum"},
    {Kind::command, "activity.start_run", "/estimated_credits", "1000000000000001", "maximum"},
    {Kind::event, "activity.run_finished", "/credits_released", "-300", "minimum"},
    {Kind::command, "media_buy.create", "/packages/1/budget_minor", "-1", "minimum"},
    {Kind::event, "media_buy.created", "/budget_total_minor", "9007199254740992", "maximum"},
    {Kind::command, "activity.finish_run", "/duration_ms", "-5", "minimum"},
    // booleans
    {Kind::command, "media_buy.create", "/requires_approval", R"("true")", "type"},
    {Kind::command, "audit.record", "/success", "1", "type"},
    // enums
    {Kind::command, "approval.request", "/risk_level", R"("extreme")", "enum"},
    {Kind::event, "approval.requested", "/type", R"("activity_review")", "enum"},
    {Kind::command, "approval.request", "/type", R"("")", "minLength"},
    {Kind::command, "approval.request", "/subject/kind", R"("campaign")", "enum"},
    {Kind::command, "activity.create", "/priority", R"("Urgent")", "enum"},
    {Kind::command, "activity.create", "/assignee_type", R"("robot")", "enum"},
    {Kind::command, "activity.finish_run", "/status", R"("running")", "enum"},
    {Kind::command, "activity.start_run", "/adapter_type", R"("gemini")", "enum"},
    {Kind::event, "approval.escalated", "/reason", R"("manual")", "enum"},
    {Kind::event, "activity.created", "/priority", R"("medium")", "enum"},
    {Kind::event, "activity.reassigned", "/reason", R"("moved")", "enum"},
    // dates and timestamps
    {Kind::command, "media_buy.create", "/start_date", R"("2024-3-01")", "pattern"},
    {Kind::command, "media_buy.create", "/end_date", R"("2024-03-31T00:00:00Z")", "pattern"},
    {Kind::command, "activity.create", "/due_date", R"("29/02/2024")", "pattern"},
    {Kind::command, "approval.request", "/expires_at", R"("2024-02-20 12:00:00Z")", "pattern"},
    {Kind::command, "audit.record", "/timestamp", R"("2024-02-20 12:00:00")", "pattern"},
    {Kind::event, "activity.run_started", "/expires_at", R"("2024-02-20")", "pattern"},
    {Kind::event, "activity.run_started", "/reservation_id", R"("run-5")", "pattern"},
    {Kind::event, "media_buy.created", "/currency", R"("usd")", "pattern"},
    // nested objects
    {Kind::command, "approval.request", "/subject/extra", "1", "additionalProperties"},
    {Kind::event, "approval.approved", "/subject", R"({"kind":"activity"})", "required"},
    {Kind::command, "media_buy.create", "/packages/0/extra", "1", "additionalProperties"},
    {Kind::command, "media_buy.create", "/packages/1", R"({"package_id":"p"})", "required"},
    {Kind::command, "media_buy.create", "/packages/0/pricing", R"([1250])", "type"},
    {Kind::command, "audit.record", "/details", R"("none")", "type"},
    {Kind::event, "activity.run_finished", "/usage/tokens", "1", "additionalProperties"},
    // array sizes
    {Kind::command, "media_buy.create", "/packages", "[]", "minItems"},
    {Kind::command, "media_buy.create", "/packages", R"({"package_id":"p"})", "type"},
    // strings
    {Kind::command, "approval.approve", "/approval_id", R"("")", "minLength"},
    {Kind::command, "approval.approve", "/reviewed_by", "42", "type"},
    {Kind::command, "activity.create", "/type", R"("")", "minLength"},
    {Kind::command, "audit.record", "/resource_type", "7", "type"},
    {Kind::command, "audit.record", "/user_id", "-1", "minimum"},
    {Kind::command, "tenant.configure", "/escalation_reviewer_id", "7", "type"},
};

void PrintTo(const Example& example, std::ostream* out) {
  *out << example.type;
}

// `text` as a JSON string (no escaping needed in these tests).
std::string as_json_string(std::string_view text) {
  std::string json;
  json.reserve(text.size() + 2);
  json += '"';
  json += text;
  json += '"';
  return json;
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> names;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    names.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return names;
}

const Example* find_example(Kind kind, std::string_view type) {
  for (const Example& example : kExamples) {
    if (example.kind == kind && example.type == type) return &example;
  }
  return nullptr;
}

// The version the examples are at: an event's current one, 1 for commands.
int32_t version_of(Kind kind, std::string_view type) {
  const Example* example = find_example(kind, type);
  return example == nullptr ? 1 : example->version;
}

std::string schema_path(Kind kind, std::string_view type) {
  const int32_t version = version_of(kind, type);
  return std::string(kind == Kind::command ? "commands/" : "events/") + std::string(type) +
         (version > 1 ? ".v" + std::to_string(version) : std::string()) + ".json";
}

std::optional<std::string> validate(Kind kind, std::string_view type,
                                    const rapidjson::Value& payload) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  return kind == Kind::command
             ? registry.validate_command_payload(type, payload)
             : registry.validate_event_payload(type, version_of(kind, type), payload);
}

bool is_workflow_type(std::string_view type) {
  // The usage domain's tenant.* types (docs/domains/usage.md).
  if (type == "tenant.set_spend_cap" || type == "tenant.spend_cap_set") return false;
  // An import's chunk follows the import rules (import_id, chunks, up to
  // 1,000 rows; docs/migrating.md), checked by the import tests.
  if (type == "audit.logs_imported") return false;
  if (type == "media_buy.imported" || type == "approval.imported") return false;
  for (const std::string_view prefix :
       {"media_buy.", "approval.", "activity.", "audit.", "tenant."}) {
    if (type.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// Sets `pointer` in `document` to the JSON `value`.
void set(rapidjson::Document& document, std::string_view pointer, std::string_view value) {
  const auto parsed = parse_json(value);
  rapidjson::Value copy(*parsed, document.GetAllocator());
  rapidjson::Pointer(std::string(pointer).c_str()).Set(document, copy);
}

std::string named(const Example& example) {
  std::string name = example.kind == Kind::command ? "command_" : "event_";
  for (const char c : std::string_view(example.type)) name += c == '.' ? '_' : c;
  return name;
}

// "type" of a property: one name, or the names of a list; empty for "any value".
std::vector<std::string> types_of(const rapidjson::Value& property) {
  std::vector<std::string> types;
  const rapidjson::Value* type = json_member(property, "type");
  if (type == nullptr) return types;
  if (type->IsString()) {
    types.emplace_back(json_view(*type));
    return types;
  }
  for (const rapidjson::Value& name : type->GetArray()) types.emplace_back(json_view(name));
  return types;
}

bool has_type(const std::vector<std::string>& types, std::string_view name) {
  return std::find(types.begin(), types.end(), name) != types.end();
}

// ---- the catalogue -----------------------------------------------------------

TEST(WorkflowSchemas, EveryWorkflowTypeHasASchemaAndAnExample) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  std::set<std::string> commands;
  std::set<std::string> events;
  for (const Example& example : kExamples) {
    EXPECT_TRUE((example.kind == Kind::command ? commands : events).insert(example.type).second)
        << "two examples for " << example.type;
    if (example.kind == Kind::command) {
      EXPECT_TRUE(registry.knows_command(example.type)) << example.type;
    } else {
      EXPECT_TRUE(registry.knows_event(example.type, example.version)) << example.type;
      EXPECT_FALSE(registry.knows_event(example.type, example.version + 1))
          << example.type << ": the example is not at the current version";
    }
  }
  EXPECT_EQ(commands.size(), 24u);  // docs/domains/workflow.md
  EXPECT_EQ(events.size(), 30u);    // its "Events" table
  // No workflow schema without an example here.
  for (const std::string& type : registry.command_types()) {
    if (is_workflow_type(type)) {
      EXPECT_TRUE(commands.count(type)) << "no example for command " << type;
    }
  }
  for (const std::string& type : registry.event_types()) {
    // Versions after the first ("<type>.v<N>") are covered by the check of
    // the current version above and by the upcasters' tests.
    const std::size_t version = type.rfind(".v");
    if (version != std::string::npos &&
        type.find_first_not_of("0123456789", version + 2) == std::string::npos) {
      continue;
    }
    if (is_workflow_type(type)) {
      EXPECT_TRUE(events.count(type)) << "no example for event " << type;
    }
  }
}

// ---- per type ----------------------------------------------------------------

class WorkflowSchema : public ::testing::TestWithParam<Example> {
 protected:
  const Example& example() const { return GetParam(); }
  std::unique_ptr<rapidjson::Document> valid() const { return parse_json(example().valid); }
  std::unique_ptr<rapidjson::Document> schema() const {
    const auto text = resources::find(schema_path(example().kind, example().type));
    EXPECT_TRUE(text) << schema_path(example().kind, example().type);
    return parse_json(text ? *text : std::string_view("{}"));
  }
  std::optional<std::string> check(const rapidjson::Value& payload) const {
    return validate(example().kind, example().type, payload);
  }
};

TEST_P(WorkflowSchema, HasTheContractsShape) {
  const auto document = schema();
  ASSERT_TRUE(document->IsObject());
  EXPECT_EQ(json_string(*document, "$schema"), "http://json-schema.org/draft-04/schema#");
  const std::string title =
      std::string(example().type) + " payload" +
      (example().version > 1 ? ", schema_version " + std::to_string(example().version) : "");
  EXPECT_EQ(json_string(*document, "title"), title);
  EXPECT_TRUE(json_string(*document, "description"));
  EXPECT_EQ(json_string(*document, "type"), "object");
  const rapidjson::Value* additional = json_member(*document, "additionalProperties");
  ASSERT_NE(additional, nullptr);
  EXPECT_TRUE(additional->IsFalse());
  const rapidjson::Value* properties = json_member(*document, "properties");
  ASSERT_NE(properties, nullptr);
  for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
    EXPECT_TRUE(json_string(it->value, "description")) << it->name.GetString();
  }
  // Required = the doc's fields without "?" (draft-04 wants no empty list).
  std::vector<std::string> required;
  if (const rapidjson::Value* list = json_member(*document, "required")) {
    EXPECT_GT(list->Size(), 0u);
    for (const rapidjson::Value& name : list->GetArray()) required.emplace_back(json_view(name));
  }
  EXPECT_EQ(required, split(example().required));
}

TEST_P(WorkflowSchema, AcceptsTheRealisticPayload) {
  EXPECT_EQ(check(*valid()), std::nullopt) << example().valid;
}

TEST_P(WorkflowSchema, AcceptsTheRequiredMembersAlone) {
  auto minimal = valid();
  auto required = split(example().required);
  if (example().type == std::string_view("audit.record"))
    required.push_back("operation");  // one of three
  std::vector<std::string> optional;
  for (auto it = minimal->MemberBegin(); it != minimal->MemberEnd(); ++it) {
    const std::string name(json_view(it->name));
    if (std::find(required.begin(), required.end(), name) == required.end())
      optional.push_back(name);
  }
  for (const std::string& name : optional) minimal->RemoveMember(name.c_str());
  EXPECT_EQ(minimal->MemberCount(), required.size());
  EXPECT_EQ(check(*minimal), std::nullopt) << json_to_string(*minimal);
}

TEST_P(WorkflowSchema, RejectsEachMissingRequiredMember) {
  const auto document = schema();
  const rapidjson::Value* required = json_member(*document, "required");
  if (required == nullptr)
    return;  // nothing required (audit.record: see AuditRecordNeedsAnOperation)
  ASSERT_GT(required->Size(), 0u);
  for (const rapidjson::Value& name : required->GetArray()) {
    auto payload = valid();
    ASSERT_TRUE(payload->RemoveMember(name)) << "the example lacks " << name.GetString();
    const auto error = check(*payload);
    ASSERT_TRUE(error) << "accepted without " << name.GetString();
    EXPECT_EQ(error->rfind("/: failed 'required'", 0), 0u) << *error;
    EXPECT_NE(error->find(std::string("'") + name.GetString() + "'"), std::string::npos) << *error;
  }
}

TEST_P(WorkflowSchema, RejectsAnUnknownMember) {
  auto payload = valid();
  payload->AddMember("tenant_note", "surprise", payload->GetAllocator());
  const auto error = check(*payload);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("failed 'additionalProperties'"), std::string::npos) << *error;
  EXPECT_NE(error->find("'tenant_note'"), std::string::npos) << *error;
}

TEST_P(WorkflowSchema, RejectsAnArrayOrNull) {
  EXPECT_TRUE(check(*parse_json("[]")));
  EXPECT_TRUE(check(*parse_json("null")));
}

// Every top-level property at and past its declared bounds: strings at
// maxLength pass and one longer fails, integers pass at their minimum and
// maximum and fail one beyond, enums refuse an unlisted value, patterned
// strings refuse text that does not match, free-form objects hold at most 100
// members, booleans refuse strings; a property of several types admits each
// and refuses the others; a property of any type (an audit change) admits
// every kind of value.
TEST_P(WorkflowSchema, EnforcesEveryPropertysBounds) {
  const auto document = schema();
  const rapidjson::Value* properties = json_member(*document, "properties");
  ASSERT_NE(properties, nullptr);
  for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
    const std::string name(json_view(it->name));
    const rapidjson::Value& property = it->value;
    const std::string pointer = "/" + name;
    const std::vector<std::string> types = types_of(property);
    const auto expect = [&](std::string_view value, bool valid_expected, std::string_view keyword) {
      auto payload = valid();
      set(*payload, pointer, value);
      const auto error = check(*payload);
      if (valid_expected) {
        EXPECT_EQ(error, std::nullopt) << name << " = " << value.substr(0, 80);
      } else {
        ASSERT_TRUE(error) << name << " = " << value.substr(0, 80) << " accepted";
        EXPECT_NE(error->find("failed '" + std::string(keyword) + "'"), std::string::npos)
            << *error;
      }
    };
    if (types.empty()) {
      for (const char* any : {"null", "true", "-1.25", R"("x")", "[1,{}]", R"({"a":[null]})"})
        expect(any, true, "");
      continue;
    }
    if (types.size() > 1) {
      expect("null", has_type(types, "null"), "type");
      expect("false", has_type(types, "boolean"), "type");
      if (has_type(types, "number")) expect("5000.5", true, "");
      if (has_type(types, "string")) {
        const auto max_length = json_int64(property, "maxLength");
        ASSERT_TRUE(max_length) << name << " is unbounded";
        expect(as_json_string(std::string(static_cast<std::size_t>(*max_length), '1')), true, "");
        expect(as_json_string(std::string(static_cast<std::size_t>(*max_length) + 1, '1')), false,
               "maxLength");
      }
      if (has_type(types, "integer")) {
        expect("17", true, "");
        expect("1.5", false, "type");
      }
      continue;
    }
    const std::string& type = types.front();
    if (type == "string") {
      expect("17", false, "type");
      if (const rapidjson::Value* values = json_member(property, "enum")) {
        for (const rapidjson::Value& value : values->GetArray()) {
          expect(as_json_string(json_view(value)), true, "");
        }
        expect(R"("not_a_listed_value")", false, "enum");
        continue;
      }
      const auto max_length = json_int64(property, "maxLength");
      ASSERT_TRUE(max_length || json_string(property, "pattern")) << name << " is unbounded";
      if (json_string(property, "pattern")) {
        expect(R"("not-a-match")", false, "pattern");
      } else {
        expect(as_json_string(std::string(static_cast<std::size_t>(*max_length), 'x')), true, "");
      }
      if (max_length) {
        expect(as_json_string(std::string(static_cast<std::size_t>(*max_length) + 1, 'x')), false,
               "maxLength");
      }
    } else if (type == "integer") {
      const auto minimum = json_int64(property, "minimum");
      const auto maximum = json_int64(property, "maximum");
      ASSERT_TRUE(minimum && maximum) << name << " is unbounded";
      EXPECT_LE(*maximum, 9007199254740991) << name;  // exact in every JSON reader
      expect(std::to_string(*minimum), true, "");
      expect(std::to_string(*maximum), true, "");
      expect(std::to_string(*minimum - 1), false, "minimum");
      expect(std::to_string(*maximum + 1), false, "maximum");
      expect(R"("1")", false, "type");
    } else if (type == "boolean") {
      expect("false", true, "");
      expect(R"("false")", false, "type");
    } else if (type == "object") {
      if (json_member(property, "properties"))
        continue;  // subject, usage: covered by the mutations
      EXPECT_EQ(json_int64(property, "maxProperties"), 100) << name;
      std::string members = "{";
      for (int i = 0; i < 101; ++i)
        members += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
      expect(members + "}", false, "maxProperties");
      expect("{}", true, "");
    } else if (type == "array") {
      EXPECT_EQ(json_int64(property, "minItems"), 1) << name;
      EXPECT_EQ(json_int64(property, "maxItems"), 100) << name;
    } else {
      ADD_FAILURE() << name << ": unexpected type " << type;
    }
  }
}

// The field rules every workflow schema follows, by member name (nested
// members of packages, subject and usage included): ids 1..128, names and
// titles 1..500, types 1..64, free text 1..2000 (the copied reviewer notes
// 0..2000), RFC 3339 timestamps of at most 40 characters, YYYY-MM-DD dates,
// credits and counters up to 10^15, amounts as a number or a decimal string,
// the enums of the doc, the seeds' lengths where a seed column holds the fact.
struct FieldRule {
  std::string_view type;  // a JSON type, "subject", "usage", "amount" (number or string), "any"
  int64_t minimum = 0;    // minLength or minimum
  int64_t maximum = 0;    // maxLength or maximum
  std::string_view pattern = {};
  std::vector<std::string_view> values = {};
};

constexpr std::string_view kTimestampPattern =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|(\\+|-)[0-9]{2}:[0-"
    "9]{2})$";
constexpr std::string_view kDatePattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
constexpr int64_t kCreditsMax = 1'000'000'000'000'000;
const std::vector<std::string_view> kSeedApprovalTypes{
    "content_review", "strategy_review", "brand_direction", "content_direction",
    "hire_agent",     "media_buy",       "creative",        "product"};

std::optional<FieldRule> enum_rule(std::string_view schema_type, Kind kind, std::string_view name) {
  if (name == "reason" && schema_type == "approval.escalated")
    return FieldRule{"string", 0, 0, {}, {"expired"}};
  if (name == "reason" && schema_type == "activity.reassigned") {
    return FieldRule{"string", 0, 0, {}, {"assigned", "escalated"}};
  }
  if (name == "risk_level")
    return FieldRule{"string", 0, 0, {}, {"low", "medium", "high", "critical"}};
  if (name == "priority") {
    if (kind == Kind::command)
      return FieldRule{"string", 0, 0, {}, {"urgent", "high", "normal", "low", "medium"}};
    return FieldRule{"string", 0, 0, {}, {"urgent", "high", "normal", "low"}};
  }
  if (name == "assignee_type") return FieldRule{"string", 0, 0, {}, {"agent", "human"}};
  if (name == "status" && schema_type == "activity.assigned")
    return FieldRule{"string", 0, 0, {}, {"assigned", "created"}};
  if (name == "status" && schema_type == "activity.revision_requested") {
    return FieldRule{"string", 0, 0, {}, {"assigned", "created", "in_progress"}};
  }
  if (name == "status") return FieldRule{"string", 0, 0, {}, {"completed", "failed", "timed_out"}};
  if (name == "review_outcome")
    return FieldRule{"string", 0, 0, {}, {"approved", "rejected", "revision_requested"}};
  if (name == "kind") return FieldRule{"string", 0, 0, {}, {"activity", "media_buy", "creative"}};
  if (name == "adapter_type")
    return FieldRule{"string", 0, 0, {}, {"claude", "openai", "ollama", "webhook"}};
  // Commands take catalogue v1's free-text types for one version (the
  // decider reads them as the subject's seed type); events hold seed types.
  if ((name == "type" && schema_type.starts_with("approval.")) || name == "approval_type") {
    if (kind == Kind::command) return FieldRule{"string", 1, 64};
    return FieldRule{"string", 0, 0, {}, kSeedApprovalTypes};
  }
  return std::nullopt;
}

std::optional<FieldRule> field_rule(std::string_view schema_type, Kind kind,
                                    std::string_view name) {
  const auto in = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  if (std::optional<FieldRule> listed = enum_rule(schema_type, kind, name)) return listed;
  if (name == "reservation_id") return FieldRule{"string", 5, 128, "^run:.+$"};
  if (name == "currency") {
    return kind == Kind::command ? FieldRule{"string", 3, 3}
                                 : FieldRule{"string", 0, 0, "^[A-Z]{3}$"};
  }
  if (name == "resource_id")
    return FieldRule{kind == Kind::command ? "string|null" : "string", 1, 255};
  if (name == "resource_type" || (name == "escalation_reviewer_id" && kind == Kind::command)) {
    return FieldRule{kind == Kind::command ? "string|null" : "string", 1, 128};
  }
  if (name == "user_id") return FieldRule{"string|integer", 1, 128};
  if (in({"chosen_option", "output_ref", "endpoint"})) return FieldRule{"string", 1, 255};
  if (name == "model_id" || name == "request_id") return FieldRule{"string", 1, 100};
  if (name == "http_method") return FieldRule{"string", 1, 10};
  if (name == "ip_address") return FieldRule{"string", 1, 45};
  if (name == "error") return FieldRule{"string", 1, 10'000};
  if (name == "user_agent") return FieldRule{"string", 1, 500};
  if ((name.size() > 3 && name.substr(name.size() - 3) == "_id") ||
      in({"id", "reviewed_by", "buyer_ref", "deliverable_type", "assignee_agent_role", "operation",
          "event_type", "action", "escalate_to", "escalated_from", "escalated_to"})) {
    return FieldRule{"string", 1, 128};
  }
  if (in({"title", "campaign_name", "principal_name", "review_title"}))
    return FieldRule{"string", 1, 500};
  if (name == "type") return FieldRule{"string", 1, 64};
  if (in({"reason", "note", "notes", "description", "error_message", "content_ref"})) {
    return FieldRule{"string", 1, 2000};
  }
  if (in({"rejection_note", "revision_note"})) return FieldRule{"string", 0, 2000};
  if (in({"expires_at", "approval_expires_at", "escalated_at", "sent_to_client_at", "occurred_at",
          "timestamp", "created_at"})) {
    return FieldRule{"string", 0, 40, kTimestampPattern};
  }
  if (in({"start_date", "end_date", "due_date"})) return FieldRule{"string", 0, 0, kDatePattern};
  if (name == "estimated_credits") return FieldRule{"integer", 1, kCreditsMax};
  if (in({"credits_used", "credits_charged", "credits_released", "input_tokens", "output_tokens",
          "duration_ms", "budget_minor"})) {
    return FieldRule{"integer", 0, kCreditsMax};
  }
  if (name == "cost_usd_micros") return FieldRule{"integer", 0, 9'999'999'999};
  if (name == "budget" || name == "cost_usd") return FieldRule{"amount", 0, 64};
  if (name == "budget_total_minor") return FieldRule{"integer", 0, 9'007'199'254'740'991};
  if (in({"requires_approval", "is_approval_gate", "success"})) return FieldRule{"boolean"};
  if (in({"pricing", "targeting", "details", "input_data", "output_summary"}))
    return FieldRule{"object", 0, 100};
  if (in({"old_value", "new_value", "changed_fields"})) return FieldRule{"any"};
  if (name == "subject" || name == "usage") return FieldRule{name};
  if (name == "packages") return FieldRule{"array", 1, 100};
  return std::nullopt;
}

// The keywords a property may carry besides those its rule names.
bool only_keywords(const rapidjson::Value& property,
                   std::initializer_list<std::string_view> allowed) {
  for (auto it = property.MemberBegin(); it != property.MemberEnd(); ++it) {
    const std::string_view keyword = json_view(it->name);
    if (keyword == "description" || keyword == "type") continue;
    if (std::find(allowed.begin(), allowed.end(), keyword) == allowed.end()) {
      ADD_FAILURE() << "unexpected keyword " << keyword;
      return false;
    }
  }
  return true;
}

void expect_follows_rules(std::string_view schema_type, Kind kind,
                          const rapidjson::Value& object_schema);

void expect_nested_follows_rules(std::string_view schema_type, Kind kind,
                                 const rapidjson::Value& property, std::string_view rule_type) {
  EXPECT_EQ(types_of(property), std::vector<std::string>{"object"});
  std::vector<std::string> required;
  if (const rapidjson::Value* list = json_member(property, "required")) {
    for (const rapidjson::Value& member : list->GetArray())
      required.emplace_back(json_view(member));
  }
  const std::vector<std::string> expected =
      rule_type == "subject" ? std::vector<std::string>{"kind", "id"} : std::vector<std::string>{};
  EXPECT_EQ(required, expected);
  expect_follows_rules(schema_type, kind, property);
}

void expect_follows_rules(std::string_view schema_type, Kind kind,
                          const rapidjson::Value& object_schema) {
  const rapidjson::Value* properties = json_member(object_schema, "properties");
  ASSERT_NE(properties, nullptr);
  const rapidjson::Value* additional = json_member(object_schema, "additionalProperties");
  ASSERT_NE(additional, nullptr);
  EXPECT_TRUE(additional->IsFalse());
  for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
    const std::string_view name = json_view(it->name);
    SCOPED_TRACE(std::string(name));
    const rapidjson::Value& property = it->value;
    const auto rule = field_rule(schema_type, kind, name);
    ASSERT_TRUE(rule) << "no field rule for " << name;
    EXPECT_TRUE(json_string(property, "description"));
    if (rule->type == "subject" || rule->type == "usage") {
      expect_nested_follows_rules(schema_type, kind, property, rule->type);
      continue;
    }
    if (rule->type == "any") {
      only_keywords(property, {});
      EXPECT_EQ(json_member(property, "type"), nullptr);
      continue;
    }
    const std::vector<std::string> types = types_of(property);
    if (rule->type == "amount") {
      EXPECT_EQ(types, (std::vector<std::string>{"number", "string"}));
      only_keywords(property, {"maxLength"});
      EXPECT_EQ(json_int64(property, "maxLength"), rule->maximum);
      continue;
    }
    if (rule->type == "string|integer") {
      EXPECT_EQ(types, (std::vector<std::string>{"string", "integer"}));
      only_keywords(property, {"minLength", "maxLength", "minimum", "maximum"});
      EXPECT_EQ(json_int64(property, "maxLength"), rule->maximum);
      EXPECT_EQ(json_int64(property, "minimum"), 0);
      continue;
    }
    if (rule->type == "string|null") {
      EXPECT_EQ(types, (std::vector<std::string>{"string", "null"}));
    } else {
      EXPECT_EQ(types, std::vector<std::string>{std::string(rule->type)});
    }
    if (rule->type == "array") {
      EXPECT_EQ(json_int64(property, "minItems"), rule->minimum);
      EXPECT_EQ(json_int64(property, "maxItems"), rule->maximum);
      const rapidjson::Value* items = json_member(property, "items");
      ASSERT_NE(items, nullptr);
      expect_follows_rules(schema_type, kind, *items);
    } else if (rule->type == "object") {
      only_keywords(property, {"maxProperties"});
      EXPECT_EQ(json_int64(property, "maxProperties"), rule->maximum);
    } else if (rule->type == "boolean") {
      only_keywords(property, {});
    } else if (rule->type == "integer") {
      only_keywords(property, {"minimum", "maximum"});
      EXPECT_EQ(json_int64(property, "minimum"), rule->minimum);
      EXPECT_EQ(json_int64(property, "maximum"), rule->maximum);
    } else if (!rule->values.empty()) {
      only_keywords(property, {"enum"});
      std::vector<std::string_view> values;
      for (const rapidjson::Value& value : json_member(property, "enum")->GetArray())
        values.push_back(json_view(value));
      EXPECT_EQ(values, rule->values);
    } else {
      only_keywords(property, {"minLength", "maxLength", "pattern"});
      EXPECT_EQ(json_int64(property, "minLength"),
                rule->minimum ? std::optional<int64_t>(rule->minimum) : std::nullopt);
      EXPECT_EQ(json_int64(property, "maxLength"),
                rule->maximum ? std::optional<int64_t>(rule->maximum) : std::nullopt);
      EXPECT_EQ(
          json_string(property, "pattern"),
          rule->pattern.empty() ? std::nullopt : std::optional<std::string_view>(rule->pattern));
    }
  }
}

TEST_P(WorkflowSchema, PropertiesFollowTheFieldRules) {
  const auto document = schema();
  expect_follows_rules(example().type, example().kind, *document);
}

INSTANTIATE_TEST_SUITE_P(Workflow, WorkflowSchema, ::testing::ValuesIn(kExamples),
                         [](const ::testing::TestParamInfo<Example>& info) {
                           return named(info.param);
                         });

// ---- targeted type errors --------------------------------------------------

TEST(WorkflowSchemas, RejectsTypeErrors) {
  for (const Mutation& mutation : kMutations) {
    SCOPED_TRACE(std::string(mutation.type) + " " + mutation.pointer + " = " + mutation.value);
    const Example* example = find_example(mutation.kind, mutation.type);
    ASSERT_NE(example, nullptr);
    auto payload = parse_json(example->valid);
    set(*payload, mutation.pointer, mutation.value);
    const auto error = validate(mutation.kind, mutation.type, *payload);
    ASSERT_TRUE(error) << json_to_string(*payload);
    EXPECT_NE(error->find(std::string("failed '") + mutation.keyword + "'"), std::string::npos)
        << *error;
  }
}

// `count` packages, with budget_minor in events and budget in commands.
std::string packages(int count, Kind kind) {
  const std::string budget =
      kind == Kind::command ? R"("budget":"10.00")" : R"("budget_minor":1000)";
  std::string array = "[";
  for (int i = 0; i < count; ++i) {
    if (i) array += ",";
    array += R"({"package_id":"pkg-)" + std::to_string(i) + R"(","product_id":"display-ros",)" +
             budget + "}";
  }
  return array + "]";
}

TEST(WorkflowSchemas, MediaBuyTakesOneToOneHundredPackages) {
  for (const Kind kind : {Kind::command, Kind::event}) {
    const char* type = kind == Kind::command ? "media_buy.create" : "media_buy.created";
    auto payload = parse_json(find_example(kind, type)->valid);
    set(*payload, "/packages", packages(100, kind));
    EXPECT_EQ(validate(kind, type, *payload), std::nullopt) << type;
    set(*payload, "/packages", packages(101, kind));
    const auto error = validate(kind, type, *payload);
    ASSERT_TRUE(error) << type;
    EXPECT_EQ(error->rfind("/packages: failed 'maxItems'", 0), 0u) << *error;
    set(*payload, "/packages", packages(1, kind));
    EXPECT_EQ(validate(kind, type, *payload), std::nullopt) << type;
  }
}

TEST(WorkflowSchemas, PackageFreeFormObjectsHoldAtMostOneHundredMembers) {
  auto payload = parse_json(find_example(Kind::command, "media_buy.create")->valid);
  std::string members = "{";
  for (int i = 0; i < 101; ++i)
    members += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":{\"nested\":[1,2]}";
  set(*payload, "/packages/0/targeting", members + "}");
  const auto error = validate(Kind::command, "media_buy.create", *payload);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind("/packages/0/targeting: failed 'maxProperties'", 0), 0u) << *error;
  set(*payload, "/packages/0/targeting", R"({"any":{"shape":[true,null,"x"]}})");
  EXPECT_EQ(validate(Kind::command, "media_buy.create", *payload), std::nullopt);
}

TEST(WorkflowSchemas, SubjectNeedsAKnownKindAndAnId) {
  for (const char* type :
       {"approval.requested", "approval.approved", "approval.rejected",
        "approval.revision_requested", "approval.expired", "approval.escalated"}) {
    SCOPED_TRACE(type);
    auto payload = parse_json(find_example(Kind::event, type)->valid);
    for (const char* kind : {"activity", "media_buy", "creative"}) {
      set(*payload, "/subject/kind", as_json_string(kind));
      EXPECT_EQ(validate(Kind::event, type, *payload), std::nullopt) << kind;
    }
    set(*payload, "/subject/kind", R"("campaign")");
    EXPECT_TRUE(validate(Kind::event, type, *payload));
    set(*payload, "/subject", R"({"kind":"creative","id":""})");
    EXPECT_TRUE(validate(Kind::event, type, *payload));
    set(*payload, "/subject", R"({"id":"cr-1"})");
    EXPECT_TRUE(validate(Kind::event, type, *payload));
    set(*payload, "/subject", R"("creative/cr-1")");
    EXPECT_TRUE(validate(Kind::event, type, *payload));
  }
}

TEST(WorkflowSchemas, TimestampsAreRfc3339AndDatesAreCalendarDays) {
  auto run = parse_json(find_example(Kind::command, "activity.start_run")->valid);
  for (const char* good : {"2024-02-29T10:00:00Z", "2024-02-29t10:00:00.5-05:30",
                           "2024-02-29T10:00:00.123456+00:00"}) {
    set(*run, "/expires_at", as_json_string(good));
    EXPECT_EQ(validate(Kind::command, "activity.start_run", *run), std::nullopt) << good;
  }
  for (const char* bad :
       {"2024-02-29T10:00Z", "2024-02-29T10:00:00", "1709200800", "2024-02-29T10:00:00.Z"}) {
    set(*run, "/expires_at", as_json_string(bad));
    EXPECT_TRUE(validate(Kind::command, "activity.start_run", *run)) << bad;
  }
  auto activity = parse_json(find_example(Kind::command, "activity.create")->valid);
  for (const char* bad : {"2024-02-29T00:00:00Z", "20240229", "2024-2-29", " 2024-02-29"}) {
    set(*activity, "/due_date", as_json_string(bad));
    EXPECT_TRUE(validate(Kind::command, "activity.create", *activity)) << bad;
  }
}

TEST(WorkflowSchemas, ReviewerNotesMayBeEmptyOnlyWhereTheyAreCopied) {
  // rejection_note / revision_note copy the reviewer's notes, which are
  // optional: the events admit "", the commands' notes do not.
  auto rejected = parse_json(find_example(Kind::event, "activity.rejected")->valid);
  set(*rejected, "/rejection_note", R"("")");
  EXPECT_EQ(validate(Kind::event, "activity.rejected", *rejected), std::nullopt);
  auto revision = parse_json(find_example(Kind::event, "activity.revision_requested")->valid);
  set(*revision, "/revision_note", R"("")");
  EXPECT_EQ(validate(Kind::event, "activity.revision_requested", *revision), std::nullopt);
  auto reject = parse_json(find_example(Kind::command, "approval.reject")->valid);
  set(*reject, "/notes", R"("")");
  EXPECT_TRUE(validate(Kind::command, "approval.reject", *reject));
}

TEST(WorkflowSchemas, CommandRejectedMayNameTheTargetStream) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  auto payload =
      parse_json(R"({"command_type":"media_buy.pause","reason":"invalid_transition",)"
                 R"("message":"media buy mb-1 is pending","target_stream":"media_buy/mb-1"})");
  EXPECT_EQ(registry.validate_event_payload("command.rejected", 1, *payload), std::nullopt);
  payload->RemoveMember("target_stream");
  EXPECT_EQ(registry.validate_event_payload("command.rejected", 1, *payload), std::nullopt);
  set(*payload, "/target_stream", as_json_string(std::string(300, 's')));
  EXPECT_EQ(registry.validate_event_payload("command.rejected", 1, *payload), std::nullopt);
  set(*payload, "/target_stream", as_json_string(std::string(301, 's')));
  EXPECT_TRUE(registry.validate_event_payload("command.rejected", 1, *payload));
  set(*payload, "/target_stream", R"("")");
  EXPECT_TRUE(registry.validate_event_payload("command.rejected", 1, *payload));
  set(*payload, "/target_stream", "7");
  EXPECT_TRUE(registry.validate_event_payload("command.rejected", 1, *payload));
}

TEST(WorkflowSchemas, AuditRecordNeedsAnOperationUnderOneOfItsNames) {
  for (const char* name : {"operation", "event_type", "action"}) {
    auto payload = parse_json(std::string(R"({")") + name + R"(":"login","resource_type":null})");
    EXPECT_EQ(validate(Kind::command, "audit.record", *payload), std::nullopt) << name;
  }
  auto none = parse_json(R"({"resource_type":"session","resource_id":"s-1","success":true})");
  const auto error = validate(Kind::command, "audit.record", *none);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("failed 'anyOf'"), std::string::npos) << *error;
  auto numeric_user = parse_json(R"({"action":"login","user_id":42})");
  EXPECT_EQ(validate(Kind::command, "audit.record", *numeric_user), std::nullopt);
}

TEST(WorkflowSchemas, TenantConfigureClearsWithNull) {
  EXPECT_EQ(validate(Kind::command, "tenant.configure",
                     *parse_json(R"({"escalation_reviewer_id":null})")),
            std::nullopt);
  EXPECT_TRUE(
      validate(Kind::command, "tenant.configure", *parse_json(R"({"escalation_reviewer_id":""})")));
  EXPECT_TRUE(validate(Kind::command, "tenant.configure", *parse_json("{}")));
  EXPECT_EQ(validate(Kind::event, "tenant.configured", *parse_json("{}")), std::nullopt);
}

TEST(WorkflowSchemas, BudgetsTakeANumberOrADecimalString) {
  auto payload = parse_json(find_example(Kind::command, "media_buy.create")->valid);
  for (const char* budget : {"5000.5", R"("5000.50")", "0", "12", R"("1e3")"}) {
    set(*payload, "/packages/0/budget", budget);
    EXPECT_EQ(validate(Kind::command, "media_buy.create", *payload), std::nullopt) << budget;
  }
  // Whether the text is a decimal with the currency's decimals is the
  // decider's to say (invalid_amount), not the schema's.
  set(*payload, "/packages/0/budget", R"("five thousand")");
  EXPECT_EQ(validate(Kind::command, "media_buy.create", *payload), std::nullopt);
  set(*payload, "/packages/0/budget", "null");
  EXPECT_TRUE(validate(Kind::command, "media_buy.create", *payload));
}

}  // namespace
}  // namespace lf
