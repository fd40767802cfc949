// The engine's own work per command, without Kafka or PostgreSQL: what its
// thread does for each command of engine_bench's workload (read and check the
// command, decide, write the commit record and the result, apply the events),
// on one thread, through the same pure functions the engine service calls.
//
// The raw baseline is the JSON work no decision can avoid, measured in the
// same run on the same bytes: parsing each command's text with rapidjson
// (no checks) and writing a text as long as its commit record and its result
// with rapidjson's Writer. Prints both per command, and the ratio.
//
//   build/bench/decide_bench [commands=100000] [tenants=2000] [partitions=6] [rounds=5]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "bench/baselines.hpp"
#include "engine/intake.hpp"
#include "engine/partition.hpp"
#include "events/partitioner.hpp"

namespace {

using lf::bench::Clock;
using lf::bench::CreditsWorkload;
using lf::bench::seconds_since;

struct Round {
  double seconds = 0;
  std::size_t record_bytes = 0;  // commit records and results written
  long long accepted = 0;
  long long rejected = 0;
};

// One engine's partitions, fed as the engine service feeds them: every
// command read, checked and decided in its tenant's partition.
class Partitions {
 public:
  Partitions(int count, int64_t now_ms) : now_ms_(now_ms) {
    for (int number = 0; number < count; ++number) {
      cores_.push_back(std::make_unique<lf::engine::PartitionCore>(
          number, "decide-bench", lf::engine::PartitionOptions{}, lf::UlidGenerator(42)));
      offsets_.push_back(0);
    }
  }

  void decide(const CreditsWorkload::Command& command, Round& round) {
    const auto partition =
        lf::partition_for_key(command.first, static_cast<int32_t>(cores_.size()));
    const auto index = static_cast<std::size_t>(partition);
    auto read =
        lf::engine::read_command(command.second, lf::engine::kCommandLimits, command_document_);
    const auto* readable = std::get_if<lf::engine::ReadCommand>(&read);
    if (readable == nullptr) {
      std::fprintf(stderr, "decide_bench: a workload command was refused\n");
      std::exit(1);
    }
    if (lf::engine::check_command(readable->envelope, command.first)) {
      std::fprintf(stderr, "decide_bench: a workload command failed its checks\n");
      std::exit(1);
    }
    lf::engine::CommandOutcome outcome = cores_[index]->decide(
        readable->envelope, lf::SourcePosition{"ledgerflow.commands", partition, offsets_[index]++},
        now_ms_);
    for (const lf::engine::Decided& record : outcome.records)
      round.record_bytes += record.json.size();
    round.record_bytes += outcome.result_json.size();
    if (outcome.result.status == lf::ResultStatus::accepted) {
      ++round.accepted;
    } else {
      ++round.rejected;
    }
  }

 private:
  int64_t now_ms_;
  std::vector<std::unique_ptr<lf::engine::PartitionCore>> cores_;
  std::vector<int64_t> offsets_;
  lf::ReusableDocument command_document_;  // as the engine service reads commands
};

Round decide_round(const std::vector<CreditsWorkload::Command>& allocations,
                   const std::vector<CreditsWorkload::Command>& commands, int partitions,
                   int64_t now_ms) {
  Partitions engine(partitions, now_ms);
  Round warm_up;
  for (const auto& command : allocations) engine.decide(command, warm_up);
  Round round;
  const auto start = Clock::now();
  for (const auto& command : commands) engine.decide(command, round);
  round.seconds = seconds_since(start);
  return round;
}

// Parses every command and writes `bytes_per_command` bytes of JSON per
// command: the text in and out, with nothing decided.
double raw_round(const std::vector<CreditsWorkload::Command>& commands,
                 std::size_t bytes_per_command) {
  const std::string filler(bytes_per_command > 64 ? bytes_per_command - 64 : 1, 'x');
  std::size_t written = 0;
  // At its best: every command parsed into the same memory (what a fresh
  // document allocates for its first value costs more than a small parse).
  std::vector<char> pool_buffer(64 * 1024);
  rapidjson::MemoryPoolAllocator<> pool(pool_buffer.data(), pool_buffer.size());
  rapidjson::Document document(&pool);
  const auto start = Clock::now();
  for (const auto& command : commands) {
    document.SetNull();
    pool.Clear();
    document.Parse(command.second.data(), command.second.size());
    if (document.HasParseError() || !document.IsObject()) std::exit(1);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("tenant_id");
    writer.String(command.first.data(), static_cast<rapidjson::SizeType>(command.first.size()));
    writer.Key("text");
    writer.String(filler.data(), static_cast<rapidjson::SizeType>(filler.size()));
    writer.EndObject();
    std::string text(buffer.GetString(), buffer.GetSize());
    written += text.size();
  }
  const double seconds = seconds_since(start);
  if (written == 0) std::exit(1);
  return seconds;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int command_count = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int tenant_count = argc > 2 ? std::atoi(argv[2]) : 2'000;
  const int partitions = argc > 3 ? std::atoi(argv[3]) : 6;
  const int rounds = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
  spdlog::set_level(spdlog::level::warn);

  const int64_t now_ms = lf::system_now_ms();
  CreditsWorkload workload(42, tenant_count, now_ms);
  const std::vector<CreditsWorkload::Command> allocations = workload.allocations();
  std::vector<CreditsWorkload::Command> commands;
  commands.reserve(static_cast<std::size_t>(command_count));
  for (int i = 0; i < command_count; ++i) commands.push_back(workload.next());

  std::printf("decide_bench: %d commands, %d tenants, %d partitions, one thread, %d rounds\n",
              command_count, tenant_count, partitions, rounds);
  std::vector<double> decide_seconds;
  std::vector<double> raw_seconds;
  Round last;
  for (int i = 0; i < rounds; ++i) {
    // Alternating, so both see the same state of the machine.
    last = decide_round(allocations, commands, partitions, now_ms);
    decide_seconds.push_back(last.seconds);
    raw_seconds.push_back(raw_round(commands, last.record_bytes / commands.size()));
  }
  const double per_command = 1e6 / static_cast<double>(command_count);
  const double decide_best = *std::min_element(decide_seconds.begin(), decide_seconds.end());
  const double raw_best = *std::min_element(raw_seconds.begin(), raw_seconds.end());
  std::printf(
      "  raw: parse the command, write its output bytes : %6.2f us per command (median %.2f)\n",
      raw_best * per_command, median(raw_seconds) * per_command);
  std::printf(
      "  decide: read, check, decide, encode, apply     : %6.2f us per command (median %.2f)\n",
      decide_best * per_command, median(decide_seconds) * per_command);
  std::printf("  ratio raw / decide                             : %6.2f\n", raw_best / decide_best);
  std::printf("  one thread could decide                        : %6.0f commands/s\n",
              static_cast<double>(command_count) / decide_best);
  std::printf("  output %zu bytes per command, accepted %lld, rejected %lld\n",
              last.record_bytes / commands.size(), last.accepted, last.rejected);
  return 0;
}
