// Upcasting: the registry's chains, every workflow step field by field
// (docs/domains/workflow.md "Event versions"), events of a newer version or an
// unknown type, and what decoding a commit record keeps of the event as
// written.
#include "events/upcast.hpp"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/ulid.hpp"
#include "tests/support/json.hpp"

namespace lf {
namespace {

using testing::parse_own_json;

const JsonLimits kLimits{.max_bytes = 1 << 20, .max_depth = 64};
constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";

// "credits.reserved" -> (credits.reserved, 1); "x.y.v2" -> (x.y, 2), as the
// schema registry names its event schemas.
EventSchemaKey key_of(const std::string& name) {
  const std::size_t dot = name.rfind(".v");
  if (dot != std::string::npos && dot + 2 < name.size() &&
      name.find_first_not_of("0123456789", dot + 2) == std::string::npos) {
    return EventSchemaKey{name.substr(0, dot), std::stoi(name.substr(dot + 2))};
  }
  return EventSchemaKey{name, 1};
}

const std::string kRunFinishedV1 =
    R"({"activity_id":"act-1","run_id":"run-1","status":"completed","credits_used":180,"credits_charged":180,)"
    R"("credits_released":120,"input_tokens":5000,"output_tokens":1200,"duration_ms":48211})";

TEST(Upcast, EveryEmbeddedSchemaVersionReachesTheCurrentVersion) {
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  const UpcasterRegistry& upcasters = UpcasterRegistry::embedded();
  std::size_t walked = 0;
  for (const std::string& name : schemas.event_types()) {
    const EventSchemaKey key = key_of(name);
    ASSERT_TRUE(schemas.knows_event(key.type, key.schema_version)) << name;
    EXPECT_TRUE(upcasters.is_known(key.type, key.schema_version)) << name;
    EXPECT_EQ(upcasters.missing_step(key.type, key.schema_version), std::nullopt) << name;
    // A version in between without a schema would leave old events
    // unvalidatable: every version from 1 to the current one has one.
    const int32_t current = upcasters.current_version(key.type).value_or(0);
    for (int32_t version = 1; version <= current; ++version) {
      EXPECT_TRUE(schemas.knows_event(key.type, version)) << key.type << " v" << version;
    }
    ++walked;
  }
  EXPECT_EQ(walked, embedded_event_schema_keys().size());
  EXPECT_GT(walked, 30u);
}

TEST(Upcast, SchemaNamesListTheCompiledSchemas) {
  std::vector<EventSchemaKey> compiled;
  for (const std::string& name : SchemaRegistry::embedded().event_types())
    compiled.push_back(key_of(name));
  EXPECT_EQ(embedded_event_schema_keys(), compiled);
}

TEST(Upcast, CurrentVersionsAreTheDocsAndEveryUpcasterHasAStepForASchema) {
  const UpcasterRegistry& upcasters = UpcasterRegistry::embedded();
  const std::vector<std::pair<std::string, int32_t>> versions = {
      {"activity.run_finished", 3},
      {"activity.run_started", 2},
      {"activity.created", 2},
      {"activity.assigned", 2},
      {"activity.revision_requested", 2},
      {"activity.submitted_for_approval", 2},
      {"activity.completed", 2},
      {"approval.requested", 2},
      {"approval.approved", 2},
      {"approval.rejected", 2},
      {"approval.revision_requested", 2},
      {"approval.escalated", 2},
      {"media_buy.created", 2},
      {"audit.recorded", 2},
      {"activity.reassigned", 1},
      {"approval.sent_to_client", 1},
      {"tenant.configured", 1},
      {"activity.approved", 1},
      {"approval.expired", 1},
      {"approval.assigned", 1},
  };
  for (const auto& [type, version] : versions)
    EXPECT_EQ(upcasters.current_version(type), version) << type;
  EXPECT_EQ(upcasters.current_version("credits.reserved"), 2);
  EXPECT_EQ(upcasters.current_version("no.such_type"), std::nullopt);
  for (const Upcaster& upcaster : all_upcasters()) {
    EXPECT_TRUE(SchemaRegistry::embedded().knows_event(upcaster.type, upcaster.from_version))
        << upcaster.type;
    EXPECT_TRUE(SchemaRegistry::embedded().knows_event(upcaster.type, upcaster.from_version + 1))
        << upcaster.type;
  }
}

// One step of the embedded upcasters, applied alone.
void step(std::string_view type, int32_t from_version, rapidjson::Document& document) {
  for (const Upcaster& upcaster : all_upcasters()) {
    if (upcaster.type == type && upcaster.from_version == from_version) {
      upcaster.function(document, document.GetAllocator());
      return;
    }
  }
  ADD_FAILURE() << "no step for " << type << " from v" << from_version;
}

// `json` of `type` at `from_version` is valid there, one step turns it into
// `expected`, which is valid at from_version + 1.
void expect_step(const std::string& type, int32_t from_version, const std::string& json,
                 const std::string& expected) {
  SCOPED_TRACE(type + " v" + std::to_string(from_version) + " -> v" +
               std::to_string(from_version + 1));
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  auto document = parse_own_json(json);
  ASSERT_EQ(schemas.validate_event_payload(type, from_version, *document), std::nullopt) << json;
  step(type, from_version, *document);
  EXPECT_EQ(json_to_string(*document), expected);
  EXPECT_EQ(schemas.validate_event_payload(type, from_version + 1, *document), std::nullopt)
      << expected;
}

TEST(Upcast, RunFinishedV1BecomesV2FieldByField) {
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  auto document = parse_own_json(kRunFinishedV1);
  ASSERT_EQ(schemas.validate_event_payload("activity.run_finished", 1, *document), std::nullopt);
  rapidjson::Value& payload = *document;
  step("activity.run_finished", 1, *document);
  // Kept as they are.
  EXPECT_EQ(json_string(payload, "activity_id"), "act-1");
  EXPECT_EQ(json_string(payload, "run_id"), "run-1");
  EXPECT_EQ(json_string(payload, "status"), "completed");
  EXPECT_EQ(json_int64(payload, "credits_used"), 180);
  EXPECT_EQ(json_int64(payload, "credits_charged"), 180);
  EXPECT_EQ(json_int64(payload, "credits_released"), 120);
  // Moved into usage.
  EXPECT_EQ(json_member(payload, "input_tokens"), nullptr);
  EXPECT_EQ(json_member(payload, "output_tokens"), nullptr);
  EXPECT_EQ(json_member(payload, "duration_ms"), nullptr);
  const rapidjson::Value* usage = json_member(payload, "usage");
  ASSERT_NE(usage, nullptr);
  ASSERT_TRUE(usage->IsObject());
  EXPECT_EQ(usage->MemberCount(), 3u);
  EXPECT_EQ(json_int64(*usage, "input_tokens"), 5000);
  EXPECT_EQ(json_int64(*usage, "output_tokens"), 1200);
  EXPECT_EQ(json_int64(*usage, "duration_ms"), 48211);
  EXPECT_EQ(payload.MemberCount(), 7u);
  EXPECT_EQ(
      json_to_string(payload),
      R"({"activity_id":"act-1","run_id":"run-1","status":"completed","credits_used":180,"credits_charged":180,)"
      R"("credits_released":120,"usage":{"input_tokens":5000,"output_tokens":1200,"duration_ms":48211}})");
  EXPECT_EQ(schemas.validate_event_payload("activity.run_finished", 2, payload), std::nullopt);
  EXPECT_NE(schemas.validate_event_payload("activity.run_finished", 1, payload), std::nullopt);
}

TEST(Upcast, RunFinishedV1ReachesV3ThroughTheChain) {
  auto document = parse_own_json(kRunFinishedV1);
  int32_t version = 1;
  EXPECT_EQ(UpcasterRegistry::embedded().upcast("activity.run_finished", version, *document,
                                                document->GetAllocator()),
            UpcastOutcome::upcast);
  EXPECT_EQ(version, 3);
  EXPECT_EQ(
      json_to_string(*document),
      R"({"activity_id":"act-1","run_id":"run-1","status":"completed","credits_used":180,"credits_charged":180,)"
      R"("credits_released":120,"usage":{"input_tokens":5000,"output_tokens":1200,"duration_ms":48211}})");
  EXPECT_EQ(
      SchemaRegistry::embedded().validate_event_payload("activity.run_finished", 3, *document),
      std::nullopt);
}

TEST(Upcast, RunFinishedV1WithoutMetersGetsAnEmptyUsage) {
  auto document = parse_own_json(
      R"({"activity_id":"act-1","run_id":"run-1","status":"timed_out","credits_used":0,"credits_charged":0,)"
      R"("credits_released":300})");
  int32_t version = 1;
  UpcasterRegistry::embedded().upcast("activity.run_finished", version, *document,
                                      document->GetAllocator());
  EXPECT_EQ(version, 3);
  EXPECT_EQ(
      json_to_string(*document),
      R"({"activity_id":"act-1","run_id":"run-1","status":"timed_out","credits_used":0,"credits_charged":0,)"
      R"("credits_released":300,"usage":{}})");
  EXPECT_EQ(
      SchemaRegistry::embedded().validate_event_payload("activity.run_finished", 3, *document),
      std::nullopt);

  auto partial = parse_own_json(
      R"({"activity_id":"a","run_id":"r","status":"failed","credits_used":5,"credits_charged":0,)"
      R"("credits_released":10,"duration_ms":900})");
  version = 1;
  UpcasterRegistry::embedded().upcast("activity.run_finished", version, *partial,
                                      partial->GetAllocator());
  EXPECT_EQ(json_to_string(*json_member(*partial, "usage")), R"({"duration_ms":900})");
}

TEST(Upcast, VersionsThatOnlyAddOptionalFieldsKeepThePayload) {
  const std::string run_v2 =
      R"({"activity_id":"a","run_id":"r","status":"failed","credits_used":5,"credits_charged":0,)"
      R"("credits_released":10,"usage":{"duration_ms":900}})";
  expect_step("activity.run_finished", 2, run_v2, run_v2);
  const std::string started =
      R"({"activity_id":"a","run_id":"r","estimated_credits":5,"reservation_id":"run:r",)"
      R"("expires_at":"2026-11-20T10:00:00.000Z"})";
  expect_step("activity.run_started", 1, started, started);
  const std::string submitted = R"({"activity_id":"a","note":"v1 plain activity, no approval"})";
  expect_step("activity.submitted_for_approval", 1, submitted, submitted);
  const std::string gate_submitted = R"({"activity_id":"a","approval_id":"a:approval:1"})";
  expect_step("activity.submitted_for_approval", 1, gate_submitted, gate_submitted);
  const std::string completed = R"({"activity_id":"a","note":"done"})";
  expect_step("activity.completed", 1, completed, completed);
  for (const char* type :
       {"approval.approved", "approval.rejected", "approval.revision_requested"}) {
    const std::string decided =
        R"({"approval_id":"x","subject":{"kind":"creative","id":"c"},"reviewed_by":"u",)"
        R"("notes":"n","chosen_option":"b"})";
    expect_step(type, 1, decided, decided);
  }
  const std::string escalated =
      R"({"approval_id":"x","subject":{"kind":"creative","id":"c"},"escalated_at":"2026-11-20T10:00:00.000Z",)"
      R"("reason":"expired"})";
  expect_step("approval.escalated", 1, escalated, escalated);
  const std::string audit =
      R"({"operation":"login","resource_type":"session","resource_id":"s-1","principal_id":"u","success":false,)"
      R"("error_message":"bad password","details":{"ip":"10.0.0.1"}})";
  expect_step("audit.recorded", 1, audit, audit);
}

TEST(Upcast, ActivityCreatedV1MediumPriorityBecomesNormal) {
  const std::string head =
      R"({"activity_id":"a","title":"t","type":"copy","assignee_type":"agent","assignee_agent_role":"writer",)";
  expect_step("activity.created", 1, head + R"("priority":"medium","is_approval_gate":false})",
              head + R"("priority":"normal","is_approval_gate":false})");
  for (const char* kept : {"low", "high", "urgent"}) {
    const std::string payload = head + R"("priority":")" + kept + R"(","is_approval_gate":false})";
    expect_step("activity.created", 1, payload, payload);
  }
}

TEST(Upcast, ActivityCreatedV1GateOfAnAgentIsNoReviewStep) {
  // v1's gate meant "its submission opens an approval": every v2 submission
  // does, and an agent's work is never a review step.
  const std::string agent =
      R"({"activity_id":"a","title":"t","type":"copy","assignee_type":"agent","assignee_agent_role":"writer",)";
  expect_step("activity.created", 1, agent + R"("priority":"high","is_approval_gate":true})",
              agent + R"("priority":"high","is_approval_gate":false})");
  // A human's gate is the seed's review step already.
  const std::string human =
      R"({"activity_id":"a","title":"t","type":"review","assignee_type":"human","assignee_user_id":"u",)";
  expect_step("activity.created", 1, human + R"("priority":"medium","is_approval_gate":true})",
              human + R"("priority":"normal","is_approval_gate":true})");
}

TEST(Upcast, ActivityAssignedV1MovedToAssigned) {
  expect_step(
      "activity.assigned", 1,
      R"({"activity_id":"a","assignee_type":"human","assignee_user_id":"u"})",
      R"({"activity_id":"a","assignee_type":"human","assignee_user_id":"u","status":"assigned"})");
  expect_step(
      "activity.assigned", 1,
      R"({"activity_id":"a","assignee_type":"agent","assignee_agent_role":"r","note":"n"})",
      R"({"activity_id":"a","assignee_type":"agent","assignee_agent_role":"r","note":"n","status":"assigned"})");
}

TEST(Upcast, RevisionRequestedV1WentBackToInProgress) {
  expect_step(
      "activity.revision_requested", 1,
      R"({"activity_id":"a","approval_id":"x","reviewed_by":"u","revision_note":""})",
      R"({"activity_id":"a","approval_id":"x","reviewed_by":"u","revision_note":"","status":"in_progress"})");
}

TEST(Upcast, ApprovalRequestedV1TypeBecomesASeedType) {
  const auto payload = [](const std::string& kind, const std::string& type) {
    return R"({"approval_id":"x","subject":{"kind":")" + kind + R"(","id":"s"},"type":")" + type +
           R"(","risk_level":"low","title":"t","expires_at":"2026-11-20T10:00:00.000Z"})";
  };
  expect_step("approval.requested", 1, payload("activity", "activity_review"),
              payload("activity", "content_review"));
  expect_step("approval.requested", 1, payload("media_buy", "media_buy_review"),
              payload("media_buy", "media_buy"));
  expect_step("approval.requested", 1, payload("creative", "creative_review"),
              payload("creative", "creative"));
  expect_step("approval.requested", 1, payload("creative", "Content_Review"),
              payload("creative", "creative"));
  // A seed type stays, whatever the subject.
  for (const char* seed : {"content_review", "strategy_review", "brand_direction",
                           "content_direction", "hire_agent", "media_buy", "creative", "product"}) {
    expect_step("approval.requested", 1, payload("activity", seed), payload("activity", seed));
  }
}

