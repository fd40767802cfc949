// PostgreSQL faults under load: the database restarted (fast and immediate
// shutdown), backends terminated in the middle of the projectors' batches
// and the engines' snapshots, commits whose outcome the client cannot know,
// and the database unreachable for a minute. Engines and projectors run as
// processes against `ledgerflow dev --infra-only` and a PostgreSQL server of
// the test's own (so it can be stopped); none may exit, /healthz must say
// when the database is down, and afterwards every command has exactly one
// decision, the read tables equal the fold of the log and every balance the
// ledger's sum.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <pqxx/pqxx>

#include "bench/workload.hpp"
#include "consumers/client/command_client.hpp"
#include "consumers/os/ports.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/temp_server.hpp"
#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/fleet.hpp"
#include "tests/support/pipeline/ledger_checks.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kPartitions = 6;
constexpr int kTenants = 60;

uint64_t seed_from_environment() {
  const char* text = std::getenv("LEDGERFLOW_SEED");
  return text ? std::strtoull(text, nullptr, 10) : std::random_device{}();
}

// GET /healthz: the status, or 0 when the service does not answer.
int healthz(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  const httplib::Result response = client.Get("/healthz");
  return response ? response->status : 0;
}

// A gauge of GET /metrics (a sample without labels), or -1 when the service
// does not answer or has no such sample.
int64_t gauge(int port, const std::string& name) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  const httplib::Result response = client.Get("/metrics");
  if (!response || response->status != 200) return -1;
  std::istringstream lines(response->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stoll(line.substr(name.size() + 1));
  }
  return -1;
}

