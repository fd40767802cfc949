// Child processes started from an argument vector (never a shell line of
// ours): their standard output read line by line or to the end, signals,
// waits with a deadline, and a command run as another user. One toolkit
// for the throwaway PostgreSQL (consumers/pg/temp_server.cpp) and for the
// tests and the soak that run ledgerflow, kcat or psql as programs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lf::os {

// How a child starts. The defaults keep what it inherits from us: our
// environment, working directory, descriptors without close-on-exec, signal
// mask and ignored signals.
struct SpawnOptions {
  // Set in its environment on top of ours.
  std::map<std::string, std::string> environment;
  // Its standard input: this text through a pipe that is closed after it;
  // none: /dev/null.
  std::optional<std::string> stdin_text;
  // Its standard error: appended to this file (created 0644; ours kept when
  // the file cannot be opened); none: the pipe its standard output goes to.
  std::optional<std::string> stderr_path;
  // Its working directory; empty: ours.
  std::filesystem::path directory;
  // It gets SIGTERM when we die first (PR_SET_PDEATHSIG: precisely, when
  // the thread that started it ends).
  bool dies_with_parent = false;
  // It inherits no descriptor but 0, 1 and 2, no blocked signal, and the
  // default handling of SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCHLD:
  // for a program that may outlive us and must hold nothing of ours.
  bool clean_slate = false;
};

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH when it has no '/'). Throws
  // std::runtime_error when no pipe or process can be had; a program that
  // cannot be run is a child that exits 127, and exec_error() says why.
  ChildProcess(std::vector<std::string> argv, const SpawnOptions& options);
  ~ChildProcess();  // SIGTERM, then SIGKILL after 10 s
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The errno of the exec (or of the set-up before it) that failed, or 0.
  int exec_error() const { return exec_error_; }

  // The next line of standard output, or nullopt at the deadline or EOF (a
  // last line without a newline is returned at EOF).
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Everything left on standard output until the process closes it, each
  // line with a newline.
  std::string read_all(std::chrono::milliseconds timeout);
  // Standard output until EOF, however long that takes, as it came: the
  // last `kept_bytes_max` bytes of it.
  std::string read_to_end(std::size_t kept_bytes_max);

  void signal(int signal_number);
  // Waits for the exit; the exit code, or 128 + signal. nullopt at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Waits for the exit however long it takes; throws when waitpid fails.
  int wait_for_exit();
  bool running();

 private:
  std::string program_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;  // read from standard output, not yet returned
  std::optional<int> exit_code_;
  int exec_error_ = 0;
};

struct CommandOutput {
  int exit_code = 0;   // 128 + signal when killed
  std::string output;  // standard output (and error, unless options send it to a file)
};

// Runs `argv` to completion and keeps the last `kept_bytes_max` bytes of its
// output; throws std::runtime_error ("cannot run <argv>: <reason>") when it
// cannot be started.
CommandOutput run_to_completion(std::vector<std::string> argv, const SpawnOptions& options,
                                std::size_t kept_bytes_max);

// `argv` run as `user` through runuser (util-linux; only root may), or
// `argv` itself when `user` is empty. Throws when runuser is not installed.
std::vector<std::string> as_user(const std::string& user, std::vector<std::string> argv);

// Whether process `pid` (any process, not only a child of ours) is gone
// within `timeout`; looks every 50 ms.
bool wait_until_gone(pid_t pid, std::chrono::milliseconds timeout);

// Pointers to `argv`'s strings, ending with nullptr, for exec: valid while
// `argv` is neither changed nor destroyed.
std::vector<char*> c_argv(std::vector<std::string>& argv);

}  // namespace lf::os
