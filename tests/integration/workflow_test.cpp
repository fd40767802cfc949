// The workflow half end to end, in one process against the mock cluster and
// a real PostgreSQL: media buys through their approval, an agent activity
// with a credit-consuming run and a human review, expiry and escalation on an
// injected clock, timers firing once while the partition changes hands, and
// the audit trail.
#include <gtest/gtest.h>

#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/wait.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;
using workflow_matrix::approval_decision;

std::string buy(const std::string& id, bool requires_approval) {
  return "{\"media_buy_id\":" + quoted(id) +
         ",\"principal_id\":\"adv-acme\",\"campaign_name\":\"Spring "
         "launch\",\"buyer_ref\":\"PO-77\","
         "\"start_date\":\"2027-03-01\",\"end_date\":\"2027-03-31\",\"packages\":["
         "{\"package_id\":\"ctv\",\"product_id\":\"ctv-prime\",\"budget\":1500000,"
         "\"pricing\":{\"model\":\"cpm\",\"rate_micros\":32000000},\"targeting\":{\"geo\":[\"US-"
         "CA\",\"US-NY\"]}},"
         "{\"package_id\":\"display\",\"product_id\":\"display-ros\",\"budget\":500000}],"
         "\"requires_approval\":" +
         std::string(requires_approval ? "true" : "false") + "}";
}

// An agent's work, or (gate) a human review step (Kim's).
std::string activity(const std::string& id, bool gate) {
  const std::string assignee =
      gate ? "\"assignee_type\":\"human\",\"assignee_user_id\":\"user:kim\","
           : "\"assignee_type\":\"agent\",\"assignee_agent_role\":\"copywriter\",";
  return "{\"activity_id\":" + quoted(id) +
         ",\"title\":\"Draft ad copy\",\"type\":\"copywriting\"," + assignee +
         "\"priority\":\"high\",\"is_approval_gate\":" + std::string(gate ? "true" : "false") +
         ",\"due_date\":\"2027-02-15\"}";
}

std::string on(const std::string& field, const std::string& id) {
  return "{" + quoted(field) + ":" + quoted(id) + "}";
}

std::string scalar(pqxx::connection& db, const std::string& sql, const std::string& tenant) {
  pqxx::work work(db);
  pqxx::result rows = work.exec_params(sql, tenant);
  if (rows.empty() || rows[0][0].is_null()) return "<null>";
  return rows[0][0].c_str();
}

void accepted(Pipeline& pipeline, const std::string& tenant, const std::string& type,
              const std::string& id, const std::string& payload,
              const std::string& actor = "user:alice") {
  ResultEnvelope result =
      pipeline.submit_one(tenant, command_json(type, tenant, id, payload, actor));
  EXPECT_EQ(result.status, ResultStatus::accepted)
      << type << " " << result.reason << ": " << result.message;
}

ResultEnvelope submit(Pipeline& pipeline, const std::string& tenant, const std::string& type,
                      const std::string& id, const std::string& payload) {
  return pipeline.submit_one(tenant, command_json(type, tenant, id, payload, "user:alice"));
}

