// Writes a projections::RowBatch inside the caller's transaction: inserts by
// COPY (one stream per table; a few rows by one INSERT ... SELECT FROM
// unnest, which costs one round trip less), upserts by one INSERT ... SELECT FROM unnest
// ... ON CONFLICT DO UPDATE per table, patches by one UPDATE ... FROM unnest
// per (table, set of columns). Statements are prepared once per connection
// and built only from TableSpec names (code), never from data. A batch with
// no COPY can go in one round trip with the caller's own statements
// (write_pipelined, libpq's pipeline mode).
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/pg/pipeline.hpp"
#include "projections/row_batch.hpp"

namespace lf::pg {

// A patch found no row to change: the batch's data does not fit the table.
class PatchMissingRow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class BatchWriter {
 public:
  // Up to this many inserted rows of a table go as one prepared INSERT ...
  // SELECT FROM unnest instead of a COPY. A COPY costs two round trips (the
  // statement, then the data and its end) and an INSERT one; at low rates a
  // batch holds a few rows per table. Larger groups go by COPY, whose text
  // input is cheaper per row than array input.
  static constexpr std::size_t kInsertStatementRowsMax = 32;

  // `table_suffix` is appended to every table name (for shadow tables during
  // a rebuild, e.g. "__shadow"); it must be an identifier fragment from code.
  // `insert_statement_rows_max`: 0 sends every insert by COPY.
  explicit BatchWriter(std::string table_suffix = "",
                       std::size_t insert_statement_rows_max = kInsertStatementRowsMax);

  // Throws pqxx errors (the caller's transaction is then to be aborted), and
  // PatchMissingRow when a patch finds no row. Any transaction, including a
  // subtransaction (savepoint).
  void write(pqxx::transaction_base& work, const projections::RowBatch& batch);

  // The statements `leading` (names and SQL from code; their checks run as
  // write's do) and then the batch's, in one round trip, and true. False,
  // having sent nothing, when some table's inserts are to go by COPY (more
  // than insert_statement_rows_max rows): the caller then writes the usual
  // way. Throws as write() does. Not in a subtransaction: libpqxx 6.4 opens
  // a savepoint only before its own statements.
  bool write_pipelined(pqxx::dbtransaction& work, std::vector<PipelinedStatement> leading,
                       const projections::RowBatch& batch);

 private:
  // What an insert does with a row whose key is taken: fail (an insert) or
  // update the row (an upsert).
  enum class Conflict { fail, update };
  struct TableWork;  // a table's operations, by kind
  static TableWork sort_ops(const projections::RowBatch::TableOps& group);
  // Appends the statements writing a table's operations, in order (month
  // partitions, inserts unless they go by COPY, upserts, patches), named
  // with `name_prefix` (libpqxx's statements and the pipeline's are apart).
  // Returns the index in `statements` where the inserts go (a COPY of them
  // runs there).
  std::size_t table_statements(pqxx::transaction_base& work, const projections::TableSpec& table,
                               const TableWork& sorted, bool inserts_by_statement,
                               std::string_view name_prefix,
                               std::vector<PipelinedStatement>& statements);
  PipelinedStatement insert_statement(pqxx::transaction_base& work,
                                      const projections::TableSpec& table, Conflict conflict,
                                      std::string_view name_prefix);
  PipelinedStatement patch_statement(pqxx::transaction_base& work,
                                     const projections::TableSpec& table,
                                     const std::vector<bool>& present,
                                     std::string_view name_prefix);

  std::string table_suffix_;
  std::size_t insert_statement_rows_max_;
  std::map<std::string, std::string> sql_;  // statements' SQL by readable name
  Pipeline pipeline_;                       // this connection's
};

}  // namespace lf::pg
