// Folding the log in memory and diffing it against the read tables.
#include "consumers/verify/fold.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>

#include "events/assert.hpp"
#include "events/envelope.hpp"

namespace lf::verify {

namespace {

using projections::SqlType;
using projections::TableSpec;

constexpr const char* kAbsent = "(absent)";

std::string quoted(const std::string& identifier) {
  return "\"" + identifier + "\"";
}

// Object keys sorted recursively, compact: equal for equal JSON values
// whatever their spacing and key order (jsonb reorders keys).
void write_sorted(JsonWriter& writer, const rapidjson::Value& value) {
  if (value.IsObject()) {
    std::vector<const rapidjson::Value::Member*> members;
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) members.push_back(&*it);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return json_view(a->name) < json_view(b->name); });
    writer.begin_object();
    for (const auto* member : members) {
      writer.key(json_view(member->name));
      write_sorted(writer, member->value);
    }
    writer.end_object();
  } else if (value.IsArray()) {
    writer.begin_array();
    for (const rapidjson::Value& item : value.GetArray()) write_sorted(writer, item);
    writer.end_array();
  } else {
    writer.value(value);
  }
}

std::string canonical_json(std::string_view text) {
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(
      text, without_input_checks(JsonLimits{.max_bytes = 64 << 20, .max_depth = 128}));
  if (!document) return "(unreadable JSON: " + document.error().message + ")";
  JsonWriter writer;
  write_sorted(writer, **document);
  return writer.str();
}

// A numeric's text without the zeros its scale adds: "5000.50" and
// "5000.5" (numeric keeps the scale it was given; numeric(10,6) pads to 6)
// are the same number.
std::string canonical_numeric(const std::string& given) {
  if (given.find('.') == std::string::npos) return given;
  std::string text = given;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

// An address in one spelling: "2001:DB8:0::1" and "2001:db8::1" are the same
// inet, and so are "192.168.0.1" and its text cast "192.168.0.1/32" (a host
// address's full-length prefix).
// Text that is no address is kept as it is (the difference then shows).
std::string canonical_inet(const std::string& text) {
  const std::size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  const std::string prefix = slash == std::string::npos ? "" : text.substr(slash + 1);
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  int family = AF_INET;
  if (inet_pton(AF_INET, address.c_str(), bytes) != 1) {
    family = AF_INET6;
    if (inet_pton(AF_INET6, address.c_str(), bytes) != 1) return text;
  }
  if (inet_ntop(family, bytes, out, sizeof(out)) == nullptr) return text;
  const std::string full = family == AF_INET ? "32" : "128";
  return prefix.empty() || prefix == full ? std::string(out) : std::string(out) + "/" + prefix;
}

// The canonical form of a column's text as PostgreSQL or a projection spells it.
std::string canonical_text(SqlType type, std::string text) {
  switch (type) {
    case SqlType::jsonb:
      return canonical_json(text);
    case SqlType::numeric:
      return canonical_numeric(text);
    case SqlType::inet:
      return canonical_inet(text);
    default:
      return text;
  }
}

// The SQL rendering of a column that canonical() matches.
std::string select_expression(const projections::Column& column) {
  const std::string name = quoted(column.name);
  switch (column.type) {
    case SqlType::int64:
    case SqlType::int32:
    case SqlType::uuid:
    case SqlType::jsonb:
    case SqlType::numeric:
    case SqlType::inet:
    case SqlType::enumeration:
      return name + "::text";
    case SqlType::text:
      return name;
    case SqlType::boolean:
      return "CASE WHEN " + name + " IS NULL THEN NULL WHEN " + name +
             " THEN 'true' ELSE 'false' END";
    case SqlType::timestamptz:
      return "((extract(epoch FROM " + name + ") * 1000)::bigint)::text";
    case SqlType::date:
      return "(" + name + " - date '1970-01-01')::text";
  }
  return name;
}

std::string key_text(const TableSpec& table, const Fold::Row& row) {
  std::string key;
  for (std::size_t index : table.key) {
    if (!key.empty()) key += ", ";
    key += table.columns[index].name + "=" + row[index].value_or("NULL");
  }
  return key;
}

std::size_t tenant_column(const TableSpec& table) {
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].name == "tenant_id") return i;
  }
  return table.columns.size();
}

}  // namespace

std::string to_string(const Difference& difference) {
  return difference.table + " [" + difference.key + "]" +
         (difference.column.empty() ? "" : " ." + difference.column) + ": expected " +
         difference.expected + ", found " + difference.found;
}

std::optional<std::string> canonical(const projections::Value& value, SqlType type) {
  return std::visit(
      [type](const auto& v) -> std::optional<std::string> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, projections::Null>) {
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return canonical_text(type, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          return std::string(v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, projections::Timestamp>) {
          return std::to_string(v.unix_ms);
        } else if constexpr (std::is_same_v<T, projections::Date>) {
          return std::to_string(v.days);
        } else {
          return canonical_json(v.text);
        }
      },
      value);
}

Fold::Fold(std::vector<std::unique_ptr<projections::Projection>> projections)
    : projections_(std::move(projections)), held_(projections_.size()) {
  for (const auto& projection : projections_) {
    for (const TableSpec* table : projection->tables()) tables_[table->name];
  }
}

std::optional<RecordVerdict> Fold::offer(int32_t partition, int64_t offset, std::string_view value,
                                         const JsonLimits& limits) {
  Result<DecodedRecord> record = decode_commit_record(value, limits);
  if (!record) {
    ++undecodable_;
    return std::nullopt;
  }
  const RecordVerdict verdict = admit(chains_[partition], record->header);
  if (verdict != RecordVerdict::accepted) {
    ++ignored_;
    return verdict;
  }
  ++accepted_;
  projections::RowBatch batch;
  const projections::RecordAt at{partition, offset, &*record};
  projections::FeedOptions options;
  options.all_known = projections::all_events_known(*record);
  for (std::size_t i = 0; i < projections_.size(); ++i)
    projections::feed_accepted(*projections_[i], at, held_[i], batch, options);
  apply(batch);
  return verdict;
}

