// The whole path in one test process: a mock cluster with fresh topics, a
// fresh database, the engine and the projector on background threads, and a
// command client. Each test builds its own Pipeline, so tests never share
// data.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/client/command_client.hpp"
#include "consumers/engine/engine_service.hpp"
#include "consumers/projector/projector.hpp"
#include "consumers/verify/fold.hpp"
#include "tests/support/kafka_fixture.hpp"

namespace lf::testing {

// A clock tests move by hand (the engine reads it for every decision).
class ManualClock {
 public:
  explicit ManualClock(int64_t start_ms) : now_ms_(start_ms) {}
  int64_t now() const { return now_ms_.load(); }
  void advance(int64_t delta_ms) { now_ms_ += delta_ms; }
  std::function<int64_t()> function() {
    return [this] { return now_ms_.load(); };
  }

 private:
  std::atomic<int64_t> now_ms_;
};

// Runs a service (EngineService or Projector) on its own thread until stop().
class ServiceRunner {
 public:
  template <typename Service>
  explicit ServiceRunner(std::unique_ptr<Service> service) {
    Service* raw = service.get();
    holder_ =
        std::shared_ptr<void>(service.release(), [](void* p) { delete static_cast<Service*>(p); });
    thread_ = std::thread([this, raw] {
      try {
        raw->run(stop_);
      } catch (const std::exception& error) {
        failure_ = error.what();
      }
    });
  }
  ~ServiceRunner() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // What ended the service early, if anything.
  const std::string& failure() const { return failure_; }

 private:
  std::atomic<bool> stop_{false};
  std::shared_ptr<void> holder_;
  std::thread thread_;
  std::string failure_;
};

struct PipelineOptions {
  int partitions = 4;
  int brokers = 3;
  bool engine = true;
  bool projector = true;
  std::function<int64_t()> clock;  // the engine's clock; default: system
  int64_t snapshot_every_records = 2000;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options = {});
  ~Pipeline();

  MockKafka& kafka() { return kafka_; }
  const kafka::Topics& topics() const { return topics_; }
  const std::string& database_url() const { return database_url_; }
  client::CommandClient& client() { return *client_; }
  int partitions() const { return options_.partitions; }

  engine_service::Options engine_options(const std::string& client_id = "engine-under-test") const;
  projector::Options projector_options(const std::string& client_id = "projector-under-test") const;
  // Starts one more engine (or projector) in the group, on its own thread.
  void start_engine(engine_service::Options options);
  void start_projector(projector::Options options);
  // Stops the engine started with this client_id (it leaves the group).
  void stop_engine(const std::string& client_id);
  void stop_services();
  // Failures of services that ended early ("" if none).
  std::string service_failures() const;

  // Sends each command (JSON) keyed by its tenant and waits for its result.
  std::map<std::string, ResultEnvelope> submit(
      const std::vector<std::pair<std::string, std::string>>& tenant_and_json,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ResultEnvelope submit_one(const std::string& tenant_id, const std::string& json,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // True once every projection has read every partition of the events
  // topic up to its current end.
  bool wait_projected(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Folds the events topic and diffs it against the read tables.
  std::vector<verify::Difference> verify(std::size_t limit = 20);
  verify::Fold fold();

  pqxx::connection& db();

 private:
  PipelineOptions options_;
  MockKafka kafka_;
  kafka::Topics topics_;
  std::string database_url_;
  std::unique_ptr<pqxx::connection> db_;
  std::vector<std::unique_ptr<ServiceRunner>> services_;
  std::map<std::string, ServiceRunner*> engines_;
  std::unique_ptr<client::CommandClient> client_;
};

// The sum of the tenant's credit_ledger credits.
int64_t ledger_sum(pqxx::connection& db, const std::string& tenant);
// The integer `sql` (with $1 the tenant) reads.
int64_t count_of(pqxx::connection& db, const std::string& sql, const std::string& tenant);

// A random lower-case UUID (fresh tenants per test).
std::string random_tenant();
// The (tenant, command id) of a command JSON.
std::string command_id_of(const std::string& json);

// Runs the `ledgerflow` binary against the pipeline as an operator does
// (KAFKA_BOOTSTRAP, DATABASE_URL and the topic prefix in its environment,
// at most 300 s): its exit code and what it wrote, standard error (the log,
// progress, errors) and output together.
std::pair<int, std::string> run_ledgerflow(Pipeline& pipeline, const std::vector<std::string>& args,
                                           const std::string& log_level = "info");

}  // namespace lf::testing
