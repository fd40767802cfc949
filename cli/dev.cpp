// `ledgerflow dev`: the embedded default. librdkafka's mock cluster (real
// Kafka protocol over TCP), a throwaway PostgreSQL from the installed server
// binaries (or --database-url), migrations, the engine and the projectors in
// this process. Prints KAFKA_BOOTSTRAP=, DATABASE_URL= and READY on standard
// output before anything else there; stops cleanly on SIGINT/SIGTERM.
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "cli/demo.hpp"
#include "cli/metrics.hpp"
#include "cli/subcommands.hpp"
#include "consumers/engine/engine_service.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/temp_server.hpp"
#include "consumers/projector/projector.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace lf::cli {

namespace {

struct DevFlags {
  int brokers = 3;
  int partitions = 6;
  bool keep = false;
  bool infra_only = false;
  bool demo = false;
  MetricsFlags metrics;
};

void print_line(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Runs a service on its own thread; a failure stops everything. Leaving the
// scope stops the services too (also when an exception leaves it), so the
// join cannot wait forever.
class ServiceThread {
 public:
  template <typename Service>
  ServiceThread(Service& service, std::atomic<bool>& stop, std::atomic<bool>& failed)
      : stop_(stop), thread_([&service, &stop, &failed] {
          try {
            service.run(stop);
          } catch (const std::exception& error) {
            spdlog::critical("service stopped: {}", error.what());
            failed = true;
            stop = true;
          }
        }) {}
  ~ServiceThread() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool>& stop_;
  std::thread thread_;
};

void wait_for_stop(const std::atomic<bool>& signal, const std::atomic<bool>& stop) {
  while (!signal.load() && !stop.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

int run_services(const GlobalOptions& global, const DevFlags& flags,
                 const kafka::Settings& settings, const std::string& url,
                 const std::atomic<bool>& signal) {
  engine_service::Options engine_options;
  engine_options.kafka = settings;
  engine_options.topics = topics(global);
  engine_options.database_url = url;
  engine_options.partition.validate_events = true;  // a development setup checks everything
  projector::Options projector_options;
  projector_options.kafka = settings;
  projector_options.topics = topics(global);
  projector_options.database_url = url;

  engine_service::EngineService engine(engine_options);
  projector::Projector projector(projector_options);
  MetricsSources sources;
  sources.engine = &engine;
  sources.projector = &projector;
  for (const auto& projection : projections::all_projections()) {
    sources.projections.emplace_back(projection->name());
  }
  const auto metrics_endpoint = start_metrics(flags.metrics, global, settings, url, sources);
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  {
    ServiceThread engine_thread(engine, stop, failed);
    ServiceThread projector_thread(projector, stop, failed);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!stop && !signal &&
           (engine.assigned_partitions() < flags.partitions ||
            projector.assigned_partitions() < flags.partitions)) {
      if (std::chrono::steady_clock::now() > deadline) {
        spdlog::critical("the engine and projector did not take their partitions within 60 s");
        failed = true;
        stop = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!stop && !signal) {
      print_line("READY");
      spdlog::info("ready: engine and projector own all {} partitions", flags.partitions);
      if (flags.demo) {
        DemoOptions demo{settings, topics(global), url, flags.partitions};
        try {
          if (!run_demo(demo)) failed = true;
        } catch (const std::exception& error) {
          spdlog::critical("the demo failed: {}", error.what());
          failed = true;
        }
      }
      wait_for_stop(signal, stop);
    }
    stop = true;
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

Runner add_dev(CLI::App& app, GlobalOptions& global) {
  auto flags = std::make_shared<DevFlags>();
  CLI::App* command = app.add_subcommand(
      "dev", "Run everything on this machine (mock Kafka, throwaway PostgreSQL)");
  command->add_option("--brokers", flags->brokers, "Mock brokers")
      ->capture_default_str()
      ->check(CLI::Range(1, 9));
  command->add_option("--partitions", flags->partitions, "Partitions of each topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  command->add_flag("--keep", flags->keep, "Keep the throwaway database's directory on exit");
  command->add_flag("--infra-only", flags->infra_only,
                    "Start only the mock cluster and the database");
  command->add_flag("--demo", flags->demo, "Feed a small demo workload and print a summary");
  add_metrics_options(command,
                      flags->metrics);  // the engine's and the projector's, on one endpoint
  return [&global, flags] {
    const std::atomic<bool>& signal = install_stop_signals();
    kafka::MockCluster cluster(flags->brokers);
    cluster.create_ledgerflow_topics(topics(global), flags->partitions);
    kafka::Settings settings;
    settings.bootstrap = cluster.bootstrap();
    settings.properties = kafka_properties(global);
    settings.consumer_properties = kafka::MockCluster::consumer_properties();
    std::optional<pg::TempServer> database;
    std::string url = global.database_url;
    if (url.empty()) {
      pg::TempServerOptions database_options;
      database_options.keep = flags->keep;
      database.emplace(database_options);
      url = database->url();
    }
    {
      pqxx::connection connection(url);
      pg::migrate(connection);
    }
    print_line("KAFKA_BOOTSTRAP=" + settings.bootstrap);
    print_line("DATABASE_URL=" + url);
    spdlog::info("mock cluster with {} brokers, {} partitions per topic (prefix {})",
                 flags->brokers, flags->partitions, global.topic_prefix);
    if (flags->infra_only) {
      print_line("READY");
      std::atomic<bool> never{false};
      wait_for_stop(signal, never);
      spdlog::info("stopping");
      return kExitOk;
    }
    const int code = run_services(global, *flags, settings, url, signal);
    spdlog::info("stopping");
    return code;
  };
}

}  // namespace lf::cli
