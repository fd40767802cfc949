// An external Kafka client drives `ledgerflow dev`: kcat produces commands
// (murmur2 partitioning, like the Java client), psql reads the read tables,
// kcat reads the results. Nothing of ledgerflow's own client code involved.
#include <signal.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "events/time.hpp"
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

TEST(Kcat, CommandsProducedByKcatShowUpAsBalancesInPostgres) {
  const std::string log = (std::filesystem::temp_directory_path() / "ledgerflow-kcat-dev.log").string();
  ChildProcess dev({ledgerflow_binary(), "dev", "--partitions", "4"}, {}, log);
  std::string bootstrap;
  std::string url;
  bool ready = false;
  while (std::optional<std::string> line = dev.read_line(120s)) {
    if (line->rfind("KAFKA_BOOTSTRAP=", 0) == 0) bootstrap = line->substr(16);
    if (line->rfind("DATABASE_URL=", 0) == 0) url = line->substr(13);
    if (*line == "READY") {
      ready = true;
      break;
    }
  }
  ASSERT_TRUE(ready) << "ledgerflow dev did not become ready; see " << log;

  const std::string acme = random_tenant();
  const std::string globex = random_tenant();
  const int64_t now = system_now_ms();
  const std::string period = "\"period_start\":\"" + format_rfc3339_ms(now - kMillisPerDay) + "\",\"period_end\":\"" +
                             format_rfc3339_ms(now + 20 * kMillisPerDay) + "\"";
  const std::vector<std::pair<std::string, std::string>> commands = {
      {acme, command_json("credits.allocate", acme, "k1", "{\"credits_monthly\":5000," + period + "}")},
      {acme, command_json("credits.topup", acme, "k2", "{\"topup_order_id\":\"o-1\",\"credits\":1000}", "user:ops")},
      {acme, command_json("credits.reserve", acme, "k3", "{\"reservation_id\":\"r-1\",\"credits\":700}", "agent:x")},
      {acme, command_json("credits.consume", acme, "k4", "{\"reservation_id\":\"r-1\",\"credits\":500}", "agent:x")},
      {globex, command_json("credits.allocate", globex, "k5", "{\"credits_monthly\":300," + period + "}")},
      {globex, command_json("credits.reserve", globex, "k6", "{\"reservation_id\":\"g-1\",\"credits\":400}")},
      {globex, command_json("credits.reserve", globex, "k7", "{\"reservation_id\":\"g-2\",\"credits\":300}")},
  };
  std::string lines;
  for (const auto& [key, json] : commands) lines += key + "\t" + json + "\n";
  auto [code, output] = run_command({"kcat", "-P", "-b", bootstrap, "-t", "ledgerflow.commands", "-K", "\t", "-X",
                                     "partitioner=murmur2_random"},
                                    60s, lines);
  ASSERT_EQ(code, 0) << output;

  // Acme: allocated, topup, reserved, released + consumed; Globex: allocated, reserved.
  ASSERT_TRUE(wait_until(
      [&] {
        return psql(url, "SELECT count(*) FROM credit_ledger WHERE tenant_id IN ('" + acme + "', '" + globex +
                             "')") == "7";
      },
      60s))
      << "the ledger did not fill; see " << log;
  // Acme: 5,000 + 1,000 top-up - 500 used (top-up first).
  EXPECT_EQ(psql(url, "SELECT credits_available || ',' || credits_reserved || ',' || credits_topup || ',' || "
                      "effective_available FROM credit_balances WHERE tenant_id = '" + acme + "'"),
            "5500,0,500,5500");
  // Globex: 400 was refused, 300 is held.
  EXPECT_EQ(psql(url, "SELECT credits_available || ',' || credits_reserved || ',' || effective_available "
                      "FROM credit_balances WHERE tenant_id = '" + globex + "'"),
            "300,300,0");
  EXPECT_EQ(psql(url, "SELECT sum(credits) FROM credit_ledger WHERE tenant_id = '" + acme + "'"), "5500");

  // Every command has a result on ledgerflow.results, readable by kcat too.
  std::string results;
  ASSERT_TRUE(wait_until(
      [&] {
        results = run_command({"kcat", "-C", "-b", bootstrap, "-t", "ledgerflow.results", "-o", "beginning", "-e",
                               "-q", "-f", "%s\\n"},
                              30s)
                      .second;
        for (const char* id : {"k1", "k2", "k3", "k4", "k5", "k6", "k7"}) {
          if (results.find(std::string("\"command_id\":\"") + id + "\"") == std::string::npos) return false;
        }
        return true;
      },
      30s))
      << results;
  EXPECT_NE(results.find("\"reason\":\"insufficient_credits\""), std::string::npos);

  dev.signal(SIGTERM);
  EXPECT_EQ(dev.wait(60s), std::optional<int>(0)) << "ledgerflow dev did not stop cleanly on SIGTERM";
}

}  // namespace
}  // namespace lf::testing
