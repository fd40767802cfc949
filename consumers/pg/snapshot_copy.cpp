// COPY TO STDOUT in an exported snapshot (snapshot_copy.hpp).
#include "consumers/pg/snapshot_copy.hpp"

#include <stdexcept>

namespace lf::pg {

namespace {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

}  // namespace

SnapshotCopy::SnapshotCopy(const std::string& url, const std::string& snapshot,
                           const std::string& query)
    : connection_(PQconnectdb(url.c_str()), &PQfinish) {
  if (PQstatus(connection_.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("connecting for the archive scan: ") +
                             PQerrorMessage(connection_.get()));
  }
  exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK);
  // SET TRANSACTION SNAPSHOT takes no parameter: the id, which the server
  // made, goes in as an escaped literal.
  std::unique_ptr<char, decltype(&PQfreemem)> literal(
      PQescapeLiteral(connection_.get(), snapshot.data(), snapshot.size()), &PQfreemem);
  if (!literal) {
    throw std::runtime_error(std::string("archive scan: ") + PQerrorMessage(connection_.get()));
  }
  exec(std::string("SET TRANSACTION SNAPSHOT ") + literal.get(), PGRES_COMMAND_OK);
  // From the first block, not where another scan is; and one process
  // reading (a parallel scan interleaves the blocks its workers read).
  exec("SET LOCAL synchronize_seqscans = off", PGRES_COMMAND_OK);
  exec("SET LOCAL max_parallel_workers_per_gather = 0", PGRES_COMMAND_OK);
  exec("COPY (" + query + ") TO STDOUT", PGRES_COPY_OUT);
}

void SnapshotCopy::exec(const std::string& sql, ExecStatusType expected) {
  const Result result(PQexec(connection_.get(), sql.c_str()));
  if (PQresultStatus(result.get()) != expected) {
    throw std::runtime_error("archive scan: " + sql.substr(0, sql.find(' ', 4)) + ": " +
                             PQerrorMessage(connection_.get()));
  }
}

bool SnapshotCopy::next(std::string& line) {
  char* data = nullptr;
  const int length = PQgetCopyData(connection_.get(), &data, 0);
  if (length > 0) {
    std::unique_ptr<char, decltype(&PQfreemem)> owned(data, &PQfreemem);
    line.assign(data, static_cast<std::size_t>(length));
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return true;
  }
  if (length == -2) {
    throw std::runtime_error(std::string("archive scan: ") + PQerrorMessage(connection_.get()));
  }
  // The end of the COPY: its outcome follows.
  const Result result(PQgetResult(connection_.get()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(std::string("archive scan: ") + PQerrorMessage(connection_.get()));
  }
  while (PGresult* rest = PQgetResult(connection_.get())) PQclear(rest);
  return false;
}

}  // namespace lf::pg
