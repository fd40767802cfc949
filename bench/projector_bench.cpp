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

#include "bench/workload.hpp"
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

using Clock = std::chrono::steady_clock;
using lf::workload::CreditsWorkload;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Log {
  std::vector<std::vector<std::string>> records;  // per partition, in order
  std::size_t events = 0;
  std::size_t bytes = 0;
};

// Decides the workload with the pure engine core, as the engine would.
Log decide(int command_count, int tenant_count, int partitions) {
  const int64_t now = lf::system_now_ms();
  CreditsWorkload workload(7, tenant_count, now);
  std::vector<lf::engine::PartitionCore> cores;
  for (int32_t partition = 0; partition < partitions; ++partition) {
    cores.emplace_back(partition, "bench", lf::engine::PartitionOptions{.validate_events = false},
                       lf::UlidGenerator(static_cast<uint64_t>(partition) + 1));
  }
  Log log;
  log.records.resize(static_cast<std::size_t>(partitions));
  std::vector<int64_t> offsets(static_cast<std::size_t>(partitions), 0);
  auto run = [&](const CreditsWorkload::Command& command) {
    const int32_t partition = lf::partition_for_key(command.first, partitions);
    auto document = lf::parse_json_bounded(command.second, lf::JsonLimits{});
    auto envelope = lf::decode_command(**document);
    auto outcome = cores[static_cast<std::size_t>(partition)].decide(
        *envelope,
        lf::SourcePosition{"bench.commands", partition,
                           offsets[static_cast<std::size_t>(partition)]++},
        now);
    for (lf::engine::Decided& record : outcome.records) {
      log.events += record.event_ids.size();
      log.bytes += record.json.size();
      log.records[static_cast<std::size_t>(partition)].push_back(std::move(record.json));
    }
  };
  for (const auto& command : workload.allocations()) run(command);
  for (int i = 0; i < command_count; ++i) run(workload.next());
  return log;
}

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

// The final rows every projection holds after the log, COPY'd in one go.
double raw_copy_seconds(const std::string& url, const Log& log, std::size_t& rows) {
  std::vector<std::unique_ptr<lf::projections::Projection>> projections =
      lf::projections::all_projections();
  lf::projections::RowBatch final_rows;
  std::vector<lf::ChainPosition> chains(log.records.size());
  for (std::size_t partition = 0; partition < log.records.size(); ++partition) {
    int64_t offset = 0;
    for (const std::string& json : log.records[partition]) {
      auto record =
          lf::decode_commit_record(json, lf::JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
      lf::admit(chains[partition], record->header);
      for (const auto& projection : projections) {
        projection->apply({static_cast<int32_t>(partition), offset, &*record}, final_rows);
      }
      ++offset;
    }
  }
  // Into empty tables every row is new: write them all as inserts (COPY).
  lf::projections::RowBatch inserts;
  for (const auto& group : final_rows.tables()) {
    for (const lf::projections::RowOp& op : group.ops) inserts.insert(*group.table, op.values);
  }
  rows = inserts.op_count();
  pqxx::connection connection(url);
  lf::pg::BatchWriter writer;
  const auto start = Clock::now();
  pqxx::work work(connection);
  writer.write(work, inserts);
  work.commit();
  return seconds_since(start);
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

  const Log log = decide(command_count, tenant_count, partitions);
  lf::kafka::MockCluster cluster(3);
  const lf::kafka::Topics topics{"bench."};
  cluster.create_ledgerflow_topics(topics, partitions);
  lf::kafka::Settings settings;
  settings.bootstrap = cluster.bootstrap();
  produce(settings, topics.events(), log);

  lf::pg::TempServer server;
  std::size_t rows = 0;
  const double raw = raw_copy_seconds(fresh_database(server, "bench_raw"), log, rows);
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
