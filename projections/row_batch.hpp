// Row changes, the output of a pure projection: an event in, row changes out.
// A RowBatch collects them for one transaction and merges changes to the same
// key in order, so the writer sends each row once (COPY for new rows, one
// multi-row statement per table for the rest), never a round trip per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace lf::projections {

// A column's PostgreSQL type. numeric, inet and enumeration values travel as
// their exact text (a std::string Value: "5000.50", "2001:db8::1", "urgent");
// PostgreSQL parses it, so a numeric is never rounded through a double.
enum class SqlType {
  text,
  int64,
  boolean,
  timestamptz,
  date,
  jsonb,
  uuid,
  int32,
  numeric,
  inet,
  enumeration
};

struct Column {
  std::string name;
  SqlType type;
  // For SqlType::enumeration only: the name of the PostgreSQL enum type
  // (a lower-case identifier from code, e.g. "activity_priority").
  std::string enum_type = {};
};

// A table a projection writes: its columns, and which of them form the key.
// Names come from code, never from input.
struct TableSpec {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::size_t> key;  // indexes into columns
  // Set for a table PARTITIONED BY RANGE on this timestamptz column, one
  // partition per UTC month: the writer has each month's partition created
  // before it writes the month's rows (ledgerflow_ensure_month_partition,
  // schemas/migrations/008_usage.sql). Empty for a plain table.
  std::string monthly_partition_column = {};

  std::size_t column_index(std::string_view column) const;  // aborts if absent
};

struct Null {};
struct Timestamp {
  int64_t unix_ms;
};
struct Date {
  int32_t days;
};  // days since 1970-01-01
struct Json {
  std::string text;
};  // a complete JSON value
using Value = std::variant<Null, int64_t, std::string, bool, Timestamp, Date, Json>;

// What happens to one row.
enum class RowOpKind {
  insert,  // a new row; it must not exist yet
  upsert,  // the whole row: insert, or replace every non-key column
  patch,   // some columns of an existing row; a patch to a missing row is an error
};

struct RowOp {
  RowOpKind kind = RowOpKind::insert;
  const TableSpec* table = nullptr;
  std::vector<Value> values;  // one per column of the table
  std::vector<bool> present;  // for patch: which columns are set (keys always)
};

// The changes of one batch. Ops on the same (table, key) are merged in order:
// insert+patch -> insert, upsert+patch -> upsert, patch+patch -> patch,
// anything+upsert -> upsert (insert+upsert -> insert of the new row).
class RowBatch {
 public:
  void insert(const TableSpec& table, std::vector<Value> row);
  void upsert(const TableSpec& table, std::vector<Value> row);
  // `columns` pairs a column name with its new value; keys from `key_values`
  // in the order of table.key.
  void patch(const TableSpec& table, std::vector<Value> key_values,
             std::vector<std::pair<std::string_view, Value>> columns);

  // Merged ops, grouped by table in first-touch order, each group in
  // first-touch order of its keys.
  struct TableOps {
    const TableSpec* table;
    std::vector<RowOp> ops;
  };
  const std::vector<TableOps>& tables() const { return tables_; }
  std::size_t op_count() const;
  bool empty() const { return tables_.empty(); }
  void clear();

 private:
  TableOps& group_for(const TableSpec& table);
  void merge(const TableSpec& table, RowOp op);

  std::vector<TableOps> tables_;
  // (table index in tables_) -> encoded key -> index in that table's ops
  std::vector<std::unordered_map<std::string, std::size_t>> index_;
};

// Encodes a key tuple to a string usable as a map key.
std::string encode_key(const TableSpec& table, const std::vector<Value>& row);

}  // namespace lf::projections
