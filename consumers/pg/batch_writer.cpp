// Writing a RowBatch: COPY for inserts, one unnest-based statement per table
// (upserts) or per (table, column set) (patches). Values travel only as COPY
// data or array parameters; SQL text is built from TableSpec names alone.
#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/internal.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "consumers/pg/copy.hpp"
#include "events/assert.hpp"
#include "events/time.hpp"

namespace lf::pg {

namespace {

// COPY data is sent to the server in chunks of about this size: one libpq
// call per chunk instead of one per row.
constexpr std::size_t kCopyChunkBytes = 256 * 1024;

// libpqxx 6.4 declares stream_to::write_raw_line private (7.x makes it
// public), yet it is the only way to hand already-encoded COPY text to a
// stream_to. Explicit instantiation may name private members, which lets us
// take the member pointer without touching libpqxx.
using WriteRawLine = void (pqxx::stream_to::*)(const std::string&);
struct WriteRawLineTag {};
WriteRawLine member_of(WriteRawLineTag);
template <WriteRawLine Member>
struct ExposeWriteRawLine {
  friend WriteRawLine member_of(WriteRawLineTag) { return Member; }
};
template struct ExposeWriteRawLine<&pqxx::stream_to::write_raw_line>;

// Sends `chunk` (whole rows, each ending in '\n') to the stream. libpqxx
// appends the final newline itself, so the last one is dropped here.
void flush_copy_chunk(pqxx::stream_to& stream, std::string& chunk) {
  if (chunk.empty()) return;
  LF_ASSERT(chunk.back() == '\n');
  chunk.pop_back();
  (stream.*member_of(WriteRawLineTag{}))(chunk);
  chunk.clear();
}

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string hex64(uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = digits[value & 0xf];
    value >>= 4;
  }
  return out;
}

// A readable statement name, shortened with a hash when it would not fit.
std::string statement_name(std::string readable) {
  if (readable.size() <= kStatementNameBytesMax) return readable;
  const std::string hash = hex64(fnv1a64(readable));
  readable.resize(kStatementNameBytesMax - hash.size() - 1);
  return readable + "~" + hash;
}

// One hex digit per four columns: which columns a patch sets.
std::string column_mask(const std::vector<bool>& present) {
  static const char digits[] = "0123456789abcdef";
  std::string mask;
  for (std::size_t i = 0; i < present.size(); i += 4) {
    unsigned nibble = 0;
    for (std::size_t bit = 0; bit < 4 && i + bit < present.size(); ++bit) {
      if (present[i + bit]) nibble |= 1U << bit;
    }
    mask.push_back(digits[nibble]);
  }
  return mask;
}

bool is_key(const projections::TableSpec& table, std::size_t column) {
  for (std::size_t key : table.key) {
    if (key == column) return true;
  }
  return false;
}

// `$n::type[]` for each listed column, comma-separated.
std::string unnest_arguments(const projections::TableSpec& table,
                             const std::vector<std::size_t>& columns) {
  std::string sql;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += "$" + std::to_string(i + 1) + "::" + sql_type_name(table.columns[columns[i]]) + "[]";
  }
  return sql;
}

// One array literal per listed column, over `ops` in order.
std::vector<std::string> column_arrays(const std::vector<const projections::RowOp*>& ops,
                                       const std::vector<std::size_t>& columns) {
  std::vector<std::string> arrays;
  arrays.reserve(columns.size());
  std::vector<const projections::Value*> values;
  values.reserve(ops.size());
  for (std::size_t column : columns) {
    values.clear();
    for (const projections::RowOp* op : ops) values.push_back(&op->values[column]);
    arrays.push_back(array_literal(values));
  }
  return arrays;
}

void copy_rows(pqxx::transaction_base& work, const std::string& table_name,
               const projections::TableSpec& table,
               const std::vector<const projections::RowOp*>& rows) {
  std::vector<std::string> columns;
  columns.reserve(table.columns.size());
  for (const projections::Column& column : table.columns)
    columns.push_back(work.quote_name(column.name));
  // libpqxx 6.4 puts the table and column names into the COPY statement as
  // given, so they are passed quoted.
  pqxx::stream_to stream(work, work.quote_name(table_name), columns);
  std::string chunk;
  chunk.reserve(kCopyChunkBytes + 4096);
  for (const projections::RowOp* op : rows) {
    for (std::size_t i = 0; i < op->values.size(); ++i)
      append_copy_value(chunk, op->values[i], i == 0);
    end_copy_row(chunk);
    if (chunk.size() >= kCopyChunkBytes) flush_copy_chunk(stream, chunk);
  }
  flush_copy_chunk(stream, chunk);
  stream.complete();
}