TEST(Upcast, MediaBuyCreatedV1BudgetsAreMinorUnitsOfUsd) {
  expect_step(
      "media_buy.created", 1,
      R"({"media_buy_id":"mb","principal_id":"p","campaign_name":"c","start_date":"2026-12-01","end_date":"2026-12-31",)"
      R"("packages":[{"package_id":"p1","product_id":"x","budget":500000,"pricing":{"model":"cpm"}},)"
      R"({"package_id":"p2","product_id":"y","budget":250000}],"budget_total":750000,"requires_approval":true,)"
      R"("approval_id":"mb:approval"})",
      R"({"media_buy_id":"mb","principal_id":"p","campaign_name":"c","start_date":"2026-12-01","end_date":"2026-12-31",)"
      R"("packages":[{"package_id":"p1","product_id":"x","budget_minor":500000,"pricing":{"model":"cpm"}},)"
      R"({"package_id":"p2","product_id":"y","budget_minor":250000}],"requires_approval":true,)"
      R"("approval_id":"mb:approval","currency":"USD","budget_total_minor":750000})");
}

// ---- credits v1 -> v2: billing periods as dates ----------------------------------

const std::string kV1Balance =
    R"("balance":{"credits_monthly":1000,"credits_available":995,"credits_reserved":0,)"
    R"("credits_consumed":5,"credits_topup":0,"effective_available":995,)"
    R"("period_start":"2026-11-01T10:00:00.000Z","period_end":"2026-12-01T10:00:00.000Z"})";
