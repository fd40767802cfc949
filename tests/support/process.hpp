// Child processes for tests that run ledgerflow (or kcat, psql) as separate
// programs: start with arguments and extra environment, read standard output
// line by line, send signals (kill -9), wait. A child gets SIGTERM if the
// test process dies first. Standard error goes to a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lf::testing {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> environment = {},
               std::string stderr_path = "/dev/null",
               std::optional<std::string> stdin_text = std::nullopt);
  ~ChildProcess();  // SIGTERM, then SIGKILL after 10 s
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The next line of standard output, or nullopt at the deadline or EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Everything left on standard output until the process closes it.
  std::string read_all(std::chrono::milliseconds timeout);
  void signal(int signal_number);
  // Waits for the exit; the exit code, or 128 + signal. nullopt at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::optional<int> exit_code_;
  std::string stderr_path_;
};

// Runs a command to completion; returns (exit code, standard output).
std::pair<int, std::string> run_command(std::vector<std::string> argv,
                                        std::chrono::milliseconds timeout,
                                        std::optional<std::string> stdin_text = std::nullopt,
                                        std::map<std::string, std::string> environment = {});

// The ledgerflow binary built with these tests.
std::string ledgerflow_binary();

}  // namespace lf::testing