TEST(Workflow, MediaBuyApprovedThroughItsApprovalAndActivated) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  accepted(pipeline, tenant, "media_buy.create", "b1", buy("mb-1", true));
  ResultEnvelope early =
      submit(pipeline, tenant, "media_buy.approve", "b2", on("media_buy_id", "mb-1"));
  EXPECT_EQ(early.reason, "approval_required");
  accepted(pipeline, tenant, "approval.approve", "b3",
           approval_decision("mb-1:approval", "brand safe"));
  accepted(pipeline, tenant, "media_buy.activate", "b4", on("media_buy_id", "mb-1"));
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  pqxx::connection& db = pipeline.db();
  EXPECT_EQ(scalar(db, "SELECT status FROM media_buys WHERE tenant_id = $1", tenant), "active");
  // The seed's budgets are amounts (USD by default), kept exactly beside their minor units.
  EXPECT_EQ(
      scalar(db,
             "SELECT budget_total || ' ' || currency || ' ' || budget_total_minor FROM media_buys "
             "WHERE tenant_id = $1",
             tenant),
      "2000000.00 USD 200000000");
  EXPECT_EQ(count_of(db, "SELECT count(*) FROM media_buy_packages WHERE tenant_id = $1", tenant),
            2);
  EXPECT_EQ(scalar(db,
                   "SELECT targeting->'geo'->>1 FROM media_buy_packages WHERE tenant_id = $1 AND "
                   "package_id = 'ctv'",
                   tenant),
            "US-NY");
  EXPECT_EQ(scalar(db,
                   "SELECT status || '/' || reviewed_by || '/' || reviewer_notes FROM approvals "
                   "WHERE tenant_id = $1",
                   tenant),
            "approved/user:rita/brand safe");
  EXPECT_EQ(
      count_of(db,
               "SELECT count(*) FROM approvals WHERE tenant_id = $1 AND resolved_at IS NOT NULL",
               tenant),
      1);
  // The approval and the buy moved in one commit record.
  EXPECT_EQ(count_of(db,
                     "SELECT count(DISTINCT seq) FROM event_log WHERE tenant_id = $1 "
                     "AND type IN ('approval.approved', 'media_buy.approved')",
                     tenant),
            1);
  // Audit: one row per event, and the refused approve as a failure with its reason.
  EXPECT_EQ(count_of(db, "SELECT count(*) FROM audit_log WHERE tenant_id = $1", tenant),
            count_of(db, "SELECT count(*) FROM event_log WHERE tenant_id = $1", tenant));
  const std::string refused = scalar(
      db,
      "SELECT operation || ' ' || resource_type || '/' || resource_id || ' ' || "
      "principal_id || ' ' || error_message FROM audit_log WHERE tenant_id = $1 AND NOT success",
      tenant);
  EXPECT_TRUE(
      refused.starts_with("media_buy.approve media_buy/mb-1 user:alice approval_required: "))
      << refused;
}

TEST(Workflow, RejectedApprovalFailsTheBuy) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  accepted(pipeline, tenant, "media_buy.create", "b1", buy("mb-1", true));
  accepted(pipeline, tenant, "approval.reject", "b2",
           approval_decision("mb-1:approval", "budget exceeds plan"));
  EXPECT_EQ(submit(pipeline, tenant, "media_buy.activate", "b3", on("media_buy_id", "mb-1")).reason,
            "invalid_transition");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  EXPECT_EQ(
      scalar(pipeline.db(),
             "SELECT status || ': ' || status_reason FROM media_buys WHERE tenant_id = $1", tenant),
      "failed: budget exceeds plan");
}