// Has the monthly partition of every month the rows' partition column
// falls in created, if missing: one call per distinct month, with the table
// name (from code) and an instant of the month as parameters.
void ensure_month_partitions(const std::string& table_name, const projections::TableSpec& table,
                             const std::vector<const projections::RowOp*>& rows,
                             std::string_view name_prefix,
                             std::vector<PipelinedStatement>& statements) {
  if (table.monthly_partition_column.empty() || rows.empty()) return;
  const std::size_t column = table.column_index(table.monthly_partition_column);
  std::map<std::string, int64_t> months;  // "YYYY-MM" -> an instant in it
  for (const projections::RowOp* op : rows) {
    const auto* at = std::get_if<projections::Timestamp>(&op->values[column]);
    LF_ASSERT_MSG(at != nullptr, "a partition column holds a timestamp");
    const int64_t day = at->unix_ms / kMillisPerDay - (at->unix_ms % kMillisPerDay < 0 ? 1 : 0);
    months.emplace(format_date_days(static_cast<int32_t>(day)).substr(0, 7), at->unix_ms);
  }
  for (const auto& [month, unix_ms] : months) {
    statements.push_back(PipelinedStatement{
        std::string(name_prefix) + "lf.ensure_month_partition",
        "SELECT ledgerflow_ensure_month_partition($1, to_timestamp($2::double precision / 1000))",
        {table_name, std::to_string(unix_ms)},
        {}});
  }
}

}  // namespace

struct BatchWriter::TableWork {
  std::vector<const projections::RowOp*> inserts;
  std::vector<const projections::RowOp*> upserts;
  // Patches grouped by the set of columns they set, in first-touch order.
  std::vector<std::pair<std::vector<bool>, std::vector<const projections::RowOp*>>> patches;
};

BatchWriter::TableWork BatchWriter::sort_ops(const projections::RowBatch::TableOps& group) {
  TableWork work;
  for (const projections::RowOp& op : group.ops) {
    LF_ASSERT(op.table == group.table);
    LF_ASSERT(op.values.size() == group.table->columns.size());
    switch (op.kind) {
      case projections::RowOpKind::insert:
        work.inserts.push_back(&op);
        break;
      case projections::RowOpKind::upsert:
        work.upserts.push_back(&op);
        break;
      case projections::RowOpKind::patch: {
        LF_ASSERT(op.present.size() == op.values.size());
        auto found = std::find_if(work.patches.begin(), work.patches.end(),
                                  [&op](const auto& entry) { return entry.first == op.present; });
        if (found == work.patches.end()) {
          work.patches.emplace_back(op.present, std::vector<const projections::RowOp*>{});
          found = std::prev(work.patches.end());
        }
        found->second.push_back(&op);
        break;
      }
    }
  }
  return work;
}

BatchWriter::BatchWriter(std::string table_suffix, std::size_t insert_statement_rows_max)
    : table_suffix_(std::move(table_suffix)),
      insert_statement_rows_max_(insert_statement_rows_max) {
  for (const char c : table_suffix_) {
    const bool identifier_char = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    LF_ASSERT_MSG(identifier_char, "table suffix must be a lower-case identifier fragment");
  }
}

void BatchWriter::write(pqxx::transaction_base& work, const projections::RowBatch& batch) {
  std::vector<PipelinedStatement> statements;
  for (const projections::RowBatch::TableOps& group : batch.tables()) {
    const TableWork sorted = sort_ops(group);
    const bool by_copy = sorted.inserts.size() > insert_statement_rows_max_;
    statements.clear();
    const std::size_t inserts_at =
        table_statements(work, *group.table, sorted, !by_copy, "", statements);
    for (std::size_t i = 0; i < inserts_at; ++i) run_alone(work, statements[i]);
    if (by_copy) copy_rows(work, group.table->name + table_suffix_, *group.table, sorted.inserts);
    for (std::size_t i = inserts_at; i < statements.size(); ++i) run_alone(work, statements[i]);
  }
}

bool BatchWriter::write_pipelined(pqxx::dbtransaction& work,
                                  std::vector<PipelinedStatement> leading,
                                  const projections::RowBatch& batch) {
  std::vector<TableWork> sorted;
  for (const projections::RowBatch::TableOps& group : batch.tables()) {
    sorted.push_back(sort_ops(group));
    if (sorted.back().inserts.size() > insert_statement_rows_max_) return false;
  }
  std::vector<PipelinedStatement> statements = std::move(leading);
  for (PipelinedStatement& statement : statements) statement.name = "p." + statement.name;
  for (std::size_t i = 0; i < sorted.size(); ++i)
    table_statements(work, *batch.tables()[i].table, sorted[i], true, "p.", statements);
  pipeline_.run(work, statements);
  return true;
}

