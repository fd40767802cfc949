// Writes a projections::RowBatch inside the caller's transaction: inserts by
// COPY (one stream per table), upserts by one INSERT ... SELECT FROM unnest
// ... ON CONFLICT DO UPDATE per table, patches by one UPDATE ... FROM unnest
// per (table, set of columns). Statements are prepared once per connection
// and built only from TableSpec names (code), never from data.
#pragma once

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
  // `table_suffix` is appended to every table name (for shadow tables during
  // a rebuild, e.g. "__shadow"); it must be an identifier fragment from code.
  explicit BatchWriter(std::string table_suffix = "");

  // Throws pqxx errors (the caller's transaction is then to be aborted), and
  // PatchMissingRow when a patch finds no row. Any transaction, including a
  // subtransaction (savepoint).
  void write(pqxx::transaction_base& work, const projections::RowBatch& batch);

 private:
  std::string prepare_upsert(pqxx::transaction_base& work, const projections::TableSpec& table);
  std::string prepare_patch(pqxx::transaction_base& work, const projections::TableSpec& table,
                            const std::vector<bool>& present);
  std::string table_suffix_;
  std::set<std::string> prepared_;  // statement names prepared on this connection
};

}  // namespace lf::pg
