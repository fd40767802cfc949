// A throwaway PostgreSQL: initdb into a fresh temporary directory, pg_ctl
// start on a free loopback port, a database, and pg_ctl stop + removal at the
// end; a watchdog process does the stop and removal if we die first.
// Programs run from argument vectors (consumers/os/process.hpp), never a
// shell line of ours, with their output captured for the error message.
#include "consumers/pg/temp_server.hpp"
#include "consumers/pg/internal.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "consumers/os/ports.hpp"
#include "consumers/os/process.hpp"
#include "consumers/os/system_call.hpp"

namespace lf::pg {

namespace {

namespace fs = std::filesystem;

constexpr int kStartAttemptsMax = 5;      // retries when the chosen port was taken meanwhile
constexpr int kPgCtlTimeoutSeconds = 60;  // pg_ctl -t for start and stop
constexpr std::size_t kOutputBytesMax = 16 * 1024;  // captured output kept for an error message
constexpr auto kKillWaitMax = std::chrono::seconds(10);
constexpr const char* kServerUser = "postgres";  // the system user the server runs as under root

// For the postmaster options pg_ctl hands to /bin/sh.
std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('\'');
  return quoted;
}

// Runs `argv` to completion in `directory`, standard output and error
// captured for an error message, no descriptor of ours inherited (the server
// outlives the command and must not hold ours), default signal handling.
os::CommandOutput run_command(std::vector<std::string> argv, const fs::path& directory) {
  os::SpawnOptions options;
  options.directory = directory;
  options.clean_slate = true;
  return os::run_to_completion(std::move(argv), options, kOutputBytesMax);
}

// pg_ctl start of the server in `data` (as `run_as` when set), waiting until
// it accepts connections.
std::vector<std::string> pg_ctl_start(const std::string& run_as, const std::string& bin_dir,
                                      const fs::path& data, const fs::path& log,
                                      const std::string& server_options) {
  return os::as_user(run_as,
                     {bin_dir + "/pg_ctl", "-w", "-t", std::to_string(kPgCtlTimeoutSeconds), "-D",
                      data.string(), "-l", log.string(), "-o", server_options, "start"});
}

// pg_ctl stop of the server in `data` (as `run_as` when set) in `mode`
// (smart, fast or immediate), waiting for it.
std::vector<std::string> pg_ctl_stop(const std::string& run_as, const std::string& bin_dir,
                                     const fs::path& data, const std::string& mode) {
  return os::as_user(run_as, {bin_dir + "/pg_ctl", "-D", data.string(), "-m", mode, "-w", "-t",
                              std::to_string(kPgCtlTimeoutSeconds), "stop"});
}

// Whether every ancestor of `path` lets other users through (the server user
// must reach the directory root creates for it).
bool traversable_by_others(const fs::path& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) return false;
  for (fs::path current = absolute; !current.empty(); current = current.parent_path()) {
    struct stat info {};
    if (::stat(current.c_str(), &info) != 0 || (info.st_mode & S_IXOTH) == 0) return false;
    if (current == current.root_path()) break;
  }
  return true;
}

fs::path make_directory(const std::string& run_as) {
  fs::path base = "/tmp";
  if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') {
    if (run_as.empty() || traversable_by_others(tmpdir)) base = tmpdir;
  }
  std::string pattern = (base / "ledgerflow-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw os::system_failure("mkdtemp " + pattern, errno);
  const fs::path directory = pattern;
  if (!run_as.empty()) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (::getpwnam_r(run_as.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
        found == nullptr) {
      fs::remove_all(directory);
      throw std::runtime_error("running as root, but there is no '" + run_as +
                               "' user to run PostgreSQL as");
    }
    if (::chown(directory.c_str(), entry.pw_uid, entry.pw_gid) != 0) {
      const int error_number = errno;
      fs::remove_all(directory);
      throw os::system_failure("chown " + directory.string(), error_number);
    }
  }
  return directory;
}

// The bytes of `path` from `offset` on ("" if unreadable), at most the last
// kOutputBytesMax.
std::string read_from(const fs::path& path, std::uintmax_t offset) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return "";
  file.seekg(static_cast<std::streamoff>(offset));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (text.size() > kOutputBytesMax) text.erase(0, text.size() - kOutputBytesMax);
  return text;
}

std::uintmax_t size_of(const fs::path& path) {
  std::error_code error;
  const std::uintmax_t size = fs::file_size(path, error);
  return error ? 0 : size;
}

// The postmaster's PID from its lock file, or -1.
pid_t postmaster_pid(const fs::path& data) {
  std::ifstream file(data / "postmaster.pid");
  long pid = -1;
  if (!(file >> pid) || pid <= 0) return -1;
  return static_cast<pid_t>(pid);
}

