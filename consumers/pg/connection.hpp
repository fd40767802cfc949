// A PostgreSQL connection that outlives the database's restarts, fail-overs
// and terminated backends: made again, with backoff, whenever the one in use
// is lost, and a record of whether the database is reachable for /healthz.
//
// What counts as "the database failed" rather than "this statement is
// wrong" is is_transient_failure(): connection loss, a commit whose outcome
// is unknown, the server shutting down or starting up, too many
// connections, serialization failures and deadlocks. Anything else is the
// caller's error and is not retried.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <pqxx/pqxx>

namespace lf::pg {

// True when `error` comes from the database being unavailable (or from a
// conflict worth retrying), not from what was asked of it. `connection`,
// when given, is the one the error came from: a libpqxx failure that left it
// closed is a lost connection, whatever its message.
bool is_transient_failure(const std::exception_ptr& error, const pqxx::connection_base* connection);

// Whether the database answers, as last seen by its users. Thread-safe.
class DatabaseHealth {
 public:
  void up();
  // Records the outage (the first reason and its time are kept until up()).
  void down(std::string_view reason);
  bool is_up() const;
  // Empty when up; else "unreachable for N s: <reason>".
  std::string problem() const;

 private:
  mutable std::mutex mutex_;
  bool up_ = true;
  std::string reason_;
  int64_t since_ms_ = 0;
};

// Thrown out of Reconnecting::run when the service is asked to stop while
// it waits for the database.
class StopRequested : public std::runtime_error {
 public:
  StopRequested() : std::runtime_error("stop requested while waiting for the database") {}
};

struct ReconnectOptions {
  int first_backoff_ms = 100;
  int max_backoff_ms = 5'000;
};

// One connection, used by one thread at a time.
class Reconnecting {
 public:
  Reconnecting(std::string url, std::string who, DatabaseHealth& health,
               ReconnectOptions options = {});

  // The connection, made now if there is none (throws
  // pqxx::broken_connection when the database cannot be reached).
  pqxx::connection& get();
  bool connected() const { return connection_ != nullptr; }
  // Forgets the connection (after a failure); the next get() connects anew.
  void reset() { connection_.reset(); }
  DatabaseHealth& health() { return health_; }

  // Runs `work(connection)` until it returns: a transient failure drops the
  // connection, marks the database down and tries again after a backoff
  // (doubling up to max_backoff_ms) until it succeeds or `stop` is set, which
  // throws StopRequested. `work` must be safe to repeat (a whole transaction,
  // or reads). Other exceptions leave as they are.
  template <typename Work>
  auto run(std::string_view what, Work&& work, const std::atomic<bool>* stop)
      -> decltype(work(std::declval<pqxx::connection&>())) {
    int attempt = 0;
    while (true) {
      try {
        if constexpr (std::is_void_v<decltype(work(std::declval<pqxx::connection&>()))>) {
          work(get());
          succeeded(what, attempt);
          return;
        } else {
          auto outcome = work(get());
          succeeded(what, attempt);
          return outcome;
        }
      } catch (const StopRequested&) {
        throw;
      } catch (const std::exception&) {
        const std::exception_ptr error = std::current_exception();
        if (!is_transient_failure(error, connection_.get())) throw;
        failed(what, error, attempt++, stop);
      }
    }
  }

  // Records a transient failure seen outside run() (the connection is dropped).
  void lost(std::string_view what, const std::exception& error);

 private:
  void succeeded(std::string_view what, int attempts);
  // Logs, drops the connection, waits out the backoff (watching `stop`).
  void failed(std::string_view what, const std::exception_ptr& error, int attempt,
              const std::atomic<bool>* stop);

  std::string url_;
  std::string who_;
  DatabaseHealth& health_;
  ReconnectOptions options_;
  std::unique_ptr<pqxx::connection> connection_;
};

// The message of an exception held in `error`.
std::string message_of(const std::exception_ptr& error);

}  // namespace lf::pg
