// The workflow JSON Schemas (docs/domains/workflow.md): every command and
// event type of media buys, approvals, activities, runs and audit has a
// schema; a realistic payload passes; each required member is required, no
// unknown member is admitted, and the bounds (lengths, integer ranges, enums,
// date and timestamp patterns, array and object sizes) hold at their edges.
#include <algorithm>
#include <initializer_list>
#include <optional>
#include <cstdint>
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

namespace lf {
namespace {

enum class Kind { command, event };

// One row per workflow type: a realistic payload with every optional member
// the doc lists, and the members the doc marks as required (no "?").
struct Example {
  Kind kind;
  const char* type;
  const char* required;  // comma-separated, in the schema's order
  const char* valid;
};

const Example kExamples[] = {
    // ---- media buy commands
    {Kind::command, "media_buy.create",
     "media_buy_id,principal_id,campaign_name,start_date,end_date,packages,requires_approval",
     R"({"media_buy_id":"mb-2024-001","principal_id":"acme-agency","campaign_name":"Spring launch",)"
     R"("buyer_ref":"PO-7781","start_date":"2024-03-01","end_date":"2024-03-31",)"
     R"("packages":[{"package_id":"pkg-1","product_id":"ctv-premium","budget":2500000,)"
     R"("pricing":{"model":"cpm","rate":1250},"targeting":{"geo":["US-CA","US-NY"],"device":"ctv"}},)"
     R"({"package_id":"pkg-2","product_id":"display-ros","budget":0}],)"
     R"("requires_approval":true,"approval_id":"mb-2024-001:approval","risk_level":"high",)"
     R"("approval_expires_at":"2024-02-20T12:00:00Z","reviewer_id":"user-42"})"},
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
     R"({"approval_id":"appr-9","subject":{"kind":"creative","id":"cr-77"},"type":"creative_review",)"
     R"("risk_level":"critical","title":"Review the hero banner","content_ref":"https://cdn.example.com/cr-77.png",)"
     R"("reviewer_id":"user-42","expires_at":"2024-02-20T12:00:00.250+01:00"})"},
    {Kind::command, "approval.assign", "approval_id,reviewer_id",
     R"({"approval_id":"appr-9","reviewer_id":"user-43"})"},
    {Kind::command, "approval.approve", "approval_id,reviewed_by",
     R"({"approval_id":"appr-9","reviewed_by":"user-43","notes":"Looks good.","chosen_option":"variant-b"})"},
    {Kind::command, "approval.reject", "approval_id,reviewed_by",
     R"({"approval_id":"appr-9","reviewed_by":"user-43","notes":"Logo too small.","chosen_option":"none"})"},
    {Kind::command, "approval.request_revision", "approval_id,reviewed_by",
     R"({"approval_id":"appr-9","reviewed_by":"user-43","notes":"Shorten the copy.","chosen_option":"variant-a"})"},
    // ---- activity commands
    {Kind::command, "activity.create", "activity_id,title,type,assignee_type,priority,is_approval_gate",
     R"({"activity_id":"act-1","title":"Write the creative brief","type":"creative_brief",)"
     R"("description":"Two pages, for the spring launch.","assignee_type":"agent",)"
     R"("assignee_agent_role":"copywriter","assignee_user_id":"user-7","priority":"urgent",)"
     R"("is_approval_gate":true,"due_date":"2024-02-29","parent_activity_id":"act-0"})"},
    {Kind::command, "activity.assign", "activity_id,assignee_type",
     R"({"activity_id":"act-1","assignee_type":"human","assignee_agent_role":"copywriter",)"
     R"("assignee_user_id":"user-7","note":"Needs a human touch."})"},
    {Kind::command, "activity.start", "activity_id",
     R"({"activity_id":"act-1","note":"Starting now."})"},
    {Kind::command, "activity.submit_for_approval", "activity_id",
     R"({"activity_id":"act-1","note":"Draft 2 attached.","approval_id":"act-1:approval:2",)"
     R"("approval_type":"activity_review","risk_level":"low","reviewer_id":"user-42",)"
     R"("approval_expires_at":"2024-02-23T09:30:00Z"})"},
    {Kind::command, "activity.complete", "activity_id",
     R"({"activity_id":"act-1","note":"Delivered."})"},
    {Kind::command, "activity.fail", "activity_id",
     R"({"activity_id":"act-1","note":"Source material missing."})"},
    {Kind::command, "activity.cancel", "activity_id",
     R"({"activity_id":"act-1","note":"Campaign dropped."})"},
    {Kind::command, "activity.start_run", "activity_id,run_id,estimated_credits",
     R"({"activity_id":"act-1","run_id":"run-5","estimated_credits":300,"deliverable_type":"banner_set",)"
     R"("expires_at":"2024-02-20T13:00:00Z"})"},
    {Kind::command, "activity.finish_run", "run_id,status,credits_used",
     R"({"run_id":"run-5","status":"completed","credits_used":200,"input_tokens":15000,)"
     R"("output_tokens":3200,"duration_ms":48211})"},
    // ---- audit command
    {Kind::command, "audit.record", "operation,resource_type,resource_id,success",
     R"({"operation":"export_report","resource_type":"report","resource_id":"rep-3",)"
     R"("principal_id":"user-7","principal_name":"Dana Smith","success":false,)"
     R"("error_message":"Storage quota exceeded.","details":{"bytes":123456,"format":"csv"}})"},