TEST(Workflow, AgentActivityWithACreditConsumingRunAndAHumanReview) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  accepted(pipeline, tenant, "credits.allocate", "w1", allocate_around(1'000, system_now_ms()));
  accepted(pipeline, tenant, "activity.create", "w2", activity("act-1", true));
  accepted(pipeline, tenant, "activity.start", "w3", on("activity_id", "act-1"),
           "agent:copywriter");
  accepted(pipeline, tenant, "activity.start_run", "w4",
           "{\"activity_id\":\"act-1\",\"run_id\":\"run-1\",\"estimated_credits\":300,"
           "\"deliverable_type\":\"ad_copy\"}",
           "agent:copywriter");
  ASSERT_TRUE(pipeline.wait_projected());
  EXPECT_EQ(scalar(pipeline.db(),
                   "SELECT credits_reserved FROM credit_balances WHERE tenant_id = $1", tenant),
            "300");
  accepted(
      pipeline, tenant, "activity.finish_run", "w5",
      "{\"run_id\":\"run-1\",\"status\":\"completed\",\"credits_used\":180,\"input_tokens\":5000,"
      "\"output_tokens\":900,\"duration_ms\":12000}",
      "agent:copywriter");
  accepted(pipeline, tenant, "activity.submit_for_approval", "w6", on("activity_id", "act-1"),
           "agent:copywriter");
  accepted(pipeline, tenant, "approval.approve", "w7",
           approval_decision("act-1:approval:1", "ship it"));
  accepted(pipeline, tenant, "activity.complete", "w8", on("activity_id", "act-1"),
           "agent:copywriter");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  pqxx::connection& db = pipeline.db();
  EXPECT_EQ(scalar(db, "SELECT status FROM activities WHERE tenant_id = $1", tenant), "completed");
  EXPECT_EQ(scalar(db,
                   "SELECT status || ' ' || credits_reserved || ' ' || credits_used || ' ' || "
                   "credits_charged || ' ' || "
                   "input_tokens || ' ' || output_tokens || ' ' || duration_ms FROM activity_runs "
                   "WHERE tenant_id = $1",
                   tenant),
            "completed 300 180 180 5000 900 12000");
  EXPECT_EQ(
      scalar(db,
             "SELECT credits_reserved || ' ' || credits_consumed || ' ' || effective_available "
             "FROM credit_balances WHERE tenant_id = $1",
             tenant),
      "0 180 820");
  EXPECT_EQ(scalar(db, "SELECT status FROM credit_reservations WHERE tenant_id = $1", tenant),
            "consumed");
  EXPECT_EQ(scalar(db, "SELECT sum(credits) FROM credit_ledger WHERE tenant_id = $1", tenant),
            "820");
  EXPECT_EQ(
      scalar(db, "SELECT status || ' ' || reviewed_by FROM approvals WHERE tenant_id = $1", tenant),
      "approved user:rita");
  // The finish and its credit effects are one record.
  EXPECT_EQ(count_of(db,
                     "SELECT count(DISTINCT seq) FROM event_log WHERE tenant_id = $1 "
                     "AND type IN ('activity.run_finished', 'credits.consumed')",
                     tenant),
            1);
  std::vector<verify::Difference> differences = pipeline.verify();
  for (const verify::Difference& difference : differences)
    ADD_FAILURE() << verify::to_string(difference);
}

TEST(Workflow, ARunThatCannotReserveLeavesNothing) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  accepted(pipeline, tenant, "credits.allocate", "w1", allocate_around(100, system_now_ms()));
  accepted(pipeline, tenant, "activity.create", "w2", activity("act-1", false));
  accepted(pipeline, tenant, "activity.start", "w3", on("activity_id", "act-1"));
  ResultEnvelope refused =
      submit(pipeline, tenant, "activity.start_run", "w4",
             "{\"activity_id\":\"act-1\",\"run_id\":\"run-1\",\"estimated_credits\":101}");
  EXPECT_EQ(refused.status, ResultStatus::rejected);
  EXPECT_EQ(refused.reason, "insufficient_credits");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  pqxx::connection& db = pipeline.db();
  EXPECT_EQ(count_of(db, "SELECT count(*) FROM activity_runs WHERE tenant_id = $1", tenant), 0);
  EXPECT_EQ(count_of(db, "SELECT count(*) FROM credit_reservations WHERE tenant_id = $1", tenant),
            0);
  EXPECT_EQ(
      scalar(db, "SELECT effective_available FROM credit_balances WHERE tenant_id = $1", tenant),
      "100");
  EXPECT_EQ(
      scalar(db, "SELECT error_message FROM audit_log WHERE tenant_id = $1 AND NOT success", tenant)
          .substr(0, 21),
      "insufficient_credits:");
}

TEST(Workflow, QueuesShowOpenWorkByPriorityThenDueDate) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  auto create = [&](const std::string& id, const std::string& priority, const std::string& due,
                    const std::string& who) {
    const std::string assignee =
        who.starts_with("user:")
            ? "\"assignee_type\":\"human\",\"assignee_user_id\":" + quoted(who)
            : "\"assignee_type\":\"agent\",\"assignee_agent_role\":" + quoted(who);
    accepted(pipeline, tenant, "activity.create", "c-" + id,
             "{\"activity_id\":" + quoted(id) + ",\"title\":\"t\",\"type\":\"task\"," + assignee +
                 ",\"priority\":" + quoted(priority) + ",\"is_approval_gate\":false" +
                 (due.empty() ? "" : ",\"due_date\":" + quoted(due)) + "}");
  };
  create("low", "low", "2027-01-01", "analyst");
  create("urgent-late", "urgent", "2027-02-01", "analyst");
  create("urgent-early", "urgent", "2027-01-15", "analyst");
  create("urgent-undated", "urgent", "", "analyst");
  create("done", "urgent", "2027-01-01", "analyst");
  create("other-role", "urgent", "2027-01-01", "designer");
  create("human-1", "medium", "", "user:kim");
  accepted(pipeline, tenant, "activity.start", "s-done", on("activity_id", "done"));
  accepted(pipeline, tenant, "activity.complete", "x-done", on("activity_id", "done"));
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  pqxx::work work(pipeline.db());
  pqxx::result rows = work.exec_params(
      "SELECT activity_id FROM agent_queue WHERE tenant_id = $1 AND assignee_agent_role = $2 "
      "ORDER BY priority, due_date NULLS LAST, created_at, activity_id",
      tenant, "analyst");
  std::vector<std::string> order;
  for (const auto& row : rows) order.push_back(row[0].c_str());
  EXPECT_EQ(order,
            (std::vector<std::string>{"urgent-early", "urgent-late", "urgent-undated", "low"}));
  EXPECT_EQ(work.exec_params1("SELECT count(*) FROM human_queue WHERE tenant_id = $1 AND "
                              "assignee_user_id = 'user:kim'",
                              tenant)[0]
                .as<int64_t>(),
            1);
}

