// The process toolkit (consumers/os): children started from an argument
// vector, their output, exit codes, environment, standard error and
// working directory, a program that cannot be run, and a free port.
#include "consumers/os/process.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "consumers/os/ports.hpp"

namespace lf::os {
namespace {

using namespace std::chrono_literals;

std::string contents(const std::filesystem::path& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

TEST(RunToCompletion, CapturesStandardOutputAndErrorAndTheExitCode) {
  const CommandOutput result =
      run_to_completion({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, SpawnOptions{}, 1024);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.output, "out\nerr\n");
}

TEST(RunToCompletion, KeepsTheLastBytesOfALongOutput) {
  const CommandOutput result = run_to_completion(
      {"/bin/sh", "-c", "printf 'abcdefghij%.0s' $(seq 1000)"}, SpawnOptions{}, 25);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "fghijabcdefghijabcdefghij");
}

TEST(RunToCompletion, ReportsAProgramThatCannotBeRun) {
  try {
    run_to_completion({"/nonexistent/program", "x"}, SpawnOptions{}, 1024);
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot run /nonexistent/program x: No such file or directory");
  }
}

TEST(RunToCompletion, RunsInTheDirectoryWithNothingOfOursButTheStandardDescriptors) {
  SpawnOptions options;
  options.directory = "/";
  options.clean_slate = true;
  const CommandOutput result =
      run_to_completion({"/bin/sh", "-c", "pwd; ls /proc/self/fd | wc -l"}, options, 1024);
  EXPECT_EQ(result.exit_code, 0);
  // 0, 1, 2 and the descriptor ls reads /proc/self/fd through.
  EXPECT_EQ(result.output, "/\n4\n");
}

TEST(ChildProcess, ReadsLinesWithTheEnvironmentAndStandardInputGiven) {
  SpawnOptions options;
  options.environment = {{"LF_PROCESS_TEST", "set"}};
  options.stdin_text = "first\nsecond";
  ChildProcess child({"sh", "-c", "echo \"$LF_PROCESS_TEST\"; cat"}, options);
  EXPECT_EQ(child.exec_error(), 0);
  EXPECT_EQ(child.read_line(10s), "set");
  EXPECT_EQ(child.read_line(10s), "first");
  EXPECT_EQ(child.read_line(10s), "second");  // no newline: returned at EOF
  EXPECT_EQ(child.read_line(10s), std::nullopt);
  EXPECT_EQ(child.wait(10s), 0);
  EXPECT_FALSE(child.running());
}

TEST(ChildProcess, AppendsStandardErrorToTheFile) {
  const std::filesystem::path log =
      std::filesystem::path(::testing::TempDir()) / ("process_test_" + std::to_string(::getpid()));
  std::filesystem::remove(log);
  SpawnOptions options;
  options.stderr_path = log.string();
  for (int run = 0; run < 2; ++run) {
    ChildProcess child({"/bin/sh", "-c", "echo out; echo err >&2"}, options);
    EXPECT_EQ(child.read_all(10s), "out\n");
    EXPECT_EQ(child.wait_for_exit(), 0);
  }
  EXPECT_EQ(contents(log), "err\nerr\n");
  std::filesystem::remove(log);
}

TEST(ChildProcess, ASignalEndsItWith128PlusTheSignal) {
  ChildProcess child({"/bin/sleep", "60"}, SpawnOptions{});
  EXPECT_TRUE(child.running());
  EXPECT_EQ(child.wait(0ms), std::nullopt);
  child.signal(SIGKILL);
  EXPECT_EQ(child.wait(10s), 128 + SIGKILL);
  EXPECT_TRUE(wait_until_gone(child.pid(), 1s));
}

TEST(ChildProcess, AProgramThatCannotBeRunExits127) {
  ChildProcess child({"lf-no-such-program-anywhere"}, SpawnOptions{});
  EXPECT_EQ(child.exec_error(), ENOENT);
  EXPECT_EQ(child.wait(10s), 127);
}

TEST(AsUser, WrapsTheCommandInRunuserOnlyForAnotherUser) {
  EXPECT_EQ(as_user("", {"/bin/true", "x"}), (std::vector<std::string>{"/bin/true", "x"}));
  if (::access("/usr/sbin/runuser", X_OK) != 0 && ::access("/sbin/runuser", X_OK) != 0 &&
      ::access("/usr/bin/runuser", X_OK) != 0 && ::access("/bin/runuser", X_OK) != 0) {
    GTEST_SKIP() << "runuser is not installed";
  }
  const std::vector<std::string> wrapped = as_user("postgres", {"/bin/true", "x"});
  ASSERT_EQ(wrapped.size(), 6u);
  EXPECT_EQ(wrapped[1], "-u");
  EXPECT_EQ(wrapped[2], "postgres");
  EXPECT_EQ(wrapped[3], "--");
  EXPECT_EQ(wrapped[4], "/bin/true");
}

TEST(FreeLoopbackPort, IsAPortNumber) {
  const int port = free_loopback_port();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace lf::os