    // ---- media buy events
    {Kind::event, "media_buy.created",
     "media_buy_id,principal_id,campaign_name,start_date,end_date,packages,budget_total,requires_approval",
     R"({"media_buy_id":"mb-2024-001","principal_id":"acme-agency","campaign_name":"Spring launch",)"
     R"("buyer_ref":"PO-7781","start_date":"2024-03-01","end_date":"2024-03-31",)"
     R"("packages":[{"package_id":"pkg-1","product_id":"ctv-premium","budget":2500000,)"
     R"("pricing":{"model":"cpm","rate":1250},"targeting":{"geo":["US-CA"]}},)"
     R"({"package_id":"pkg-2","product_id":"display-ros","budget":500000}],)"
     R"("budget_total":3000000,"requires_approval":true,"approval_id":"mb-2024-001:approval"})"},
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
     R"({"approval_id":"mb-2024-001:approval","subject":{"kind":"media_buy","id":"mb-2024-001"},)"
     R"("type":"media_buy_review","risk_level":"medium","title":"Approve media buy Spring launch",)"
     R"("content_ref":"ledgerflow://media_buy/mb-2024-001","reviewer_id":"user-42",)"
     R"("expires_at":"2024-02-20T12:00:00.000Z"})"},
    {Kind::event, "approval.assigned", "approval_id,reviewer_id",
     R"({"approval_id":"appr-9","reviewer_id":"user-43"})"},
    {Kind::event, "approval.approved", "approval_id,subject,reviewed_by",
     R"({"approval_id":"act-1:approval:1","subject":{"kind":"activity","id":"act-1"},"reviewed_by":"user-42",)"
     R"("notes":"Ship it.","chosen_option":"variant-b"})"},
    {Kind::event, "approval.rejected", "approval_id,subject,reviewed_by",
     R"({"approval_id":"act-1:approval:1","subject":{"kind":"activity","id":"act-1"},"reviewed_by":"user-42",)"
     R"("notes":"Off brand.","chosen_option":"none"})"},
    {Kind::event, "approval.revision_requested", "approval_id,subject,reviewed_by",
     R"({"approval_id":"act-1:approval:1","subject":{"kind":"activity","id":"act-1"},"reviewed_by":"user-42",)"
     R"("notes":"Shorter please.","chosen_option":"variant-a"})"},
    {Kind::event, "approval.expired", "approval_id,subject,expires_at",
     R"({"approval_id":"appr-9","subject":{"kind":"creative","id":"cr-77"},"expires_at":"2024-02-20T12:00:00.000Z"})"},
    {Kind::event, "approval.escalated", "approval_id,subject,escalated_at,reason",
     R"({"approval_id":"appr-9","subject":{"kind":"creative","id":"cr-77"},)"
     R"("escalated_at":"2024-02-20T12:00:00.013Z","reason":"expired"})"},
    // ---- activity events
    {Kind::event, "activity.created", "activity_id,title,type,assignee_type,priority,is_approval_gate",
     R"({"activity_id":"act-1","title":"Write the creative brief","type":"creative_brief",)"
     R"("description":"Two pages.","assignee_type":"human","assignee_agent_role":"copywriter",)"
     R"("assignee_user_id":"user-7","priority":"low","is_approval_gate":false,"due_date":"2024-02-29",)"
     R"("parent_activity_id":"act-0"})"},
    {Kind::event, "activity.assigned", "activity_id,assignee_type",
     R"({"activity_id":"act-1","assignee_type":"agent","assignee_agent_role":"designer",)"
     R"("assignee_user_id":"user-7","note":"Reassigned."})"},
    {Kind::event, "activity.started", "activity_id", R"({"activity_id":"act-1","note":"Go."})"},
    {Kind::event, "activity.submitted_for_approval", "activity_id",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","note":"Draft attached."})"},
    {Kind::event, "activity.approved", "activity_id,approval_id,reviewed_by",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","reviewed_by":"user-42","notes":"Ship it."})"},
    {Kind::event, "activity.rejected", "activity_id,approval_id,reviewed_by,rejection_note",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","reviewed_by":"user-42","rejection_note":"Off brand."})"},
    {Kind::event, "activity.revision_requested", "activity_id,approval_id,reviewed_by,revision_note",
     R"({"activity_id":"act-1","approval_id":"act-1:approval:1","reviewed_by":"user-42","revision_note":"Shorter."})"},
    {Kind::event, "activity.completed", "activity_id", R"({"activity_id":"act-1","note":"Delivered."})"},
    {Kind::event, "activity.failed", "activity_id", R"({"activity_id":"act-1","note":"Source missing."})"},
    {Kind::event, "activity.cancelled", "activity_id", R"({"activity_id":"act-1","note":"Dropped."})"},
    {Kind::event, "activity.run_started", "activity_id,run_id,estimated_credits,reservation_id,expires_at",
     R"({"activity_id":"act-1","run_id":"run-5","estimated_credits":300,"reservation_id":"run:run-5",)"
     R"("deliverable_type":"banner_set","expires_at":"2024-02-20T13:00:00.000Z"})"},
    {Kind::event, "activity.run_finished",
     "activity_id,run_id,status,credits_used,credits_charged,credits_released",
     R"({"activity_id":"act-1","run_id":"run-5","status":"completed","credits_used":200,"credits_charged":200,)"
     R"("credits_released":300,"input_tokens":15000,"output_tokens":3200,"duration_ms":48211})"},
    // ---- audit event
    {Kind::event, "audit.recorded", "operation,resource_type,resource_id,success",
     R"({"operation":"export_report","resource_type":"report","resource_id":"rep-3",)"
     R"("principal_id":"user-7","principal_name":"Dana Smith","success":true,)"
     R"("error_message":"Retried once.","details":{"bytes":123456}})"},
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
    {Kind::command, "media_buy.create", "/packages/0/budget", R"("2500000")", "type"},
    {Kind::event, "activity.run_finished", "/credits_charged", R"("200")", "type"},
    {Kind::command, "activity.finish_run", "/credits_used", "1.5", "type"},
    // negative or zero credits, amounts and counters
    {Kind::command, "activity.finish_run", "/credits_used", "-1", "minimum"},
    {Kind::command, "activity.start_run", "/estimated_credits", "0", "minimum"},
    {Kind::command, "activity.start_run", "/estimated_credits", "1000000000000001", "maximum"},
    {Kind::event, "activity.run_finished", "/credits_released", "-300", "minimum"},
    {Kind::command, "media_buy.create", "/packages/1/budget", "-1", "minimum"},
    {Kind::event, "media_buy.created", "/budget_total", "9007199254740992", "maximum"},
    {Kind::command, "activity.finish_run", "/duration_ms", "-5", "minimum"},
    // booleans
    {Kind::command, "media_buy.create", "/requires_approval", R"("true")", "type"},
    {Kind::command, "audit.record", "/success", "1", "type"},
    // enums
    {Kind::command, "approval.request", "/risk_level", R"("extreme")", "enum"},
    {Kind::command, "approval.request", "/subject/kind", R"("campaign")", "enum"},
    {Kind::command, "activity.create", "/priority", R"("Urgent")", "enum"},
    {Kind::command, "activity.create", "/assignee_type", R"("robot")", "enum"},
    {Kind::command, "activity.finish_run", "/status", R"("running")", "enum"},
    {Kind::event, "approval.escalated", "/reason", R"("manual")", "enum"},
    // dates and timestamps
    {Kind::command, "media_buy.create", "/start_date", R"("2024-3-01")", "pattern"},
    {Kind::command, "media_buy.create", "/end_date", R"("2024-03-31T00:00:00Z")", "pattern"},
    {Kind::command, "activity.create", "/due_date", R"("29/02/2024")", "pattern"},
    {Kind::command, "approval.request", "/expires_at", R"("2024-02-20 12:00:00Z")", "pattern"},
    {Kind::event, "activity.run_started", "/expires_at", R"("2024-02-20")", "pattern"},
    {Kind::event, "activity.run_started", "/reservation_id", R"("run-5")", "pattern"},
    // nested objects
    {Kind::command, "approval.request", "/subject/extra", "1", "additionalProperties"},
    {Kind::event, "approval.approved", "/subject", R"({"kind":"activity"})", "required"},
    {Kind::command, "media_buy.create", "/packages/0/extra", "1", "additionalProperties"},
    {Kind::command, "media_buy.create", "/packages/1", R"({"package_id":"p","product_id":"x"})", "required"},
    {Kind::command, "media_buy.create", "/packages/0/pricing", R"([1250])", "type"},
    {Kind::command, "audit.record", "/details", R"("none")", "type"},
    // array sizes
    {Kind::command, "media_buy.create", "/packages", "[]", "minItems"},
    {Kind::command, "media_buy.create", "/packages", R"({"package_id":"p"})", "type"},
    // strings
    {Kind::command, "approval.approve", "/approval_id", R"("")", "minLength"},
    {Kind::command, "approval.approve", "/reviewed_by", "42", "type"},
    {Kind::command, "activity.create", "/type", R"("")", "minLength"},
};

