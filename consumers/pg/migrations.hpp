// SQL migrations: the files in schemas/migrations/NNN_name.sql (embedded in
// the binary), applied in order, each in its own transaction, under an
// advisory lock so concurrent `ledgerflow migrate` runs are safe. Applied
// ones are recorded with a checksum; a changed applied file is an error.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace lf::pg {

struct MigrationOutcome {
  std::vector<std::string> applied;   // names applied by this call
  std::vector<std::string> existing;  // names found already applied
};

// Throws std::runtime_error on a checksum mismatch or a failing migration
// (nothing of that migration is kept).
MigrationOutcome migrate(pqxx::connection& connection);

}  // namespace lf::pg
