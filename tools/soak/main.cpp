// `ledgerflow-soak`: the soak (docs/reliability.md, "Soak"). Starts
// `ledgerflow dev --infra-only`, engines and projectors as processes, sends a
// steady mixed workload (tools/soak/workload.hpp) while it kill -9s a random
// service every few seconds, then stops sending, waits for every result,
// decision and projection, and checks: every command decided exactly once
// and answered, as predicted; every balance equal to the client's fold;
// every read table equal to the fold of the log; no service exited on its
// own. Prints the figures; exit 0 when nothing differs, 1 otherwise, 2 on a
// usage error or when the soak could not run.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/assert.hpp"
#include "events/chain.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tools/soak/chaos.hpp"
#include "tools/soak/fleet.hpp"
#include "tools/soak/ledger.hpp"
#include "tools/soak/workload.hpp"

namespace lf::soak {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kExitOk = 0;
constexpr int kExitDifferences = 1;
constexpr int kExitCannotRun = 2;
constexpr std::size_t kExamplesPerProblem = 10;
constexpr std::size_t kVerifyDifferencesMax = 100;
constexpr int64_t kProgressEveryMs = 10'000;
constexpr int64_t kLagSampleEveryMs = 2'000;
constexpr int64_t kReapEveryMs = 500;
constexpr int64_t kWarmUpTimeoutMs = 180'000;
// Unanswered commands a partition may hold: ~1.8 MB of commands, well within
// the ~5 MiB the mock keeps of a partition, so no engine ever needs a
// command the broker has dropped.
constexpr std::size_t kPollBatchMax = 5'000;
const JsonLimits kRecordLimits{.max_bytes = 1 << 20, .max_depth = 64};

struct Options {
  std::string duration = "10m";
  int engines = 2;
  int projectors = 2;
  double rate = 300;
  std::string kill_every = "3s";
  uint64_t seed = 0;
  int partitions = 12;
  int tenants = 500;
  std::string drain_timeout = "10m";
  int64_t max_in_flight = 4'000;  // unanswered commands of one partition
  std::string ledgerflow;
  std::string run_dir;
  int64_t min_kills = 0;
  int64_t min_commands = 0;
  std::string log_level = "info";
  bool tamper = false;
};

// "45s", "10m", "1h", "1500ms", or seconds.
int64_t parse_duration_ms(const std::string& text) {
  std::size_t end = 0;
  const double value = std::stod(text, &end);
  const std::string unit = text.substr(end);
  double scale = 1000;
  if (unit == "ms")
    scale = 1;
  else if (unit == "m" || unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (!unit.empty() && unit != "s")
    throw CLI::ValidationError("duration", "unknown unit in " + text);
  if (value <= 0) throw CLI::ValidationError("duration", text + " is not positive");
  return static_cast<int64_t>(value * scale);
}

int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

std::string self_directory() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  path[n] = '\0';
  return std::filesystem::path(path).parent_path().string();
}

// VmHWM (peak) or VmRSS (now) of this process, in MiB.
int64_t rss_mib(const char* field = "VmHWM:") {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

std::vector<std::string> projection_names() {
  std::vector<std::string> names;
  for (const auto& projection : projections::all_projections())
    names.emplace_back(projection->name());
  return names;
}

std::vector<kafka::TopicPartitionOffset> from_start(kafka::Consumer& consumer,
                                                    const std::string& topic) {
  std::vector<kafka::TopicPartitionOffset> positions;
  const int32_t partitions = consumer.partition_count(topic);
  for (int32_t partition = 0; partition < partitions; ++partition) {
    positions.push_back({topic, partition, consumer.watermarks(topic, partition).low});
  }
  return positions;
}

// ledgerflow.events, read continuously from offset 0 (the mock keeps only
// ~5 MiB a partition): the chain rule per partition, each accepted record a
// decision for the ledger; and every message kept as it came, in a spool
// file per partition, for the fold `ledgerflow verify` makes, one partition
// at a time, at the end (folding a long log at once would need gigabytes).
class EventReader {
 public:
  EventReader(const kafka::Settings& settings, const kafka::Topics& topics,
              std::filesystem::path spool)
      : topic_(topics.events()),
        consumer_(std::make_unique<kafka::Consumer>(settings, "soak-events", "")),
        spool_(std::move(spool)) {
    std::filesystem::create_directories(spool_);
    std::vector<kafka::TopicPartitionOffset> start = from_start(*consumer_, topic_);
    for (const auto& position : start) {
      next_offset_[position.partition] = position.offset;
      files_[position.partition].open(spool_file(position.partition),
                                      std::ios::binary | std::ios::trunc);
    }
    consumer_->assign(start);
  }

  void poll(Ledger& ledger, int timeout_ms) {
    std::vector<kafka::MessagePtr> messages;
    consumer_->poll_batch(messages, kPollBatchMax, timeout_ms);
    for (const kafka::MessagePtr& message : messages) offer(ledger, *message);
  }

  // Read up to the log's end of every partition.
  bool at_end() {
    for (auto& [partition, next] : next_offset_) {
      if (consumer_->watermarks(topic_, partition).high > next) return false;
    }
    return true;
  }
  // Whether the broker still holds every partition from offset 0.
  bool log_whole() {
    for (auto& [partition, next] : next_offset_) {
      if (consumer_->watermarks(topic_, partition).low > 0) return false;
    }
    return true;
  }
  // Done reading: the client goes before the cluster does, the spool is complete.
  void close() {
    if (!consumer_) return;
    consumer_->close();
    consumer_.reset();
    for (auto& [partition, file] : files_) file.close();
  }

  std::vector<int32_t> partitions() const {
    std::vector<int32_t> all;
    for (const auto& [partition, next] : next_offset_) all.push_back(partition);
    return all;
  }
  // Offers every spooled message of `partition` to `fold`, in offset order.
  void replay(int32_t partition, verify::Fold& fold) const {
    std::ifstream in(spool_file(partition), std::ios::binary);
    int64_t offset = 0;
    uint32_t size = 0;
    std::string value;
    while (in.read(reinterpret_cast<char*>(&offset), sizeof offset) &&
           in.read(reinterpret_cast<char*>(&size), sizeof size)) {
      value.resize(size);
      if (!in.read(value.data(), size))
        throw std::runtime_error("a torn spool file: " + spool_file(partition).string());
      fold.offer(partition, offset, value, kRecordLimits);
    }
  }
  void remove_spool() const { std::filesystem::remove_all(spool_); }

  int64_t accepted() const { return accepted_; }
  int64_t events() const { return events_; }
  int64_t spooled_bytes() const { return spooled_bytes_; }
  const std::map<std::string, int64_t>& ignored() const { return ignored_; }
  int64_t undecodable() const { return undecodable_; }
  int64_t offset_gaps() const { return offset_gaps_; }

 private:
  std::filesystem::path spool_file(int32_t partition) const {
    return spool_ / ("partition-" + std::to_string(partition) + ".bin");
  }

  void offer(Ledger& ledger, const rd_kafka_message_t& message) {
    const int32_t partition = message.partition;
    if (message.offset != next_offset_[partition]) {  // never, with auto.offset.reset=error
      ++offset_gaps_;
      spdlog::error("events partition {}: offset {} follows {}", partition, message.offset,
                    next_offset_[partition] - 1);
    }
    next_offset_[partition] = message.offset + 1;
    const std::string_view value = kafka::message_value(message);
    std::ofstream& file = files_[partition];
    const int64_t offset = message.offset;
    const auto size = static_cast<uint32_t>(value.size());
    file.write(reinterpret_cast<const char*>(&offset), sizeof offset);
    file.write(reinterpret_cast<const char*>(&size), sizeof size);
    file.write(value.data(), static_cast<std::streamsize>(value.size()));
    if (!file) throw std::runtime_error("cannot write the events spool in " + spool_.string());
    spooled_bytes_ += static_cast<int64_t>(value.size());
    Result<DecodedRecord> record = decode_commit_record(value, kRecordLimits);
    if (!record) {
      ++undecodable_;
      spdlog::error("events partition {} offset {}: not a commit record: {}", partition,
                    message.offset, record.error().message);
      return;
    }
    const RecordVerdict verdict = admit(chains_[partition], record->header);
    if (verdict != RecordVerdict::accepted) {
      ++ignored_[to_string(verdict)];
      return;
    }
    ++accepted_;
    events_ += static_cast<int64_t>(record->events.size());
    const DecisionView decision = decision_of(*record);
    ledger.on_decision(record->header.command_id, record->header.seq, decision.rejected,
                       decision.reason);
  }

  std::string topic_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::filesystem::path spool_;
  std::map<int32_t, std::ofstream> files_;
  std::map<int32_t, ChainPosition> chains_;
  std::map<int32_t, int64_t> next_offset_;
  int64_t accepted_ = 0;
  int64_t events_ = 0;
  int64_t spooled_bytes_ = 0;
  std::map<std::string, int64_t> ignored_;
  int64_t undecodable_ = 0;
  int64_t offset_gaps_ = 0;
};

struct Figures {
  double warm_up_seconds = 0;
  double producing_seconds = 0;
  double draining_seconds = 0;
  double checking_seconds = 0;
  int64_t commands = 0;  // distinct commands (re-sends not counted)
  int64_t sends = 0;     // messages produced
  int64_t delivery_failures = 0;
  int64_t paused_ms = 0;                 // producing held back by --max-in-flight
  std::map<std::string, int64_t> kills;  // by kind
  int64_t restarts = 0;
  int64_t double_kills = 0;
  int64_t kills_right_after_restart = 0;
  int64_t verify_rows = 0;              // rows of the fold of the log, compared with the tables
  int64_t lag_max = 0;                  // records one projection had yet to apply on one partition
  int64_t lag_sum_max = 0;              // over every projection and partition
  int64_t in_flight_max = 0;            // commands sent and not yet answered
  int64_t in_flight_partition_max = 0;  // the same, of one partition
  std::vector<Exit> exits;
  std::map<Problem, int64_t> problems;
  std::vector<Finding> findings;
  std::string verify_cli;  // what `ledgerflow verify` said, or why it did not run
  std::map<std::string, std::optional<int>> stop_codes;
};

class Soak {
 public:
  Soak(const Options& options, std::filesystem::path run_dir, uint64_t seed)
      : options_(options), run_dir_(std::move(run_dir)), seed_(seed) {}

  int run();

 private:
  void start_services();
  void warm_up();
  void close_clients();
  void produce_due(int64_t since_start_ms);
  void read(int timeout_ms);
  void chaos_step(Chaos& chaos, int64_t now_ms);
  void reap();
  void sample_lag();
  void progress(const char* phase);
  bool drained();
  void check();
  void tamper();
  void check_archive(pqxx::work& work);
  void check_balances(pqxx::work& work);
  void check_verify(pqxx::work& work);
  void run_verify_cli(bool log_whole);
  void report(std::ostream& out);
  int64_t differences() const;
  void finding(Problem problem, const std::string& text);

  Options options_;
  std::filesystem::path run_dir_;
  uint64_t seed_;
  std::string binary_;
  std::unique_ptr<Infrastructure> infra_;
  std::unique_ptr<Fleet> fleet_;
  kafka::Settings settings_;
  kafka::Topics topics_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Consumer> results_;
  std::unique_ptr<EventReader> events_;
  std::unique_ptr<kafka::Consumer> probe_;
  std::unique_ptr<pqxx::connection> db_;
  std::unique_ptr<Workload> workload_;
  Ledger ledger_;
  Figures figures_;
  Clock::time_point started_;
  int64_t last_lag_sum_ = -1;
  int64_t paused_since_ms_ = -1;
  int64_t sends_skipped_ = 0;  // sends the rate called for while producing was held back
  int64_t sends_before_ = 0;   // sends of the warm-up
};

void Soak::start_services() {
  infra_ = std::make_unique<Infrastructure>(binary_, run_dir_, options_.partitions, 180s);
  spdlog::info("infrastructure up: KAFKA_BOOTSTRAP={} DATABASE_URL={}", infra_->bootstrap(),
               infra_->database_url());
  fleet_ = std::make_unique<Fleet>(
      binary_, run_dir_,
      std::map<std::string, std::string>{
          {"KAFKA_BOOTSTRAP", infra_->bootstrap()},
          {"DATABASE_URL", infra_->database_url()},
          {"LEDGERFLOW_LOG_LEVEL", "info"},
          // A killed member leaves the group within seconds.
          {"LEDGERFLOW_KAFKA_PROPERTIES", "session.timeout.ms=6000,heartbeat.interval.ms=500"},
      });
  for (int i = 1; i <= options_.engines; ++i) fleet_->start("engine", i);
  for (int i = 1; i <= options_.projectors; ++i) fleet_->start("projector", i);
  settings_.bootstrap = infra_->bootstrap();
  producer_ = std::make_unique<kafka::Producer>(settings_, "soak-producer");
  producer_->on_delivery([this](const kafka::DeliveryReport& report) {
    if (report.error == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (figures_.delivery_failures++ < 10) {
      spdlog::error("a command was not delivered: {}", rd_kafka_err2str(report.error));
    }
  });
  results_ = std::make_unique<kafka::Consumer>(settings_, "soak-results", "");
  results_->assign(from_start(*results_, topics_.results()));
  events_ = std::make_unique<EventReader>(settings_, topics_, run_dir_ / "events-spool");
  probe_ = std::make_unique<kafka::Consumer>(settings_, "soak-probe", "");
  db_ = std::make_unique<pqxx::connection>(infra_->database_url());
}

// Every tenant's allocation, answered and projected before the clock
// starts: the services' first group joins take seconds, which is not what
// the soak measures.
void Soak::warm_up() {
  const Clock::time_point start = Clock::now();
  for (std::size_t i = 0; i < workload_->tenants().size(); ++i) {
    const Planned planned = workload_->next(system_now_ms());
    LF_ASSERT(planned.type == "credits.allocate" && !planned.resend_of);
    producer_->produce(topics_.commands(), -1, workload_->tenants()[planned.tenant], planned.json);
    ++figures_.sends;
    ledger_.sent(planned, system_now_ms());
  }
  int64_t next_lag = 0;
  while (elapsed_ms(start) < kWarmUpTimeoutMs) {
    read(20);
    if (elapsed_ms(start) < next_lag) continue;
    next_lag = elapsed_ms(start) + 1000;
    reap();
    sample_lag();
    if (ledger_.first_answers() == static_cast<int64_t>(ledger_.commands()) && last_lag_sum_ == 0)
      break;
  }
  figures_.warm_up_seconds = static_cast<double>(elapsed_ms(start)) / 1000.0;
  if (ledger_.first_answers() != static_cast<int64_t>(ledger_.commands()) || last_lag_sum_ != 0) {
    throw std::runtime_error("the allocations were not answered and projected within " +
                             std::to_string(kWarmUpTimeoutMs / 1000) + " s");
  }
  spdlog::info("warm-up: {} allocations answered and projected in {:.1f} s", ledger_.commands(),
               figures_.warm_up_seconds);
  // The figures describe the soak from here on.
  figures_.lag_max = 0;
  figures_.lag_sum_max = 0;
  ledger_.reset_latency();
}

void Soak::close_clients() {
  producer_->flush(10'000);
  producer_.reset();
  results_->close();
  results_.reset();
  probe_->close();
  probe_.reset();
  events_->close();
  db_.reset();
}

void Soak::produce_due(int64_t since_start_ms) {
  const int64_t due =
      sends_before_ +
      static_cast<int64_t>(options_.rate * static_cast<double>(since_start_ms) / 1000.0) -
      sends_skipped_;
  // Held back per partition: the mock keeps only the last ~5 MiB of a
  // partition, so commands its engine has yet to read must stay below that
  // on every partition, whatever the others do.
  const int64_t in_flight = static_cast<int64_t>(ledger_.commands()) - ledger_.first_answers();
  const int64_t in_flight_partition = ledger_.most_unanswered_in_a_group();
  figures_.in_flight_max = std::max(figures_.in_flight_max, in_flight);
  figures_.in_flight_partition_max =
      std::max(figures_.in_flight_partition_max, in_flight_partition);
  if (in_flight_partition >= options_.max_in_flight) {
    if (paused_since_ms_ < 0) paused_since_ms_ = since_start_ms;
    return;
  }
  if (paused_since_ms_ >= 0) {
    figures_.paused_ms += since_start_ms - paused_since_ms_;
    paused_since_ms_ = -1;
    sends_skipped_ +=
        std::max<int64_t>(0, due - figures_.sends);  // the rate resumes from now, no burst
    return;
  }
  while (figures_.sends < due) {
    const Planned planned = workload_->next(system_now_ms());
    const std::string& tenant = workload_->tenants()[planned.tenant];
    producer_->produce(topics_.commands(), -1, tenant, planned.json);
    ++figures_.sends;
    if (planned.resend_of) {
      ledger_.resent(*planned.resend_of);
    } else {
      ledger_.sent(planned, system_now_ms());
    }
  }
  producer_->poll(0);
}

void Soak::read(int timeout_ms) {
  std::vector<kafka::MessagePtr> messages;
  results_->poll_batch(messages, kPollBatchMax, timeout_ms);
  const int64_t now_ms = system_now_ms();
  for (const kafka::MessagePtr& message : messages) {
    Result<CommandResult> result = decode_result(kafka::message_value(*message));
    if (!result) {
      spdlog::error("results partition {} offset {}: not a result: {}", message->partition,
                    message->offset, result.error().message);
      continue;
    }
    ledger_.on_result(*result, now_ms);
  }
  events_->poll(ledger_, 0);
  producer_->poll(0);
}

void Soak::chaos_step(Chaos& chaos, int64_t now_ms) {
  for (const std::string& victim : chaos.due(now_ms)) {
    fleet_->kill_and_restart(victim);
    ++figures_.kills[Fleet::kind_of(victim)];
    ++figures_.restarts;
    spdlog::info("kill -9 {} and started it again ({} kills so far)", victim, fleet_->kills());
  }
}

void Soak::reap() {
  for (Exit& exit : fleet_->reap()) {
    ++figures_.restarts;
    finding(Problem::service_exit,
            exit.name + " exited on its own with code " + std::to_string(exit.code) + " at " +
                fmt::format("{:.1f}", exit.at_seconds) + " s; its log ends:\n" + exit.log_tail);
    figures_.exits.push_back(std::move(exit));
  }
  if (!infra_->running())
    throw std::runtime_error("ledgerflow dev --infra-only exited: the soak cannot go on");
}

void Soak::sample_lag() {
  try {
    pqxx::work work(*db_);
    int64_t sum = 0;
    for (const verify::PartitionStatus& status :
         verify::projection_status(work, *probe_, topics_.events(), projection_names())) {
      figures_.lag_max = std::max(figures_.lag_max, status.lag);
      sum += status.lag;
    }
    figures_.lag_sum_max = std::max(figures_.lag_sum_max, sum);
    last_lag_sum_ = sum;
  } catch (const std::exception& error) {
    spdlog::warn("could not sample the projections' lag: {}", error.what());
    last_lag_sum_ = -1;
  }
}

void Soak::progress(const char* phase) {
  const int64_t in_flight = static_cast<int64_t>(ledger_.commands()) - ledger_.first_answers();
  spdlog::info(
      "{} {:.0f} s: {} commands sent ({} sends), {} decided, {} answered, {} in flight, {} kills, "
      "projection lag {}, driver RSS {} MiB",
      phase, static_cast<double>(elapsed_ms(started_)) / 1000.0, ledger_.commands(), figures_.sends,
      ledger_.decisions_accepted(), ledger_.first_answers(), in_flight, fleet_->kills(),
      last_lag_sum_, rss_mib("VmRSS:"));
}

bool Soak::drained() {
  return ledger_.unanswered() == 0 && ledger_.undecided() == 0 && last_lag_sum_ == 0 &&
         events_->at_end();
}

void Soak::finding(Problem problem, const std::string& text) {
  if (figures_.problems[problem]++ < static_cast<int64_t>(kExamplesPerProblem)) {
    figures_.findings.push_back(Finding{problem, text});
  }
}

int64_t Soak::differences() const {
  int64_t total = 0;
  for (const auto& [problem, count] : figures_.problems) total += count;
  return total;
}

// event_log (the projector's archive of every accepted commit record): each
// command's decision exactly once, at the seq the events topic accepted.
void Soak::check_archive(pqxx::work& work) {
  std::vector<uint8_t> seen(ledger_.commands(), 0);
  const pqxx::result rows = work.exec(
      "SELECT command_id, count(DISTINCT seq), min(seq) FROM event_log WHERE command_id LIKE "
      "'soak-%' "
      "GROUP BY command_id");
  for (const pqxx::row& row : rows) {
    const std::string id = row[0].as<std::string>();
    const std::optional<uint32_t> index = command_index(id);
    if (!index || *index >= seen.size()) {
      finding(Problem::archive, id + ": in event_log, never sent");
      continue;
    }
    seen[*index] = 1;
    const int64_t records = row[1].as<int64_t>();
    const int64_t seq = row[2].as<int64_t>();
    const Track& track = ledger_.track(*index);
    if (records != 1) {
      finding(Problem::archive, id + ": " + std::to_string(records) + " records in event_log");
    } else if (track.decisions > 0 && seq != track.decision_seq) {
      finding(Problem::archive, id + ": event_log holds seq " + std::to_string(seq) +
                                    ", the events topic accepted " +
                                    std::to_string(track.decision_seq));
    }
  }
  for (uint32_t index = 0; index < seen.size(); ++index) {
    if (!seen[index]) finding(Problem::archive, command_id(index) + ": not in event_log");
  }
}

// credit_balances against the client's fold, tenant by tenant.
void Soak::check_balances(pqxx::work& work) {
  const std::vector<std::string>& tenants = workload_->tenants();
  const std::vector<Balance> fold = ledger_.fold(tenants.size());
  std::unordered_map<std::string, uint32_t> index_of;
  for (uint32_t i = 0; i < tenants.size(); ++i) index_of[tenants[i]] = i;
  std::vector<uint8_t> seen(tenants.size(), 0);
  const pqxx::result rows = work.exec(
      "SELECT tenant_id::text, effective_available, credits_reserved, credits_consumed, "
      "credits_available "
      "FROM credit_balances");
  for (const pqxx::row& row : rows) {
    const std::string tenant = row[0].as<std::string>();
    auto found = index_of.find(tenant);
    if (found == index_of.end()) {
      finding(Problem::balance, "tenant " + tenant + ": a balance nobody allocated");
      continue;
    }
    seen[found->second] = 1;
    const Balance expected = fold[found->second];
    const Balance table{row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<int64_t>()};
    const int64_t available = row[4].as<int64_t>();
    if (table != expected || available != expected.effective_available + expected.reserved) {
      finding(Problem::balance,
              fmt::format("tenant {}: credit_balances effective_available {}, reserved {}, "
                          "consumed {}, available {}; "
                          "the client's fold {}, {}, {}, {}",
                          tenant, table.effective_available, table.reserved, table.consumed,
                          available, expected.effective_available, expected.reserved,
                          expected.consumed, expected.effective_available + expected.reserved));
    }
  }
  for (uint32_t i = 0; i < tenants.size(); ++i) {
    if (!seen[i]) finding(Problem::balance, "tenant " + tenants[i] + ": no row in credit_balances");
  }
}

// Every read table against the fold of the whole events topic (verify's
// fold and diff), one partition at a time: a partition's records hold
// exactly its tenants' rows. Then no table may hold a row of another tenant.
void Soak::check_verify(pqxx::work& work) {
  const std::vector<std::string>& tenants = workload_->tenants();
  const auto partitions = static_cast<int32_t>(options_.partitions);
  int64_t accepted = 0;
  for (int32_t partition : events_->partitions()) {
    verify::Fold fold(projections::all_projections());
    events_->replay(partition, fold);
    accepted += fold.accepted();
    figures_.verify_rows += static_cast<int64_t>(fold.row_count());
    std::set<std::string> own;
    for (const std::string& tenant : tenants) {
      if (partition_for_key(tenant, partitions) == partition) own.insert(tenant);
    }
    for (const verify::Difference& difference :
         verify::diff_tenants(work, fold, kVerifyDifferencesMax, own)) {
      finding(Problem::verify,
              "partition " + std::to_string(partition) + ": " + verify::to_string(difference));
    }
  }
  if (events_->offset_gaps() > 0) {
    finding(Problem::verify, std::to_string(events_->offset_gaps()) +
                                 " gap(s) in the offsets read from the events topic");
  }
  if (accepted != events_->accepted()) {
    finding(Problem::verify, "the spooled log folds to " + std::to_string(accepted) +
                                 " accepted records, " + std::to_string(events_->accepted()) +
                                 " were accepted as they arrived");
  }
  std::string all = "{";
  for (const std::string& tenant : tenants) all += (all.size() > 1 ? "," : "") + tenant;
  all += "}";
  for (const auto& projection : projections::all_projections()) {
    for (const projections::TableSpec* table : projection->tables()) {
      const int64_t strangers =
          work.exec_params1("SELECT count(*) FROM " + work.quote_name(table->name) +
                                " WHERE NOT (tenant_id = ANY($1::uuid[]))",
                            all)[0]
              .as<int64_t>();
      if (strangers > 0) {
        finding(Problem::verify, table->name + ": " + std::to_string(strangers) +
                                     " row(s) of tenants the soak never had");
      }
    }
  }
}

// `ledgerflow verify` itself, which folds the topic from offset 0: only
// while the mock still holds every partition whole.
void Soak::run_verify_cli(bool log_whole) {
  if (!log_whole) {
    figures_.verify_cli =
        "not run: the mock cluster no longer holds ledgerflow.events from offset 0 (it keeps ~5 "
        "MiB a partition); "
        "its fold of the whole topic, spooled by the driver as it was written, was diffed instead "
        "(below)";
    return;
  }
  testing::ChildProcess verify(
      {binary_, "verify", "--limit", std::to_string(kVerifyDifferencesMax)},
      {{"KAFKA_BOOTSTRAP", infra_->bootstrap()}, {"DATABASE_URL", infra_->database_url()}},
      (run_dir_ / "verify.log").string());
  const std::string output = verify.read_all(std::chrono::minutes(20));
  const std::optional<int> code = verify.wait(std::chrono::minutes(1));
  std::istringstream lines(output);
  std::string line;
  int64_t listed = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++listed;
    finding(Problem::verify, "ledgerflow verify: " + line);
  }
  figures_.verify_cli = "exit " + (code ? std::to_string(*code) : std::string("(did not finish)")) +
                        ", " + std::to_string(listed) +
                        " difference(s) listed (log: " + (run_dir_ / "verify.log").string() + ")";
  if ((!code || *code != 0) && listed == 0)
    finding(Problem::verify, "ledgerflow verify: " + figures_.verify_cli);
}

// What a lost or doubled write would leave: one balance off by a credit,
// one audit row gone (--tamper).
void Soak::tamper() {
  pqxx::work work(*db_);
  work.exec_params(
      "UPDATE credit_balances SET effective_available = effective_available + 1, "
      "credits_available = credits_available + 1 WHERE tenant_id = $1::uuid",
      workload_->tenants().front());
  work.exec(
      "DELETE FROM audit_log WHERE event_id = (SELECT event_id FROM audit_log ORDER BY event_id "
      "LIMIT 1)");
  work.commit();
  spdlog::warn("--tamper: credit_balances of tenant {} moved by 1 and one audit_log row deleted",
               workload_->tenants().front());
}

void Soak::check() {
  const bool log_whole = events_->log_whole();
  events_->close();  // everything read: the spool is complete
  std::vector<Finding> per_command = ledger_.check(kExamplesPerProblem, figures_.problems);
  figures_.findings.insert(figures_.findings.end(), per_command.begin(), per_command.end());
  pqxx::work work(*db_);
  check_archive(work);
  check_balances(work);
  check_verify(work);
  work.commit();
  run_verify_cli(log_whole);
}

int Soak::run() {
  binary_ = options_.ledgerflow.empty() ? self_directory() + "/../../cli/ledgerflow"
                                        : options_.ledgerflow;
  if (!std::filesystem::exists(binary_)) {
    spdlog::critical("no ledgerflow binary at {} (--ledgerflow)", binary_);
    return kExitCannotRun;
  }
  const int64_t duration_ms = parse_duration_ms(options_.duration);
  const int64_t kill_every_ms = parse_duration_ms(options_.kill_every);
  const int64_t drain_timeout_ms = parse_duration_ms(options_.drain_timeout);
  started_ = Clock::now();
  start_services();
  WorkloadOptions workload_options;
  workload_options.seed = seed_;
  workload_options.tenant_count = options_.tenants;
  workload_ = std::make_unique<Workload>(workload_options, system_now_ms());
  std::vector<uint32_t> partition_of_tenant;
  for (const std::string& tenant : workload_->tenants())
    partition_of_tenant.push_back(
        static_cast<uint32_t>(partition_for_key(tenant, options_.partitions)));
  ledger_.group_tenants(std::move(partition_of_tenant));
  spdlog::info(
      "soak: seed {}, {} s at {} commands/s, {} engines, {} projectors, a kill -9 every ~{} ms, "
      "{} partitions, {} tenants",
      seed_, duration_ms / 1000, options_.rate, options_.engines, options_.projectors,
      kill_every_ms, options_.partitions, options_.tenants);

  warm_up();

  // Producing, with kills.
  Chaos chaos(seed_, kill_every_ms, fleet_->names(), 0);
  const Clock::time_point producing = Clock::now();
  sends_before_ = figures_.sends;
  int64_t next_progress = kProgressEveryMs, next_lag = 0, next_reap = kReapEveryMs;
  while (elapsed_ms(producing) < duration_ms) {
    const int64_t now = elapsed_ms(producing);
    produce_due(now);
    read(5);
    chaos_step(chaos, now);
    if (now >= next_reap) {
      reap();
      next_reap = now + kReapEveryMs;
    }
    if (now >= next_lag) {
      sample_lag();
      next_lag = now + kLagSampleEveryMs;
    }
    if (now >= next_progress) {
      progress("producing");
      next_progress = now + kProgressEveryMs;
    }
  }
  figures_.producing_seconds = static_cast<double>(elapsed_ms(producing)) / 1000.0;
  figures_.double_kills = chaos.double_kills();
  figures_.kills_right_after_restart = chaos.kills_right_after_restart();
  figures_.commands = static_cast<int64_t>(ledger_.commands());
  if (!producer_->flush(60'000)) spdlog::error("commands still undelivered after 60 s");

  // Draining: no more commands, no more kills; wait until everything is answered and projected.
  spdlog::info(
      "stopped sending after {} commands; waiting for every result, decision and projection",
      ledger_.commands());
  const Clock::time_point draining = Clock::now();
  next_progress = kProgressEveryMs;
  next_lag = 0;
  next_reap = 0;
  while (elapsed_ms(draining) < drain_timeout_ms) {
    read(20);
    const int64_t now = elapsed_ms(draining);
    if (now >= next_reap) {
      reap();
      next_reap = now + kReapEveryMs;
    }
    if (now >= next_lag) {
      sample_lag();
      next_lag = now + 1000;
      if (drained()) break;
    }
    if (now >= next_progress) {
      progress("draining");
      next_progress = now + kProgressEveryMs;
    }
  }
  figures_.draining_seconds = static_cast<double>(elapsed_ms(draining)) / 1000.0;
  if (!drained())
    spdlog::error("not drained after {} ms: checking what there is", drain_timeout_ms);

  if (options_.tamper) tamper();
  const Clock::time_point checking = Clock::now();
  check();
  figures_.checking_seconds = static_cast<double>(elapsed_ms(checking)) / 1000.0;
  reap();
  close_clients();
  figures_.stop_codes = fleet_->stop_all(30s);
  infra_->stop(60s);

  std::ofstream file(run_dir_ / "figures.txt");
  report(file);
  report(std::cout);
  if (differences() > 0) return kExitDifferences;
  events_->remove_spool();  // large; kept only when something differs
  int64_t kills = 0;
  for (const auto& [kind, count] : figures_.kills) kills += count;
  if (kills < options_.min_kills || figures_.commands < options_.min_commands) {
    std::cout << "FAILED: fewer kills (" << kills << ") or commands (" << figures_.commands
              << ") than asked for (--min-kills " << options_.min_kills << ", --min-commands "
              << options_.min_commands << ")\n";
    return kExitDifferences;
  }
  return kExitOk;
}

void Soak::report(std::ostream& out) {
  const auto& e = *events_;
  int64_t kills = 0;
  std::string by_kind;
  for (const auto& [kind, count] : figures_.kills) {
    kills += count;
    by_kind += (by_kind.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  }
  std::string ignored;
  for (const auto& [verdict, count] : e.ignored()) {
    ignored += (ignored.empty() ? "" : ", ") + verdict + " " + std::to_string(count);
  }
  std::string stops;
  for (const auto& [name, code] : figures_.stop_codes) {
    stops += (stops.empty() ? "" : ", ") + name + " " +
             (code ? std::to_string(*code) : std::string("hung"));
  }
  const double rate = figures_.producing_seconds > 0
                          ? static_cast<double>(figures_.commands) / figures_.producing_seconds
                          : 0;
  out << "== soak figures (seed " << seed_ << ", run directory " << run_dir_.string() << ") ==\n";
  out << fmt::format(
      "duration        {:.1f} s warming up, {:.1f} s producing, {:.1f} s draining, {:.1f} s "
      "checking\n",
      figures_.warm_up_seconds, figures_.producing_seconds, figures_.draining_seconds,
      figures_.checking_seconds);
  out << fmt::format("services        {} engines, {} projectors, {} partitions, {} tenants\n",
                     options_.engines, options_.projectors, options_.partitions, options_.tenants);
  out << fmt::format(
      "commands sent   {} ({:.1f}/s; target {}/s), plus {} re-sent with the same command_id; "
      "{} delivery failures; producing held back {:.1f} s by --max-in-flight\n",
      figures_.commands, rate, options_.rate, ledger_.resends(), figures_.delivery_failures,
      static_cast<double>(figures_.paused_ms) / 1000.0);
  out << fmt::format(
      "decisions       {} commit records accepted by the chain rule ({} events): {} commands "
      "decided, "
      "{} of them rejections; {} timer records; records ignored: {}; {} undecodable\n",
      e.accepted(), e.events(), ledger_.decisions_accepted(), ledger_.rejections(),
      ledger_.timer_records(), ignored.empty() ? "none" : ignored, e.undecodable());
  out << fmt::format(
      "results         {} received, {} of them duplicate answers (re-sends, and results re-sent "
      "after "
      "a restart); {} commands answered only by a duplicate; {} foreign\n",
      ledger_.results_received(), ledger_.duplicate_results(), ledger_.answered_only_as_duplicate(),
      ledger_.foreign_results());
  out << fmt::format("kills           {} kill -9 ({}); {} double kills, {} right after a restart\n",
                     kills, by_kind.empty() ? "none" : by_kind, figures_.double_kills,
                     figures_.kills_right_after_restart);
  out << fmt::format("restarts        {} ({} after an exit on their own)\n", figures_.restarts,
                     figures_.exits.size());
  out << fmt::format(
      "max lag         projection: {} records on one partition, {} summed over projections and "
      "partitions (sampled every 2 s); {} commands in flight ({} on one partition); slowest first "
      "result {} ms after sending\n",
      figures_.lag_max, figures_.lag_sum_max, figures_.in_flight_max,
      figures_.in_flight_partition_max, ledger_.result_latency_ms_max());
  out << fmt::format(
      "verify          the fold of the whole log, partition by partition: {} rows compared with "
      "the read tables ({} MiB of records spooled)\n",
      figures_.verify_rows, e.spooled_bytes() >> 20);
  out << "                ledgerflow verify: " << figures_.verify_cli << "\n";
  out << fmt::format("driver          peak RSS {} MiB\n", rss_mib());
  out << "stops (SIGTERM) " << (stops.empty() ? "none" : stops) << "\n";
  std::string problems;
  for (int kind = 0; kind < kProblemKinds; ++kind) {
    const auto problem = static_cast<Problem>(kind);
    auto found = figures_.problems.find(problem);
    const int64_t count = found == figures_.problems.end() ? 0 : found->second;
    problems += (problems.empty() ? "" : ", ") + std::string(to_string(problem)) + " " +
                std::to_string(count);
  }
  out << "differences     " << differences() << " (" << problems << ")\n";
  for (const Finding& found : figures_.findings)
    out << "  " << to_string(found.problem) << ": " << found.text << "\n";
  out << (differences() == 0 ? "PASSED" : "FAILED") << "\n";
  out.flush();
}

}  // namespace

}  // namespace lf::soak

int main(int argc, char** argv) {
  lf::soak::Options options;
  CLI::App app{
      "The ledgerflow soak: a steady mixed workload against engines and projectors killed with "
      "kill -9, then every command, balance and read table checked"};
  app.add_option("--duration", options.duration, "How long to send commands (45s, 10m, 1h)")
      ->capture_default_str();
  app.add_option("--engines", options.engines, "Engine processes")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--projectors", options.projectors,
                 "Projector processes (each runs every projection)")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--rate", options.rate, "Commands per second")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--kill-every", options.kill_every, "Mean time between kills (jittered +-50%)")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "Seed of the workload and the kills (0: random)")
      ->capture_default_str();
  app.add_option("--partitions", options.partitions, "Partitions of each topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--tenants", options.tenants, "Tenants")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--drain-timeout", options.drain_timeout,
                 "How long to wait for results and projections at the end")
      ->capture_default_str();
  app.add_option("--max-in-flight", options.max_in_flight,
                 "Hold sending while one partition has this many commands unanswered (the mock "
                 "keeps ~5 MiB a partition)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--ledgerflow", options.ledgerflow,
                 "The ledgerflow binary (default: the build's cli/ledgerflow)");
  app.add_option("--run-dir", options.run_dir,
                 "Where logs and figures go (default: a new /tmp/ledgerflow-soak-*)");
  app.add_option("--min-kills", options.min_kills, "Fail unless at least this many kills happened")
      ->capture_default_str();
  app.add_option("--min-commands", options.min_commands,
                 "Fail unless at least this many commands were sent")
      ->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  app.add_flag("--tamper", options.tamper,
               "Check the checks: before checking, add 1 to one tenant's balance and delete one "
               "audit_log row "
               "behind the projectors' back; the soak must then fail");
  CLI11_PARSE(app, argc, argv);

  uint64_t seed = options.seed != 0 ? options.seed : std::random_device{}();
  std::filesystem::path run_dir =
      options.run_dir.empty()
          ? std::filesystem::temp_directory_path() /
                ("ledgerflow-soak-" + std::to_string(lf::system_now_ms() / 1000) + "-" +
                 std::to_string(seed))
          : std::filesystem::path(options.run_dir);
  std::filesystem::create_directories(run_dir);
  std::printf("run directory: %s\n", run_dir.c_str());
  std::fflush(stdout);
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>((run_dir / "soak.log").string());
  auto logger = std::make_shared<spdlog::logger>("soak", spdlog::sinks_init_list{console, file});
  logger->set_level(spdlog::level::from_str(options.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  try {
    lf::soak::Soak soak(options, run_dir, seed);
    return soak.run();
  } catch (const std::exception& error) {
    spdlog::critical("the soak could not run: {} (logs in {})", error.what(), run_dir.string());
    return lf::soak::kExitCannotRun;
  }
}
