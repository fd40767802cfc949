// Child processes: fork and exec with everything the child needs built
// before the fork (after it, in a process that may have threads, only
// async-signal-safe calls), a pipe that reports a failed exec, and the
// reads and waits on the child.
#include "consumers/os/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "consumers/os/system_call.hpp"
#include "events/assert.hpp"

extern char** environ;

namespace lf::os {

namespace {

constexpr auto kTerminateWaitMax = std::chrono::seconds(10);  // after SIGTERM, then SIGKILL
constexpr auto kExitPollInterval = std::chrono::milliseconds(10);
constexpr auto kGonePollInterval = std::chrono::milliseconds(50);
constexpr std::size_t kReadChunkBytes = 4096;
constexpr int kExecFailedExitCode = 127;  // as a shell reports a command it cannot run

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv) {
    if (!text.empty()) text.push_back(' ');
    text += arg;
  }
  return text;
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Our environment with `overrides` set, as "KEY=value" strings.
std::vector<std::string> environment_with(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!overrides.contains(std::string(text.substr(0, text.find('='))))) {
      entries.emplace_back(text);
    }
  }
  for (const auto& [key, value] : overrides) entries.push_back(key + "=" + value);
  return entries;
}

// What the child does between fork and exec, all of it decided before the fork.
struct ChildSetup {
  char* const* argv = nullptr;
  char** environment = nullptr;  // nullptr: ours
  int stdin_fd = -1;             // -1: /dev/null
  int stdout_fd = -1;
  const char* stderr_path = nullptr;  // nullptr: with standard output
  const char* directory = nullptr;    // nullptr: ours
  int exec_status_fd = -1;            // close-on-exec; gets errno when the exec fails
  pid_t parent = -1;
  bool dies_with_parent = false;
  bool clean_slate = false;
};

// `fd` as descriptor `target`, inherited across exec.
bool install(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

[[noreturn]] void fail_in_child(const ChildSetup& setup) {
  const int error_number = errno;
  [[maybe_unused]] const ssize_t written =
      ::write(setup.exec_status_fd, &error_number, sizeof(error_number));
  ::_exit(kExecFailedExitCode);
}

// After fork: only async-signal-safe calls until exec.
[[noreturn]] void child_main(const ChildSetup& setup) {
  if (setup.dies_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != setup.parent) ::_exit(kExecFailedExitCode);  // it died before prctl
  }
  const int stdin_fd =
      setup.stdin_fd >= 0 ? setup.stdin_fd : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (stdin_fd < 0 || !install(stdin_fd, STDIN_FILENO)) fail_in_child(setup);
  if (!install(setup.stdout_fd, STDOUT_FILENO)) fail_in_child(setup);
  if (setup.stderr_path == nullptr) {
    if (!install(setup.stdout_fd, STDERR_FILENO)) fail_in_child(setup);
  } else {
    const int stderr_fd =
        ::open(setup.stderr_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (stderr_fd >= 0) install(stderr_fd, STDERR_FILENO);
  }
  if (setup.directory != nullptr && ::chdir(setup.directory) != 0) fail_in_child(setup);
  if (setup.clean_slate) {
    const auto status_fd = static_cast<unsigned int>(setup.exec_status_fd);
    if (status_fd > 3) ::close_range(3, status_fd - 1, 0);
    ::close_range(status_fd + 1, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction standard {};
    standard.sa_handler = SIG_DFL;
    sigemptyset(&standard.sa_mask);
    for (const int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
      ::sigaction(signal_number, &standard, nullptr);
    }
  }
  if (setup.environment != nullptr) environ = setup.environment;  // execvp searches its PATH
  ::execvp(setup.argv[0], setup.argv);
  fail_in_child(setup);
}

// A pipe, both ends close-on-exec.
struct Pipe {
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw system_failure("pipe", errno);
    read_end = FileDescriptor(fds[0]);
    write_end = FileDescriptor(fds[1]);
  }
  FileDescriptor read_end;
  FileDescriptor write_end;
};

// The errno the child reported before exiting, or 0 once its exec closed the pipe.
int exec_status(int read_fd) {
  int error_number = 0;
  for (;;) {
    const ssize_t n = ::read(read_fd, &error_number, sizeof(error_number));
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof(error_number)) ? error_number : 0;
  }
}