const std::string kV2Balance =
    R"("balance":{"credits_monthly":1000,"credits_available":995,"credits_reserved":0,)"
    R"("credits_consumed":5,"credits_topup":0,"effective_available":995,)"
    R"("period_start":"2026-11-01","period_end":"2026-12-01",)"
    R"("next_reset_at":"2026-12-01T10:00:00.000Z"})";
const std::string kBalanceWithoutPeriod =
    R"("balance":{"credits_monthly":0,"credits_available":5,"credits_reserved":0,)"
    R"("credits_consumed":0,"credits_topup":5,"effective_available":5})";

// Each credits event type's own fields, as v1 wrote them (v2 keeps them).
const std::vector<std::pair<std::string, std::string>> kCreditsFields = {
    {"credits.topped_up",
     R"("topup_order_id":"o-1","credits":5,"expires_at":"2026-12-01T10:00:00.000Z",)"},
    {"credits.reserved",
     R"("reservation_id":"r-1","credits":5,"expires_at":"2026-11-10T13:00:00.000Z",)"
     R"("activity_run_id":"run-1",)"},
    {"credits.released", R"("reservation_id":"r-1","credits":5,"reason":"consumed",)"},
    {"credits.consumed",
     R"("reservation_id":"r-1","credits":5,"drawn":[{"lot":"monthly","credits":5}],)"},
    {"credits.refunded", R"("credits":5,"note":"quality",)"},
    {"credits.adjusted", R"("credits":-5,"note":"fix","drawn":[{"lot":"monthly","credits":5}],)"},
    {"credits.expired",
     R"("credits":5,"reason":"topup_expired","lot":"topup:o-1","topup_order_id":"o-1",)"},
};

