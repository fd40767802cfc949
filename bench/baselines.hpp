// The raw baselines the benchmarks measure themselves against, in the same
// run on the same machine: producing and consuming the same bytes through
// the same mock cluster (Kafka's share), and COPY of the same final rows
// into empty tables (PostgreSQL's share). Also the clock and CPU helpers
// they print with.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include "bench/workload.hpp"
#include "consumers/kafka/kafka.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "consumers/pg/batch_writer.hpp"
#include "engine/partition.hpp"
#include "events/chain.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "projections/registry.hpp"

namespace lf::bench {

using Clock = std::chrono::steady_clock;
using workload::CreditsWorkload;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds (user + system) this process has used: both cores are shared
// by the services, librdkafka's threads and the mock cluster.
inline double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU seconds (user + system + interrupts + steal) every process of the
// machine has used, PostgreSQL's backends too, from /proc/stat's first line.
inline double machine_cpu_seconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(user + nice + system + irq + softirq + steal) / ticks;
}

// CPU seconds (user + system) the threads of this process named `name`
// have used, from /proc/self/task/<tid>/stat (clock ticks: 10 ms steps).
inline double thread_cpu_seconds(std::string_view name) {
  unsigned long long ticks = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    // "tid (comm) state ...": the name may hold spaces, so fields count from
    // the last ')'; utime and stime are fields 14 and 15 of the line.
    const std::size_t open = stat.find('(');
    const std::size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    if (std::string_view(stat).substr(open + 1, close - open - 1) != name) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int index = 3; index <= 15 && fields >> field; ++index) {
      if (index == 14) utime = std::stoull(field);
      if (index == 15) stime = std::stoull(field);
    }
    ticks += utime + stime;
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Seconds the threads of this process named `name` have spent ready to run
// but waiting for a CPU (the scheduler's run delay, the second field of
// /proc/self/task/<tid>/schedstat, in nanoseconds): time a thread lost to
// the other threads and processes of the machine, not to waiting for work.
inline double thread_run_delay_seconds(std::string_view name) {
  unsigned long long nanoseconds = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream comm_file(task.path() / "comm");
    std::string comm;
    std::getline(comm_file, comm);
    if (comm != name) continue;
    std::ifstream schedstat(task.path() / "schedstat");
    unsigned long long on_cpu = 0, waiting = 0;
    if (schedstat >> on_cpu >> waiting) nanoseconds += waiting;
  }
  return static_cast<double>(nanoseconds) / 1e9;
}

struct Rate {
  double per_second = 0;
  double cpu_busy = 0;  // CPU seconds per wall second
};

