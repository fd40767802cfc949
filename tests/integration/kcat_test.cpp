// An external Kafka client drives `ledgerflow dev`: kcat produces commands
// (murmur2 partitioning, like the Java client), psql reads the read tables,
// kcat reads the results. Nothing of ledgerflow's own client code involved.
#include <signal.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

std::string psql(const std::string& url, const std::string& sql) {
  auto [code, output] = run_command({"psql", url, "-X", "-A", "-t", "-c", sql}, 30s);
  EXPECT_EQ(code, 0) << sql;
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  return output;
}

// What `ledgerflow dev` prints on standard output before READY.
struct DevAddresses {
  std::string bootstrap;
  std::string url;
};

// Reads `ledgerflow dev`'s standard output up to READY; nullopt if it never
// gets there.
std::optional<DevAddresses> wait_ready(ChildProcess& dev) {
  DevAddresses addresses;
  while (std::optional<std::string> line = dev.read_line(120s)) {
    if (line->rfind("KAFKA_BOOTSTRAP=", 0) == 0) addresses.bootstrap = line->substr(16);
    if (line->rfind("DATABASE_URL=", 0) == 0) addresses.url = line->substr(13);
    if (*line == "READY") return addresses;
  }
  return std::nullopt;
}

// Produces each (key, command JSON) with kcat, partitioned by murmur2 like the
// Java client; kcat's exit code and output.
std::pair<int, std::string> kcat_produce(
    const std::string& bootstrap,
    const std::vector<std::pair<std::string, std::string>>& commands) {
  std::string lines;
  for (const auto& [key, json] : commands) lines += key + "\t" + json + "\n";
  return run_command({"kcat", "-P", "-b", bootstrap, "-t", "ledgerflow.commands", "-K", "\t", "-X",
                      "partitioner=murmur2_random"},
                     60s, lines);
}

// Waits until ledgerflow.results, read by kcat, holds a result for each id;
// `results` is what it read last, one result a line.
bool wait_for_results(const std::string& bootstrap, const std::vector<std::string>& command_ids,
                      std::string& results) {
  return wait_until(
      [&] {
        results = run_command({"kcat", "-C", "-b", bootstrap, "-t", "ledgerflow.results", "-o",
                               "beginning", "-e", "-q", "-f", "%s\\n"},
                              30s)
                      .second;
        for (const std::string& id : command_ids) {
          if (results.find("\"command_id\":\"" + id + "\"") == std::string::npos) return false;
        }
        return true;
      },
      30s);
}