void PrintTo(const Example& example, std::ostream* out) { *out << example.type; }

std::unique_ptr<rapidjson::Document> parse(std::string_view text) {
  auto parsed = parse_json_bounded(text, JsonLimits{});
  EXPECT_TRUE(parsed) << text;
  if (!parsed) return std::make_unique<rapidjson::Document>();
  return std::move(parsed.value());
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

std::string schema_path(Kind kind, std::string_view type) {
  return std::string(kind == Kind::command ? "commands/" : "events/") + std::string(type) + ".json";
}

std::optional<std::string> validate(Kind kind, std::string_view type, const rapidjson::Value& payload) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  return kind == Kind::command ? registry.validate_command_payload(type, payload)
                               : registry.validate_event_payload(type, 1, payload);
}

const Example* find_example(Kind kind, std::string_view type) {
  for (const Example& example : kExamples) {
    if (example.kind == kind && example.type == type) return &example;
  }
  return nullptr;
}

bool is_workflow_type(std::string_view type) {
  for (const std::string_view prefix : {"media_buy.", "approval.", "activity.", "audit."}) {
    if (type.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// Sets `pointer` in `document` to the JSON `value`.
void set(rapidjson::Document& document, std::string_view pointer, std::string_view value) {
  const auto parsed = parse(value);
  rapidjson::Value copy(*parsed, document.GetAllocator());
  rapidjson::Pointer(std::string(pointer).c_str()).Set(document, copy);
}

std::string named(const Example& example) {
  std::string name = example.kind == Kind::command ? "command_" : "event_";
  for (const char c : std::string_view(example.type)) name += c == '.' ? '_' : c;
  return name;
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
      EXPECT_TRUE(registry.knows_event(example.type, 1)) << example.type;
    }
  }
  EXPECT_EQ(commands.size(), 22u);  // docs/domains/workflow.md
  EXPECT_EQ(events.size(), 27u);    // its "Events" table
  // No workflow schema without an example here.
  for (const std::string& type : registry.command_types()) {
    if (is_workflow_type(type)) {
      EXPECT_TRUE(commands.count(type)) << "no example for command " << type;
    }
  }
  for (const std::string& type : registry.event_types()) {
    // Versions after the first ("<type>.v<N>") are checked with their
    // upcasters (tests/unit/events/upcast_test.cpp).
    const std::size_t version = type.rfind(".v");
    if (version != std::string::npos && type.find_first_not_of("0123456789", version + 2) == std::string::npos) {
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
  std::unique_ptr<rapidjson::Document> valid() const { return parse(example().valid); }
  std::unique_ptr<rapidjson::Document> schema() const {
    const auto text = resources::find(schema_path(example().kind, example().type));
    EXPECT_TRUE(text) << schema_path(example().kind, example().type);
    return parse(text ? *text : std::string_view("{}"));
  }
  std::optional<std::string> check(const rapidjson::Value& payload) const {
    return validate(example().kind, example().type, payload);
  }
};

TEST_P(WorkflowSchema, HasTheContractsShape) {
  const auto document = schema();
  ASSERT_TRUE(document->IsObject());
  EXPECT_EQ(json_string(*document, "$schema"), "http://json-schema.org/draft-04/schema#");
  EXPECT_EQ(json_string(*document, "title"), std::string(example().type) + " payload");
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
  // Required = the doc's fields without "?".
  std::vector<std::string> required;
  const rapidjson::Value* list = json_member(*document, "required");
  ASSERT_NE(list, nullptr);
  for (const rapidjson::Value& name : list->GetArray()) required.emplace_back(json_view(name));
  EXPECT_EQ(required, split(example().required));
}

TEST_P(WorkflowSchema, AcceptsTheRealisticPayload) {
  EXPECT_EQ(check(*valid()), std::nullopt) << example().valid;
}

TEST_P(WorkflowSchema, AcceptsTheRequiredMembersAlone) {
  auto minimal = valid();
  const auto required = split(example().required);
  std::vector<std::string> optional;
  for (auto it = minimal->MemberBegin(); it != minimal->MemberEnd(); ++it) {
    const std::string name(json_view(it->name));
    if (std::find(required.begin(), required.end(), name) == required.end()) optional.push_back(name);
  }
  for (const std::string& name : optional) minimal->RemoveMember(name.c_str());
  EXPECT_EQ(minimal->MemberCount(), required.size());
  EXPECT_EQ(check(*minimal), std::nullopt) << json_to_string(*minimal);
}

TEST_P(WorkflowSchema, RejectsEachMissingRequiredMember) {
  const auto document = schema();
  const rapidjson::Value* required = json_member(*document, "required");
  ASSERT_NE(required, nullptr);
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
  EXPECT_TRUE(check(*parse("[]")));
  EXPECT_TRUE(check(*parse("null")));
}

// Every top-level property at and past its declared bounds: strings at
// maxLength pass and one longer fails, integers pass at their minimum and
// maximum and fail one beyond, enums refuse an unlisted value, patterned
// strings refuse text that does not match, free-form objects hold at most 100
// members, booleans refuse strings.
TEST_P(WorkflowSchema, EnforcesEveryPropertysBounds) {
  const auto document = schema();
  const rapidjson::Value* properties = json_member(*document, "properties");
  ASSERT_NE(properties, nullptr);
  for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
    const std::string name(json_view(it->name));
    const rapidjson::Value& property = it->value;
    const std::string pointer = "/" + name;
    const auto type = json_string(property, "type");
    ASSERT_TRUE(type) << name;
    const auto expect = [&](std::string_view value, bool valid_expected, std::string_view keyword) {
      auto payload = valid();
      set(*payload, pointer, value);
      const auto error = check(*payload);
      if (valid_expected) {
        EXPECT_EQ(error, std::nullopt) << name << " = " << value.substr(0, 80);
      } else {
        ASSERT_TRUE(error) << name << " = " << value.substr(0, 80) << " accepted";
        EXPECT_NE(error->find("failed '" + std::string(keyword) + "'"), std::string::npos) << *error;
      }
    };
    if (*type == "string") {
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
        expect(as_json_string(std::string(static_cast<std::size_t>(*max_length) + 1, 'x')), false, "maxLength");
      }
    } else if (*type == "integer") {
      const auto minimum = json_int64(property, "minimum");
      const auto maximum = json_int64(property, "maximum");
      ASSERT_TRUE(minimum && maximum) << name << " is unbounded";
      EXPECT_LE(*maximum, 9007199254740991) << name;  // exact in every JSON reader
      expect(std::to_string(*minimum), true, "");
      expect(std::to_string(*maximum), true, "");
      expect(std::to_string(*minimum - 1), false, "minimum");
      expect(std::to_string(*maximum + 1), false, "maximum");
      expect(R"("1")", false, "type");
    } else if (*type == "boolean") {
      expect("false", true, "");
      expect(R"("false")", false, "type");
    } else if (*type == "object") {
      if (json_member(property, "properties")) continue;  // subject: covered by the mutations
      EXPECT_EQ(json_int64(property, "maxProperties"), 100) << name;
      std::string members = "{";
      for (int i = 0; i < 101; ++i) members += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
      expect(members + "}", false, "maxProperties");
      expect("{}", true, "");
    } else if (*type == "array") {
      EXPECT_EQ(json_int64(property, "minItems"), 1) << name;
      EXPECT_EQ(json_int64(property, "maxItems"), 100) << name;
    } else {
      ADD_FAILURE() << name << ": unexpected type " << *type;
    }
  }
}

// The field rules every workflow schema follows, by member name (nested
// members of packages and subject included): ids 1..128, names and titles
// 1..500, types 1..64, free text 1..2000 (the copied reviewer notes 0..2000),
// RFC 3339 timestamps of at most 40 characters, YYYY-MM-DD dates, credits
// and counters up to 10^15, the enums of the doc.
struct FieldRule {
  std::string_view type;
  int64_t minimum = 0;  // minLength or minimum
  int64_t maximum = 0;  // maxLength or maximum
  std::string_view pattern = {};
  std::vector<std::string_view> values = {};
};

constexpr std::string_view kTimestampPattern =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|(\\+|-)[0-9]{2}:[0-9]{2})$";
constexpr std::string_view kDatePattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
constexpr int64_t kCreditsMax = 1'000'000'000'000'000;