// A throwaway PostgreSQL the test can stop, the mock cluster in
// `ledgerflow dev --infra-only` on it, two engines and two projectors with
// their metrics endpoints, and a client sending a steady credits load.
class PgFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = seed_from_environment();
    logs_ = std::filesystem::temp_directory_path() /
            ("ledgerflow-pg-faults-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
             std::to_string(seed_));
    std::filesystem::create_directories(logs_);
    pg::TempServerOptions options;
    options.durable = true;  // an immediate shutdown must lose nothing committed
    server_.emplace(options);
    infra_.emplace(logs_, kPartitions, server_->url());
    ASSERT_FALSE(infra_->bootstrap().empty());
    settings_.bootstrap = infra_->bootstrap();
    fleet_.emplace(*infra_, logs_);
    for (const std::string& name : members_) {
      ports_[name] = os::free_loopback_port();
      std::vector<std::string> extra{"--metrics-port", std::to_string(ports_[name]),
                                     "--metrics-address", "127.0.0.1"};
      // Frequent snapshots, so terminations and restarts land on them too.
      if (name.rfind("engine", 0) == 0)
        extra.insert(extra.end(), {"--snapshot-every-records", "300"});
      fleet_->start(name.substr(0, name.find('-')), std::stoi(name.substr(name.find('-') + 1)),
                    extra);
    }
    for (const std::string& name : members_) {
      ASSERT_TRUE(wait_until([&] { return healthz(ports_[name]) == 200; }, 60s, 100ms))
          << name << " never answered /healthz (logs in " << logs_ << ")";
    }
    // Every commands partition owned, by both engines, before the load: an
    // engine given a partition while the database is down waits for it to
    // load the snapshot (docs/reliability.md), so a group still settling
    // when a fault lands would answer nothing during it.
    ASSERT_TRUE(wait_until(
        [&] {
          int64_t owned = 0;
          for (const std::string& name : members_) {
            if (name.rfind("engine", 0) != 0) continue;
            const int64_t partitions = gauge(ports_[name], "ledgerflow_engine_partitions_owned");
            if (partitions <= 0) return false;
            owned += partitions;
          }
          return owned == kPartitions;
        },
        60s, 100ms))
        << "the engines never shared the commands partitions (logs in " << logs_ << ")";
    client_.emplace(settings_, kafka::Topics{}, "pg-faults-load");
    load_.emplace(seed_, kTenants, system_now_ms());
    load_->set_runs_share(20);
    for (const auto& [key, json] : load_->allocations()) send(key, json);
    client_->flush();
  }

  void send(const std::string& key, const std::string& json) {
    client_->send(key, json);
    ids_.push_back(command_id_of(json));
  }

  // Sends ~500 commands a second for `duration`, while `fault` runs on a
  // thread of its own (it stops and starts the server, terminates backends).
  void load_during(std::chrono::seconds duration, const std::function<void()>& fault) {
    std::atomic<bool> fault_done{false};
    std::thread injector([&] {
      std::this_thread::sleep_for(2s);  // the fault lands in the middle of the load, not before it
      fault();
      fault_done = true;
    });
    const auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end || !fault_done) {
      for (int i = 0; i < 50; ++i) {
        auto [key, json] = load_->next();
        send(key, json);
      }
      client_->flush();
      client_->poll_results(0);
      client_results_ = client_->results().size();
      std::this_thread::sleep_for(100ms);  // pacing the load, not synchronising
    }
    injector.join();
  }

  // Nothing lost, nothing doubled, no service gone, the tables true to the log.
  void expect_intact() {
    EXPECT_TRUE(fleet_->crashed().empty())
        << "a service exited on its own: " << fleet_->crashed().front() << " (logs in " << logs_
        << ")";
    const std::map<std::string, ResultEnvelope> results = client_->await(ids_, 300'000);
    EXPECT_EQ(results.size(), ids_.size()) << "commands without a result";
    pqxx::connection db(server_->url());
    ASSERT_TRUE(wait_until([&] { return projections_caught_up(settings_, db, "pg-faults-probe"); },
                           180s, 200ms))
        << "the projectors did not catch up (logs in " << logs_ << ")";
    for (const std::string& name : members_) {
      EXPECT_TRUE(wait_until([&] { return healthz(ports_[name]) == 200; }, 30s, 100ms))
          << name << "'s /healthz did not recover";
    }

    const FoldFigures fold =
        expect_ledger_intact(settings_, db, static_cast<int64_t>(ids_.size()), kTenants);
    std::cout << "[ pg fault ] seed " << seed_ << ": " << ids_.size() << " commands, "
              << fold.accepted << " records accepted, " << fold.ignored << " ignored\n";
  }

  // Terminates the backends running a statement that matches `pattern`
  // (ILIKE), other than the test's own; how many it terminated.
  int64_t terminate(pqxx::connection& db, const std::string& pattern) {
    pqxx::nontransaction work(db);
    return work
        .exec_params1(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'active' AND query ILIKE $1",
            pattern)[0]
        .as<int64_t>();
  }

  uint64_t seed_ = 0;
  std::filesystem::path logs_;
  std::optional<pg::TempServer> server_;
  std::optional<Infrastructure> infra_;
  std::optional<Fleet> fleet_;
  kafka::Settings settings_;
  const std::vector<std::string> members_ = {"engine-1", "engine-2", "projector-1", "projector-2"};
  std::map<std::string, int> ports_;
  std::optional<client::CommandClient> client_;
  std::optional<workload::CreditsWorkload> load_;
  std::vector<std::string> ids_;
  std::atomic<std::size_t> client_results_{
      0};  // results received, as of the load loop's last round
};

TEST_F(PgFaults, FastRestartUnderLoad) {
  load_during(8s, [&] {
    server_->shut_down("fast");
    server_->start_again();
  });
  expect_intact();
}

TEST_F(PgFaults, ImmediateShutdownUnderLoad) {
  // The server dies as in a power cut (no checkpoint); recovery replays its WAL.
  load_during(8s, [&] {
    server_->shut_down("immediate");
    server_->start_again();
  });
  expect_intact();
}

