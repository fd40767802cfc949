// Child processes for tests that run ledgerflow (or kcat, psql) as separate
// programs: start with arguments and extra environment, read standard output
// line by line, send signals (kill -9), wait. A child gets SIGTERM if the
// test process dies first. Standard error goes to a log file. The toolkit
// underneath is consumers/os/process.hpp; this is the tests' way of using it.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consumers/os/process.hpp"

namespace lf::testing {

class ChildProcess : public os::ChildProcess {
 public:
  // `stdin_text` is written to its standard input, which is then closed
  // (at once, without text).
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> environment = {},
               std::string stderr_path = "/dev/null",
               std::optional<std::string> stdin_text = std::nullopt);

  const std::string& stderr_path() const { return stderr_path_; }

 private:
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
