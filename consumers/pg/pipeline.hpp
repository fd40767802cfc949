// Prepared statements sent together in libpq's pipeline mode, inside the
// caller's libpqxx transaction: one round trip for all of them instead of
// one each. libpqxx 6.4 has no pipeline of prepared statements (its
// pqxx::pipeline joins plain query strings), so this speaks libpq on the
// transaction's connection and leaves it as libpqxx expects: idle in the
// transaction, or with the transaction failed (the caller's abort rolls it
// back).
//
// Errors come out as libpqxx's do: pqxx::sql_error with the SQLSTATE of the
// statement that failed (later statements are not run), or
// pqxx::broken_connection when the connection is lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace lf::pg {

struct PipelinedStatement {
  std::string name;                 // prepared-statement name, from code
  std::string sql;                  // from code only; values go as parameters
  std::vector<std::string> params;  // text parameters, none NULL
  // Called with the statement's affected-row count once every statement
  // has run; may throw to refuse the transaction (it is aborted then).
  std::function<void(uint64_t)> check;
};

// PostgreSQL keeps prepared-statement names in NAMEDATALEN (64) bytes.
inline constexpr std::size_t kStatementNameBytesMax = 63;

// Runs one statement through libpqxx (which prepares it on the connection
// on first use) and calls its check: the same statement outside a pipeline.
void run_alone(pqxx::transaction_base& work, const PipelinedStatement& statement);

// It remembers which statements the connection has (it prepares its own
// under names apart from libpqxx's), and asks the server again when it is
// given another connection (a new one after a lost one).
class Pipeline {
 public:
  // Runs the statements in order in one round trip (preparing those not yet
  // prepared on this connection in the same round trip), then calls their
  // checks in order.
  void run(pqxx::dbtransaction& work, const std::vector<PipelinedStatement>& statements);

 private:
  const void* connection_ = nullptr;  // the PGconn prepared_ is about
  int backend_ = 0;                   // and its server process
  std::set<std::string> prepared_;
};

}  // namespace lf::pg
