// Merging row changes per key within a batch.
#include "projections/row_batch.hpp"

#include "events/assert.hpp"

namespace lf::projections {

std::size_t TableSpec::column_index(std::string_view column) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column) return i;
  }
  LF_ASSERT_MSG(false, "unknown column");
  return 0;
}

namespace {

void append_field(std::string& out, char tag, std::string_view bytes) {
  out.push_back(tag);
  out.append(std::to_string(bytes.size()));
  out.push_back(':');
  out.append(bytes);
}

// Type tag + length-prefixed bytes: unambiguous for any content.
void append_value(std::string& out, const Value& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Null>) {
          append_field(out, 'n', "");
        } else if constexpr (std::is_same_v<T, int64_t>) {
          append_field(out, 'i', std::to_string(v));
        } else if constexpr (std::is_same_v<T, std::string>) {
          append_field(out, 's', v);
        } else if constexpr (std::is_same_v<T, bool>) {
          append_field(out, 'b', v ? std::string_view("1") : std::string_view("0"));
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          append_field(out, 't', std::to_string(v.unix_ms));
        } else if constexpr (std::is_same_v<T, Date>) {
          append_field(out, 'd', std::to_string(v.days));
        } else if constexpr (std::is_same_v<T, Json>) {
          append_field(out, 'j', v.text);
        }
      },
      value);
}

}  // namespace

std::string encode_key(const TableSpec& table, const std::vector<Value>& row) {
  std::string key;
  for (std::size_t index : table.key) {
    LF_ASSERT(index < row.size());
    append_value(key, row[index]);
  }
  return key;
}

RowBatch::TableOps& RowBatch::group_for(const TableSpec& table) {
  for (TableOps& group : tables_) {
    if (group.table == &table) return group;
  }
  tables_.push_back(TableOps{&table, {}});
  index_.emplace_back();
  return tables_.back();
}

void RowBatch::insert(const TableSpec& table, std::vector<Value> row) {
  LF_ASSERT(row.size() == table.columns.size());
  merge(table, RowOp{RowOpKind::insert, &table, std::move(row), {}});
}

void RowBatch::upsert(const TableSpec& table, std::vector<Value> row) {
  LF_ASSERT(row.size() == table.columns.size());
  merge(table, RowOp{RowOpKind::upsert, &table, std::move(row), {}});
}

void RowBatch::patch(const TableSpec& table, std::vector<Value> key_values,
                     std::vector<std::pair<std::string_view, Value>> columns) {
  LF_ASSERT(key_values.size() == table.key.size());
  RowOp op{RowOpKind::patch, &table, std::vector<Value>(table.columns.size()),
           std::vector<bool>(table.columns.size(), false)};
  for (std::size_t i = 0; i < table.key.size(); ++i) {
    op.values[table.key[i]] = std::move(key_values[i]);
    op.present[table.key[i]] = true;
  }
  for (auto& [name, value] : columns) {
    const std::size_t index = table.column_index(name);
    op.values[index] = std::move(value);
    op.present[index] = true;
  }
  merge(table, std::move(op));
}

void RowBatch::merge(const TableSpec& table, RowOp op) {
  TableOps& group = group_for(table);
  const std::size_t group_index = static_cast<std::size_t>(&group - tables_.data());
  auto& keys = index_[group_index];
  std::string key = encode_key(table, op.values);
  auto found = keys.find(key);
  if (found == keys.end()) {
    keys.emplace(std::move(key), group.ops.size());
    group.ops.push_back(std::move(op));
    return;
  }
  RowOp& existing = group.ops[found->second];
  switch (op.kind) {
    case RowOpKind::insert:
      // Inserting a key this batch already touched is a projection defect.
      LF_ASSERT_MSG(false, "insert of a key already in the batch");
      break;
    case RowOpKind::upsert:
      // A later whole row replaces what came before; an insert stays an insert.
      existing.values = std::move(op.values);
      existing.present.clear();
      if (existing.kind == RowOpKind::patch) existing.kind = RowOpKind::upsert;
      break;
    case RowOpKind::patch:
      for (std::size_t i = 0; i < op.values.size(); ++i) {
        if (!op.present[i]) continue;
        existing.values[i] = std::move(op.values[i]);
        if (existing.kind == RowOpKind::patch) existing.present[i] = true;
      }
      break;
  }
}

std::size_t RowBatch::op_count() const {
  std::size_t count = 0;
  for (const TableOps& group : tables_) count += group.ops.size();
  return count;
}

void RowBatch::clear() {
  tables_.clear();
  index_.clear();
}

}  // namespace lf::projections