std::string upcast_credits(const std::string& type, const std::string& v1_json) {
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  auto document = parse_own_json(v1_json);
  EXPECT_EQ(schemas.validate_event_payload(type, 1, *document), std::nullopt) << v1_json;
  int32_t version = 1;
  EXPECT_EQ(UpcasterRegistry::embedded().upcast(type, version, *document, document->GetAllocator()),
            UpcastOutcome::upcast);
  EXPECT_EQ(version, 2);
  EXPECT_EQ(schemas.validate_event_payload(type, 2, *document), std::nullopt)
      << json_to_string(*document);
  return json_to_string(*document);
}

TEST(Upcast, EveryCreditsEventIsAtVersionTwoWithAStepFromOne) {
  const UpcasterRegistry& upcasters = UpcasterRegistry::embedded();
  for (const char* type :
       {"credits.allocated", "credits.topped_up", "credits.reserved", "credits.released",
        "credits.consumed", "credits.refunded", "credits.adjusted", "credits.expired"}) {
    EXPECT_EQ(upcasters.current_version(type), 2) << type;
    EXPECT_EQ(upcasters.missing_step(type, 1), std::nullopt) << type;
  }
  EXPECT_EQ(credits_upcasters().size(), 8u);
}

TEST(Upcast, CreditsBalanceV1PeriodBecomesUtcDatesAndNextResetAt) {
  for (const auto& [type, fields] : kCreditsFields) {
    SCOPED_TRACE(type);
    // Every field kept in place; the balance's period as the UTC dates of
    // its first and last millisecond, and its end as next_reset_at.
    EXPECT_EQ(upcast_credits(type, "{" + fields + kV1Balance + "}"),
              "{" + fields + kV2Balance + "}");
    // Before the first allocation there is no period: nothing changes.
    EXPECT_EQ(upcast_credits(type, "{" + fields + kBalanceWithoutPeriod + "}"),
              "{" + fields + kBalanceWithoutPeriod + "}");
  }
}