// The watchdog, after fork: only async-signal-safe calls until it exits. It
// waits on its socket; a byte means its owner stopped the server itself, EOF
// means the owner died, so it stops the server and removes the directory.
void run_and_wait(char* const* argv) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  if (pid < 0) return;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void watchdog_main(int socket_fd, char* const* stop_argv, char* const* remove_argv) {
  ::setsid();  // no terminal signals meant for the owner's process group
  ::prctl(PR_SET_NAME, "lf-pg-watchdog", 0, 0, 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGPIPE})
    ::sigaction(signal_number, &ignore, nullptr);
  struct sigaction standard {};
  standard.sa_handler = SIG_DFL;
  sigemptyset(&standard.sa_mask);
  ::sigaction(SIGCHLD, &standard, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int null_fd = ::open("/dev/null", O_RDWR);
  ::dup2(socket_fd, 0);
  if (null_fd >= 0) {
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
  }
  ::close_range(3, ~0U, 0);  // hold none of the owner's sockets or files open
  char byte = 0;
  for (;;) {
    const ssize_t n = ::read(0, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n == 1) ::_exit(0);
    break;
  }
  run_and_wait(stop_argv);
  if (remove_argv != nullptr) run_and_wait(remove_argv);
  ::_exit(0);
}

struct Watchdog {
  pid_t pid = -1;
  int fd = -1;
};

Watchdog start_watchdog(std::vector<std::string> stop_argv, const fs::path& remove_directory) {
  // Everything the child needs is built before fork.
  std::vector<std::string> remove_argv_strings{"/bin/rm", "-rf", "--", remove_directory.string()};
  std::vector<char*> stop_args = os::c_argv(stop_argv);
  std::vector<char*> remove_args = os::c_argv(remove_argv_strings);
  char* const* remove = remove_directory.empty() ? nullptr : remove_args.data();
  // A socket pair rather than a pipe: send(MSG_NOSIGNAL) to a watchdog that
  // is already gone fails with EPIPE instead of killing us with SIGPIPE.
  int socket_fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socket_fds) != 0)
    throw os::system_failure("socketpair", errno);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error_number = errno;
    ::close(socket_fds[0]);
    ::close(socket_fds[1]);
    throw os::system_failure("fork", error_number);
  }
  if (pid == 0) watchdog_main(socket_fds[0], stop_args.data(), remove);
  ::close(socket_fds[0]);
  return Watchdog{pid, socket_fds[1]};
}

std::string percent_encoded(const std::string& text) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' ||
                            byte == '.' || byte == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[byte >> 4]);
      out.push_back(digits[byte & 0xf]);
    }
  }
  return out;
}

// The numeric parts of a version directory name ("15", "9.6"), or empty.
std::vector<int> version_of(const std::string& name) {
  std::vector<int> parts;
  int current = -1;
  for (const char c : name) {
    if (c >= '0' && c <= '9') {
      current = (current < 0 ? 0 : current * 10) + (c - '0');
      if (current > 100000) return {};
    } else if (c == '.' && current >= 0) {
      parts.push_back(current);
      current = -1;
    } else {
      return {};
    }
  }
  if (current < 0) return {};
  parts.push_back(current);
  return parts;
}

}  // namespace

std::string find_postgres_bin_dir() {
  std::error_code error;
  std::vector<int> best_version;
  std::string best;
  for (const fs::directory_entry& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    const std::vector<int> version = version_of(entry.path().filename().string());
    if (version.empty()) continue;
    const fs::path bin = entry.path() / "bin";
    if (::access((bin / "pg_ctl").c_str(), X_OK) != 0 ||
        ::access((bin / "initdb").c_str(), X_OK) != 0)
      continue;
    if (best.empty() || version > best_version) {
      best_version = version;
      best = bin.string();
    }
  }
  return best;
}

TempServer::TempServer(const TempServerOptions& options) : options_(options), user_(kServerUser) {
  bin_dir_ = options_.bin_dir.empty() ? find_postgres_bin_dir() : options_.bin_dir;
  if (bin_dir_.empty()) {
    throw std::runtime_error(
        "no PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin");
  }
  if (::geteuid() == 0) run_as_ = kServerUser;
  directory_ = make_directory(run_as_);
  running_ = true;  // from here on stop() has something to clean up
  const fs::path data = directory_ / "data";
  const fs::path log = directory_ / "server.log";
  try {
    const os::CommandOutput initdb =
        run_command(os::as_user(run_as_, {bin_dir_ + "/initdb", "-D", data.string(), "-A", "trust",
                                          "-U", user_, "--no-sync", "-E", "UTF8", "--locale=C"}),
                    directory_);
    if (initdb.exit_code != 0) {
      throw std::runtime_error("initdb failed (exit " + std::to_string(initdb.exit_code) + "):\n" +
                               initdb.output);
    }

    std::string settings =
        " -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=128MB";
    if (!options_.durable)
      settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    for (const std::string& setting : options_.settings) settings += " -c " + shell_quoted(setting);
    for (int attempt = 1;; ++attempt) {
      const int port = os::free_loopback_port();
      const std::uintmax_t log_offset = size_of(log);
      const std::string server_options =
          "-p " + std::to_string(port) + " -k " + shell_quoted(directory_.string()) + settings;
      const os::CommandOutput start =
          run_command(pg_ctl_start(run_as_, bin_dir_, data, log, server_options), directory_);
      if (start.exit_code == 0) {
        port_ = port;
        server_options_ = server_options;
        break;
      }
      const std::string server_log = read_from(log, log_offset);
      const bool port_taken = server_log.find("Address already in use") != std::string::npos;
      if (port_taken && attempt < kStartAttemptsMax) {
        logger()->warn("port {} was taken before the server bound it; trying another", port);
        continue;
      }
      throw std::runtime_error("pg_ctl start failed (exit " + std::to_string(start.exit_code) +
                               "):\n" + start.output + "\nserver log:\n" + server_log);
    }

    // Armed once the server runs: a kill -9 of this process must not leave
    // it running forever.
    const Watchdog watchdog = start_watchdog(pg_ctl_stop(run_as_, bin_dir_, data, "fast"),
                                             options_.keep ? fs::path() : directory_);
    watchdog_pid_ = watchdog.pid;
    watchdog_fd_ = watchdog.fd;

    if (options_.database != "postgres") create_database(options_.database);
  } catch (...) {
    try {
      stop();
    } catch (const std::exception& error) {
      logger()->error("cleaning up after a failed start: {}", error.what());
    }
    throw;
  }
  logger()->info("PostgreSQL started on 127.0.0.1:{} in {} (database {})", port_,
                 directory_.string(), options_.database);
}

