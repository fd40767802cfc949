// kill -9 of engines and projectors at random points under load, as separate
// processes against `ledgerflow dev --infra-only`: afterwards the read tables
// equal the fold of the log, every command is decided exactly once, nothing
// is lost, nothing doubled, no tenant overdrawn.
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "bench/workload.hpp"
#include "consumers/client/command_client.hpp"
#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/fleet.hpp"
#include "tests/support/pipeline/ledger_checks.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kPartitions = 12;
constexpr int kTenants = 120;
constexpr int kCommands = 20'000;

uint64_t seed_from_environment() {
  const char* text = std::getenv("LEDGERFLOW_SEED");
  return text ? std::strtoull(text, nullptr, 10) : std::random_device{}();
}

TEST(Crash, KillNineOfEnginesAndProjectorsUnderLoadLosesAndDoublesNothing) {
  const uint64_t seed = seed_from_environment();
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(seed));
  const std::filesystem::path logs =
      std::filesystem::temp_directory_path() / ("ledgerflow-crash-" + std::to_string(seed));
  std::filesystem::create_directories(logs);
  SCOPED_TRACE("process logs in " + logs.string());

  Infrastructure infra(logs, kPartitions);
  ASSERT_FALSE(infra.bootstrap().empty());
  kafka::Settings settings;
  settings.bootstrap = infra.bootstrap();
  Fleet fleet(infra, logs);
  const std::vector<std::string> members = {"engine-1", "engine-2", "projector-1", "projector-2"};
  for (const std::string& name : members) fleet.restart(name);

  client::CommandClient client(settings, kafka::Topics{}, "crash-test-load");
  workload::CreditsWorkload load(seed, kTenants, system_now_ms());
  load.set_runs_share(20);  // a fifth of the load: agent runs reserving and consuming credits
  std::vector<std::string> ids;
  std::map<std::string, std::string> tenant_of;
  for (const auto& [key, json] : load.allocations()) {
    client.send(key, json);
    ids.push_back(command_id_of(json));
    tenant_of[ids.back()] = key;
  }
  client.flush();

  // ~1,000 commands a second while a member is killed every ~2.5 s.
  std::mt19937_64 chaos(seed ^ 0x9e3779b97f4a7c15ULL);
  int engine_kills = 0;
  int projector_kills = 0;
  auto next_kill = std::chrono::steady_clock::now() + 3s;
  for (int sent = 0; sent < kCommands; sent += 100) {
    for (int i = 0; i < 100; ++i) {
      auto [key, json] = load.next();
      client.send(key, json);
      ids.push_back(command_id_of(json));
      tenant_of[ids.back()] = key;
    }
    client.flush();
    client.poll_results(0);
    if (std::chrono::steady_clock::now() >= next_kill) {
      const bool engine = engine_kills <= projector_kills;
      const std::string victim =
          (engine ? "engine-" : "projector-") + std::to_string(1 + chaos() % 2);
      fleet.kill9(victim);
      fleet.restart(victim);
      (engine ? engine_kills : projector_kills) += 1;
      next_kill =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(1500 + chaos() % 2000);
    }
    std::this_thread::sleep_for(100ms);  // pacing the load, not synchronising
  }
  EXPECT_GE(engine_kills, 3);
  EXPECT_GE(projector_kills, 3);
  EXPECT_TRUE(fleet.crashed().empty()) << "a service died on its own: " << fleet.crashed().front();

  // Every command gets an answer...
  std::map<std::string, ResultEnvelope> results = client.await(ids, 300'000);
  EXPECT_EQ(results.size(), ids.size()) << "commands without a result";
  if (results.size() != ids.size()) {
    // Which partitions, and is the result in the topic at all?
    std::map<std::string, int> on_topic;
    kafka::Consumer reader(settings, "crash-test-results", "");
    for (int32_t partition = 0; partition < kPartitions; ++partition) {
      const kafka::Watermarks marks = reader.watermarks("ledgerflow.results", partition);
      if (marks.high == marks.low) continue;
      reader.assign({{"ledgerflow.results", partition, marks.low}});
      int64_t next = marks.low;
      std::vector<kafka::MessagePtr> messages;
      while (next < marks.high) {
        messages.clear();
        reader.poll_batch(messages, 10'000, 1000);
        for (const kafka::MessagePtr& message : messages) {
          next = message->offset + 1;
          Result<ResultEnvelope> result = decode_result(kafka::message_value(*message));
          if (result) ++on_topic[result->command_id];
        }
      }
      std::printf("results partition %d: offsets %lld..%lld\n", partition,
                  static_cast<long long>(marks.low), static_cast<long long>(marks.high));
    }
    std::map<int32_t, std::pair<int, int>>
        missing;  // partition -> (missing, of which on the topic)
    for (const std::string& id : ids) {
      if (results.count(id) != 0) continue;
      auto& entry = missing[partition_for_key(tenant_of[id], kPartitions)];
      ++entry.first;
      entry.second += on_topic.count(id) != 0;
      if (entry.first <= 5)
        std::printf("missing result: %s (on topic: %d)\n", id.c_str(), on_topic[id]);
    }
    for (const auto& [partition, counts] : missing) {
      std::printf("commands partition %d: %d results missing, %d of them on the results topic\n",
                  partition, counts.first, counts.second);
    }
  }
  pqxx::connection db(infra.database_url());
  ASSERT_TRUE(
      wait_until([&] { return projections_caught_up(settings, db, "crash-test-probe"); }, 180s));

  // ...the read tables equal the fold of the log, every command is decided
  // exactly once (nothing lost, nothing doubled), no tenant is overdrawn or
  // off its ledger...
  const FoldFigures fold =
      expect_ledger_intact(settings, db, static_cast<int64_t>(ids.size()), kTenants);
  pqxx::work work(db);
  // Runs and their holds moved together: a running run holds an open
  // reservation of its estimate, a finished one holds none.
  EXPECT_GT(
      work.exec1("SELECT count(*) FROM activity_runs WHERE status = 'completed'")[0].as<int64_t>(),
      100);
  EXPECT_EQ(
      work.exec1("SELECT count(*) FROM activity_runs r LEFT JOIN credit_reservations c "
                 "ON c.tenant_id = r.tenant_id AND c.reservation_id = r.reservation_id "
                 "WHERE c.reservation_id IS NULL OR (r.status = 'running') <> (c.status = 'open') "
                 "OR c.credits <> r.credits_reserved "
                 "OR (r.status = 'completed' AND c.status = 'consumed' AND c.credits_consumed <> "
                 "r.credits_charged)")[0]
          .as<int64_t>(),
      0);
  std::cout << "[ crash    ] seed " << seed << ": " << ids.size() << " commands, " << engine_kills
            << " engine and " << projector_kills << " projector kill -9s, " << fold.accepted
            << " records accepted, " << fold.ignored << " ignored\n";
}

}  // namespace
}  // namespace lf::testing