TEST(Workflow, AnApprovalExpiresAndEscalatesOnItsOwn) {
  ManualClock clock(system_now_ms());
  PipelineOptions options;
  options.clock = clock.function();
  Pipeline pipeline(options);
  const std::string tenant = random_tenant();
  accepted(pipeline, tenant, "media_buy.create", "e1", buy("mb-1", true));
  // The default expiry is 72 h after issued_at, which the client stamped a
  // moment after the clock started.
  clock.advance(72 * kMillisPerHour + 60 * kMillisPerSecond);
  ASSERT_TRUE(wait_until(
      [&] {
        return count_of(
                   pipeline.db(),
                   "SELECT count(*) FROM approvals WHERE tenant_id = $1 AND status = 'expired' "
                   "AND escalated_at IS NOT NULL",
                   tenant) == 1;
      },
      30s))
      << pipeline.service_failures();
  EXPECT_EQ(
      submit(pipeline, tenant, "approval.approve", "e2", approval_decision("mb-1:approval", "late"))
          .reason,
      "expired");
  ASSERT_TRUE(pipeline.wait_projected());
  pqxx::connection& db = pipeline.db();
  EXPECT_EQ(scalar(db, "SELECT status FROM media_buys WHERE tenant_id = $1", tenant), "pending");
  EXPECT_EQ(
      count_of(
          db,
          "SELECT count(*) FROM event_log WHERE tenant_id = $1 AND type = 'approval.escalated' "
          "AND event->>'actor' = 'system'",
          tenant),
      1);
}