TEST(Upcast, CreditsBalanceV1PeriodEndingAtMidnightEndsTheDayBefore) {
  const std::string v1 =
      R"({"credits":5,"note":"n","balance":{"credits_monthly":0,"credits_available":5,"credits_reserved":0,)"
      R"("credits_consumed":0,"credits_topup":0,"effective_available":5,)"
      R"("period_start":"2026-12-01T00:00:00.000Z","period_end":"2027-01-01T00:00:00.000Z"}})";
  EXPECT_EQ(
      upcast_credits("credits.refunded", v1),
      R"({"credits":5,"note":"n","balance":{"credits_monthly":0,"credits_available":5,"credits_reserved":0,)"
      R"("credits_consumed":0,"credits_topup":0,"effective_available":5,)"
      R"("period_start":"2026-12-01","period_end":"2026-12-31","next_reset_at":"2027-01-01T00:00:00.000Z"}})");
}

// Readers take the first of a key written twice; upcasting reads an old
// payload the same way, so the step rewrites the value readers see and
// leaves no stale copy to fail the current schema (record_fuzz found a v1
// balance with two period_ends).
TEST(Upcast, AKeyWrittenTwiceIsReadAsItsFirstValue) {
  const std::string v1 =
      R"({"credits":4300,"reason":"period_end","lot":"monthly","balance":{"credits_monthly":5000,)"
      R"("credits_available":700,"credits_reserved":700,"credits_consumed":0,"credits_topup":0,)"
      R"("effective_available":0,"period_start":"2026-12-04T17:04:30.000Z",)"
      R"("period_end":"2026-12-04T18:04:45.000Z","period_end":"2026-12-04T19:05:00.000Z"}})";
  EXPECT_EQ(
      upcast_credits("credits.expired", v1),
      R"({"credits":4300,"reason":"period_end","lot":"monthly","balance":{"credits_monthly":5000,)"
      R"("credits_available":700,"credits_reserved":700,"credits_consumed":0,"credits_topup":0,)"
      R"("effective_available":0,"period_start":"2026-12-04","period_end":"2026-12-04",)"
      R"("next_reset_at":"2026-12-04T18:04:45.000Z"}})");

  auto created = parse_own_json(
      R"({"activity_id":"a","title":"t","type":"copy","assignee_type":"agent","assignee_agent_role":"writer",)"
      R"("priority":"medium","is_approval_gate":false,"priority":"high","title":"second"})");
  int32_t version = 1;
  ASSERT_EQ(UpcasterRegistry::embedded().upcast("activity.created", version, *created,
                                                created->GetAllocator()),
            UpcastOutcome::upcast);
  EXPECT_EQ(
      SchemaRegistry::embedded().validate_event_payload("activity.created", version, *created),
      std::nullopt)
      << json_to_string(*created);
  int priorities = 0, titles = 0;
  for (const auto& member : created->GetObject()) {
    const std::string name = member.name.GetString();
    priorities += name == "priority";
    titles += name == "title";
  }
  EXPECT_EQ(priorities, 1);
  EXPECT_EQ(titles, 1);
  EXPECT_STREQ((*created)["priority"].GetString(), "normal");
  EXPECT_STREQ((*created)["title"].GetString(), "t");
}

