// audit.record in the seeds' shapes (docs/domains/workflow.md "Audit"):
// operation and its aliases, user_id as principal_id, occurred_at and its
// aliases within the skew bounds, addresses, nullable resources, the change.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

rapidjson::Document recorded(Harness& h, const std::string& payload) {
  const DecodedRecord record = h.accept_record("audit.record", payload);
  rapidjson::Document copy;
  if (record.events.size() != 1) {
    ADD_FAILURE() << "audit.record wrote " << record.events.size() << " events";
    copy.SetObject();
    return copy;
  }
  EXPECT_EQ(record.events[0].header.type, "audit.recorded");
  EXPECT_EQ(record.events[0].header.schema_version, 2);
  EXPECT_EQ(record.events[0].header.stream, std::string("audit/") + kTenant);
  copy.CopyFrom(*record.events[0].payload, copy.GetAllocator());
  return copy;
}

TEST(Audit, APrebidRowIsRecordedAsItCame) {
  Harness h(kNow);
  const rapidjson::Document row = recorded(
      h,
      R"({"operation":"media_buy.created","principal_name":"Acme","principal_id":"p-1","adapter_id":"gam",)"
      R"("success":false,"error_message":"GAM timeout","details":{"order":"o-1"},)"
      R"("timestamp":"2026-11-20T08:59:00Z","resource_type":null,"resource_id":null})");
  EXPECT_EQ(json_string(row, "operation"), "media_buy.created");
  EXPECT_EQ(json_string(row, "adapter_id"), "gam");
  EXPECT_EQ(json_bool(row, "success"), false);
  EXPECT_EQ(json_member(row, "resource_type"), nullptr);
  EXPECT_EQ(json_member(row, "resource_id"), nullptr);
  EXPECT_EQ(json_string(row, "occurred_at"), "2026-11-20T08:59:00.000Z");
  EXPECT_EQ(json_member(row, "timestamp"), nullptr);
  EXPECT_EQ(json_to_string(*json_member(row, "details")), R"({"order":"o-1"})");
}

TEST(Audit, OperationComesFromItsAliasesAndEveryAliasIsKept) {
  Harness h(kNow);
  const rapidjson::Document all =
      recorded(h, R"({"operation":"op","event_type":"ev","action":"act"})");
  EXPECT_EQ(json_string(all, "operation"), "op");
  EXPECT_EQ(json_string(all, "event_type"), "ev");
  EXPECT_EQ(json_string(all, "action"), "act");
  const rapidjson::Document two =
      recorded(h, R"({"event_type":"agent.created","action":"create"})");
  EXPECT_EQ(json_string(two, "operation"), "agent.created");
  EXPECT_EQ(json_string(two, "action"), "create");
  const rapidjson::Document stratum = recorded(
      h,
      R"({"action":"update","resource_type":"campaign","resource_id":"c-9","user_id":42,)"
      R"("old_value":{"budget":100},"new_value":{"budget":150},"changed_fields":["budget"],)"
      R"("ip_address":"203.0.113.9","user_agent":"Mozilla/5.0","request_id":"r-1",)"
      R"("endpoint":"/api/campaigns/9","http_method":"PATCH","created_at":"2026-11-19T09:00:00Z"})");
  EXPECT_EQ(json_string(stratum, "operation"), "update");
  EXPECT_EQ(json_string(stratum, "principal_id"), "42");
  EXPECT_EQ(json_bool(stratum, "success"), true);  // the default
  EXPECT_EQ(json_to_string(*json_member(stratum, "old_value")), R"({"budget":100})");
  EXPECT_EQ(json_to_string(*json_member(stratum, "changed_fields")), R"(["budget"])");
  EXPECT_EQ(json_string(stratum, "http_method"), "PATCH");
  EXPECT_EQ(json_string(stratum, "occurred_at"), "2026-11-19T09:00:00.000Z");
}