// The partition moves from one engine to another between the request and
// the deadline, then back: the expiry fires exactly once.
TEST(Workflow, TimersFireOnceWhileThePartitionChangesHands) {
  ManualClock clock(system_now_ms());
  PipelineOptions options;
  options.clock = clock.function();
  options.engine = false;
  options.partitions = 2;
  Pipeline pipeline(options);
  engine_service::Options first = pipeline.engine_options("engine-first");
  first.clock = clock.function();
  pipeline.start_engine(first);
  const std::string tenant = random_tenant();
  accepted(pipeline, tenant, "credits.allocate", "t0", allocate_around(1'000, clock.now()));
  accepted(pipeline, tenant, "approval.request", "t1",
           "{\"approval_id\":\"ap-1\",\"subject\":{\"kind\":\"creative\",\"id\":\"cr-9\"},\"type\":"
           "\"creative\","
           "\"risk_level\":\"high\",\"title\":\"Hero banner\"}");
  accepted(pipeline, tenant, "activity.create", "t2", activity("act-1", false));
  accepted(pipeline, tenant, "activity.start", "t3", on("activity_id", "act-1"));
  accepted(pipeline, tenant, "activity.start_run", "t4",
           "{\"activity_id\":\"act-1\",\"run_id\":\"run-1\",\"estimated_credits\":200}");
  // A second engine joins, the first leaves: the partition moves.
  engine_service::Options second = pipeline.engine_options("engine-second");
  second.clock = clock.function();
  pipeline.start_engine(second);
  pipeline.stop_engine("engine-first");
  clock.advance(72 * kMillisPerHour + 60 * kMillisPerSecond);
  ASSERT_TRUE(wait_until(
      [&] {
        return count_of(
                   pipeline.db(),
                   "SELECT count(*) FROM approvals WHERE tenant_id = $1 AND status = 'expired'",
                   tenant) == 1 &&
               count_of(pipeline.db(),
                        "SELECT count(*) FROM activity_runs WHERE tenant_id = $1 AND status = "
                        "'timed_out'",
                        tenant) == 1;
      },
      60s))
      << pipeline.service_failures();
  // And back to a fresh engine, past more deadlines' worth of time.
  engine_service::Options third = pipeline.engine_options("engine-third");
  third.clock = clock.function();
  pipeline.start_engine(third);
  pipeline.stop_engine("engine-second");
  clock.advance(kMillisPerHour);
  accepted(pipeline, tenant, "audit.record", "t5",
           "{\"operation\":\"export\",\"resource_type\":\"report\",\"resource_id\":\"r-1\","
           "\"success\":true}");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  pqxx::connection& db = pipeline.db();
  EXPECT_EQ(
      count_of(db,
               "SELECT count(*) FROM event_log WHERE tenant_id = $1 AND type = 'approval.expired'",
               tenant),
      1);
  EXPECT_EQ(
      count_of(
          db, "SELECT count(*) FROM event_log WHERE tenant_id = $1 AND type = 'approval.escalated'",
          tenant),
      1);
  EXPECT_EQ(
      count_of(
          db,
          "SELECT count(*) FROM event_log WHERE tenant_id = $1 AND type = 'activity.run_finished'",
          tenant),
      1);
  EXPECT_EQ(scalar(db,
                   "SELECT credits_reserved || ' ' || effective_available FROM credit_balances "
                   "WHERE tenant_id = $1",
                   tenant),
            "0 1000");
  std::vector<verify::Difference> differences = pipeline.verify();
  for (const verify::Difference& difference : differences)
    ADD_FAILURE() << verify::to_string(difference);
}

// The audit rows of the four seeds (Prebid, the DSP, Stratum AI, Agent
// Factory), as their producers send them, through Kafka into audit_log; a row
// from too far in the past or the future is refused with its reason.
TEST(Workflow, TheSeedsAuditRowsLandInTheAuditLog) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  const int64_t now = system_now_ms();
  const std::string minute_ago = quoted(format_rfc3339_ms(now - 60'000));
  // Prebid: operation, principal, adapter, success, details; no resource.
  accepted(pipeline, tenant, "audit.record", "prebid",
           "{\"operation\":\"media_buy.created\",\"principal_name\":\"Acme buying "
           "agent\",\"principal_id\":\"p-7\","
           "\"adapter_id\":\"gam\",\"success\":false,\"error_message\":\"inventory "
           "gone\",\"details\":{\"lines\":2},"
           "\"timestamp\":" +
               minute_ago + "}");
  // The DSP: action, user, resource, IP, no success.
  accepted(pipeline, tenant, "audit.record", "dsp",
           "{\"action\":\"pipeline.run\",\"user_id\":\"17\",\"resource_type\":\"pipeline\","
           "\"resource_id\":\"pl-3\","
           "\"ip_address\":\"198.51.100.23\",\"details\":{\"rows\":12}}");
  // Stratum AI: the change and the request.
  accepted(
      pipeline, tenant, "audit.record", "stratum",
      "{\"action\":\"update\",\"user_id\":\"user:maya\",\"resource_type\":\"campaign\",\"resource_"
      "id\":\"c-9\","
      "\"old_value\":{\"daily_budget_cents\":50000},\"new_value\":{\"daily_budget_cents\":65000},"
      "\"changed_fields\":[\"daily_budget_cents\"],\"ip_address\":\"2001:DB8::1\",\"user_agent\":"
      "\"curl/8\","
      "\"request_id\":\"req-1\",\"endpoint\":\"/api/campaigns/c-9\",\"http_method\":\"PATCH\","
      "\"created_at\":" +
          minute_ago + "}");
  // Agent Factory: event_type and action both.
  accepted(pipeline, tenant, "audit.record", "factory",
           "{\"event_type\":\"agent.created\",\"action\":\"create\",\"user_id\":\"u-1\",\"resource_"
           "type\":\"agent\","
           "\"resource_id\":\"ag-5\",\"success\":true,\"ip_address\":\"10.0.0.7\"}");
  const ResultEnvelope stale =
      submit(pipeline, tenant, "audit.record", "stale",
             "{\"operation\":\"login\",\"occurred_at\":" +
                 quoted(format_rfc3339_ms(now - 8 * 24 * kMillisPerHour)) + "}");
  EXPECT_EQ(stale.reason, "invalid_occurred_at") << stale.message;
  const ResultEnvelope ahead = submit(pipeline, tenant, "audit.record", "ahead",
                                      "{\"operation\":\"login\",\"occurred_at\":" +
                                          quoted(format_rfc3339_ms(now + 10 * 60'000)) + "}");
  EXPECT_EQ(ahead.reason, "invalid_occurred_at") << ahead.message;
  EXPECT_EQ(submit(pipeline, tenant, "audit.record", "bad-ip",
                   "{\"operation\":\"login\",\"ip_address\":\"1.2.3\"}")
                .reason,
            "invalid_payload");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  pqxx::connection& db = pipeline.db();
  const std::string row =
      "SELECT concat_ws(' | ', operation, coalesce(resource_type || '/' || resource_id, '-'), "
      "principal_id, "
      "principal_name, adapter_id, success, error_message, details::text, host(ip_address), "
      "user_agent, request_id, "
      "endpoint, http_method, old_value::text, new_value::text, changed_fields::text, "
      "occurred_at = recorded_at) FROM audit_log WHERE tenant_id = $1 AND command_id = ";
  EXPECT_EQ(scalar(db, row + "'prebid'", tenant),
            "media_buy.created | - | p-7 | Acme buying agent | gam | f | inventory gone | "
            "{\"lines\": 2} | f");
  EXPECT_EQ(scalar(db, row + "'dsp'", tenant),
            "pipeline.run | pipeline/pl-3 | 17 | t | {\"rows\": 12} | 198.51.100.23 | t");
  EXPECT_EQ(scalar(db, row + "'stratum'", tenant),
            "update | campaign/c-9 | user:maya | t | 2001:db8::1 | curl/8 | req-1 | "
            "/api/campaigns/c-9 | PATCH | "
            "{\"daily_budget_cents\": 50000} | {\"daily_budget_cents\": 65000} | "
            "[\"daily_budget_cents\"] | f");
  EXPECT_EQ(scalar(db, row + "'factory'", tenant),
            "agent.created | agent/ag-5 | u-1 | t | 10.0.0.7 | t");
  // The producer's time, exactly; the event's time beside it.
  EXPECT_EQ(count_of(db,
                     "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND command_id IN "
                     "('prebid', 'stratum') "
                     "AND (extract(epoch FROM occurred_at) * 1000)::bigint = " +
                         std::to_string(now - 60'000),
                     tenant),
            2);
  // The refused rows left command.rejected events, and so audit rows.
  EXPECT_EQ(count_of(db,
                     "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND NOT success AND "
                     "operation = 'audit.record'",
                     tenant),
            3);
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);
}

// A reviewer forwards a pending approval to the client; the tenant's default
// escalation reviewer is where an unanswered review goes.
TEST(Workflow, SentToTheClientAndEscalatedToTheTenantsReviewer) {
  ManualClock clock(system_now_ms());
  PipelineOptions options;
  options.clock = clock.function();
  Pipeline pipeline(options);
  const std::string tenant = random_tenant();
  accepted(pipeline, tenant, "tenant.configure", "c1", "{\"escalation_reviewer_id\":\"user:rita\"}",
           "admin:ops");
  EXPECT_EQ(
      submit(pipeline, tenant, "tenant.configure", "c2", "{\"escalation_reviewer_id\":\"user:x\"}")
          .reason,
      "forbidden");
  accepted(pipeline, tenant, "approval.request", "r1",
           "{\"approval_id\":\"ap-1\",\"subject\":{\"kind\":\"creative\",\"id\":\"cr-1\"},\"type\":"
           "\"creative\","
           "\"risk_level\":\"high\",\"title\":\"Hero banner\",\"reviewer_id\":\"user:lee\"}");
  accepted(pipeline, tenant, "approval.send_to_client", "s1", "{\"approval_id\":\"ap-1\"}",
           "user:lee");
  clock.advance(73 * kMillisPerHour);
  accepted(pipeline, tenant, "audit.record", "tick",
           "{\"operation\":\"tick\"}");  // the timer fires first
  EXPECT_EQ(submit(pipeline, tenant, "approval.send_to_client", "s2", "{\"approval_id\":\"ap-1\"}")
                .reason,
            "expired");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  pqxx::connection& db = pipeline.db();
  EXPECT_EQ(
      scalar(
          db,
          "SELECT status || ' ' || (sent_to_client_at IS NOT NULL) || ' ' || follow_up_approval_id "
          "FROM approvals WHERE tenant_id = $1 AND approval_id = 'ap-1'",
          tenant),
      "expired true ap-1:escalation:1");
  EXPECT_EQ(scalar(db,
                   "SELECT status || ' ' || reviewer_id || ' ' || escalated_from || ' ' || "
                   "(expires_at - created_on = interval '72 hours') FROM approvals "
                   "WHERE tenant_id = $1 AND approval_id = 'ap-1:escalation:1'",
                   tenant),
            "pending user:rita ap-1 true");
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);
}

}  // namespace
}  // namespace lf::testing
