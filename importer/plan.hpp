// From CSV files to each tenant's import commands: rows read and converted
// (remembering file and line), grouped by tenant in file order, the
// import's identity (SHA-256 of the tenant's rows), and the chunks, each
// well under the record limit. Pure: files come in as streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/result.hpp"
#include "importer/kinds.hpp"

namespace lf::importer {

struct SourceRow {
  std::size_t file = 0;  // index into LoadedRows::files
  int64_t line = 0;
  std::string fields_json;
};

// A row that could not be converted; its tenant (when readable) is refused.
struct RefusedRow {
  std::string file;
  int64_t line = 0;
  std::optional<std::string> tenant_id;
  std::string message;
};

struct LoadedRows {
  std::vector<std::string> files;
  std::vector<std::string> tenant_order;  // by first appearance
  std::unordered_map<std::string, std::vector<SourceRow>> by_tenant;
  std::vector<RefusedRow> refused;
  int64_t rows = 0;
};

// Error codes: "missing_columns" (a usage error: the header lacks required
// columns, all named), "invalid_csv" (file:line: what is wrong).
class RowLoader {
 public:
  explicit RowLoader(const KindSpec& kind) : kind_(kind) {}
  // A kind whose rows own rows of a second file (find_child_spec), read
  // before with load_children: each row takes its children.
  RowLoader(const KindSpec& kind, const ChildSpec& child_spec, ChildRows& children)
      : kind_(kind), child_spec_(&child_spec), children_(&children) {}
  Result<bool> add(const std::string& file_name, std::istream& in);
  LoadedRows take() { return std::move(loaded_); }

 private:
  const KindSpec& kind_;
  const ChildSpec* child_spec_ = nullptr;
  ChildRows* children_ = nullptr;
  LoadedRows loaded_;
};

// The second file of a kind (e.g. media_buys' packages), by parent id. Same
// error codes as RowLoader::add; a row without a readable parent id is an
// "invalid_row" error naming file:line.
Result<ChildRows> load_children(const ChildSpec& spec, const std::string& file_name,
                                std::istream& in);
// The children no row took (a package of an unknown buy), as refused rows.
std::vector<RefusedRow> untaken_children(const ChildRows& children);

// A credit_balances file: tenant -> the "expected_balance" JSON object.
// Same error codes; a bad row is an "invalid_row" error naming file:line.
Result<std::map<std::string, std::string>> load_balances(const std::string& file_name,
                                                         std::istream& in);

struct ChunkLimits {
  std::size_t rows_max = 1000;
  std::size_t bytes_max = 256 * 1024;
};

struct TenantPlan {
  std::string tenant_id;
  std::string import_id;
  std::vector<std::string> payloads;  // one per chunk, in order
  std::vector<int64_t> chunk_rows;    // rows in each chunk
  int64_t rows = 0;
};

// The import's identity: SHA-256 of the kind and the rows' fields (not
// their lines, so a fresh export of the same rows is the same import).
std::string import_id_of(std::string_view kind, const std::vector<SourceRow>& rows);

// The tenant's chunks: at most limits.rows_max rows and about
// limits.bytes_max bytes each, never spanning two files; the last carries
// `expected_balance_json` when given.
TenantPlan plan_tenant(const KindSpec& kind, const std::string& tenant_id,
                       const std::vector<SourceRow>& rows, const std::vector<std::string>& files,
                       bool append, const std::optional<std::string>& expected_balance_json,
                       ChunkLimits limits = {});

// "import:<kind>:<tenant>:<import_id>:<chunk>" (":append" after it for an
// --append run, so a run refused for live events can be re-run with it),
// the import_id cut to its first 32 hex digits so the id fits the
// envelope's 128 characters.
inline constexpr std::size_t kImportIdInCommandIdDigits = 32;
inline constexpr std::size_t kCommandIdLengthMax = 128;
std::string import_command_id(std::string_view kind, const std::string& tenant_id,
                              const std::string& import_id, int64_t chunk, bool append);

}  // namespace lf::importer
