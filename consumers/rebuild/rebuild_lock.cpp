#include "consumers/rebuild/rebuild_lock.hpp"

#include "consumers/rebuild/internal.hpp"
#include "consumers/rebuild/rebuild.hpp"

namespace lf::rebuild {

RebuildLock::RebuildLock(pqxx::connection& connection, const std::string& projection)
    : connection_(connection), projection_(projection) {
  pqxx::nontransaction work(connection_);
  if (!work.exec_params1(
               "SELECT pg_try_advisory_lock(hashtext('ledgerflow.rebuild'), hashtext($1))",
               projection_)[0]
           .as<bool>()) {
    throw RebuildBusy("another rebuild of " + projection_ + " is running");
  }
}
RebuildLock::~RebuildLock() {
  try {
    pqxx::nontransaction work(connection_);
    work.exec_params("SELECT pg_advisory_unlock(hashtext('ledgerflow.rebuild'), hashtext($1))",
                     projection_);
  } catch (const std::exception& error) {
    logger()->warn("releasing the rebuild lock of {}: {}", projection_, error.what());
  }
}

// Why a failed swap may be tried again, or nullopt: a reader held a lock
// too long (lock_timeout, 55P03, an sql_error), or the server rolled the
// transaction back for a deadlock with a reader (40P01) or a serialization
// failure (40001). libpqxx 6 throws those two as transaction_rollback, which
// is no sql_error: catching sql_error alone never retried them.
std::optional<std::string> retry_reason(const pqxx::failure& error) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
      sql != nullptr && sql->sqlstate() == "55P03") {
    return "a lock wait timed out";
  }
  if (dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr)
    return "a deadlock with a reader";
  if (dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr)
    return "a serialization failure";
  return std::nullopt;
}

}  // namespace lf::rebuild