TEST(Audit, PrincipalIdWinsOverUserIdAndOccurredAtOverItsAliases) {
  Harness h(kNow);
  const rapidjson::Document row = recorded(
      h,
      R"({"operation":"login","principal_id":"p-1","user_id":"u-1","occurred_at":"2026-11-20T08:00:00Z",)"
      R"("timestamp":"2026-11-20T07:00:00Z","created_at":"2026-11-20T06:00:00Z"})");
  EXPECT_EQ(json_string(row, "principal_id"), "p-1");
  EXPECT_EQ(json_string(row, "occurred_at"), "2026-11-20T08:00:00.000Z");
  const rapidjson::Document dsp =
      recorded(h, R"({"action":"login","user_id":"u-1","timestamp":"2026-11-20T07:00:00Z"})");
  EXPECT_EQ(json_string(dsp, "principal_id"), "u-1");
  EXPECT_EQ(json_string(dsp, "occurred_at"), "2026-11-20T07:00:00.000Z");
  const rapidjson::Document none = recorded(h, R"({"operation":"login"})");
  EXPECT_EQ(json_member(none, "occurred_at"), nullptr);  // the event's own occurred_at stands
}

TEST(Audit, OccurredAtMayLieFiveMinutesAheadAndSevenDaysBehind) {
  Harness h(kNow);
  const auto row = [](const std::string& when) {
    return R"({"operation":"login","occurred_at":")" + when + "\"}";
  };
  h.accept("audit.record", row("2026-11-20T09:05:00Z"));
  h.refuse("audit.record", row("2026-11-20T09:05:00.001Z"), "invalid_occurred_at");
  h.accept("audit.record", row("2026-11-13T09:00:00Z"));
  h.refuse("audit.record", row("2026-11-13T08:59:59.999Z"), "invalid_occurred_at");
  h.refuse("audit.record", R"({"action":"login","created_at":"2020-01-01T00:00:00Z"})",
           "invalid_occurred_at");
  h.refuse("audit.record", R"({"action":"login","timestamp":"2026-02-30T00:00:00Z"})",
           "invalid_occurred_at");
}

TEST(Audit, AnAddressMustBeIpv4OrIpv6) {
  Harness h(kNow);
  for (const char* good : {"10.0.0.1", "203.0.113.255", "::1", "2001:db8::7", "::ffff:192.0.2.1"}) {
    h.accept("audit.record", std::string(R"({"operation":"login","ip_address":")") + good + "\"}");
  }
  for (const char* bad :
       {"10.0.0.256", "localhost", "10.0.0", "2001:db8:::7", "1.2.3.4/24", " 10.0.0.1"}) {
    h.refuse("audit.record", std::string(R"({"operation":"login","ip_address":")") + bad + "\"}",
             "invalid_payload");
  }
}

TEST(Audit, ARecordNeedsAnOperationUnderOneOfItsNames) {
  Harness h(kNow);
  // The schema admits no such payload; the decider refuses it all the same.
  lf::testing::BuiltCommand command = lf::testing::build_command(
      "audit.record", kTenant, "no-op", R"({"resource_type":"session"})", "user:alice", kNow);
  CommandOutcome outcome =
      h.core().decide(command.envelope, SourcePosition{"ledgerflow.commands", 0, 900}, kNow);
  EXPECT_EQ(outcome.result.reason, "invalid_payload");
}

TEST(Audit, RejectionNamesTheStreamTheCommandAddressed) {
  Harness h(kNow);
  const CommandOutcome outcome = h.run("media_buy.pause", buy_move("mb-9"));
  const DecodedRecord record = decode(outcome.records.back());
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(json_string(*record.events[0].payload, "target_stream"), "media_buy/mb-9");
  EXPECT_EQ(json_string(*record.events[0].payload, "reason"), "unknown_media_buy");
  const CommandOutcome forbidden =
      h.run("tenant.configure", R"({"escalation_reviewer_id":"u"})", "user:bob");
  EXPECT_EQ(json_string(*decode(forbidden.records.back()).events[0].payload, "target_stream"),
            std::string("tenant/") + kTenant);
}

}  // namespace
}  // namespace lf::engine::workflow::testing
