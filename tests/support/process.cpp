// Child processes for tests.
#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace lf::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv,
                           std::map<std::string, std::string> environment, std::string stderr_path,
                           std::optional<std::string> stdin_text)
    : stderr_path_(std::move(stderr_path)) {
  int out[2];
  int in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    const int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) dup2(err, STDERR_FILENO);
    for (const auto& [key, value] : environment) setenv(key.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  stdout_fd_ = out[0];
  if (stdin_text) {
    std::size_t written = 0;
    while (written < stdin_text->size()) {
      const ssize_t n = write(in[1], stdin_text->data() + written, stdin_text->size() - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
  }
  close(in[1]);
}

ChildProcess::~ChildProcess() {
  if (running()) {
    signal(SIGTERM);
    if (!wait(std::chrono::seconds(10))) {
      signal(SIGKILL);
      wait(std::chrono::seconds(10));
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const std::size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || stdout_fd_ < 0) return std::nullopt;
    pollfd descriptor{stdout_fd_, POLLIN, 0};
    if (poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      close(stdout_fd_);
      stdout_fd_ = -1;
      if (buffer_.empty()) return std::nullopt;
      std::string rest;
      rest.swap(buffer_);
      return rest;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string ChildProcess::read_all(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string all;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    std::optional<std::string> line = read_line(left);
    if (!line) break;
    all += *line + "\n";
  }
  return all;
}

void ChildProcess::signal(int signal_number) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signal_number);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    // Child exit has no descriptor to wait on here; poll waitpid briefly.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ChildProcess::running() {
  if (exit_code_) return false;
  return !wait(std::chrono::milliseconds(0)).has_value();
}

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
