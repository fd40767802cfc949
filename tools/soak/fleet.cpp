// The soak's processes (fleet.hpp).
#include "tools/soak/fleet.hpp"

#include <signal.h>

#include <deque>
#include <fstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace lf::soak {

namespace {

constexpr std::size_t kLogTailLines = 8;

std::string log_tail(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > kLogTailLines) lines.pop_front();
  }
  std::string tail;
  for (const std::string& kept : lines) tail += "    " + kept + "\n";
  return tail;
}

}  // namespace

os::SpawnOptions service_options(std::map<std::string, std::string> environment,
                                 const std::string& log) {
  os::SpawnOptions options;
  options.environment = std::move(environment);
  options.stdin_text = "";  // a pipe, closed at once
  options.stderr_path = log;
  options.dies_with_parent = true;
  return options;
}

Infrastructure::Infrastructure(const std::string& binary, const std::filesystem::path& logs,
                               int partitions, std::chrono::seconds ready_timeout)
    : log_((logs / "infra.log").string()),
      process_({binary, "dev", "--infra-only", "--partitions", std::to_string(partitions)},
               service_options({}, log_)) {
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::optional<std::string> line = process_.read_line(left);
    if (!line) break;
    if (line->rfind("KAFKA_BOOTSTRAP=", 0) == 0) bootstrap_ = line->substr(16);
    if (line->rfind("DATABASE_URL=", 0) == 0) database_url_ = line->substr(13);
    if (*line == "READY" && !bootstrap_.empty() && !database_url_.empty()) return;
  }
  throw std::runtime_error("ledgerflow dev --infra-only did not print READY (see " + log_ + ")");
}

std::optional<int> Infrastructure::stop(std::chrono::milliseconds timeout) {
  process_.signal(SIGTERM);
  return process_.wait(timeout);
}

Fleet::Fleet(std::string binary, std::filesystem::path logs,
             std::map<std::string, std::string> environment)
    : binary_(std::move(binary)), logs_(std::move(logs)), environment_(std::move(environment)) {}

void Fleet::start(const std::string& kind, int index) {
  const std::string name = kind + "-" + std::to_string(index);
  names_.push_back(name);
  launch(name);
}

void Fleet::launch(const std::string& name) {
  const std::string subcommand = kind_of(name) == "engine" ? "engine" : "project";
  processes_[name] = std::make_unique<os::ChildProcess>(
      std::vector<std::string>{binary_, subcommand, "--client-id", name},
      service_options(environment_, (logs_ / (name + ".log")).string()));
  ++starts_;
  spdlog::debug("started {} (pid {})", name, processes_[name]->pid());
}

void Fleet::mark_log(const std::string& name, const std::string& line) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::ofstream out(logs_ / (name + ".log"), std::ios::app);
  out << "==== soak " << fmt::format("{:.3f}", seconds) << " s: " << line << " ====\n";
}

void Fleet::kill_and_restart(const std::string& name) {
  os::ChildProcess& process = *processes_.at(name);
  const pid_t pid = process.pid();
  process.signal(SIGKILL);
  if (!process.wait(std::chrono::seconds(10)))
    throw std::runtime_error(name + " survived SIGKILL for 10 s");
  ++kills_;
  mark_log(name, "kill -9 of pid " + std::to_string(pid) + ", started again");
  launch(name);
}

std::vector<Exit> Fleet::reap() {
  std::vector<Exit> exits;
  for (const std::string& name : names_) {
    os::ChildProcess& process = *processes_.at(name);
    if (process.running()) continue;
    Exit exit;
    exit.name = name;
    exit.code = process.wait(std::chrono::milliseconds(0)).value_or(-1);
    exit.at_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    exit.log_tail = log_tail(logs_ / (name + ".log"));
    mark_log(name, "exited on its own with code " + std::to_string(exit.code) + ", started again");
    spdlog::error("{} exited on its own with code {}; its log ends:\n{}", name, exit.code,
                  exit.log_tail);
    exits.push_back(std::move(exit));
    launch(name);
  }
  return exits;
}

std::map<std::string, std::optional<int>> Fleet::stop_all(std::chrono::milliseconds timeout) {
  for (auto& [name, process] : processes_) process->signal(SIGTERM);
  std::map<std::string, std::optional<int>> codes;
  for (auto& [name, process] : processes_) {
    codes[name] = process->wait(timeout);
    if (!codes[name]) {
      process->signal(SIGKILL);
      process->wait(std::chrono::seconds(10));
    }
  }
  return codes;
}

}  // namespace lf::soak
