// Child processes for tests: the process toolkit (consumers/os/process.hpp)
// with the tests' settings.
#include "tests/support/process.hpp"

#include <signal.h>

#include <cstdlib>

namespace lf::testing {

namespace {

os::SpawnOptions test_options(std::map<std::string, std::string> environment,
                              const std::string& stderr_path,
                              std::optional<std::string> stdin_text) {
  os::SpawnOptions options;
  options.environment = std::move(environment);
  options.stdin_text = std::move(stdin_text).value_or("");  // a pipe, even when empty
  options.stderr_path = stderr_path;
  options.dies_with_parent = true;
  return options;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv,
                           std::map<std::string, std::string> environment, std::string stderr_path,
                           std::optional<std::string> stdin_text)
    : os::ChildProcess(std::move(argv),
                       test_options(std::move(environment), stderr_path, std::move(stdin_text))),
      stderr_path_(std::move(stderr_path)) {}

std::pair<int, std::string> run_command(std::vector<std::string> argv,
                                        std::chrono::milliseconds timeout,
                                        std::optional<std::string> stdin_text,
                                        std::map<std::string, std::string> environment) {
  ChildProcess child(std::move(argv), std::move(environment), "/dev/null", std::move(stdin_text));
  std::string output = child.read_all(timeout);
  std::optional<int> code = child.wait(timeout);
  if (!code) {
    child.signal(SIGKILL);
    code = child.wait(std::chrono::seconds(5));
  }
  return {code.value_or(-1), output};
}

std::string ledgerflow_binary() {
#ifdef LEDGERFLOW_BINARY
  return LEDGERFLOW_BINARY;
#else
  const char* path = std::getenv("LEDGERFLOW_BINARY");
  return path ? path : "ledgerflow";
#endif
}

}  // namespace lf::testing
