// Writes a projections::RowBatch inside the caller's transaction: inserts by
// COPY (one stream per table; a few rows by one INSERT ... SELECT FROM
// unnest, which costs one round trip less), upserts by one INSERT ... SELECT FROM unnest
// ... ON CONFLICT DO UPDATE per table, patches by one UPDATE ... FROM unnest
// per (table, set of columns). Statements are prepared once per connection
// and built only from TableSpec names (code), never from data.
#pragma once

#include <cstddef>
#include <set>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

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

 private:
  // What an insert does with a row whose key is taken: fail (an insert) or
  // update the row (an upsert).
  enum class Conflict { fail, update };
  std::string prepare_insert(pqxx::transaction_base& work, const projections::TableSpec& table,
                             Conflict conflict);
  std::string prepare_patch(pqxx::transaction_base& work, const projections::TableSpec& table,
                            const std::vector<bool>& present);
  std::string table_suffix_;
  std::size_t insert_statement_rows_max_;
  std::set<std::string> prepared_;  // statement names prepared on this connection
};

}  // namespace lf::pg
