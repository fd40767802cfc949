// Applying the embedded SQL migrations in file-name order, each once, each in
// its own transaction with its schema_migrations row, under an advisory lock.
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/internal.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "schemas/resources.hpp"

namespace lf::pg {

namespace {

// Any fixed number, the same in every ledgerflow binary: concurrent
// `ledgerflow migrate` runs queue on it.
constexpr int64_t kMigrationLockKey = 0x6c65646765726d31;  // "ledgerm1"
constexpr const char* kMigrationsPrefix = "migrations/";

// 64-bit FNV-1a of the file content, as 16 hex digits.
std::string checksum(std::string_view content) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : content) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  static const char digits[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i) {
    hex[static_cast<std::size_t>(i)] = digits[hash & 0xf];
    hash >>= 4;
  }
  return hex;
}

// Holds the session-level advisory lock for its lifetime. If the connection
// breaks, the server releases the lock with the session.
class MigrationLock {
 public:
  explicit MigrationLock(pqxx::connection& connection) : connection_(connection) {
    pqxx::nontransaction lock(connection_);
    lock.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
  }
  ~MigrationLock() {
    try {
      pqxx::nontransaction unlock(connection_);
      unlock.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    } catch (const std::exception& error) {
      logger()->warn("releasing the migration lock failed (the session end releases it): {}",
                     error.what());
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  pqxx::connection& connection_;
};

struct Migration {
  std::string name;  // the file name, e.g. "001_credits.sql"
  std::string_view sql;
};

std::vector<Migration> embedded_migrations() {
  std::vector<Migration> migrations;
  for (const resources::Resource& resource : resources::under(kMigrationsPrefix)) {
    std::string_view name = resource.path;
    name.remove_prefix(std::string_view(kMigrationsPrefix).size());
    if (name.empty() || name.find('/') != std::string_view::npos) continue;
    migrations.push_back(Migration{std::string(name), resource.content});
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.name < b.name; });
  return migrations;
}

std::map<std::string, std::string> applied_checksums(pqxx::connection& connection) {
  pqxx::work work(connection);
  work.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT "
      "now())");
  std::map<std::string, std::string> applied;
  for (const pqxx::row& row : work.exec("SELECT name, checksum FROM schema_migrations")) {
    applied.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  work.commit();
  return applied;
}

}  // namespace

MigrationOutcome migrate(pqxx::connection& connection) {
  MigrationLock lock(connection);
  const std::map<std::string, std::string> applied = applied_checksums(connection);
  const std::vector<Migration> migrations = embedded_migrations();

  MigrationOutcome outcome;
  for (const Migration& migration : migrations) {
    const std::string sum = checksum(migration.sql);
    auto found = applied.find(migration.name);
    if (found != applied.end()) {
      if (found->second != sum) {
        throw std::runtime_error("migration " + migration.name + " was applied with checksum " +
                                 found->second + " but the embedded file has checksum " + sum +
                                 ": an applied migration must never change; add a new one");
      }
      outcome.existing.push_back(migration.name);
      continue;
    }
    try {
      pqxx::work work(connection);
      work.exec(std::string(migration.sql));
      work.exec_params(
          "INSERT INTO schema_migrations (name, checksum, applied_at) VALUES ($1, $2, now())",
          migration.name, sum);
      work.commit();
    } catch (const pqxx::sql_error& error) {
      // Rolled back with its schema_migrations row. (An in_doubt_error passes
      // through: running migrate() again reads what was recorded.)
      throw std::runtime_error("migration " + migration.name + " failed: " + error.what());
    }
    logger()->info("applied migration {} (checksum {})", migration.name, sum);
    outcome.applied.push_back(migration.name);
  }
  for (const auto& [name, sum] : applied) {
    const bool known =
        std::any_of(migrations.begin(), migrations.end(),
                    [&name = name](const Migration& migration) { return migration.name == name; });
    if (!known)
      logger()->warn("migration {} is applied but not in this binary (a newer binary applied it?)",
                     name);
  }
  return outcome;
}

}  // namespace lf::pg
