// Rebuild throughput: events/s of `ledgerflow rebuild credit_balances --from
// archive` (the event_log archive in PostgreSQL read in log order, mapped,
// written into shadow tables, verified, swapped in), beside the raw baseline
// measured in the same run on the same server: a plain COPY ... TO STDOUT of
// the same columns of every archived event through libpq, in one sequential
// scan (the rebuild's own path when the table lies in log order) — what
// reading the archive costs before any work is done on it.
//
// The archive is filled first (not timed) with the events the pure engine
// core decides for a credits workload, as the event_log projection writes
// them. The broker holds none of them: the archive is the only source, as
// after Kafka retention dropped the start of the log.
//
//   build/bench/rebuild_bench [events=1000000] [tenants=2000] [partitions=12] [runs=1]
//
// With runs > 1 the same archive is rebuilt that many times and each run is
// printed (the best counts): filling a large archive takes far longer than
// rebuilding it. LF_BENCH_LOG=info shows the rebuild's own log lines.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "bench/baselines.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/temp_server.hpp"
#include "consumers/rebuild/rebuild.hpp"
#include "engine/partition.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace {

using lf::bench::Clock;
using lf::bench::seconds_since;
using lf::workload::CreditsWorkload;

struct Archive {
  int64_t records = 0;
  int64_t events = 0;
};