TEST(Kcat, CommandsProducedByKcatShowUpAsBalancesInPostgres) {
  const std::string log =
      (std::filesystem::temp_directory_path() / "ledgerflow-kcat-dev.log").string();
  ChildProcess dev({ledgerflow_binary(), "dev", "--partitions", "4"}, {}, log);
  const std::optional<DevAddresses> ready = wait_ready(dev);
  ASSERT_TRUE(ready) << "ledgerflow dev did not become ready; see " << log;
  const std::string& bootstrap = ready->bootstrap;
  const std::string& url = ready->url;

  const std::string acme = random_tenant();
  const std::string globex = random_tenant();
  const int64_t now = system_now_ms();
  const std::vector<std::pair<std::string, std::string>> commands = {
      {acme, command_json("credits.allocate", acme, "k1", allocate_around(5000, now))},
      {acme, command_json("credits.topup", acme, "k2",
                          "{\"topup_order_id\":\"o-1\",\"credits\":1000}", "user:ops")},
      {acme, command_json("credits.reserve", acme, "k3",
                          "{\"reservation_id\":\"r-1\",\"credits\":700}", "agent:x")},
      {acme, command_json("credits.consume", acme, "k4",
                          "{\"reservation_id\":\"r-1\",\"credits\":500}", "agent:x")},
      {globex, command_json("credits.allocate", globex, "k5", allocate_around(300, now))},
      {globex, command_json("credits.reserve", globex, "k6",
                            "{\"reservation_id\":\"g-1\",\"credits\":400}")},
      {globex, command_json("credits.reserve", globex, "k7",
                            "{\"reservation_id\":\"g-2\",\"credits\":300}")},
  };
  auto [code, output] = kcat_produce(bootstrap, commands);
  ASSERT_EQ(code, 0) << output;

  // Acme: allocated, topup, reserved, released + consumed; Globex: allocated, reserved.
  ASSERT_TRUE(wait_until(
      [&] {
        return psql(url, "SELECT count(*) FROM credit_ledger WHERE tenant_id IN ('" + acme +
                             "', '" + globex + "')") == "7";
      },
      60s))
      << "the ledger did not fill; see " << log;
  // Acme: 5,000 + 1,000 top-up - 500 used (top-up first).
  EXPECT_EQ(
      psql(url,
           "SELECT credits_available || ',' || credits_reserved || ',' || credits_topup || ',' || "
           "effective_available FROM credit_balances WHERE tenant_id = '" +
               acme + "'"),
      "5500,0,500,5500");
  // Globex: 400 was refused, 300 is held.
  EXPECT_EQ(
      psql(url,
           "SELECT credits_available || ',' || credits_reserved || ',' || effective_available "
           "FROM credit_balances WHERE tenant_id = '" +
               globex + "'"),
      "300,300,0");
  EXPECT_EQ(psql(url, "SELECT sum(credits) FROM credit_ledger WHERE tenant_id = '" + acme + "'"),
            "5500");

  // Every command has a result on ledgerflow.results, readable by kcat too.
  std::string results;
  ASSERT_TRUE(wait_for_results(bootstrap, {"k1", "k2", "k3", "k4", "k5", "k6", "k7"}, results))
      << results;
  EXPECT_NE(results.find("\"reason\":\"insufficient_credits\""), std::string::npos);

  dev.signal(SIGTERM);
  EXPECT_EQ(dev.wait(60s), std::optional<int>(0))
      << "ledgerflow dev did not stop cleanly on SIGTERM";
}