TEST(Upcast, CreditsAllocatedV1BecomesAUtcPeriodFieldByField) {
  const std::string v1 =
      R"({"credits":1000,"credits_monthly":1000,"period_start":"2026-11-01T10:00:00.000Z",)"
      R"("period_end":"2026-12-01T10:00:00.000Z","reason":"renewal","carried_over":0,)"
      R"("held_over":{"lot":"lapsing:2","credits":7},)" +
      kV1Balance + "}";
  EXPECT_EQ(
      upcast_credits("credits.allocated", v1),
      R"({"credits":1000,"credits_monthly":1000,"period_start":"2026-11-01","period_end":"2026-12-01",)"
      R"("timezone":"UTC","period_starts_at":"2026-11-01T10:00:00.000Z",)"
      R"("next_reset_at":"2026-12-01T10:00:00.000Z","series":"instants","reason":"renewal",)"
      R"("carried_over":0,"held_over":{"lot":"lapsing:2","credits":7},)" +
          kV2Balance + "}");
  // UTC midnights: the last day is the one before the old exclusive end, and
  // the period renews by dates (for it, the periods v1's rule gives).
  const std::string midnight =
      R"({"credits":0,"credits_monthly":0,"period_start":"2026-12-01T00:00:00Z",)"
      R"("period_end":"2027-01-01T00:00:00Z","reason":"allocate","carried_over":40,)" +
      kBalanceWithoutPeriod + "}";
  EXPECT_EQ(
      upcast_credits("credits.allocated", midnight),
      R"({"credits":0,"credits_monthly":0,"period_start":"2026-12-01","period_end":"2026-12-31",)"
      R"("timezone":"UTC","period_starts_at":"2026-12-01T00:00:00.000Z",)"
      R"("next_reset_at":"2027-01-01T00:00:00.000Z","series":"calendar","reason":"allocate",)"
      R"("carried_over":40,)" +
          kBalanceWithoutPeriod + "}");
}

TEST(Upcast, CreditsV1PeriodThatNamesNoInstantIsLeftAsWritten) {
  // No engine wrote this (the schema's pattern admits it, the calendar does
  // not); the upcaster leaves it, and the v2 schema refuses it.
  const std::string v1 =
      R"({"credits":5,"note":"n","balance":{"credits_monthly":0,"credits_available":5,"credits_reserved":0,)"
      R"("credits_consumed":0,"credits_topup":0,"effective_available":5,)"
      R"("period_start":"2026-02-30T00:00:00.000Z","period_end":"2026-03-01T00:00:00.000Z"}})";
  auto document = parse_own_json(v1);
  int32_t version = 1;
  UpcasterRegistry::embedded().upcast("credits.refunded", version, *document,
                                      document->GetAllocator());
  EXPECT_EQ(json_to_string(*document), v1);
  EXPECT_NE(SchemaRegistry::embedded().validate_event_payload("credits.refunded", 2, *document),
            std::nullopt);
}

// ---- the chain, on a registry of made-up versions ------------------------------

// thing v1 {"a"} -> v2 {"b"} (renamed) -> v3 {"c": {"b"}} (wrapped).
void rename_a_to_b(rapidjson::Value& payload, JsonAllocator& allocator) {
  auto a = payload.FindMember("a");
  ASSERT_NE(a, payload.MemberEnd());
  payload.AddMember("b", a->value, allocator);
  payload.EraseMember(a);
}
void wrap_b_in_c(rapidjson::Value& payload, JsonAllocator& allocator) {
  auto b = payload.FindMember("b");
  ASSERT_NE(b, payload.MemberEnd());
  rapidjson::Value c(rapidjson::kObjectType);
  c.AddMember("b", b->value, allocator);
  payload.EraseMember(b);
  payload.AddMember("c", c, allocator);
}

const std::array<EventSchemaKey, 4> kThingSchemas = {
    EventSchemaKey{"test.thing", 1}, EventSchemaKey{"test.thing", 2},
    EventSchemaKey{"test.thing", 3}, EventSchemaKey{"test.other", 1}};
const std::array<Upcaster, 2> kThingUpcasters = {Upcaster{"test.thing", 2, &wrap_b_in_c},
                                                 Upcaster{"test.thing", 1, &rename_a_to_b}};

