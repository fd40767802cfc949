// The soak's driver (docs/reliability.md, "Soak"): its options, the figures
// it reports, and the Soak that starts the services, sends, kills, drains
// and checks. soak.cpp runs it; checks.cpp holds the checks after the drain
// and the report; main.cpp reads the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "events/json.hpp"
#include "tools/soak/chaos.hpp"
#include "tools/soak/event_reader.hpp"
#include "tools/soak/fleet.hpp"
#include "tools/soak/ledger.hpp"
#include "tools/soak/workload.hpp"

namespace lf::soak {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline constexpr int kExitOk = 0;
inline constexpr int kExitDifferences = 1;
inline constexpr int kExitCannotRun = 2;
inline constexpr std::size_t kExamplesPerProblem = 10;
inline constexpr std::size_t kVerifyDifferencesMax = 100;
inline constexpr int64_t kProgressEveryMs = 10'000;
inline constexpr int64_t kLagSampleEveryMs = 2'000;
inline constexpr int64_t kReapEveryMs = 500;
inline constexpr int64_t kWarmUpTimeoutMs = 180'000;

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

// "45s", "10m", "1h", "1500ms", or seconds; throws CLI::ValidationError.
int64_t parse_duration_ms(const std::string& text);
int64_t elapsed_ms(Clock::time_point since);
// The directory of this executable.
std::string self_directory();
// VmHWM (peak) or VmRSS (now) of this process, in MiB.
int64_t rss_mib(const char* field = "VmHWM:");
std::vector<std::string> projection_names();

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

}  // namespace lf::soak