std::optional<FieldRule> field_rule(std::string_view schema_type, std::string_view name) {
  const auto in = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  if (name == "reservation_id") return FieldRule{"string", 5, 128, "^run:.+$"};
  if (name == "reason" && schema_type == "approval.escalated") return FieldRule{"string", 0, 0, {}, {"expired"}};
  if ((name.size() > 3 && name.substr(name.size() - 3) == "_id") ||
      in({"id", "reviewed_by", "buyer_ref", "chosen_option", "deliverable_type", "assignee_agent_role",
          "operation", "resource_type"})) {
    return FieldRule{"string", 1, 128};
  }
  if (in({"title", "campaign_name", "principal_name"})) return FieldRule{"string", 1, 500};
  if (in({"type", "approval_type"})) return FieldRule{"string", 1, 64};
  if (in({"reason", "note", "notes", "description", "error_message", "content_ref"})) {
    return FieldRule{"string", 1, 2000};
  }
  if (in({"rejection_note", "revision_note"})) return FieldRule{"string", 0, 2000};
  if (in({"expires_at", "approval_expires_at", "escalated_at"})) {
    return FieldRule{"string", 0, 40, kTimestampPattern};
  }
  if (in({"start_date", "end_date", "due_date"})) return FieldRule{"string", 0, 0, kDatePattern};
  if (name == "estimated_credits") return FieldRule{"integer", 1, kCreditsMax};
  if (in({"credits_used", "credits_charged", "credits_released", "input_tokens", "output_tokens", "duration_ms",
          "budget"})) {
    return FieldRule{"integer", 0, kCreditsMax};
  }
  if (name == "budget_total") return FieldRule{"integer", 0, 9'007'199'254'740'991};
  if (name == "risk_level") return FieldRule{"string", 0, 0, {}, {"low", "medium", "high", "critical"}};
  if (name == "priority") return FieldRule{"string", 0, 0, {}, {"urgent", "high", "medium", "low"}};
  if (name == "assignee_type") return FieldRule{"string", 0, 0, {}, {"agent", "human"}};
  if (name == "status") return FieldRule{"string", 0, 0, {}, {"completed", "failed", "timed_out"}};
  if (name == "kind") return FieldRule{"string", 0, 0, {}, {"activity", "media_buy", "creative"}};
  if (in({"requires_approval", "is_approval_gate", "success"})) return FieldRule{"boolean"};
  if (in({"pricing", "targeting", "details"})) return FieldRule{"object", 0, 100};
  if (name == "subject") return FieldRule{"subject"};
  if (name == "packages") return FieldRule{"array", 1, 100};
  return std::nullopt;
}

// The keywords a property may carry besides those its rule names.
bool only_keywords(const rapidjson::Value& property, std::initializer_list<std::string_view> allowed) {
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

void expect_follows_rules(std::string_view schema_type, const rapidjson::Value& object_schema) {
  const rapidjson::Value* properties = json_member(object_schema, "properties");
  ASSERT_NE(properties, nullptr);
  const rapidjson::Value* additional = json_member(object_schema, "additionalProperties");
  ASSERT_NE(additional, nullptr);
  EXPECT_TRUE(additional->IsFalse());
  for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
    const std::string_view name = json_view(it->name);
    SCOPED_TRACE(std::string(name));
    const rapidjson::Value& property = it->value;
    const auto rule = field_rule(schema_type, name);
    ASSERT_TRUE(rule) << "no field rule for " << name;
    EXPECT_TRUE(json_string(property, "description"));
    const auto type = json_string(property, "type");
    if (rule->type == "subject") {
      EXPECT_EQ(type, "object");
      std::vector<std::string> required;
      for (const rapidjson::Value& member : json_member(property, "required")->GetArray()) {
        required.emplace_back(json_view(member));
      }
      EXPECT_EQ(required, (std::vector<std::string>{"kind", "id"}));
      expect_follows_rules(schema_type, property);
      continue;
    }
    EXPECT_EQ(type, rule->type);
    if (rule->type == "array") {
      EXPECT_EQ(json_int64(property, "minItems"), rule->minimum);
      EXPECT_EQ(json_int64(property, "maxItems"), rule->maximum);
      const rapidjson::Value* items = json_member(property, "items");
      ASSERT_NE(items, nullptr);
      expect_follows_rules(schema_type, *items);
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
      for (const rapidjson::Value& value : json_member(property, "enum")->GetArray()) values.push_back(json_view(value));
      EXPECT_EQ(values, rule->values);
    } else {
      only_keywords(property, {"minLength", "maxLength", "pattern"});
      EXPECT_EQ(json_int64(property, "minLength"),
                rule->minimum ? std::optional<int64_t>(rule->minimum) : std::nullopt);
      EXPECT_EQ(json_int64(property, "maxLength"),
                rule->maximum ? std::optional<int64_t>(rule->maximum) : std::nullopt);
      EXPECT_EQ(json_string(property, "pattern"),
                rule->pattern.empty() ? std::nullopt : std::optional<std::string_view>(rule->pattern));
    }
  }
}

TEST_P(WorkflowSchema, PropertiesFollowTheFieldRules) {
  const auto document = schema();
  expect_follows_rules(example().type, *document);
}

INSTANTIATE_TEST_SUITE_P(Workflow, WorkflowSchema, ::testing::ValuesIn(kExamples),
                         [](const ::testing::TestParamInfo<Example>& info) { return named(info.param); });

// ---- targeted type errors --------------------------------------------------

TEST(WorkflowSchemas, RejectsTypeErrors) {
  for (const Mutation& mutation : kMutations) {
    SCOPED_TRACE(std::string(mutation.type) + " " + mutation.pointer + " = " + mutation.value);
    const Example* example = find_example(mutation.kind, mutation.type);
    ASSERT_NE(example, nullptr);
    auto payload = parse(example->valid);
    set(*payload, mutation.pointer, mutation.value);
    const auto error = validate(mutation.kind, mutation.type, *payload);
    ASSERT_TRUE(error) << json_to_string(*payload);
    EXPECT_NE(error->find(std::string("failed '") + mutation.keyword + "'"), std::string::npos) << *error;
  }
}

std::string packages(int count) {
  std::string array = "[";
  for (int i = 0; i < count; ++i) {
    if (i) array += ",";
    array += R"({"package_id":"pkg-)" + std::to_string(i) + R"(","product_id":"display-ros","budget":1000})";
  }
  return array + "]";
}

TEST(WorkflowSchemas, MediaBuyTakesOneToOneHundredPackages) {
  for (const Kind kind : {Kind::command, Kind::event}) {
    const char* type = kind == Kind::command ? "media_buy.create" : "media_buy.created";
    auto payload = parse(find_example(kind, type)->valid);
    set(*payload, "/packages", packages(100));
    EXPECT_EQ(validate(kind, type, *payload), std::nullopt) << type;
    set(*payload, "/packages", packages(101));
    const auto error = validate(kind, type, *payload);
    ASSERT_TRUE(error) << type;
    EXPECT_EQ(error->rfind("/packages: failed 'maxItems'", 0), 0u) << *error;
    set(*payload, "/packages", packages(1));
    EXPECT_EQ(validate(kind, type, *payload), std::nullopt) << type;
  }
}

TEST(WorkflowSchemas, PackageFreeFormObjectsHoldAtMostOneHundredMembers) {
  auto payload = parse(find_example(Kind::command, "media_buy.create")->valid);
  std::string members = "{";
  for (int i = 0; i < 101; ++i) members += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":{\"nested\":[1,2]}";
  set(*payload, "/packages/0/targeting", members + "}");
  const auto error = validate(Kind::command, "media_buy.create", *payload);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind("/packages/0/targeting: failed 'maxProperties'", 0), 0u) << *error;
  set(*payload, "/packages/0/targeting", R"({"any":{"shape":[true,null,"x"]}})");
  EXPECT_EQ(validate(Kind::command, "media_buy.create", *payload), std::nullopt);
}

