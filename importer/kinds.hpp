// What `ledgerflow import <kind>` can load: one entry per kind saying which
// columns it requires, how a CSV row becomes a row of its command, which
// command carries the rows, and how a tenant's commands are pre-checked
// with the engine's own pure code. Adding a kind is adding an entry
// (docs/migrating.md "Adding a kind"). Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/domain.hpp"
#include "events/json.hpp"
#include "events/result.hpp"
#include "importer/csv.hpp"

namespace lf::importer {

// The positions of a kind's columns in one file's header.
class Columns {
 public:
  Columns(const CsvHeader& header, const std::vector<std::string_view>& names);
  // The field of `name` in `record`; nullptr when the file has no such
  // column (an optional one) or the record is shorter.
  const CsvField* get(const CsvRecord& record, std::string_view name) const;

 private:
  std::vector<std::pair<std::string_view, std::optional<std::size_t>>> positions_;
};

// One CSV row, converted.
struct ConvertedRow {
  std::string tenant_id;    // lower-case uuid
  std::string fields_json;  // a JSON object of the row's fields, its source line aside
  int64_t created_at_ms = 0;
};

// A row that cannot be converted: the reason, and its tenant when readable.
struct RowError {
  std::optional<std::string> tenant_id;
  std::string message;  // "column credits: ..." (the caller adds file and line)
};

inline RowError row_error(const std::optional<std::string>& tenant_id, std::string message) {
  return RowError{tenant_id, std::move(message)};
}

// A tenant's commands of one kind, in order, and how to check them.
struct PrecheckInput {
  std::string tenant_id;
  std::vector<std::string> payloads;  // one per chunk (command payload JSON)
  bool append = false;
  int64_t now_ms = 0;
};

struct KindSpec {
  std::string_view name;          // "credit_ledger"
  std::string_view command_type;  // "import.credit_ledger"
  std::vector<std::string_view> required_columns;
  std::vector<std::string_view> optional_columns;
  // One row; `columns` has every required column.
  std::variant<ConvertedRow, RowError> (*convert)(const Columns& columns, const CsvRecord& record);
  // The tenant's chunks as the engine would decide them on a tenant with no
  // events (append: only what needs no state); nullopt: all accepted.
  std::optional<engine::Rejection> (*precheck)(const PrecheckInput& input);
  // Whether the kind takes the tenant's credit_balances row on its last
  // chunk (as "expected_balance").
  bool takes_expected_balance = false;
  // Whether its rows are checked against what the engine holds besides
  // them (a run's activity and hold, an approval's subject, an order's
  // ledger entry): `precheck` then checks only what the file says, and the
  // tenant's chunks are also decided in a dry run on the engine's state
  // (engine/dry_run.hpp) before any is sent.
  bool checks_engine_state = false;
};

// The kind named `name`, or null.
const KindSpec* find_kind(std::string_view name);
// Every kind, in the order they were added.
std::vector<std::string_view> kind_names();

// The shared helpers converters use: a field's text (nullopt: NULL or no
// such column).
std::optional<std::string_view> field_text(const Columns& columns, const CsvRecord& record,
                                           std::string_view name);

// A text column as the command's schema bounds it (characters, not bytes),
// written as `field`.
struct TextColumn {
  std::string_view column;
  std::string_view field;
  std::size_t length_max;
  bool required;
};
// Writes each present column's text as its field (an absent optional one is
// left out); nullopt, or why the row is refused: a required column NULL, or
// text that is not UTF-8 of 1 to length_max characters.
std::optional<std::string> write_text_columns(JsonWriter& writer, const Columns& columns,
                                              const CsvRecord& record,
                                              std::span<const TextColumn> texts);

// A credit_balances row as the "expected_balance" object the last chunk of a
// credit_ledger import carries: (tenant_id, JSON object).
std::variant<std::pair<std::string, std::string>, RowError> convert_expected_balance(
    const Columns& columns, const CsvRecord& record);
extern const std::vector<std::string_view> kBalanceRequiredColumns;
extern const std::vector<std::string_view> kBalanceOptionalColumns;

}  // namespace lf::importer

// ---- a kind whose rows own rows of a second file (media_buys: --packages) ----

namespace lf::importer {

// One row of the second file: where it is, its parent's tenant when the file
// says (an optional tenant_id column), and its JSON (or why it has none).
struct ChildRow {
  int64_t line = 0;
  std::optional<std::string> tenant_id;
  std::string json;
  std::optional<std::string> error;  // the conversion's problem: refuses its parent
};

// The second file, by parent id (in file order), and which parents took
// their children.
struct ChildRows {
  std::string file;
  std::map<std::string, std::vector<ChildRow>> by_parent;
  std::set<std::string> taken;
};

struct ChildSpec {
  std::string_view kind;    // "media_buys"
  std::string_view option;  // "--packages"
  std::vector<std::string_view> required_columns;
  std::vector<std::string_view> optional_columns;
  // A child row: (its parent's id, the row); a RowError for a row without a
  // readable parent id.
  std::variant<std::pair<std::string, ChildRow>, RowError> (*convert)(const Columns& columns,
                                                                      const CsvRecord& record);
  // A parent row with its children (marking them taken), instead of the
  // kind's convert.
  std::variant<ConvertedRow, RowError> (*convert_parent)(const Columns& columns,
                                                         const CsvRecord& record,
                                                         ChildRows& children);
};

// The second file `kind` takes, or null.
const ChildSpec* find_child_spec(std::string_view kind);

}  // namespace lf::importer
