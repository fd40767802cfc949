// The soak's run (soak.hpp): services up, the warm-up, sending at the rate
// while the chaos kills, the drain, then the checks (checks.cpp).
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
#include "tools/soak/soak.hpp"
#include "tools/soak/workload.hpp"

namespace lf::soak {

using namespace std::chrono_literals;

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
int64_t rss_mib(const char* field) {
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
    Result<ResultEnvelope> result = decode_result(kafka::message_value(*message));
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

}  // namespace lf::soak
