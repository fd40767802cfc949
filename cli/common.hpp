// What every subcommand shares: connection settings (flags override the
// environment: KAFKA_BOOTSTRAP, DATABASE_URL, LEDGERFLOW_*), logging, exit
// codes and stop signals.
#pragma once

#include <atomic>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "consumers/kafka/kafka.hpp"
#include "projections/projection.hpp"

namespace lf::cli {

// DESIGN.md "The command line": exit codes.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // the command ran and found a failure
constexpr int kExitUsage = 2;    // usage or configuration error

// A usage or configuration error (exit code 2).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GlobalOptions {
  std::string kafka_bootstrap;
  std::string database_url;
  std::string topic_prefix = "ledgerflow.";
  std::vector<std::string> kafka_properties;  // key=value, passed to librdkafka
  std::string log_level = "info";
};

void add_global_options(CLI::App& app, GlobalOptions& options);
void setup_logging(const std::string& level);

// Settings from the options; ConfigError when a required one is missing.
kafka::Settings kafka_settings(const GlobalOptions& options);
// The `-X key=value` properties alone.
std::map<std::string, std::string> kafka_properties(const GlobalOptions& options);
kafka::Topics topics(const GlobalOptions& options);
std::string database_url(const GlobalOptions& options);

// "<projection>=skip|park" items (--unknown-events); ConfigError when one is
// malformed or names no projection.
std::map<std::string, projections::UnknownEventPolicy> unknown_event_policies(
    const std::vector<std::string>& items);

// SIGINT/SIGTERM set the returned flag.
const std::atomic<bool>& install_stop_signals();

}  // namespace lf::cli
