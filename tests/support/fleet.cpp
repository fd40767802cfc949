// Child processes of ledgerflow for the kill -9 tests.
#include "tests/support/fleet.hpp"

#include <signal.h>

#include <gtest/gtest.h>

namespace lf::testing {

using namespace std::chrono_literals;

Infrastructure::Infrastructure(const std::filesystem::path& logs, int partitions,
                               const std::string& database_url)
    : process_(
          {ledgerflow_binary(), "dev", "--infra-only", "--partitions", std::to_string(partitions)},
          database_url.empty() ? std::map<std::string, std::string>{}
                               : std::map<std::string, std::string>{{"DATABASE_URL", database_url}},
          (logs / "infra.log").string()) {
  while (std::optional<std::string> line = process_.read_line(120s)) {
    if (line->rfind("KAFKA_BOOTSTRAP=", 0) == 0) bootstrap_ = line->substr(16);
    if (line->rfind("DATABASE_URL=", 0) == 0) database_url_ = line->substr(13);
    if (*line == "READY") return;
  }
  ADD_FAILURE() << "ledgerflow dev --infra-only did not print READY (see " << process_.stderr_path()
                << ")";
}

void Fleet::start(const std::string& kind, int index, const std::vector<std::string>& extra) {
  const std::string name = kind + "-" + std::to_string(index);
  const std::string subcommand = kind == "engine" ? "engine" : "project";
  std::vector<std::string> argv{ledgerflow_binary(), subcommand, "--client-id", name};
  argv.insert(argv.end(), extra.begin(), extra.end());
  extras_[name] = extra;
  processes_[name] = std::make_unique<ChildProcess>(
      std::move(argv),
      std::map<std::string, std::string>{
          {"KAFKA_BOOTSTRAP", infra_.bootstrap()},
          {"DATABASE_URL", infra_.database_url()},
          {"LEDGERFLOW_LOG_LEVEL", "info"},
          // Killed members leave the group within seconds.
          {"LEDGERFLOW_KAFKA_PROPERTIES", "session.timeout.ms=6000,heartbeat.interval.ms=500"},
      },
      (logs_ / (name + ".log")).string());
}

void Fleet::kill9(const std::string& name) {
  processes_.at(name)->signal(SIGKILL);
  processes_.at(name)->wait(10s);
  processes_.erase(name);
}

void Fleet::restart(const std::string& name) {
  const std::size_t dash = name.rfind('-');
  auto extra = extras_.find(name);
  start(name.substr(0, dash), std::stoi(name.substr(dash + 1)),
        extra == extras_.end() ? std::vector<std::string>{} : extra->second);
}

std::vector<std::string> Fleet::crashed() {
  std::vector<std::string> names;
  for (auto& [name, process] : processes_) {
    if (!process->running())
      names.push_back(name + " (exit " + std::to_string(*process->wait(0ms)) + ")");
  }
  return names;
}

}  // namespace lf::testing
