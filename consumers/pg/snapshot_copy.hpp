// COPY (query) TO STDOUT on a connection of its own, inside the snapshot
// another transaction exported: the same rows that transaction sees, read as
// a stream. Dropping it mid-way closes the connection, so the server stops
// at once instead of sending the rest (a COPY on a shared connection has to
// be read to its end before the connection can be used again).
#pragma once

#include <memory>
#include <string>

#include <libpq-fe.h>

namespace lf::pg {

class SnapshotCopy {
 public:
  // `snapshot`: what pg_export_snapshot() returned in a transaction that is
  // still open. `query`: a SELECT of the program's own (no input in it).
  // Throws std::runtime_error when the connection, the snapshot or the
  // COPY fails.
  SnapshotCopy(const std::string& url, const std::string& snapshot, const std::string& query);

  // The next line (its newline dropped) into `line`; false at the end.
  // Throws std::runtime_error when the server ends the COPY with an error.
  bool next(std::string& line);

 private:
  void exec(const std::string& sql, ExecStatusType expected);

  std::unique_ptr<PGconn, decltype(&PQfinish)> connection_;
};

}  // namespace lf::pg
