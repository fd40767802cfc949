// Timers survive kill -9 and fire exactly once. Engines run as processes
// against `ledgerflow dev --infra-only`; the later engines run their decision
// clock ahead (--clock-offset-ms), so no test waits 72 hours and none races
// the wall clock:
//   engine-1 (now)       accepts approvals (72 h expiry), media buys that
//                        need approval, and runs holding credits (2 h);
//   kill -9 engine-1;
//   engine-2 (now + 73h) takes the partitions over and fires every timer;
//   kill -9 engine-2 as soon as the first firing is visible;
//   engine-3 (now + 74h) takes over again and must fire nothing twice.
#include <signal.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "consumers/client/command_client.hpp"
#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/fleet.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/pipeline/ledger_checks.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kPartitions = 4;
constexpr int kTenants = 8;

int64_t count(pqxx::connection& db, const std::string& sql) {
  pqxx::work work(db);
  return work.exec1(sql)[0].as<int64_t>();
}

TEST(TimersCrash, TimersFireExactlyOnceAcrossKillNineAndPartitionMoves) {
  const std::filesystem::path logs =
      std::filesystem::temp_directory_path() / ("ledgerflow-timers-" + std::to_string(::getpid()));
  std::filesystem::create_directories(logs);
  SCOPED_TRACE("process logs in " + logs.string());
  Infrastructure infra(logs, kPartitions);
  ASSERT_FALSE(infra.bootstrap().empty());
  kafka::Settings settings;
  settings.bootstrap = infra.bootstrap();
  Fleet fleet(infra, logs);
  fleet.start("engine", 1);
  fleet.start("projector", 1);

  client::CommandClient client(settings, kafka::Topics{}, "timers-crash-test");
  const int64_t now = system_now_ms();
  std::vector<std::string> tenants;
  std::vector<std::string> ids;
  auto send = [&](const std::string& tenant, const std::string& type, const std::string& id,
                  const std::string& payload) {
    const std::string json = command_json(type, tenant, id, payload, "user:ops", now);
    client.send(tenant, json);
    ids.push_back(id);
  };
  for (int i = 0; i < kTenants; ++i) {
    const std::string tenant = random_tenant();
    tenants.push_back(tenant);
    const std::string t = std::to_string(i);
    send(tenant, "credits.allocate", "alloc-" + t,
         "{\"credits_monthly\":1000,\"period_start\":" +
             quoted(format_rfc3339_ms(now - kMillisPerDay)) +
             ",\"period_end\":" + quoted(format_rfc3339_ms(now + 30 * kMillisPerDay)) + "}");
    send(tenant, "approval.request", "ap-" + t,
         "{\"approval_id\":\"ap\",\"subject\":{\"kind\":\"creative\",\"id\":\"cr\"},\"type\":"
         "\"creative\","
         "\"risk_level\":\"medium\",\"title\":\"Banner\"}");
    send(tenant, "media_buy.create", "mb-" + t,
         "{\"media_buy_id\":\"mb\",\"principal_id\":\"adv\",\"campaign_name\":\"c\",\"start_date\":"
         "\"2027-01-01\","
         "\"end_date\":\"2027-01-31\",\"packages\":[{\"package_id\":\"p\",\"product_id\":\"x\","
         "\"budget\":100}],"
         "\"requires_approval\":true}");
    send(tenant, "activity.create", "act-" + t,
         "{\"activity_id\":\"act\",\"title\":\"t\",\"type\":\"research\",\"assignee_type\":"
         "\"agent\","
         "\"assignee_agent_role\":\"researcher\",\"priority\":\"medium\",\"is_approval_gate\":"
         "false}");
    send(tenant, "activity.start", "start-" + t, "{\"activity_id\":\"act\"}");
    send(tenant, "activity.start_run", "run-" + t,
         "{\"activity_id\":\"act\",\"run_id\":\"run\",\"estimated_credits\":400,\"expires_at\":" +
             quoted(format_rfc3339_ms(now + 2 * kMillisPerHour)) + "}");
  }
  client.flush();
  std::map<std::string, ResultEnvelope> results = client.await(ids, 120'000);
  ASSERT_EQ(results.size(), ids.size());
  for (const auto& [id, result] : results) {
    ASSERT_EQ(result.status, ResultStatus::accepted)
        << id << ": " << result.reason << " " << result.message;
  }

  fleet.kill9("engine-1");
  fleet.start("engine", 2, {"--clock-offset-ms", std::to_string(73 * kMillisPerHour)});
  pqxx::connection db(infra.database_url());
  // The first firings are visible: kill engine-2 in the middle of its work.
  ASSERT_TRUE(wait_until(
      [&] { return count(db, "SELECT count(*) FROM approvals WHERE status = 'expired'") > 0; },
      120s))
      << "engine-2 fired nothing (see " << logs.string() << ")";
  fleet.kill9("engine-2");
  fleet.start("engine", 3, {"--clock-offset-ms", std::to_string(74 * kMillisPerHour)});

  // A command per tenant after the takeover: engine-3 has the partitions.
  std::vector<std::string> after;
  for (int i = 0; i < kTenants; ++i) {
    const std::string id = "after-" + std::to_string(i);
    client.send(tenants[i], command_json("audit.record", tenants[i], id,
                                         "{\"operation\":\"check\",\"resource_type\":\"tenant\","
                                         "\"resource_id\":\"t\",\"success\":true}",
                                         "system", now + 74 * kMillisPerHour));
    after.push_back(id);
  }
  client.flush();
  EXPECT_EQ(client.await(after, 120'000).size(), after.size());
  ASSERT_TRUE(
      wait_until([&] { return projections_caught_up(settings, db, "timers-crash-probe"); }, 120s));

  // Each timer fired exactly once, whoever owned the partition.
  EXPECT_EQ(
      count(db,
            "SELECT count(*) FROM approvals WHERE status = 'expired' AND escalated_at IS NOT NULL"),
      2 * kTenants);
  EXPECT_EQ(count(db, "SELECT count(*) FROM event_log WHERE type = 'approval.expired'"),
            2 * kTenants);
  EXPECT_EQ(count(db, "SELECT count(*) FROM event_log WHERE type = 'approval.escalated'"),
            2 * kTenants);
  EXPECT_EQ(count(db, "SELECT count(*) FROM event_log WHERE type = 'activity.run_finished'"),
            kTenants);
  EXPECT_EQ(count(db, "SELECT count(*) FROM activity_runs WHERE status = 'timed_out'"), kTenants);
  EXPECT_EQ(
      count(db,
            "SELECT count(*) FROM credit_ledger WHERE type = 'released' AND reason = 'expired'"),
      kTenants);
  EXPECT_EQ(count(db,
                  "SELECT count(*) FROM credit_balances WHERE credits_reserved = 0 AND "
                  "effective_available = 1000"),
            kTenants);
  EXPECT_EQ(count(db, "SELECT count(*) FROM media_buys WHERE status = 'pending'"), kTenants);
  // Nothing fired twice: no (tenant, stream, type) of a timer event appears in two records.
  EXPECT_EQ(count(db,
                  "SELECT count(*) FROM (SELECT tenant_id, stream, type FROM event_log "
                  "WHERE command_id LIKE 'timer/%' GROUP BY 1, 2, 3 HAVING count(*) > 1) twice"),
            0);
  // And the read tables equal the fold of the log.
  expect_tables_equal_log(settings, db);
  EXPECT_TRUE(fleet.crashed().empty()) << fleet.crashed().front();
}

}  // namespace
}  // namespace lf::testing