// The workflow half from outside, in the seed platforms' shapes: a media buy
// with decimal budgets (the seed's amounts, read exactly) through its approval
// and live, an agent activity of normal priority with a credit-consuming run
// of a model with its cost, reviewed in a review step, and an approval nobody
// decides that expires and escalates on the engine's clock to the tenant's
// escalation reviewer.
TEST(Kcat, WorkflowProducedByKcatShowsUpInPostgres) {
  const std::string log =
      (std::filesystem::temp_directory_path() / "ledgerflow-kcat-workflow.log").string();
  ChildProcess dev({ledgerflow_binary(), "dev", "--partitions", "4"}, {}, log);
  const std::optional<DevAddresses> ready = wait_ready(dev);
  ASSERT_TRUE(ready) << "ledgerflow dev did not become ready; see " << log;
  const std::string& bootstrap = ready->bootstrap;
  const std::string& url = ready->url;

  const std::string tenant = random_tenant();
  auto command = [&](const std::string& type, const std::string& id, const std::string& payload,
                     const std::string& actor) {
    return std::pair{tenant, command_json(type, tenant, id, payload, actor)};
  };
  const std::string buy =
      R"({"media_buy_id":"mb-1","principal_id":"adv-acme","campaign_name":"Spring launch",)"
      R"("start_date":"2027-03-01","end_date":"2027-03-31","packages":[)"
      R"({"package_id":"ctv","product_id":"ctv-prime","budget":15000.00,)"
      R"("pricing":{"model":"cpm","rate_micros":32000000},"targeting":{"geo":["US-CA","US-NY"]}},)"
      R"({"package_id":"display","product_id":"display-ros","budget":"5000.5","pricing":{"model":"cpm"}}],)"
      R"("requires_approval":true})";
  const std::string activity =
      R"({"activity_id":"act-1","title":"Draft ad copy","type":"copywriting","assignee_type":"agent",)"
      R"("assignee_agent_role":"copywriter","priority":"normal"})";
  const std::vector<std::pair<std::string, std::string>> day = {
      command("credits.allocate", "w1", allocate_around(5000, system_now_ms()), "system"),
      command("media_buy.create", "w2", buy, "agent:media-buyer"),
      command("approval.approve", "w3",
              R"({"approval_id":"mb-1:approval","reviewed_by":"user:rita"})", "user:rita"),
      command("media_buy.activate", "w4", R"({"media_buy_id":"mb-1"})", "agent:media-buyer"),
      command("activity.create", "w5", activity, "user:maya"),
      command("activity.start", "w6", R"({"activity_id":"act-1"})", "agent:copywriter"),
      command(
          "activity.start_run", "w7",
          R"({"activity_id":"act-1","run_id":"run-1","estimated_credits":400,"adapter_type":"claude",)"
          R"("model_id":"claude-sonnet-4-6","session_id":"s-77"})",
          "agent:copywriter"),
      command("activity.finish_run", "w8",
              R"({"run_id":"run-1","status":"completed","credits_used":275,"input_tokens":4200,)"
              R"("output_tokens":800,"duration_ms":9000,"cost_usd":0.042318})",
              "agent:copywriter"),
      command("activity.submit_for_approval", "w9",
              R"({"activity_id":"act-1","reviewer_id":"user:rita"})", "agent:copywriter"),
      command("approval.approve", "w10",
              R"({"approval_id":"act-1:approval:1","reviewed_by":"user:rita"})", "user:rita"),
      command("activity.complete", "w11", R"({"activity_id":"act-1"})", "agent:copywriter"),
      command("tenant.configure", "w12", R"({"escalation_reviewer_id":"user:lee"})", "admin:ops"),
  };
  auto [code, output] = kcat_produce(bootstrap, day);
  ASSERT_EQ(code, 0) << output;
  // Its deadline taken from the clock just before it is produced: the engine
  // decides it well before then, and nobody decides it after.
  const std::string expires_at = format_rfc3339_ms(system_now_ms() + 3 * kMillisPerSecond);
  auto [review_code, review_output] = kcat_produce(
      bootstrap,
      {command(
          "approval.request", "w13",
          R"({"approval_id":"ap-1","subject":{"kind":"creative","id":"cr-9"},)"
          R"("type":"creative","risk_level":"high","title":"Hero banner","reviewer_id":"user:kim",)"
          R"("expires_at":")" +
              expires_at + "\"}",
          "user:maya")});
  ASSERT_EQ(review_code, 0) << review_output;

  // Every command was accepted.
  const std::vector<std::string> ids = {"w1", "w2", "w3",  "w4",  "w5",  "w6", "w7",
                                        "w8", "w9", "w10", "w11", "w12", "w13"};
  std::string results;
  ASSERT_TRUE(wait_for_results(bootstrap, ids, results)) << results;
  EXPECT_EQ(results.find("\"status\":\"rejected\""), std::string::npos) << results;

  // Settled: the buy live, the work and its review step completed, the run
  // completed, the balance charged the run's credits_used, two approvals
  // approved and one expired and escalated by the engine's timer (the
  // tenant's last record) to a pending follow-up, and one audit row per event
  // of the log.
  const std::string of_tenant = " WHERE tenant_id = '" + tenant + "'";
  const std::string settled =
      "SELECT concat_ws(' ', (SELECT status FROM media_buys" + of_tenant +
      "), (SELECT string_agg(status, ',' ORDER BY activity_id) FROM activities" + of_tenant +
      "), (SELECT status FROM activity_runs" + of_tenant +
      "), (SELECT b.effective_available = 5000 - r.credits_used FROM credit_balances b JOIN "
      "activity_runs r "
      "USING (tenant_id) WHERE b.tenant_id = '" +
      tenant + "'), (SELECT count(*) FROM approvals" + of_tenant +
      " AND status = 'approved'), (SELECT count(*) FROM approvals" + of_tenant +
      " AND status = 'expired' AND escalated_at IS NOT NULL), (SELECT count(*) FROM event_log" +
      of_tenant + " AND type = 'approval.escalated'), (SELECT count(*) FROM approvals" + of_tenant +
      " AND status = 'pending'), (SELECT count(*) FROM audit_log" + of_tenant +
      ") - (SELECT count(*) FROM event_log" + of_tenant + "))";
  ASSERT_TRUE(wait_until(
      [&] { return psql(url, settled) == "active completed,completed completed t 2 1 1 1 0"; }, 60s,
      100ms))
      << psql(url, settled) << "; see " << log;

  // The decimals kcat sent, exact: 15000.00 and "5000.5" US dollars.
  EXPECT_EQ(
      psql(url,
           "SELECT status || ' ' || budget_total || ' ' || budget_total_minor || ' ' || currency "
           "FROM media_buys" +
               of_tenant),
      "active 20000.50 2000050 USD");
  EXPECT_EQ(psql(url,
                 "SELECT string_agg(package_id || '=' || budget, ' ' ORDER BY package_id) "
                 "FROM media_buy_packages" +
                     of_tenant),
            "ctv=15000.00 display=5000.50");
  // The work and the review step the submission opened for Rita.
  EXPECT_EQ(
      psql(url,
           "SELECT string_agg(activity_id || ' ' || status || ' ' || priority || ' ' || "
           "is_approval_gate || ' ' || coalesce(assignee_user_id, assignee_agent_role), ', ' "
           "ORDER BY activity_id) FROM activities" +
               of_tenant),
      "act-1 completed normal false copywriter, act-1:review:1 completed normal true user:rita");
  EXPECT_EQ(psql(url,
                 "SELECT status || ' ' || credits_reserved || ' ' || credits_used || ' ' || "
                 "credits_charged || "
                 "' ' || input_tokens || ' ' || output_tokens || ' ' || duration_ms || ' ' || "
                 "adapter_type || "
                 "' ' || model_id || ' ' || session_id || ' ' || cost_usd FROM activity_runs" +
                     of_tenant),
            "completed 400 275 275 4200 800 9000 claude claude-sonnet-4-6 s-77 0.042318");
  // 5,000 allocated - 275 used; the rest of the 400 hold came back.
  EXPECT_EQ(psql(url,
                 "SELECT credits_reserved || ' ' || credits_consumed || ' ' || effective_available "
                 "FROM credit_balances" +
                     of_tenant),
            "0 275 4725");
  // ap-1 expired and escalated: its follow-up waits for the tenant's
  // escalation reviewer, Lee, for a fresh 72 h.
  EXPECT_EQ(
      psql(url,
           "SELECT string_agg(approval_id || ' ' || status || ' ' || type || ' ' || "
           "coalesce(reviewed_by, '-') || ' ' || coalesce(reviewer_id, '-') || ' ' || "
           "CASE WHEN escalated_at IS NULL THEN 'not-escalated' ELSE 'escalated' END || ' ' || "
           "coalesce(escalated_from, '-') || ' ' || coalesce(activity_id, '-'), ', ' "
           "ORDER BY approval_id COLLATE \"C\") FROM approvals" +
               of_tenant),
      "act-1:approval:1 approved content_review user:rita user:rita not-escalated - "
      "act-1:review:1, "
      "ap-1 expired creative - user:kim escalated - -, "
      "ap-1:escalation:1 pending creative - user:lee not-escalated ap-1 -, "
      "mb-1:approval approved media_buy user:rita - not-escalated - -");
  EXPECT_EQ(psql(url, "SELECT expires_at - created_on = interval '72 hours' FROM approvals" +
                          of_tenant + " AND approval_id = 'ap-1:escalation:1'"),
            "t");
  // The audit log holds exactly the events of the log, all successes.
  EXPECT_EQ(psql(url,
                 "SELECT count(*) FROM event_log e JOIN audit_log a USING (tenant_id, event_id) "
                 "WHERE e.tenant_id = '" +
                     tenant + "'"),
            psql(url, "SELECT count(*) FROM event_log" + of_tenant));
  EXPECT_EQ(psql(url, "SELECT count(*) FROM audit_log" + of_tenant + " AND NOT success"), "0");
  EXPECT_EQ(
      psql(url, "SELECT count(*) FROM event_log" + of_tenant + " AND type = 'approval.expired'"),
      "1");

  dev.signal(SIGTERM);
  EXPECT_EQ(dev.wait(60s), std::optional<int>(0))
      << "ledgerflow dev did not stop cleanly on SIGTERM";
}

}  // namespace
}  // namespace lf::testing
