// Projector throughput: events/s from ledgerflow.events into the read tables
// of every projection (credits, workflow, audit_log, event_log), beside
// the raw baseline measured in the same run on the same PostgreSQL server:
// COPY of the same final rows into the same tables of an empty database.
// Prints both and the ratio.
//
//   build/bench/projector_bench [commands=100000] [tenants=2000] [partitions=12]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "bench/baselines.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/temp_server.hpp"
#include "consumers/projector/projector.hpp"
#include "engine/partition.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "projections/registry.hpp"

namespace {

using lf::bench::Clock;
using lf::bench::Log;
using lf::bench::seconds_since;
using lf::workload::CreditsWorkload;

void produce(const lf::kafka::Settings& settings, const std::string& topic, const Log& log) {
  // Compressed like the engine's own batches: the mock keeps ~5 MiB per partition.
  lf::kafka::Producer producer(settings, "bench-loader",
                               {{"compression.type", "lz4"}, {"linger.ms", "50"}});
  for (std::size_t partition = 0; partition < log.records.size(); ++partition) {
    for (const std::string& record : log.records[partition]) {
      producer.produce(topic, static_cast<int32_t>(partition), "", record);
    }
  }
  producer.flush(120'000);
}

std::string fresh_database(lf::pg::TempServer& server, const std::string& name) {
  server.create_database(name);
  pqxx::connection connection(server.url_for(name));
  lf::pg::migrate(connection);
  return server.url_for(name);
}

double projector_seconds(const lf::kafka::Settings& settings, const lf::kafka::Topics& topics,
                         const std::string& url, int partitions, const Log& log) {
  lf::projector::Options options;
  options.kafka = settings;
  options.topics = topics;
  options.database_url = url;
  std::vector<int32_t> all;
  for (int32_t partition = 0; partition < partitions; ++partition) all.push_back(partition);
  options.partitions = all;
  std::size_t total = 0;
  for (const auto& records : log.records) total += records.size();
  const auto start = Clock::now();
  lf::projector::Projector projector(options);
  std::size_t consumed = 0;
  while (consumed < total) consumed += projector.step(100);
  projector.flush();
  const double elapsed = seconds_since(start);
  const lf::projector::Stats stats = projector.stats();
  std::printf(
      "  (projector: %lld batches; decode+map %.2f s, PostgreSQL writes %.2f s, the rest is "
      "Kafka)\n",
      static_cast<long long>(stats.batches), stats.map_seconds, stats.write_seconds);
  return elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const int command_count = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int tenant_count = argc > 2 ? std::atoi(argv[2]) : 2'000;
  const int partitions = argc > 3 ? std::atoi(argv[3]) : 12;
  spdlog::set_level(spdlog::level::warn);

  CreditsWorkload workload(7, tenant_count, lf::system_now_ms());
  std::vector<CreditsWorkload::Command> commands = workload.allocations();
  for (int i = 0; i < command_count; ++i) commands.push_back(workload.next());
  const Log log = lf::bench::decide(commands, partitions);
  lf::kafka::MockCluster cluster(3);
  const lf::kafka::Topics topics{"bench."};
  cluster.create_ledgerflow_topics(topics, partitions);
  lf::kafka::Settings settings;
  settings.bootstrap = cluster.bootstrap();
  produce(settings, topics.events(), log);

  lf::pg::TempServer server;
  std::size_t rows = 0;
  const double raw = lf::bench::raw_copy_seconds(fresh_database(server, "bench_raw"), log, rows);
  const double projected = projector_seconds(
      settings, topics, fresh_database(server, "bench_projector"), partitions, log);

  std::size_t records = 0;
  for (const auto& partition : log.records) records += partition.size();
  const double raw_rate = static_cast<double>(log.events) / raw;
  const double projector_rate = static_cast<double>(log.events) / projected;
  std::printf(
      "projector_bench: %zu commit records, %zu events (%.0f bytes per record), %zu final rows, %d "
      "partitions\n",
      records, log.events, static_cast<double>(log.bytes) / static_cast<double>(records), rows,
      partitions);
  std::printf("  raw COPY of the same final rows          : %10.0f events/s (%.2f s)\n", raw_rate,
              raw);
  std::printf("  projector, Kafka to read tables          : %10.0f events/s (%.2f s)\n",
              projector_rate, projected);
  std::printf("  ratio projector / raw                    : %10.2f\n", projector_rate / raw_rate);
  return 0;
}