TEST_F(PgFaults, BackendsTerminatedInTheMiddleOfBatchesAndSnapshots) {
  int64_t copies = 0;
  int64_t snapshots = 0;
  int64_t others = 0;
  load_during(5s, [&] {
    pqxx::connection db(server_->url());
    // Until both kinds were hit a few times (bounded): a projector's batch
    // (its COPY into a read table) and an engine's snapshot.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while ((copies < 3 || snapshots < 3) && std::chrono::steady_clock::now() < deadline) {
      copies += terminate(db, "COPY %");
      snapshots += terminate(db, "%engine_%");
      // Checkpoint updates, parking, version checks: whatever else runs.
      if (copies + snapshots > 0 && others < 3) others += terminate(db, "%projection_checkpoints%");
      std::this_thread::sleep_for(5ms);  // a tight poll of pg_stat_activity, not a synchronisation
    }
  });
  std::cout << "[ pg fault ] terminated " << copies << " COPYs, " << snapshots
            << " snapshot writes, " << others << " checkpoint updates\n";
  EXPECT_GE(copies, 3) << "no projector batch was caught in its COPY";
  EXPECT_GE(snapshots, 3) << "no engine snapshot was caught";
  expect_intact();
}

TEST_F(PgFaults, CommitOutcomeUnknown) {
  // A deferred trigger on the projectors' positions terminates its own
  // backend while COMMIT runs: the client sees its connection drop in the
  // middle of the commit (libpqxx: in_doubt_error) and cannot know whether
  // the batch landed; the positions in PostgreSQL must settle it. A sequence
  // counts the kills (it is not rolled back with the transaction).
  {
    pqxx::connection db(server_->url());
    pqxx::work work(db);
    work.exec("CREATE SEQUENCE fault_commit_kills");
    work.exec(
        "CREATE FUNCTION fault_kill_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF nextval('fault_commit_kills') <= 5 THEN PERFORM "
        "pg_terminate_backend(pg_backend_pid()); "
        "PERFORM pg_sleep(5); END IF; RETURN NULL; END $$");
    work.exec(
        "CREATE CONSTRAINT TRIGGER fault_kill_at_commit AFTER UPDATE ON projection_checkpoints "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fault_kill_at_commit()");
    work.commit();
  }
  load_during(8s, [&] {
    pqxx::connection db(server_->url());
    ASSERT_TRUE(wait_until(
        [&] {
          pqxx::nontransaction work(db);
          return work.exec1("SELECT last_value >= 5 AND is_called FROM fault_commit_kills")[0]
              .as<bool>();
        },
        60s, 50ms))
        << "the commits were not interrupted";
  });
  {
    pqxx::connection db(server_->url());
    pqxx::work work(db);
    work.exec("DROP TRIGGER fault_kill_at_commit ON projection_checkpoints");
    work.commit();
  }
  int uncertain = 0;
  for (const char* name : {"projector-1", "projector-2"}) {
    std::ifstream log(logs_ / (std::string(name) + ".log"));
    for (std::string line; std::getline(log, line);)
      uncertain += line.find("commit outcome unknown") != std::string::npos;
  }
  EXPECT_GE(uncertain, 1) << "no projector saw a commit of unknown outcome";
  expect_intact();
}

TEST_F(PgFaults, DatabaseUnreachableForAMinute) {
  int64_t results_while_down = 0;
  load_during(10s, [&] {
    server_->shut_down("fast");
    const auto back_at = std::chrono::steady_clock::now() + 60s;
    // /healthz says so, on every service, within seconds.
    for (const std::string& name : members_) {
      EXPECT_TRUE(wait_until([&] { return healthz(ports_[name]) == 503; }, 30s, 100ms))
          << name << "'s /healthz did not report the outage";
    }
    const std::size_t results_at_outage = client_results_.load();
    std::this_thread::sleep_until(back_at);  // the outage itself: a minute without the database
    results_while_down = static_cast<int64_t>(client_results_.load() - results_at_outage);
    server_->start_again();
  });
  // The engines decide without the database (they need it only to load and
  // save snapshots): answers kept coming during the outage.
  EXPECT_GT(results_while_down, 0);
  expect_intact();
}

}  // namespace
}  // namespace lf::testing
