// The workflow codec: every event type encodes to a payload its current
// schema accepts and decodes back to the same typed event; commands parse
// into the typed values decisions rely on.
#include <gtest/gtest.h>

#include "engine/workflow/codec.hpp"
#include "engine/workflow/commands.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/upcast.hpp"
#include "tests/support/json.hpp"

namespace lf::engine::workflow {
namespace {

std::vector<Event> one_of_each() {
  const Subject buy{SubjectKind::media_buy, "mb-1"};
  const Subject work{SubjectKind::activity, "act-1"};
  return {
      BuyCreated{"mb-1",
                 "adv-1",
                 "Spring",
                 "PO-1",
                 "2026-12-01",
                 "2026-12-31",
                 "JPY",
                 {Package{"p1", "ctv", 500000, R"({"model":"cpm"})", R"({"geo":["JP"]})"},
                  Package{"p2", "x", 0, {}, {}}},
                 500000,
                 true,
                 "mb-1:approval"},
      BuyMoved{BuyMove::approved, "mb-1", "ok", "mb-1:approval", "user:rita"},
      BuyMoved{BuyMove::failed, "mb-1", "rejected by user:rita", "mb-1:approval", std::nullopt},
      BuyMoved{BuyMove::paused, "mb-1", std::nullopt, std::nullopt, std::nullopt},
      BuyMoved{BuyMove::activated, "mb-1", "live", std::nullopt, std::nullopt},
      BuyMoved{BuyMove::resumed, "mb-1", std::nullopt, std::nullopt, std::nullopt},
      BuyMoved{BuyMove::completed, "mb-1", "flight ended", std::nullopt, std::nullopt},
      ApprovalRequested{"a-1", "act-1:review:1", work, ApprovalType::brand_direction,
                        RiskLevel::critical, "Review", "doc-1", "user:rita", "user:boss", "a-0",
                        1'800'000'000'000},
      ApprovalAssigned{"a-1", "user:sam"},
      ApprovalSentToClient{"a-1", 1'800'000'000'123},
      ApprovalDecided{ReviewOutcome::revision_requested, "a-1", "act-1:review:1", work, "user:rita",
                      "shorter", "b"},
      ApprovalDecided{ReviewOutcome::approved, "a-1", std::nullopt, buy, "user:rita", std::nullopt,
                      std::nullopt},
      ApprovalDecided{ReviewOutcome::rejected, "a-1", "act-1", work, "user:rita", "no",
                      std::string(255, 'o')},
      ApprovalExpired{"a-1", buy, 1'800'000'000'000},
      ApprovalEscalated{"a-1", buy, 1'800'000'000'013, "user:boss", "a-1:escalation:1"},
      ApprovalEscalated{"a-2", buy, 1'800'000'000'013, std::nullopt, std::nullopt},
      ActivityCreated{"act-1", "Write", "copy", "desc",
                      Assignee{AssigneeType::agent, "writer", std::nullopt}, Priority::urgent,
                      false, "2026-12-01", "act-0", R"({"k":[1,2]})"},
      ActivityCreated{"act-1:review:1", "Review: act-1", "review", std::nullopt,
                      Assignee{AssigneeType::human, std::nullopt, std::nullopt}, Priority::low,
                      true, std::nullopt, "act-1", std::nullopt},
      ActivityAssigned{"act-1", Assignee{AssigneeType::human, std::nullopt, "user:kim"},
                       ActivityStatus::created, "n"},
      ActivityReassigned{"act-1:review:1", AssigneeType::human, "user:boss", "a-1:escalation:1",
                         ReassignReason::escalated},
      ActivityMoved{ActivityMove::cancelled, "act-1", "dropped"},
      ActivityMoved{ActivityMove::started, "act-1", std::nullopt},
      ActivityMoved{ActivityMove::failed, "act-1", "source missing"},
      ActivityCompleted{"act-1:review:1", std::nullopt, std::nullopt, std::nullopt, "a-1",
                        ReviewOutcome::rejected},
      ActivityCompleted{"act-1", "done", R"({"words":3})", "doc-9", std::nullopt, std::nullopt},
      ActivitySubmitted{"act-1", "a-1", "act-1:review:1", "draft"},
      ActivitySubmitted{"act-1", std::nullopt, std::nullopt, std::nullopt},
      ActivityApproved{"act-1", "a-1", "user:rita", "ship it"},
      ActivityRejected{"act-1", "a-1", "user:rita", ""},
      ActivityRevisionRequested{"act-1", "a-1", "user:rita", "shorter", ActivityStatus::assigned},
      RunStarted{"act-1", "run-1", 300, "run:run-1", "banner", AdapterType::ollama, "llama3", "s-1",
                 1'800'000'000'000},
      RunFinished{"act-1", "run-1", RunStatus::completed, 200, 200, 300, std::nullopt,
                  RunUsage{1, 2, 3, 42'000}},
      RunFinished{"act-1", "run-2", RunStatus::timed_out, 0, 0, 50, std::nullopt, RunUsage{}},
      AuditRecorded{
          "login", "user.login",   "login",      "session",         "s-1", "p-1",  "Dana", "gam",
          false,   "bad password", R"({"a":1})", 1'800'000'000'000, "::1", "curl", "r-1",  "/login",
          "POST",  "null",         R"([1])",     R"(["a"])"},
      AuditRecorded{"login", {}, {}, {}, {}, {}, {}, {}, true, {},
                    {},      {}, {}, {}, {}, {}, {}, {}, {},   {}},
      TenantConfigured{"user:lead"},
      TenantConfigured{std::nullopt},
  };
}

TEST(WorkflowCodec, EveryEventRoundTripsThroughAPayloadItsSchemaAccepts) {
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  std::set<std::string> types;
  for (const Event& event : one_of_each()) {
    const std::string type(event_type(event));
    SCOPED_TRACE(type);
    types.insert(type);
    EXPECT_EQ(event_schema_version(event), UpcasterRegistry::embedded().current_version(type));
    const std::string payload = encode_event_payload(event);
    Result<std::unique_ptr<rapidjson::Document>> parsed = parse_json_trusted(payload);
    ASSERT_TRUE(parsed.ok()) << payload;
    EXPECT_EQ(schemas.validate_event_payload(type, event_schema_version(event), **parsed),
              std::nullopt)
        << payload;
    EXPECT_EQ(decode_event(type, **parsed), event) << payload;
  }
  EXPECT_EQ(types.size(), 30u);
}

TEST(WorkflowCodec, StreamsFollowTheObject) {
  constexpr std::string_view kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
  EXPECT_EQ(event_stream(ApprovalAssigned{"a-1", "u"}, kTenant), "approval/a-1");
  EXPECT_EQ(event_stream(BuyMoved{BuyMove::paused, "mb-1", {}, {}, {}}, kTenant), "media_buy/mb-1");
  EXPECT_EQ(event_stream(RunStarted{"act-1", "r", 1, "run:r", {}, {}, {}, {}, 1}, kTenant),
            "activity/act-1");
  EXPECT_EQ(event_stream(TenantConfigured{}, kTenant), "tenant/" + std::string(kTenant));
  EXPECT_EQ(event_stream(AuditRecorded{"op", {}, {}, {}, {}, {}, {}, {}, true, {},
                                       {},   {}, {}, {}, {}, {}, {}, {}, {},   {}},
                         kTenant),
            "audit/" + std::string(kTenant));
}

TEST(WorkflowCodecDeathTest, AnEventThatBreaksItsSchemaIsNeverEncoded) {
  EXPECT_DEATH(encode_event_payload(ApprovalAssigned{std::string(129, 'a'), "u"}),
               "1 to 128 characters");
  EXPECT_DEATH(encode_event_payload(RunFinished{"a", "r", RunStatus::failed, 5, 5, 0, {}, {}}),
               "charged what it used");
  EXPECT_DEATH(encode_event_payload(ActivityCompleted{"a", {}, {}, {}, "x", std::nullopt}),
               "names its approval");
  EXPECT_DEATH(encode_event_payload(ActivityCreated{"a",
                                                    "t",
                                                    "review",
                                                    {},
                                                    Assignee{AssigneeType::agent, "r", {}},
                                                    Priority::low,
                                                    true,
                                                    {},
                                                    {},
                                                    {}}),
               "a review step is a human's");
}

// ---- commands --------------------------------------------------------------------

Result<Command> parse(std::string_view type, const std::string& json) {
  static std::vector<std::unique_ptr<rapidjson::Document>> kept;  // the payloads outlive the parse
  kept.push_back(lf::testing::parse_own_json(json));
  return parse_command(type, kept.back().get());
}

TEST(WorkflowCommands, ParseResolvesDefaultsAndAliases) {
  Result<Command> buy = parse(
      "media_buy.create",
      R"({"media_buy_id":"m","principal_id":"p","campaign_name":"c","start_date":"2026-12-01",)"
      R"("end_date":"2026-12-02","currency":"KWD","packages":[{"package_id":"a",)"
      R"("product_id":"x","budget":"1.234"}],"requires_approval":false})");
  ASSERT_TRUE(buy.ok()) << buy.error().message;
  EXPECT_EQ(std::get<CreateBuy>(buy.value()).packages[0].budget_minor, 1234);
  Result<Command> activity =
      parse("activity.create", R"({"activity_id":"a","title":"t","type":"x",)"
                               R"("assignee_type":"human","assignee_user_id":"u",)"
                               R"("assignee_agent_role":"ignored","priority":"medium"})");
  ASSERT_TRUE(activity.ok());
  const CreateActivity& created = std::get<CreateActivity>(activity.value());
  EXPECT_EQ(created.priority, Priority::normal);
  EXPECT_EQ(created.assignee, (Assignee{AssigneeType::human, std::nullopt, "u"}));
  EXPECT_FALSE(created.is_approval_gate);
  Result<Command> audit =
      parse("audit.record", R"({"action":"create","user_id":7,"success":false})");
  ASSERT_TRUE(audit.ok());
  const AuditRecorded& row = std::get<RecordAudit>(audit.value()).row;
  EXPECT_EQ(row.operation, "create");
  EXPECT_EQ(row.principal_id, "7");
  EXPECT_FALSE(row.success);
}

TEST(WorkflowCommands, ParseReportsTheFirstProblemAsTheRejectionReason) {
  EXPECT_EQ(parse("media_buy.create",
                  R"({"media_buy_id":"m","principal_id":"p","campaign_name":"c",)"
                  R"("start_date":"2026-12-01","end_date":"2026-12-02","currency":"EUR",)"
                  R"("packages":[{"package_id":"a","product_id":"x","budget":"1.234"}],)"
                  R"("requires_approval":false})")
                .error()
                .code,
            "invalid_amount");
  EXPECT_EQ(parse("activity.finish_run", R"({"run_id":"r","status":"running","credits_used":1})")
                .error()
                .code,
            "invalid_payload");
  EXPECT_EQ(parse("activity.start_run", R"({"activity_id":"a","run_id":"r","estimated_credits":0})")
                .error()
                .code,
            "invalid_payload");
  EXPECT_EQ(
      parse("approval.request", R"({"approval_id":"a","subject":{"kind":"creative","id":"c"},)"
                                R"("type":"creative","risk_level":"low","title":"t",)"
                                R"("expires_at":"2026-02-30T00:00:00Z"})")
          .error()
          .code,
      "invalid_expiry");
  EXPECT_EQ(parse("activity.bogus", "{}").error().code, "unknown_command_type");
  EXPECT_EQ(parse_command("audit.record", nullptr).error().code, "invalid_payload");
}

}  // namespace
}  // namespace lf::engine::workflow
