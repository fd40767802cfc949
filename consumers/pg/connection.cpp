// Connections that are made again after the database failed.
#include "consumers/pg/connection.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "events/time.hpp"

namespace lf::pg {

namespace {

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("database");
    return existing ? existing : spdlog::default_logger()->clone("database");
  }();
  return instance;
}

// SQLSTATEs of a database going away or not there yet: class 08 (connection
// exception), 57P01 admin_shutdown (a fast shutdown, pg_terminate_backend),
// 57P02 crash_shutdown (another backend crashed: immediate shutdown),
// 57P03 cannot_connect_now (starting up, recovering), 53300
// too_many_connections; and conflicts worth running again: 40001
// serialization_failure, 40P01 deadlock_detected.
bool transient_state(const std::string& state) {
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "53300" || state == "40001" || state == "40P01";
}

}  // namespace

bool is_transient_failure(const std::exception_ptr& error,
                          const pqxx::connection_base* connection) {
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::broken_connection&) {
    return true;
  } catch (const pqxx::in_doubt_error&) {
    return true;
  } catch (const pqxx::transaction_rollback&) {
    return true;  // serialization failure, deadlock, statement completion unknown
  } catch (const pqxx::sql_error& sql) {
    if (transient_state(sql.sqlstate())) return true;
    return connection != nullptr && !connection->is_open();
  } catch (const pqxx::failure&) {
    // E.g. a COPY cut short by a terminated backend ("Error writing to table").
    return connection != nullptr && !connection->is_open();
  } catch (...) {
    return false;
  }
}

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& exception) {
    std::string text = exception.what();
    // libpq's messages end with a newline and sometimes span lines.
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
  } catch (...) {
    return "unknown error";
  }
}

void DatabaseHealth::up() {
  const std::lock_guard<std::mutex> lock(mutex_);
  up_ = true;
  reason_.clear();
}

void DatabaseHealth::down(std::string_view reason) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!up_) return;
  up_ = false;
  reason_ = std::string(reason);
  since_ms_ = system_now_ms();
}

bool DatabaseHealth::is_up() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return up_;
}

std::string DatabaseHealth::problem() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (up_) return {};
  return "database unreachable for " + std::to_string((system_now_ms() - since_ms_) / 1000) +
         " s: " + reason_;
}

Reconnecting::Reconnecting(std::string url, std::string who, DatabaseHealth& health,
                           ReconnectOptions options)
    : url_(std::move(url)), who_(std::move(who)), health_(health), options_(options) {}

pqxx::connection& Reconnecting::get() {
  if (!connection_) connection_ = std::make_unique<pqxx::connection>(url_);
  return *connection_;
}

void Reconnecting::succeeded(std::string_view what, int attempts) {
  if (attempts > 0 || !health_.is_up()) {
    logger()->info("{}: database reachable again ({} after {} failed attempt(s))", who_, what,
                   attempts);
  }
  health_.up();
}

void Reconnecting::lost(std::string_view what, const std::exception& error) {
  std::string reason = error.what();
  std::replace(reason.begin(), reason.end(), '\n', ' ');
  while (!reason.empty() && reason.back() == ' ') reason.pop_back();
  logger()->warn("{}: {} failed, the database is unavailable: {}", who_, what, reason);
  health_.down(reason);
  connection_.reset();
}

void Reconnecting::failed(std::string_view what, const std::exception_ptr& error, int attempt,
                          const std::atomic<bool>* stop) {
  const std::string reason = message_of(error);
  // The first failure and then every tenth: one line per event of interest.
  if (attempt % 10 == 0)
    logger()->warn("{}: {} failed (attempt {}): {}", who_, what, attempt + 1, reason);
  health_.down(reason);
  connection_.reset();
  const int shift = std::min(attempt, 16);
  const int64_t backoff =
      std::min<int64_t>(int64_t{options_.first_backoff_ms} << shift, options_.max_backoff_ms);
  // The backoff is slept in slices so a stop request is seen at once.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
  while (std::chrono::steady_clock::now() < until) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) throw StopRequested();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(backoff, 50)));
  }
  if (stop != nullptr && stop->load(std::memory_order_relaxed)) throw StopRequested();
}

}  // namespace lf::pg