TEST(Upcast, ChainAppliesEveryStepInOrderUpToTheCurrentVersion) {
  const UpcasterRegistry registry(kThingSchemas, kThingUpcasters);
  EXPECT_EQ(registry.current_version("test.thing"), 3);

  auto from_v1 = parse_own_json(R"({"a":7,"keep":"x"})");
  int32_t version = 1;
  EXPECT_EQ(registry.upcast("test.thing", version, *from_v1, from_v1->GetAllocator()),
            UpcastOutcome::upcast);
  EXPECT_EQ(version, 3);
  EXPECT_EQ(json_to_string(*from_v1), R"({"keep":"x","c":{"b":7}})");

  auto from_v2 = parse_own_json(R"({"b":8})");
  version = 2;
  EXPECT_EQ(registry.upcast("test.thing", version, *from_v2, from_v2->GetAllocator()),
            UpcastOutcome::upcast);
  EXPECT_EQ(version, 3);
  EXPECT_EQ(json_to_string(*from_v2), R"({"c":{"b":8}})");

  auto current = parse_own_json(R"({"c":{"b":9}})");
  version = 3;
  EXPECT_EQ(registry.upcast("test.thing", version, *current, current->GetAllocator()),
            UpcastOutcome::current);
  EXPECT_EQ(version, 3);
  EXPECT_EQ(json_to_string(*current), R"({"c":{"b":9}})");
}

TEST(Upcast, NewerVersionAndUnknownTypeAreFlaggedAndLeftAsWritten) {
  const UpcasterRegistry registry(kThingSchemas, kThingUpcasters);
  auto newer = parse_own_json(R"({"d":1})");
  int32_t version = 4;
  EXPECT_EQ(registry.upcast("test.thing", version, *newer, newer->GetAllocator()),
            UpcastOutcome::newer_version);
  EXPECT_EQ(version, 4);
  EXPECT_EQ(json_to_string(*newer), R"({"d":1})");
  EXPECT_FALSE(registry.is_known("test.thing", 4));
  EXPECT_TRUE(registry.is_known("test.thing", 1));
  EXPECT_TRUE(registry.is_known("test.thing", 3));

  auto unknown = parse_own_json(R"({"a":1})");
  version = 1;
  EXPECT_EQ(registry.upcast("test.nothing", version, *unknown, unknown->GetAllocator()),
            UpcastOutcome::unknown_type);
  EXPECT_EQ(json_to_string(*unknown), R"({"a":1})");
  EXPECT_FALSE(registry.is_known("test.nothing", 1));
  EXPECT_FALSE(is_readable(UpcastOutcome::newer_version));
  EXPECT_FALSE(is_readable(UpcastOutcome::unknown_type));
}

TEST(Upcast, MissingStepIsNamed) {
  const std::array<Upcaster, 1> only_first = {Upcaster{"test.thing", 1, &rename_a_to_b}};
  const UpcasterRegistry registry(kThingSchemas, only_first);
  EXPECT_EQ(registry.missing_step("test.thing", 1),
            "no upcaster for test.thing from version 2 to 3");
  EXPECT_EQ(registry.missing_step("test.thing", 2),
            "no upcaster for test.thing from version 2 to 3");
  EXPECT_EQ(registry.missing_step("test.thing", 3), std::nullopt);
  EXPECT_EQ(registry.missing_step("test.other", 1), std::nullopt);
  EXPECT_EQ(registry.missing_step("test.thing", 4), "test.thing has no version 4 (current 3)");
  EXPECT_EQ(registry.missing_step("test.nothing", 1), "no schema for event type test.nothing");
}

TEST(UpcastDeathTest, UpcasterForATypeWithoutSchemaIsADefect) {
  const std::array<Upcaster, 1> stray = {Upcaster{"test.nothing", 1, &rename_a_to_b}};
  EXPECT_DEATH(UpcasterRegistry(kThingSchemas, stray),
               "an upcaster for an event type without a schema");
}

// ---- decoding a commit record ---------------------------------------------------

std::string record_with(const std::string& type, int32_t schema_version,
                        const std::string& payload) {
  UlidGenerator ids(3);
  CommitRecordHeader header;
  header.tenant_id = kTenant;
  header.command_id = "cmd-1";
  header.seq = 1;
  header.record_id = ids.next(1'700'000'000'000);
  header.writer = "old-engine";
  EventHeader event;
  event.event_id = ids.next(1'700'000'000'000);
  event.type = type;
  event.schema_version = schema_version;
  event.tenant_id = kTenant;
  event.stream = "activity/act-1";
  event.stream_version = 1;
  event.command_id = "cmd-1";
  event.actor = "system";
  event.occurred_at_ms = 1'700'000'000'000;
  const std::vector<OutgoingEvent> events = {OutgoingEvent{event, payload}};
  return encode_commit_record(header, events);
}

