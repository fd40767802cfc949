// libpq's pipeline mode under a libpqxx transaction (pipeline.hpp).
#include "consumers/pg/pipeline.hpp"
#include "consumers/pg/internal.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <utility>

#include <libpq-fe.h>

#include "events/assert.hpp"

namespace lf::pg {

namespace {

// libpqxx 6.4 keeps the connection's PGconn to itself; its large-object
// class hands it to subclasses, for a transaction.
struct RawConnection : pqxx::largeobject {
  static PGconn* of(const pqxx::dbtransaction& work) {
    return reinterpret_cast<PGconn*>(pqxx::largeobject::raw_connection(work));
  }
};

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

uint64_t affected_rows(const PGresult* result) {
  const char* text = PQcmdTuples(const_cast<PGresult*>(result));
  uint64_t rows = 0;
  const std::string_view digits(text);
  std::from_chars(digits.data(), digits.data() + digits.size(), rows);
  return rows;
}

// The first failure of the round trip, as libpqxx would report it.
struct Failure {
  std::string message;
  std::string sqlstate;
  std::string query;
};

// The exception libpqxx throws for this SQLSTATE (connection_base::
// throw_sql_error, which is private), for the classes callers tell apart.
[[noreturn]] void throw_sql_error(const Failure& failure) {
  const std::string& state = failure.sqlstate;
  const char* code = state.c_str();
  const std::string& what = failure.message;
  const std::string& query = failure.query;
  if (state.rfind("08", 0) == 0) throw pqxx::broken_connection(what);
  if (state == "40001") throw pqxx::serialization_failure(what);
  if (state == "40003") throw pqxx::statement_completion_unknown(what);
  if (state == "40P01") throw pqxx::deadlock_detected(what);
  if (state.rfind("40", 0) == 0) throw pqxx::transaction_rollback(what);
  if (state == "23001") throw pqxx::restrict_violation(what, query, code);
  if (state == "23502") throw pqxx::not_null_violation(what, query, code);
  if (state == "23503") throw pqxx::foreign_key_violation(what, query, code);
  if (state == "23505") throw pqxx::unique_violation(what, query, code);
  if (state == "23514") throw pqxx::check_violation(what, query, code);
  if (state.rfind("23", 0) == 0) throw pqxx::integrity_constraint_violation(what, query, code);
  if (state.rfind("22", 0) == 0) throw pqxx::data_exception(what, query, code);
  if (state == "53300") throw pqxx::too_many_connections(what);
  throw pqxx::sql_error(what, query, code);
}

}  // namespace

void run_alone(pqxx::transaction_base& work, const PipelinedStatement& statement) {
  work.conn().prepare(statement.name, statement.sql);
  const pqxx::result result =
      work.exec_prepared(statement.name, pqxx::prepare::make_dynamic_params(statement.params));
  if (statement.check) statement.check(result.affected_rows());
}

void Pipeline::run(pqxx::dbtransaction& work, const std::vector<PipelinedStatement>& statements) {
  if (statements.empty()) return;
  PGconn* const connection = RawConnection::of(work);
  LF_ASSERT(connection != nullptr);
  // Another connection (a new one after a lost one): which statements has
  // it? (One query, once per connection.)
  const int backend = PQbackendPID(connection);
  if (connection != connection_ || backend != backend_) {
    prepared_.clear();
    for (const pqxx::row& row : work.exec("SELECT name FROM pg_prepared_statements"))
      prepared_.insert(row[0].as<std::string>());
    connection_ = connection;
    backend_ = backend;
  }
  if (PQenterPipelineMode(connection) != 1)
    throw pqxx::broken_connection(std::string("cannot enter pipeline mode: ") +
                                  PQerrorMessage(connection));

  // Queue a prepare for each statement new to this connection, then the
  // statement itself; `queued` says what each command sent was.
  struct Queued {
    const PipelinedStatement* statement;
    bool prepare;
  };
  std::vector<Queued> queued;
  std::vector<std::string> newly_prepared;
  std::vector<const char*> values;
  bool sent = true;
  for (const PipelinedStatement& statement : statements) {
    LF_ASSERT_MSG(statement.name.size() <= kStatementNameBytesMax, "statement name too long");
    const bool known = prepared_.count(statement.name) > 0 ||
                       std::find(newly_prepared.begin(), newly_prepared.end(), statement.name) !=
                           newly_prepared.end();
    if (!known) {
      sent = sent && PQsendPrepare(connection, statement.name.c_str(), statement.sql.c_str(),
                                   static_cast<int>(statement.params.size()), nullptr) == 1;
      queued.push_back({&statement, true});
      newly_prepared.push_back(statement.name);
    }
    values.clear();
    for (const std::string& param : statement.params) values.push_back(param.c_str());
    sent = sent &&
           PQsendQueryPrepared(connection, statement.name.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0) == 1;
    queued.push_back({&statement, false});
  }
  sent = sent && PQpipelineSync(connection) == 1;
  if (!sent) {
    const std::string why = PQerrorMessage(connection);
    // Whatever was queued is void, and the connection, still in pipeline
    // mode, is of no more use: the caller forgets it, as for any lost one.
    throw pqxx::broken_connection("cannot send a pipeline: " + why);
  }

  // Read each command's results (each ends with a null), then the sync's.
  std::optional<Failure> failure;
  std::size_t completed = statements.size();  // statements that ran before a failure
  std::vector<uint64_t> rows(statements.size(), 0);
  std::size_t statement_index = 0;
  bool broken = false;
  for (const Queued& command : queued) {
    bool ended = false;
    while (!ended) {
      Result result(PQgetResult(connection));
      if (!result) {
        ended = true;
        break;
      }
      switch (PQresultStatus(result.get())) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
          // A prepared statement outlives a failed transaction.
          if (command.prepare) prepared_.insert(command.statement->name);
          if (!command.prepare) rows[statement_index] = affected_rows(result.get());
          break;
        case PGRES_PIPELINE_ABORTED:
          break;  // skipped after an earlier failure
        default: {
          const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
          if (!failure) {
            completed = statement_index;
            failure = Failure{PQresultErrorMessage(result.get()), state != nullptr ? state : "",
                              command.statement->name};
          }
          if (PQstatus(connection) == CONNECTION_BAD) {
            broken = true;
            ended = true;
          }
          break;
        }
      }
    }
    if (broken) break;
    if (!command.prepare) ++statement_index;
  }
  if (!broken) {
    // The sync's own result; a lost connection shows as none.
    for (;;) {
      Result result(PQgetResult(connection));
      if (!result) {
        if (PQstatus(connection) == CONNECTION_BAD) broken = true;
        if (broken) break;
        continue;
      }
      if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) break;
    }
  }
  if (broken || PQexitPipelineMode(connection) != 1) {
    throw pqxx::broken_connection("connection lost in a pipeline: " +
                                  (failure ? failure->message : PQerrorMessage(connection)));
  }
  // The checks of the statements that ran come first, as if each had been
  // sent alone: a refused compare-and-set wins over what failed after it.
  for (std::size_t i = 0; i < completed; ++i) {
    if (statements[i].check) statements[i].check(rows[i]);
  }
  if (failure) throw_sql_error(*failure);
}

}  // namespace lf::pg