void write_all(int fd, const std::string& text) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (std::string& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  return pointers;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, const SpawnOptions& options) {
  LF_ASSERT_MSG(!argv.empty(), "a child process needs a program to run");
  program_ = argv[0];
  std::vector<char*> args = c_argv(argv);
  std::vector<std::string> environment_entries;
  std::vector<char*> environment;
  if (!options.environment.empty()) {
    environment_entries = environment_with(options.environment);
    environment = c_argv(environment_entries);
  }
  Pipe output;
  std::optional<Pipe> input;
  if (options.stdin_text) input.emplace();
  Pipe exec_status_pipe;

  ChildSetup setup;
  setup.argv = args.data();
  setup.environment = environment.empty() ? nullptr : environment.data();
  setup.stdin_fd = input ? input->read_end.get() : -1;
  setup.stdout_fd = output.write_end.get();
  setup.stderr_path = options.stderr_path ? options.stderr_path->c_str() : nullptr;
  setup.directory = options.directory.empty() ? nullptr : options.directory.c_str();
  setup.exec_status_fd = exec_status_pipe.write_end.get();
  setup.parent = ::getpid();
  setup.dies_with_parent = options.dies_with_parent;
  setup.clean_slate = options.clean_slate;

  pid_ = ::fork();
  if (pid_ < 0) throw system_failure("fork for " + joined(argv), errno);
  if (pid_ == 0) child_main(setup);

  output.write_end.reset();
  exec_status_pipe.write_end.reset();
  stdout_fd_ = output.read_end.release();
  exec_error_ = exec_status(exec_status_pipe.read_end.get());
  if (input) {
    input->read_end.reset();
    if (exec_error_ == 0) write_all(input->write_end.get(), *options.stdin_text);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    signal(SIGTERM);
    if (!wait(kTerminateWaitMax)) {
      signal(SIGKILL);
      wait(kTerminateWaitMax);
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
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
    if (::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[kReadChunkBytes];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      ::close(stdout_fd_);
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

std::string ChildProcess::read_to_end(std::size_t kept_bytes_max) {
  std::string output;
  output.swap(buffer_);
  if (stdout_fd_ >= 0) {
    char chunk[kReadChunkBytes];
    for (;;) {
      const ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      output.append(chunk, static_cast<std::size_t>(n));
      if (output.size() > 2 * kept_bytes_max) output.erase(0, output.size() - kept_bytes_max);
    }
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (output.size() > kept_bytes_max) output.erase(0, output.size() - kept_bytes_max);
  return output;
}

void ChildProcess::signal(int signal_number) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signal_number);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = exit_code_of(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    // Child exit has no descriptor to wait on here; poll waitpid briefly.
    std::this_thread::sleep_for(kExitPollInterval);
  }
}

int ChildProcess::wait_for_exit() {
  if (exit_code_) return *exit_code_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw system_failure("waitpid for " + program_, errno);
  }
  exit_code_ = exit_code_of(status);
  return *exit_code_;
}

bool ChildProcess::running() {
  if (exit_code_) return false;
  return !wait(std::chrono::milliseconds(0)).has_value();
}

CommandOutput run_to_completion(std::vector<std::string> argv, const SpawnOptions& options,
                                std::size_t kept_bytes_max) {
  const std::string command = joined(argv);
  ChildProcess child(std::move(argv), options);
  if (child.exec_error() != 0) {
    child.wait_for_exit();
    throw system_failure("cannot run " + command, child.exec_error());
  }
  CommandOutput result;
  result.output = child.read_to_end(kept_bytes_max);
  result.exit_code = child.wait_for_exit();
  return result;
}

std::vector<std::string> as_user(const std::string& user, std::vector<std::string> argv) {
  if (user.empty()) return argv;
  std::string runuser;
  for (const char* candidate :
       {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"}) {
    if (::access(candidate, X_OK) == 0) {
      runuser = candidate;
      break;
    }
  }
  if (runuser.empty()) {
    throw std::runtime_error("runuser (util-linux) is not installed: cannot run " + argv.at(0) +
                             " as " + user);
  }
  std::vector<std::string> wrapped{runuser, "-u", user, "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

bool wait_until_gone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kGonePollInterval);
  }
  return ::kill(pid, 0) != 0;
}

}  // namespace lf::os