void Fold::apply(const projections::RowBatch& batch) {
  for (const projections::RowBatch::TableOps& group : batch.tables()) {
    const TableSpec& table = *group.table;
    Table& rows = tables_[table.name];
    for (const projections::RowOp& op : group.ops) {
      Row row(table.columns.size());
      for (std::size_t i = 0; i < table.columns.size(); ++i)
        row[i] = canonical(op.values[i], table.columns[i].type);
      const std::string key = key_text(table, row);
      if (op.kind != projections::RowOpKind::patch) {
        rows[key] = std::move(row);
        continue;
      }
      auto existing = rows.find(key);
      LF_ASSERT_MSG(existing != rows.end(), "the fold patched a row no record created");
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        if (op.present[i]) existing->second[i] = std::move(row[i]);
      }
    }
  }
}

void fold_topic(const kafka::Settings& settings, const std::string& topic, Fold& fold,
                const JsonLimits& limits) {
  kafka::Consumer reader(settings, "ledgerflow-verify", "");
  const int32_t partitions = reader.partition_count(topic);
  for (int32_t partition = 0; partition < partitions; ++partition) {
    const kafka::Watermarks marks = reader.watermarks(topic, partition);
    if (marks.low > 0) {
      throw std::runtime_error(
          topic + " partition " + std::to_string(partition) + " starts at offset " +
          std::to_string(marks.low) +
          ": the broker no longer holds the whole log (verify from the archive)");
    }
    kafka::read_range(reader, topic, partition, 0, marks.high,
                      [&](int64_t offset, std::string_view value) {
                        fold.offer(partition, offset, value, limits);
                      });
  }
  reader.close();
}

std::size_t Fold::row_count() const {
  std::size_t rows = 0;
  for (const auto& [name, table] : tables_) rows += table.size();
  return rows;
}

namespace {

// Rows of the tenants `tenant_ids` names (every row when it is null),
// compared between the fold and the tables.
std::vector<Difference> diff_rows(pqxx::work& work, const Fold& fold, std::size_t limit,
                                  const std::set<std::string>* tenant_ids,
                                  const std::string& table_suffix) {
  std::string tenant_array;  // a uuid[] literal: libpqxx 6 passes no arrays
  if (tenant_ids != nullptr) {
    for (const std::string& tenant : *tenant_ids)
      tenant_array += (tenant_array.empty() ? "" : ",") + tenant;
    tenant_array = "{" + tenant_array + "}";
  }
  std::vector<Difference> differences;
  auto add = [&](Difference difference) {
    if (differences.size() < limit) differences.push_back(std::move(difference));
  };
  for (const auto& projection : fold.projections()) {
    for (const TableSpec* table : projection->tables()) {
      const std::size_t tenant_index = tenant_column(*table);
      std::string sql = "SELECT ";
      for (std::size_t i = 0; i < table->columns.size(); ++i) {
        sql += (i ? ", " : "") + select_expression(table->columns[i]);
      }
      sql += " FROM " + quoted(table->name + table_suffix);
      pqxx::result result =
          tenant_ids != nullptr && tenant_index < table->columns.size()
              ? work.exec_params(sql + " WHERE " + quoted("tenant_id") + " = ANY($1::uuid[])",
                                 tenant_array)
              : work.exec(sql);
      Fold::Table found;
      for (const pqxx::row& db_row : result) {
        Fold::Row row(table->columns.size());
        for (std::size_t i = 0; i < table->columns.size(); ++i) {
          if (db_row[static_cast<int>(i)].is_null()) continue;
          std::string text = db_row[static_cast<int>(i)].c_str();
          row[i] = canonical_text(table->columns[i].type, std::move(text));
        }
        std::string key = key_text(*table, row);
        found.emplace(std::move(key), std::move(row));
      }
      const Fold::Table& expected = fold.tables().at(table->name);
      for (const auto& [key, row] : expected) {
        if (tenant_ids != nullptr && tenant_index < row.size() &&
            (!row[tenant_index] || tenant_ids->count(*row[tenant_index]) == 0)) {
          continue;
        }
        auto match = found.find(key);
        if (match == found.end()) {
          add(Difference{table->name, key, "", "a row", kAbsent});
          continue;
        }
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (row[i] == match->second[i]) continue;
          add(Difference{table->name, key, table->columns[i].name, row[i].value_or("NULL"),
                         match->second[i].value_or("NULL")});
        }
      }
      for (const auto& [key, row] : found) {
        if (expected.count(key) == 0) add(Difference{table->name, key, "", kAbsent, "a row"});
      }
    }
  }
  return differences;
}

}  // namespace

std::vector<Difference> diff(pqxx::work& work, const Fold& fold, std::size_t limit,
                             const std::optional<std::string>& tenant_id,
                             const std::string& table_suffix) {
  if (!tenant_id) return diff_rows(work, fold, limit, nullptr, table_suffix);
  const std::set<std::string> one{*tenant_id};
  return diff_rows(work, fold, limit, &one, table_suffix);
}

std::vector<Difference> diff_tenants(pqxx::work& work, const Fold& fold, std::size_t limit,
                                     const std::set<std::string>& tenant_ids) {
  return diff_rows(work, fold, limit, &tenant_ids, "");
}

}  // namespace lf::verify
