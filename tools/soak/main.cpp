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
#include "tools/soak/soak.hpp"
#include "tools/soak/workload.hpp"

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
