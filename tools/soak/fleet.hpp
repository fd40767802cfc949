// The soak's processes: `ledgerflow dev --infra-only` (the mock cluster and a
// throwaway PostgreSQL; never killed, since the mock keeps nothing across a
// restart) and the engines and projectors, each logging to
// <run dir>/<name>.log, killed with SIGKILL and started again, and watched
// for exits nobody asked for.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consumers/os/process.hpp"

namespace lf::soak {

// How the soak starts a ledgerflow process: `environment` on top of ours,
// standard error appended to `log`, SIGTERM when the soak dies first.
os::SpawnOptions service_options(std::map<std::string, std::string> environment,
                                 const std::string& log);

// `ledgerflow dev --infra-only`; the constructor returns once it printed
// READY, and throws if it does not within `ready_timeout`.
class Infrastructure {
 public:
  Infrastructure(const std::string& binary, const std::filesystem::path& logs, int partitions,
                 std::chrono::seconds ready_timeout);
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& database_url() const { return database_url_; }
  bool running() { return process_.running(); }
  // SIGTERM and wait: it stops the cluster and removes the database.
  std::optional<int> stop(std::chrono::milliseconds timeout);

 private:
  std::string log_;
  os::ChildProcess process_;
  std::string bootstrap_;
  std::string database_url_;
};

// A service that exited without being killed.
struct Exit {
  std::string name;
  int code = 0;  // exit code, or 128 + signal
  double at_seconds = 0;
  std::string log_tail;  // the last lines of its log
};

class Fleet {
 public:
  // `environment`: KAFKA_BOOTSTRAP, DATABASE_URL and the like, for every service.
  Fleet(std::string binary, std::filesystem::path logs,
        std::map<std::string, std::string> environment);

  // Starts "<kind>-<index>" (kind "engine" or "projector").
  void start(const std::string& kind, int index);
  const std::vector<std::string>& names() const { return names_; }
  static std::string kind_of(const std::string& name) { return name.substr(0, name.rfind('-')); }

  // SIGKILL, waited for; then started again.
  void kill_and_restart(const std::string& name);
  // Services that exited on their own since the last call, each started
  // again.
  std::vector<Exit> reap();
  // SIGTERM to every service; their exit codes (nullopt: still running
  // after `timeout`, then killed).
  std::map<std::string, std::optional<int>> stop_all(std::chrono::milliseconds timeout);

  int64_t starts() const { return starts_; }
  int64_t kills() const { return kills_; }

 private:
  void launch(const std::string& name);
  void mark_log(const std::string& name, const std::string& line);

  std::string binary_;
  std::filesystem::path logs_;
  std::map<std::string, std::string> environment_;
  std::vector<std::string> names_;
  std::map<std::string, std::unique_ptr<os::ChildProcess>> processes_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  int64_t starts_ = 0;
  int64_t kills_ = 0;
};

}  // namespace lf::soak
