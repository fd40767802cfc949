// A throwaway PostgreSQL server from the installed binaries (initdb + pg_ctl
// in a temporary directory, a free loopback port). As root, the server runs
// as the `postgres` system user (initdb refuses root). Used by
// `ledgerflow dev` and by the tests; never a mock.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lf::pg {

struct TempServerOptions {
  std::string database = "ledgerflow";
  bool keep = false;    // leave the data directory behind on stop
  std::string bin_dir;  // empty: the newest /usr/lib/postgresql/<v>/bin
  // Settings for a disposable server: fsync off, synchronous_commit off.
  bool durable = false;
  // More server settings, "name=value" each (from code, not input).
  std::vector<std::string> settings;
};

class TempServer {
 public:
  // Starts the server and creates `options.database`; throws
  // std::runtime_error naming the failing step and its output.
  explicit TempServer(const TempServerOptions& options = {});
  ~TempServer();  // stop()
  TempServer(const TempServer&) = delete;
  TempServer& operator=(const TempServer&) = delete;

  // postgresql://<user>@127.0.0.1:<port>/<database>
  std::string url() const;
  // The same server, another database (created on demand by create_database).
  std::string url_for(const std::string& database) const;
  void create_database(const std::string& database);
  int port() const { return port_; }
  const std::filesystem::path& directory() const { return directory_; }

  // Fast shutdown; removes the directory unless `keep`. Idempotent.
  void stop();

  // Fault injection for the tests: shuts the server down with pg_ctl's
  // `mode` ("smart", "fast" or "immediate", the last a crash that recovery
  // repairs at the next start), keeping its data directory and port...
  void shut_down(const std::string& mode);
  // ...and starts it again on the same port (waits until it accepts connections).
  void start_again();

 private:
  TempServerOptions options_;
  std::filesystem::path directory_;
  std::string bin_dir_;
  std::string run_as_;  // "postgres" when we are root, else empty
  std::string user_;    // the database superuser name
  int port_ = 0;
  std::string server_options_;  // pg_ctl -o: port, socket directory, settings
  bool running_ = false;
  // A child process that stops the server and removes the directory if this
  // process dies without stop() (kill -9): it waits for EOF on this socket.
  int watchdog_fd_ = -1;
  int watchdog_pid_ = -1;
};

// The newest installed server's bin directory, or empty.
std::string find_postgres_bin_dir();

}  // namespace lf::pg