TEST(Upcast, DecodingReadsOldEventsAtTheCurrentVersionAndKeepsTheEnvelopeAsWritten) {
  Result<DecodedRecord> decoded =
      decode_commit_record(record_with("activity.run_finished", 1, kRunFinishedV1), kLimits);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  // Moved, as readers move records around: the pointers must survive.
  std::vector<DecodedRecord> records;
  records.push_back(std::move(decoded).value());
  const DecodedEvent& event = records.front().events.front();
  EXPECT_EQ(event.schema, UpcastOutcome::upcast);
  EXPECT_TRUE(event.readable());
  EXPECT_EQ(event.header.schema_version, 3);
  EXPECT_EQ(event.written_schema_version, 1);
  EXPECT_EQ(json_int64(*json_member(*event.payload, "usage"), "input_tokens"), 5000);
  EXPECT_EQ(
      SchemaRegistry::embedded().validate_event_payload("activity.run_finished", 3, *event.payload),
      std::nullopt);
  // The envelope as the log holds it: version 1, the flat payload.
  ASSERT_NE(event.object, nullptr);
  EXPECT_EQ(json_int64(*event.object, "schema_version"), 1);
  EXPECT_EQ(json_to_string(*json_member(*event.object, "payload")), kRunFinishedV1);
}

TEST(Upcast, DecodingAnOldEventWithoutTheFieldsItsStepReadsKeepsItAsWritten) {
  // No engine wrote these (their v1 schemas require the fields); decoding
  // stopped the process on them (found by fuzz/record_fuzz.cpp). Now the
  // record decodes, the payload stays as written, and both schemas refuse it.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"activity.created", R"({"activity_id":"a","title":"t","type":"copy","priority":"medium"})"},
      {"activity.created", R"({"activity_id":"a","is_approval_gate":true,"assignee_type":7})"},
      {"approval.requested", R"({"approval_id":"x","type":"activity_review"})"},
      {"approval.requested",
       R"({"approval_id":"x","type":"activity_review","subject":{"id":"s"}})"},
      {"approval.requested", R"({"approval_id":"x","type":5})"},
      {"media_buy.created",
       R"({"media_buy_id":"m","packages":[{"package_id":"p"}],"budget_total":1})"},
      {"media_buy.created", R"({"media_buy_id":"m","packages":[7],"budget_total":1})"},
      {"media_buy.created", R"({"media_buy_id":"m","packages":[{"budget":1}]})"},
      {"media_buy.created", R"({"media_buy_id":"m","packages":{},"budget_total":1})"},
  };
  for (const auto& [type, payload] : cases) {
    Result<DecodedRecord> decoded = decode_commit_record(record_with(type, 1, payload), kLimits);
    ASSERT_TRUE(decoded.ok()) << payload << ": " << decoded.error().message;
    const DecodedEvent& event = decoded->events.front();
    EXPECT_EQ(event.schema, UpcastOutcome::upcast) << payload;
    const std::string read = json_to_string(*event.payload);
    if (type != "activity.created") {
      EXPECT_EQ(read, payload);
    }
    const SchemaRegistry& schemas = SchemaRegistry::embedded();
    EXPECT_NE(schemas.validate_event_payload(type, 1, *json_member(*event.object, "payload")),
              std::nullopt)
        << payload;
    EXPECT_NE(schemas.validate_event_payload(type, event.header.schema_version, *event.payload),
              std::nullopt)
        << payload;
  }
}

TEST(Upcast, DecodingLeavesCurrentEventsInPlace) {
  Result<DecodedRecord> decoded = decode_commit_record(
      record_with(
          "credits.refunded", 2,
          R"({"credits":5,"note":"n","balance":{"credits_monthly":0,"credits_available":5,)"
          R"("credits_reserved":0,"credits_consumed":0,"credits_topup":0,"effective_available":5}})"),
      kLimits);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const DecodedEvent& event = decoded->events.front();
  EXPECT_EQ(event.schema, UpcastOutcome::current);
  EXPECT_EQ(event.written_schema_version, 2);
  EXPECT_EQ(event.payload, json_member(*event.object, "payload"));
  EXPECT_TRUE(decoded->upcast_payloads.empty());
}

TEST(Upcast, DecodingANewerVersionFlagsItWithoutFailingTheRecord) {
  const std::string v4 =
      R"({"activity_id":"act-1","run_id":"run-1","outcome":{"status":"completed"}})";
  Result<DecodedRecord> decoded =
      decode_commit_record(record_with("activity.run_finished", 4, v4), kLimits);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->header.seq, 1);  // the record still holds its place in the chain
  const DecodedEvent& event = decoded->events.front();
  EXPECT_EQ(event.schema, UpcastOutcome::newer_version);
  EXPECT_FALSE(event.readable());
  EXPECT_EQ(event.header.schema_version, 4);
  EXPECT_EQ(event.written_schema_version, 4);
  EXPECT_EQ(json_to_string(*event.payload), v4);

  Result<DecodedRecord> unknown =
      decode_commit_record(record_with("activity.teleported", 1, "{}"), kLimits);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->events.front().schema, UpcastOutcome::unknown_type);
  EXPECT_FALSE(unknown->events.front().readable());
}

}  // namespace
}  // namespace lf