TEST(WorkflowSchemas, SubjectNeedsAKnownKindAndAnId) {
  for (const char* type : {"approval.requested", "approval.approved", "approval.rejected",
                           "approval.revision_requested", "approval.expired", "approval.escalated"}) {
    SCOPED_TRACE(type);
    auto payload = parse(find_example(Kind::event, type)->valid);
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
  auto run = parse(find_example(Kind::command, "activity.start_run")->valid);
  for (const char* good : {"2024-02-29T10:00:00Z", "2024-02-29t10:00:00.5-05:30", "2024-02-29T10:00:00.123456+00:00"}) {
    set(*run, "/expires_at", as_json_string(good));
    EXPECT_EQ(validate(Kind::command, "activity.start_run", *run), std::nullopt) << good;
  }
  for (const char* bad : {"2024-02-29T10:00Z", "2024-02-29T10:00:00", "1709200800", "2024-02-29T10:00:00.Z"}) {
    set(*run, "/expires_at", as_json_string(bad));
    EXPECT_TRUE(validate(Kind::command, "activity.start_run", *run)) << bad;
  }
  auto activity = parse(find_example(Kind::command, "activity.create")->valid);
  for (const char* bad : {"2024-02-29T00:00:00Z", "20240229", "2024-2-29", " 2024-02-29"}) {
    set(*activity, "/due_date", as_json_string(bad));
    EXPECT_TRUE(validate(Kind::command, "activity.create", *activity)) << bad;
  }
}

TEST(WorkflowSchemas, ReviewerNotesMayBeEmptyOnlyWhereTheyAreCopied) {
  // rejection_note / revision_note copy the reviewer's notes, which are
  // optional: the events admit "", the commands' notes do not.
  auto rejected = parse(find_example(Kind::event, "activity.rejected")->valid);
  set(*rejected, "/rejection_note", R"("")");
  EXPECT_EQ(validate(Kind::event, "activity.rejected", *rejected), std::nullopt);
  auto revision = parse(find_example(Kind::event, "activity.revision_requested")->valid);
  set(*revision, "/revision_note", R"("")");
  EXPECT_EQ(validate(Kind::event, "activity.revision_requested", *revision), std::nullopt);
  auto reject = parse(find_example(Kind::command, "approval.reject")->valid);
  set(*reject, "/notes", R"("")");
  EXPECT_TRUE(validate(Kind::command, "approval.reject", *reject));
}

TEST(WorkflowSchemas, CommandRejectedMayNameTheTargetStream) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  auto payload = parse(R"({"command_type":"media_buy.pause","reason":"invalid_transition",)"
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

}  // namespace
}  // namespace lf
