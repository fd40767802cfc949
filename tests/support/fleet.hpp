// ledgerflow as separate processes, for the tests that kill them:
// `ledgerflow dev --infra-only` (the mock cluster and a throwaway
// PostgreSQL), and engines and projectors started, killed with SIGKILL and
// restarted against it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace lf::testing {

// `ledgerflow dev --infra-only` in a child process; the constructor returns
// once it printed READY (a test failure if it never does).
class Infrastructure {
 public:
  // With `database_url`, that database (migrated) instead of a throwaway server.
  Infrastructure(const std::filesystem::path& logs, int partitions,
                 const std::string& database_url = "");
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& database_url() const { return database_url_; }
  ChildProcess& process() { return process_; }

 private:
  ChildProcess process_;
  std::string bootstrap_;
  std::string database_url_;
};

// Engines and projectors named "<kind>-<index>" ("engine-1", "projector-2"),
// each logging to <logs>/<name>.log.
class Fleet {
 public:
  Fleet(const Infrastructure& infra, std::filesystem::path logs)
      : infra_(infra), logs_(std::move(logs)) {}

  // `extra` arguments follow the subcommand, e.g. {"--clock-offset-ms", "262800000"}.
  void start(const std::string& kind, int index, const std::vector<std::string>& extra = {});
  void kill9(const std::string& name);
  // Starts "<kind>-<index>" again, with the same extra arguments as before.
  void restart(const std::string& name);
  // Names of processes that exited on their own (not killed by us).
  std::vector<std::string> crashed();

 private:
  const Infrastructure& infra_;
  std::filesystem::path logs_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
  std::map<std::string, std::vector<std::string>> extras_;
};

}  // namespace lf::testing