// Decides credits commands until `target_events` events exist and archives
// every record through the event_log projection, 20,000 records per COPY.
Archive fill_archive(const std::string& url, int64_t target_events, int tenant_count,
                     int partitions) {
  const int64_t now = lf::system_now_ms();
  CreditsWorkload workload(11, tenant_count, now);
  std::vector<lf::engine::PartitionCore> cores;
  for (int32_t partition = 0; partition < partitions; ++partition) {
    cores.emplace_back(partition, "bench", lf::engine::PartitionOptions{.validate_events = false},
                       lf::UlidGenerator(static_cast<uint64_t>(partition) + 1));
  }
  const std::unique_ptr<lf::projections::Projection> event_log =
      lf::projections::make_projection("event_log");
  pqxx::connection connection(url);
  // Loading only (not timed): secondary indexes are built once at the end,
  // as for any bulk load, and commits need not wait for the disk.
  std::vector<std::string> index_definitions;
  {
    pqxx::work work(connection);
    for (const pqxx::row& index :
         work.exec("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'event_log' AND "
                   "indexname NOT IN "
                   "(SELECT conname FROM pg_constraint WHERE conrelid = 'event_log'::regclass)")) {
      index_definitions.push_back(index[1].as<std::string>());
      work.exec("DROP INDEX " + work.quote_name(index[0].as<std::string>()));
    }
    work.commit();
  }
  connection.set_variable("synchronous_commit", "off");
  lf::pg::BatchWriter writer;
  lf::projections::RowBatch batch;
  std::vector<int64_t> command_offsets(static_cast<std::size_t>(partitions), 0);
  std::vector<int64_t> event_offsets(static_cast<std::size_t>(partitions), 0);
  std::vector<lf::ChainPosition> chains(static_cast<std::size_t>(partitions));
  Archive archive;
  int64_t pending = 0;
  auto flush = [&] {
    pqxx::work work(connection);
    writer.write(work, batch);
    work.commit();
    batch.clear();
    pending = 0;
  };
  auto run = [&](const CreditsWorkload::Command& command) {
    const int32_t partition = lf::partition_for_key(command.first, partitions);
    const auto p = static_cast<std::size_t>(partition);
    auto document = lf::parse_json_bounded(command.second, lf::JsonLimits{});
    auto envelope = lf::decode_command(**document);
    auto outcome = cores[p].decide(
        *envelope, lf::SourcePosition{"bench.commands", partition, command_offsets[p]++}, now);
    for (lf::engine::Decided& decided : outcome.records) {
      auto record = lf::decode_own_commit_record(decided.json);
      lf::admit(chains[p], record->header);
      event_log->apply(lf::projections::RecordAt{partition, event_offsets[p]++, &*record}, batch);
      archive.events += static_cast<int64_t>(record->events.size());
      ++archive.records;
      if (++pending >= 20'000) flush();
    }
  };
  for (const auto& command : workload.allocations()) run(command);
  while (archive.events < target_events) run(workload.next());
  flush();
  // The archive's positions, as the event_log projector would have stored them.
  pqxx::work work(connection);
  for (int32_t partition = 0; partition < partitions; ++partition) {
    const auto p = static_cast<std::size_t>(partition);
    work.exec_params(
        "INSERT INTO projection_checkpoints (projection, partition, next_offset, last_seq, "
        "last_record_id) "
        "VALUES ('event_log', $1, $2, $3, $4)",
        partition, event_offsets[p], chains[p].last_seq, chains[p].last_record_id);
  }
  for (const std::string& definition : index_definitions) work.exec(definition);
  work.exec("ANALYZE event_log");
  work.commit();
  return archive;
}

// COPY of the archived events in one sequential scan, every byte received
// through libpq and dropped.
double raw_copy_seconds(const std::string& url, int64_t& bytes) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    std::fprintf(stderr, "connect: %s", PQerrorMessage(connection.get()));
    std::exit(1);
  }
  const auto start = Clock::now();
  PGresult* started = PQexec(
      connection.get(),
      "COPY (SELECT kafka_offset, seq, record_id, tenant_id, command_id, event, event_index, "
      "partition FROM event_log) TO STDOUT");
  if (PQresultStatus(started) != PGRES_COPY_OUT) {
    std::fprintf(stderr, "COPY: %s", PQerrorMessage(connection.get()));
    std::exit(1);
  }
  PQclear(started);
  char* line = nullptr;
  int length = 0;
  while ((length = PQgetCopyData(connection.get(), &line, 0)) > 0) {
    bytes += length;
    PQfreemem(line);
  }
  PQclear(PQgetResult(connection.get()));
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t target_events = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int tenant_count = argc > 2 ? std::atoi(argv[2]) : 2'000;
  const int partitions = argc > 3 ? std::atoi(argv[3]) : 12;
  const int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 1;
  const char* log_level = std::getenv("LF_BENCH_LOG");
  spdlog::set_level(log_level != nullptr ? spdlog::level::from_str(log_level)
                                         : spdlog::level::warn);

  lf::pg::TempServer server;
  server.create_database("bench_rebuild");
  const std::string url = server.url_for("bench_rebuild");
  {
    pqxx::connection connection(url);
    lf::pg::migrate(connection);
  }
  const auto fill_start = Clock::now();
  const Archive archive = fill_archive(url, target_events, tenant_count, partitions);
  std::printf(
      "rebuild_bench: archive of %lld commit records, %lld events, %d partitions, %d tenants "
      "(filled in %.0f s)\n",
      static_cast<long long>(archive.records), static_cast<long long>(archive.events), partitions,
      tenant_count, seconds_since(fill_start));

  lf::kafka::MockCluster cluster(1);
  const lf::kafka::Topics topics{"bench."};
  cluster.create_ledgerflow_topics(topics, partitions);

  int64_t bytes = 0;
  const double raw = raw_copy_seconds(url, bytes);

  lf::rebuild::Options options;
  options.kafka.bootstrap = cluster.bootstrap();
  options.topics = topics;
  options.database_url = url;
  options.projection = "credit_balances";
  options.source = lf::rebuild::Source::archive;
  const double raw_rate = static_cast<double>(archive.events) / raw;
  std::printf("  raw COPY of the archived events (%.0f MB) : %10.0f events/s (%.2f s)\n",
              static_cast<double>(bytes) / 1e6, raw_rate, raw);
  bool complete = true;
  for (int run = 0; run < runs; ++run) {
    const lf::rebuild::Outcome outcome = lf::rebuild::run(options);
    const double rebuild_rate = static_cast<double>(outcome.events) / outcome.seconds;
    std::printf(
        "  rebuild credit_balances --from archive    : %10.0f events/s (%.2f s; %lld rows, "
        "verified %s)\n",
        rebuild_rate, outcome.seconds, static_cast<long long>(outcome.rows.at("credit_balances")),
        outcome.compared_rows ? "row by row" : "by row counts");
    if (outcome.archive_held_back) {
      std::printf("  read in one scan, %lld rows held back until their turn\n",
                  static_cast<long long>(*outcome.archive_held_back));
    } else {
      std::printf("  read through the (partition, seq, event_index) index\n");
    }
    std::printf("  ratio rebuild / raw                       : %10.2f\n", rebuild_rate / raw_rate);
    complete = complete && outcome.events == archive.events;
  }
  return complete ? 0 : 1;
}
