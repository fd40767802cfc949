// Writes a projections::RowBatch inside the caller's transaction: inserts by
// COPY (one stream per table), upserts by one INSERT ... SELECT FROM unnest
// ... ON CONFLICT DO UPDATE per table, patches by one UPDATE ... FROM unnest
// per (table, set of columns). Statements are prepared once per connection
// and built only from TableSpec names (code), never from data.
#pragma once

#include <set>
#include <string>

#include <pqxx/pqxx>

#include "projections/row_batch.hpp"

namespace lf::pg {

class BatchWriter {
 public:
  // `table_suffix` is appended to every table name (for shadow tables during
  // a rebuild, e.g. "__shadow"); it must be an identifier fragment from code.
  explicit BatchWriter(std::string table_suffix = "");

  // Throws pqxx errors (the caller's transaction is then to be aborted), and
  // std::runtime_error when a patch finds no row.
  void write(pqxx::work& work, const projections::RowBatch& batch);

 private:
  std::string prepare_upsert(pqxx::work& work, const projections::TableSpec& table);
  std::string prepare_patch(pqxx::work& work, const projections::TableSpec& table,
                            const std::vector<bool>& present);
  std::string table_suffix_;
  std::set<std::string> prepared_;  // statement names prepared on this connection
};

}  // namespace lf::pg
