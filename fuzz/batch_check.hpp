// What every projection's row changes must look like, whatever it mapped.
#pragma once

#include <string>
#include <string_view>

#include "fuzz/check.hpp"
#include "projections/row_batch.hpp"

namespace lf::fuzz {

// Every row change names its table and holds one value per column.
inline void check_batch(const lf::projections::RowBatch& batch, std::string_view projection) {
  for (const auto& group : batch.tables()) {
    LF_FUZZ_CHECK(group.table != nullptr, std::string(projection));
    for (const lf::projections::RowOp& op : group.ops) {
      LF_FUZZ_CHECK(op.table == group.table, std::string(projection));
      LF_FUZZ_CHECK(op.values.size() == group.table->columns.size(), group.table->name);
      if (op.kind == lf::projections::RowOpKind::patch) {
        LF_FUZZ_CHECK(op.present.size() == group.table->columns.size(), group.table->name);
        for (const std::size_t key : group.table->key) {
          LF_FUZZ_CHECK(op.present[key], group.table->name + ": a patch without its key");
        }
      }
    }
  }
}

}  // namespace lf::fuzz