TempServer::~TempServer() {
  try {
    stop();
  } catch (const std::exception& error) {
    logger()->error("stopping PostgreSQL in {}: {}", directory_.string(), error.what());
  } catch (...) {
    logger()->error("stopping PostgreSQL in {}: unknown error", directory_.string());
  }
}

std::string TempServer::url() const {
  return url_for(options_.database);
}

std::string TempServer::url_for(const std::string& database) const {
  return "postgresql://" + percent_encoded(user_) + "@127.0.0.1:" + std::to_string(port_) + "/" +
         percent_encoded(database);
}

void TempServer::create_database(const std::string& database) {
  pqxx::connection connection(url_for("postgres"));
  pqxx::nontransaction work(connection);
  work.exec("CREATE DATABASE " + work.quote_name(database));
  logger()->debug("created database {}", database);
}

void TempServer::stop() {
  if (!running_) return;
  const fs::path data = directory_ / "data";
  std::error_code exists_error;
  if (fs::exists(data / "postmaster.pid", exists_error)) {
    const os::CommandOutput stopped =
        run_command(pg_ctl_stop(run_as_, bin_dir_, data, "fast"), directory_);
    if (stopped.exit_code != 0) {
      // Fast shutdown did not finish: immediate shutdown, then wait for it.
      const pid_t pid = postmaster_pid(data);
      logger()->warn("pg_ctl stop failed (exit {}): {}; sending SIGQUIT to {}", stopped.exit_code,
                     stopped.output, pid);
      if (pid > 0 && ::kill(pid, SIGQUIT) == 0 && !os::wait_until_gone(pid, kKillWaitMax)) {
        throw std::runtime_error("PostgreSQL (pid " + std::to_string(pid) + ") in " +
                                 directory_.string() + " did not stop");
      }
    }
  }
  if (options_.keep) {
    logger()->info("PostgreSQL stopped; its directory {} is kept", directory_.string());
  } else {
    std::error_code error;
    fs::remove_all(directory_, error);
    if (error) logger()->warn("removing {}: {}", directory_.string(), error.message());
    logger()->info("PostgreSQL stopped and {} removed", directory_.string());
  }
  if (watchdog_fd_ >= 0) {
    const char done = 'x';
    if (::send(watchdog_fd_, &done, 1, MSG_NOSIGNAL) != 1) {
      logger()->warn("telling the watchdog to exit: {}", std::strerror(errno));
    }
    ::close(watchdog_fd_);
    watchdog_fd_ = -1;
  }
  if (watchdog_pid_ > 0) {
    while (::waitpid(watchdog_pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    watchdog_pid_ = -1;
  }
  running_ = false;
}

void TempServer::shut_down(const std::string& mode) {
  const fs::path data = directory_ / "data";
  const os::CommandOutput stopped =
      run_command(pg_ctl_stop(run_as_, bin_dir_, data, mode), directory_);
  if (stopped.exit_code != 0) {
    throw std::runtime_error("pg_ctl stop -m " + mode + " failed (exit " +
                             std::to_string(stopped.exit_code) + "):\n" + stopped.output);
  }
  logger()->info("PostgreSQL on port {} shut down ({})", port_, mode);
}

void TempServer::start_again() {
  const fs::path data = directory_ / "data";
  const os::CommandOutput started =
      run_command(pg_ctl_start(run_as_, bin_dir_, data, directory_ / "server.log", server_options_),
                  directory_);
  if (started.exit_code != 0) {
    throw std::runtime_error("pg_ctl start failed (exit " + std::to_string(started.exit_code) +
                             "):\n" + started.output);
  }
  logger()->info("PostgreSQL on port {} started again", port_);
}

}  // namespace lf::pg
