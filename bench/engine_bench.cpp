// Engine throughput: commands/s from ledgerflow.commands to their results,
// beside the raw baseline measured in the same run through the same mock
// cluster: producing the same bytes (same keys, same values) to a plain topic
// and consuming them back. Prints both and the ratio.
//
//   build/bench/engine_bench [commands=100000] [tenants=2000] [partitions=6]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "bench/baselines.hpp"
#include "consumers/client/command_client.hpp"
#include "consumers/engine/engine_service.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/temp_server.hpp"
#include "events/time.hpp"

namespace {

using lf::bench::Clock;
using lf::bench::machine_cpu_seconds;
using lf::bench::process_cpu_seconds;
using lf::bench::Rate;
using lf::bench::seconds_since;
using lf::bench::thread_cpu_seconds;
using lf::bench::thread_run_delay_seconds;
using lf::workload::CreditsWorkload;

struct EngineRate {
  Rate rate;
  double engine_thread_cpu = 0;        // CPU seconds of the engine's own thread (lf-engine)
  double engine_thread_run_delay = 0;  // seconds it was ready to run but had no CPU
  double machine_cpu = 0;              // CPU seconds of every process, PostgreSQL's too
  double elapsed = 0;
};

EngineRate engine_rate(lf::client::CommandClient& client,
                       const std::vector<CreditsWorkload::Command>& commands) {
  std::vector<std::string> ids;
  ids.reserve(commands.size());
  for (const auto& command : commands) ids.push_back(CreditsWorkload::command_id(command));
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  const double engine_cpu_start = thread_cpu_seconds("lf-engine");
  const double engine_delay_start = thread_run_delay_seconds("lf-engine");
  const double machine_cpu_start = machine_cpu_seconds();
  for (const auto& [key, value] : commands) client.send(key, value);
  client.flush(120'000);
  const std::size_t arrived = client.wait_for(ids, 600'000);
  const double elapsed = seconds_since(start);
  const double cpu = process_cpu_seconds() - cpu_start;
  const double engine_cpu = thread_cpu_seconds("lf-engine") - engine_cpu_start;
  const double engine_delay = thread_run_delay_seconds("lf-engine") - engine_delay_start;
  const double machine_cpu = machine_cpu_seconds() - machine_cpu_start;
  if (arrived != ids.size()) {
    std::fprintf(stderr, "only %zu of %zu results arrived\n", arrived, ids.size());
    std::exit(1);
  }
  return EngineRate{Rate{static_cast<double>(commands.size()) / elapsed, cpu / elapsed}, engine_cpu,
                    engine_delay, machine_cpu, elapsed};
}

}  // namespace

int main(int argc, char** argv) {
  const int command_count = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int tenant_count = argc > 2 ? std::atoi(argv[2]) : 2'000;
  const int partitions = argc > 3 ? std::atoi(argv[3]) : 6;
  spdlog::set_level(spdlog::level::warn);

  lf::kafka::MockCluster cluster(3);
  const lf::kafka::Topics topics{"bench."};
  cluster.create_ledgerflow_topics(topics, partitions);
  lf::kafka::Settings settings;
  settings.bootstrap = cluster.bootstrap();
  lf::pg::TempServer database;
  {
    pqxx::connection connection(database.url());
    lf::pg::migrate(connection);
  }

  CreditsWorkload workload(42, tenant_count, lf::system_now_ms());
  std::vector<CreditsWorkload::Command> allocations = workload.allocations();
  std::vector<CreditsWorkload::Command> commands;
  commands.reserve(static_cast<std::size_t>(command_count));
  std::size_t bytes = 0;
  for (int i = 0; i < command_count; ++i) {
    commands.push_back(workload.next());
    bytes += commands.back().second.size();
  }

  std::printf(
      "engine_bench: %d commands (%.0f bytes average), %d tenants, %d partitions, 3 mock brokers\n",
      command_count, static_cast<double>(bytes) / command_count, tenant_count, partitions);
  const lf::bench::BestRate best =
      lf::bench::best_raw_produce_consume(cluster, settings, "bench.raw.", partitions, commands);
  const Rate raw = best.rate;

  lf::engine_service::Options options;
  options.kafka = settings;
  options.topics = topics;
  options.database_url = database.url();
  std::atomic<bool> stop{false};
  lf::engine_service::EngineService engine(options);
  std::thread engine_thread([&] { engine.run(stop); });
  while (engine.assigned_partitions() < partitions)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  lf::client::CommandClient client(settings, topics, "bench-client");
  engine_rate(client, allocations);  // warm-up: every tenant allocated
  const EngineRate measured = engine_rate(client, commands);
  const Rate& decided = measured.rate;
  stop = true;
  engine_thread.join();
  const lf::engine_service::Stats stats = engine.stats();

  std::printf("  raw produce+consume of the same messages : %10.0f msgs/s      (best: %s)\n",
              raw.per_second, best.choice.c_str());
  std::printf(
      "  engine, command to result                : %10.0f commands/s  (CPU busy %.2f of 2 "
      "cores; the machine, PostgreSQL too, %.2f)\n",
      decided.per_second, decided.cpu_busy, measured.machine_cpu / measured.elapsed);
  std::printf("  ratio engine / raw                       : %10.2f\n",
              decided.per_second / raw.per_second);
  // The engine decides on one thread: the rate it can reach is one core
  // over this CPU time per command.
  std::printf(
      "  engine thread (lf-engine)                : %10.1f us CPU per command, busy %.2f of "
      "the time, waiting for a CPU %.2f\n",
      measured.engine_thread_cpu * 1e6 / static_cast<double>(commands.size()),
      measured.engine_thread_cpu / measured.elapsed,
      measured.engine_thread_run_delay / measured.elapsed);
  std::printf("  accepted %lld, rejected %lld, records written %lld, snapshots %lld\n",
              static_cast<long long>(stats.accepted), static_cast<long long>(stats.rejected),
              static_cast<long long>(stats.records_written),
              static_cast<long long>(stats.snapshots));
  return 0;
}