// Produces every message to `topic` (keyed, by the default partitioner) and
// consumes them all back; the clock runs from the first produce to the last
// message consumed.
inline Rate raw_produce_consume(const kafka::Settings& settings, const std::string& topic,
                                int partitions,
                                const std::vector<CreditsWorkload::Command>& messages,
                                const std::map<std::string, std::string>& producer_properties,
                                const std::map<std::string, std::string>& consumer_properties) {
  kafka::Producer producer(settings, "bench-raw-producer", producer_properties);
  kafka::Consumer consumer(settings, "bench-raw-consumer", "", consumer_properties);
  std::vector<kafka::TopicPartitionOffset> from_start;
  for (int32_t partition = 0; partition < partitions; ++partition)
    from_start.push_back({topic, partition, 0});
  consumer.assign(from_start);
  std::vector<kafka::MessagePtr> batch;
  consumer.poll_batch(batch, 1, 100);  // connect before the clock starts
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  std::thread produce([&] {
    for (const auto& [key, value] : messages) producer.produce(topic, -1, key, value);
    producer.flush(120'000);
  });
  std::size_t received = batch.size();
  while (received < messages.size()) {
    batch.clear();
    received += consumer.poll_batch(batch, 10'000, 100);
  }
  const double elapsed = seconds_since(start);
  const double cpu = process_cpu_seconds() - cpu_start;
  produce.join();
  return Rate{static_cast<double>(messages.size()) / elapsed, cpu / elapsed};
}

// One producer configuration the raw baseline tries.
struct KafkaChoice {
  const char* name;
  std::map<std::string, std::string> producer;
};

// The settings raw produce+consume is tried with; the best counts. The
// consumer fetches up to 1 MiB per partition and waits at most 10 ms.
inline const std::vector<KafkaChoice>& kafka_choices() {
  static const std::vector<KafkaChoice> choices = {
      {"linger 5 ms, no compression", {{"linger.ms", "5"}, {"compression.type", "none"}}},
      {"linger 5 ms, lz4", {{"linger.ms", "5"}, {"compression.type", "lz4"}}},
      {"linger 20 ms, lz4, 1 MiB batches",
       {{"linger.ms", "20"}, {"compression.type", "lz4"}, {"batch.size", "1048576"}}},
  };
  return choices;
}

struct BestRate {
  Rate rate;
  std::string choice;
};

// Raw produce+consume of `messages` with each of kafka_choices() on a fresh
// topic each (`prefix` + index), printing every figure; the best.
inline BestRate best_raw_produce_consume(kafka::MockCluster& cluster,
                                         const kafka::Settings& settings, const std::string& prefix,
                                         int partitions,
                                         const std::vector<CreditsWorkload::Command>& messages) {
  BestRate best;
  int index = 0;
  for (const KafkaChoice& choice : kafka_choices()) {
    const std::string topic = prefix + std::to_string(index++);
    cluster.create_topic(topic, partitions, 3);
    const Rate rate = raw_produce_consume(settings, topic, partitions, messages, choice.producer,
                                          {{"fetch.max.bytes", std::to_string(64 << 20)},
                                           {"max.partition.fetch.bytes", std::to_string(1 << 20)}});
    std::printf("    raw produce+consume, %-34s: %9.0f msgs/s (CPU busy %.2f of 2 cores)\n",
                choice.name, rate.per_second, rate.cpu_busy);
    if (rate.per_second > best.rate.per_second) best = BestRate{rate, choice.name};
  }
  return best;
}

// A workload decided by the pure engine core, as the engine would: the
// commit records of each partition in order.
struct Log {
  std::vector<std::vector<std::string>> records;  // per partition, in order
  std::size_t events = 0;
  std::size_t bytes = 0;
  std::size_t record_count() const {
    std::size_t count = 0;
    for (const auto& partition : records) count += partition.size();
    return count;
  }
};

inline Log decide(const std::vector<CreditsWorkload::Command>& commands, int partitions) {
  const int64_t now = system_now_ms();
  std::vector<engine::PartitionCore> cores;
  for (int32_t partition = 0; partition < partitions; ++partition) {
    cores.emplace_back(partition, "bench", engine::PartitionOptions{.validate_events = false},
                       UlidGenerator(static_cast<uint64_t>(partition) + 1));
  }
  Log log;
  log.records.resize(static_cast<std::size_t>(partitions));
  std::vector<int64_t> offsets(static_cast<std::size_t>(partitions), 0);
  for (const CreditsWorkload::Command& command : commands) {
    const int32_t partition = partition_for_key(command.first, partitions);
    auto document = parse_json_bounded(command.second, JsonLimits{});
    auto envelope = decode_command(**document);
    auto outcome = cores[static_cast<std::size_t>(partition)].decide(
        *envelope,
        SourcePosition{"bench.commands", partition, offsets[static_cast<std::size_t>(partition)]++},
        now);
    for (engine::Decided& record : outcome.records) {
      log.events += record.event_ids.size();
      log.bytes += record.json.size();
      log.records[static_cast<std::size_t>(partition)].push_back(std::move(record.json));
    }
  }
  return log;
}

// The final rows every projection holds after `log`, COPY'd into the empty
// tables of the database at `url` in one transaction: seconds, and the rows.
inline double raw_copy_seconds(const std::string& url, const Log& log, std::size_t& rows) {
  std::vector<std::unique_ptr<projections::Projection>> projections =
      projections::all_projections();
  projections::RowBatch final_rows;
  std::vector<ChainPosition> chains(log.records.size());
  for (std::size_t partition = 0; partition < log.records.size(); ++partition) {
    int64_t offset = 0;
    for (const std::string& json : log.records[partition]) {
      auto record = decode_commit_record(json, JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
      admit(chains[partition], record->header);
      for (const auto& projection : projections) {
        projection->apply({static_cast<int32_t>(partition), offset, &*record}, final_rows);
      }
      ++offset;
    }
  }
  // Into empty tables every row is new: write them all as inserts (COPY).
  projections::RowBatch inserts;
  for (const auto& group : final_rows.tables()) {
    for (const projections::RowOp& op : group.ops) inserts.insert(*group.table, op.values);
  }
  rows = inserts.op_count();
  pqxx::connection connection(url);
  pg::BatchWriter writer;
  const auto start = Clock::now();
  pqxx::work work(connection);
  writer.write(work, inserts);
  work.commit();
  return seconds_since(start);
}

}  // namespace lf::bench