std::size_t BatchWriter::table_statements(pqxx::transaction_base& work,
                                          const projections::TableSpec& table,
                                          const TableWork& sorted, bool inserts_by_statement,
                                          std::string_view name_prefix,
                                          std::vector<PipelinedStatement>& statements) {
  const std::string table_name = table.name + table_suffix_;
  LF_ASSERT_MSG(!table.key.empty() || (sorted.upserts.empty() && sorted.patches.empty()),
                "upserts and patches need a key");
  // A patch never moves a row to another month: the partition column is not patched.
  LF_ASSERT_MSG(table.monthly_partition_column.empty() || sorted.patches.empty(),
                "a monthly partitioned table is written by inserts and upserts");
  ensure_month_partitions(table_name, table, sorted.inserts, name_prefix, statements);
  ensure_month_partitions(table_name, table, sorted.upserts, name_prefix, statements);
  const std::size_t inserts_at = statements.size();

  std::vector<std::size_t> all(table.columns.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (inserts_by_statement && !sorted.inserts.empty()) {
    statements.push_back(insert_statement(work, table, Conflict::fail, name_prefix));
    statements.back().params = column_arrays(sorted.inserts, all);
  }
  if (!sorted.upserts.empty()) {
    statements.push_back(insert_statement(work, table, Conflict::update, name_prefix));
    statements.back().params = column_arrays(sorted.upserts, all);
  }
  for (const auto& [present, ops] : sorted.patches) {
    std::vector<std::size_t> columns(table.key.begin(), table.key.end());
    for (std::size_t i = 0; i < present.size(); ++i) {
      if (present[i] && !is_key(table, i)) columns.push_back(i);
    }
    statements.push_back(patch_statement(work, table, present, name_prefix));
    statements.back().params = column_arrays(ops, columns);
    statements.back().check = [expected = ops.size(), table_name](uint64_t matched) {
      if (matched == expected) return;
      logger()->error("patch of {} rows in {} matched {}", expected, table_name, matched);
      throw PatchMissingRow("patch to missing row in " + table_name);
    };
  }
  return inserts_at;
}

PipelinedStatement BatchWriter::insert_statement(pqxx::transaction_base& work,
                                                 const projections::TableSpec& table,
                                                 Conflict conflict, std::string_view name_prefix) {
  const std::string table_name = table.name + table_suffix_;
  const std::string readable = table_name + (conflict == Conflict::update ? ".upsert" : ".insert");
  auto [cached, added] = sql_.try_emplace(readable);
  if (added) {
    std::vector<std::size_t> all(table.columns.size());
    std::string column_list;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      all[i] = i;
      if (i > 0) column_list += ", ";
      column_list += work.quote_name(table.columns[i].name);
    }
    std::string key_list;
    for (std::size_t i = 0; i < table.key.size(); ++i) {
      if (i > 0) key_list += ", ";
      key_list += work.quote_name(table.columns[table.key[i]].name);
    }
    std::string updates;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (is_key(table, i)) continue;
      if (!updates.empty()) updates += ", ";
      const std::string column = work.quote_name(table.columns[i].name);
      updates += column + " = EXCLUDED." + column;
    }
    std::string sql = "INSERT INTO " + work.quote_name(table_name) + " (" + column_list +
                      ") SELECT * FROM unnest(" + unnest_arguments(table, all) + ")";
    if (conflict == Conflict::update) {
      sql += " ON CONFLICT (" + key_list + ") " +
             (updates.empty() ? "DO NOTHING" : "DO UPDATE SET " + updates);
    }
    logger()->debug("statement {}: {}", readable, sql);
    cached->second = std::move(sql);
  }
  return PipelinedStatement{
      statement_name(std::string(name_prefix) + readable), cached->second, {}, {}};
}

PipelinedStatement BatchWriter::patch_statement(pqxx::transaction_base& work,
                                                const projections::TableSpec& table,
                                                const std::vector<bool>& present,
                                                std::string_view name_prefix) {
  const std::string table_name = table.name + table_suffix_;
  const std::string readable = table_name + ".patch." + column_mask(present);
  auto [cached, added] = sql_.try_emplace(readable);
  if (added) {
    std::vector<std::size_t> columns(table.key.begin(), table.key.end());
    for (std::size_t i = 0; i < present.size(); ++i) {
      if (present[i] && !is_key(table, i)) columns.push_back(i);
    }
    std::string aliases;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) aliases += ", ";
      aliases += work.quote_name(table.columns[columns[i]].name);
    }
    std::string assignments;
    for (std::size_t i = table.key.size(); i < columns.size(); ++i) {
      if (!assignments.empty()) assignments += ", ";
      const std::string column = work.quote_name(table.columns[columns[i]].name);
      assignments += column + " = src." + column;
    }
    if (assignments.empty()) {
      // Only keys: still an UPDATE, so a missing row is found by the count.
      const std::string key = work.quote_name(table.columns[table.key.front()].name);
      assignments = key + " = src." + key;
    }
    std::string matches;
    for (std::size_t i = 0; i < table.key.size(); ++i) {
      if (i > 0) matches += " AND ";
      const std::string key = work.quote_name(table.columns[table.key[i]].name);
      matches += "dst." + key + " = src." + key;
    }
    std::string sql = "UPDATE " + work.quote_name(table_name) + " AS dst SET " + assignments +
                      " FROM unnest(" + unnest_arguments(table, columns) + ") AS src(" + aliases +
                      ") WHERE " + matches;
    logger()->debug("statement {}: {}", readable, sql);
    cached->second = std::move(sql);
  }
  return PipelinedStatement{
      statement_name(std::string(name_prefix) + readable), cached->second, {}, {}};
}

}  // namespace lf::pg
