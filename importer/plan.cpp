// Loading rows and planning chunks (importer/plan.hpp).
#include "importer/plan.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"
#include "importer/sha256.hpp"

namespace lf::importer {

namespace {

// A chunk's JSON besides its rows: the header fields and the balance.
constexpr std::size_t kChunkOverheadBytes = 2048;

std::string missing_text(const std::vector<std::string>& missing) {
  std::string text;
  for (const std::string& name : missing) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// "line 12: ..." -> "file:12: ..."
Error located(const std::string& file_name, const Error& error) {
  std::string message = error.message;
  if (message.starts_with("line ")) message = message.substr(5);
  return make_error(error.code, file_name + ":" + message);
}

// The header of `in`, with `required` checked.
Result<CsvHeader> read_header(CsvReader& reader, const std::string& file_name,
                              const std::vector<std::string_view>& required) {
  CsvRecord record;
  Result<bool> read = reader.next(record);
  if (!read) return located(file_name, read.error());
  if (!*read)
    return make_error("invalid_csv", file_name + ": empty file (a header row is required)");
  Result<CsvHeader> header = CsvHeader::from(record);
  if (!header) return located(file_name, header.error());
  const std::vector<std::string> missing = header->missing(required);
  if (!missing.empty()) {
    return make_error("missing_columns", file_name + ": the header lacks the required column(s) " +
                                             missing_text(missing));
  }
  return header;
}

// A CSV file read as the importer reads every file: its header (lacking none
// of `required`), then each record, which must have as many fields as the
// header, handed with the columns of `required` and `optional` to
// `take(columns, record)`; an error it returns stops the reading. Errors
// name file:line.
template <typename Take>
std::optional<Error> read_records(std::istream& in, const std::string& file_name,
                                  const std::vector<std::string_view>& required,
                                  const std::vector<std::string_view>& optional, Take take) {
  CsvReader reader(in);
  Result<CsvHeader> header = read_header(reader, file_name, required);
  if (!header) return header.error();
  std::vector<std::string_view> names = required;
  names.insert(names.end(), optional.begin(), optional.end());
  const Columns columns(*header, names);
  CsvRecord record;
  while (true) {
    Result<bool> read = reader.next(record);
    if (!read) return located(file_name, read.error());
    if (!*read) return std::nullopt;
    if (record.fields.size() != header->size()) {
      return make_error("invalid_csv", file_name + ":" + std::to_string(record.line) + ": " +
                                           std::to_string(record.fields.size()) +
                                           " field(s), the header has " +
                                           std::to_string(header->size()));
    }
    if (std::optional<Error> stop = take(columns, record)) return stop;
  }
}

}  // namespace

Result<bool> RowLoader::add(const std::string& file_name, std::istream& in) {
  const std::size_t file = loaded_.files.size();
  loaded_.files.push_back(file_name);
  std::optional<Error> error = read_records(
      in, file_name, kind_.required_columns, kind_.optional_columns,
      [&](const Columns& columns, const CsvRecord& record) -> std::optional<Error> {
        ++loaded_.rows;
        std::variant<ConvertedRow, RowError> converted =
            child_spec_ != nullptr ? child_spec_->convert_parent(columns, record, *children_)
                                   : kind_.convert(columns, record);
        if (RowError* refused = std::get_if<RowError>(&converted)) {
          loaded_.refused.push_back(
              RefusedRow{file_name, record.line, refused->tenant_id, refused->message});
          return std::nullopt;
        }
        ConvertedRow& row = std::get<ConvertedRow>(converted);
        auto [slot, inserted] = loaded_.by_tenant.try_emplace(row.tenant_id);
        if (inserted) loaded_.tenant_order.push_back(row.tenant_id);
        slot->second.push_back(SourceRow{file, record.line, std::move(row.fields_json)});
        return std::nullopt;
      });
  if (error) return *error;
  return true;
}

Result<ChildRows> load_children(const ChildSpec& spec, const std::string& file_name,
                                std::istream& in) {
  ChildRows children;
  children.file = file_name;
  std::optional<Error> error = read_records(
      in, file_name, spec.required_columns, spec.optional_columns,
      [&](const Columns& columns, const CsvRecord& record) -> std::optional<Error> {
        auto converted = spec.convert(columns, record);
        if (RowError* refused = std::get_if<RowError>(&converted)) {
          return make_error("invalid_row", file_name + ":" + std::to_string(record.line) + ": " +
                                               refused->message);
        }
        auto& [parent, child] = std::get<std::pair<std::string, ChildRow>>(converted);
        children.by_parent[parent].push_back(std::move(child));
        return std::nullopt;
      });
  if (error) return *error;
  return children;
}

std::vector<RefusedRow> untaken_children(const ChildRows& children) {
  std::vector<RefusedRow> refused;
  for (const auto& [parent, rows] : children.by_parent) {
    if (children.taken.contains(parent)) continue;
    for (const ChildRow& row : rows) {
      refused.push_back(RefusedRow{children.file, row.line, row.tenant_id,
                                   "its parent " + parent + " is in none of the files"});
    }
  }
  return refused;
}

Result<std::map<std::string, std::string>> load_balances(const std::string& file_name,
                                                         std::istream& in) {
  std::map<std::string, std::string> balances;
  std::optional<Error> error = read_records(
      in, file_name, kBalanceRequiredColumns, kBalanceOptionalColumns,
      [&](const Columns& columns, const CsvRecord& record) -> std::optional<Error> {
        const std::string where = file_name + ":" + std::to_string(record.line) + ": ";
        auto converted = convert_expected_balance(columns, record);
        if (RowError* refused = std::get_if<RowError>(&converted))
          return make_error("invalid_row", where + refused->message);
        auto& [tenant_id, json] = std::get<std::pair<std::string, std::string>>(converted);
        if (!balances.emplace(tenant_id, std::move(json)).second)
          return make_error("invalid_row", where + "a second row for tenant " + tenant_id);
        return std::nullopt;
      });
  if (error) return *error;
  return balances;
}

std::string import_id_of(std::string_view kind, const std::vector<SourceRow>& rows) {
  Sha256 hash;
  hash.update(kind);
  hash.update("\n");
  for (const SourceRow& row : rows) {
    hash.update(row.fields_json);
    hash.update("\n");
  }
  return hash.hex_digest();
}

std::string import_command_id(std::string_view kind, const std::string& tenant_id,
                              const std::string& import_id, int64_t chunk, bool append) {
  // A command_id has at most 128 characters: 128 bits of the import's hash
  // name it well enough.
  const std::string id = "import:" + std::string(kind) + ":" + tenant_id + ":" +
                         import_id.substr(0, kImportIdInCommandIdDigits) + ":" +
                         std::to_string(chunk) + (append ? ":append" : "");
  LF_ASSERT(id.size() <= kCommandIdLengthMax);
  return id;
}

TenantPlan plan_tenant(const KindSpec& kind, const std::string& tenant_id,
                       const std::vector<SourceRow>& rows, const std::vector<std::string>& files,
                       bool append, const std::optional<std::string>& expected_balance_json,
                       ChunkLimits limits) {
  LF_ASSERT(!rows.empty() && limits.rows_max > 0);
  TenantPlan plan;
  plan.tenant_id = tenant_id;
  plan.import_id = import_id_of(kind.name, rows);
  plan.rows = static_cast<int64_t>(rows.size());
  // Where each chunk starts: a new file, too many rows or bytes.
  std::vector<std::size_t> starts{0};
  std::size_t bytes =
      kChunkOverheadBytes + (expected_balance_json ? expected_balance_json->size() : 0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t row_bytes = rows[i].fields_json.size() + 24;
    const std::size_t in_chunk = i - starts.back();
    if (in_chunk > 0 && (rows[i].file != rows[i - 1].file || in_chunk == limits.rows_max ||
                         bytes + row_bytes > limits.bytes_max)) {
      starts.push_back(i);
      bytes = kChunkOverheadBytes + (expected_balance_json ? expected_balance_json->size() : 0);
    }
    bytes += row_bytes;
  }
  const int64_t chunks = static_cast<int64_t>(starts.size());
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const std::size_t begin = starts[static_cast<std::size_t>(chunk)];
    const std::size_t end =
        chunk + 1 < chunks ? starts[static_cast<std::size_t>(chunk + 1)] : rows.size();
    JsonWriter header;
    header.begin_object();
    header.field("import_id", plan.import_id);
    header.field("chunk", chunk);
    header.field("chunks", chunks);
    header.field("append", append);
    header.key("source");
    header.begin_object();
    header.field("file", files.at(rows[begin].file));
    header.field("first_line", rows[begin].line);
    header.field("last_line", rows[end - 1].line);
    header.end_object();
    header.end_object();
    std::string payload(
        header.view().substr(0, header.view().size() - 1));  // without its closing brace
    payload += ",\"rows\":[";
    for (std::size_t i = begin; i < end; ++i) {
      const std::string& fields = rows[i].fields_json;
      LF_ASSERT(fields.size() >= 2 && fields.front() == '{');
      if (i > begin) payload += ',';
      payload += "{\"line\":" + std::to_string(rows[i].line);
      if (fields.size() > 2) payload += ',';
      payload.append(fields, 1, std::string::npos);
    }
    payload += ']';
    if (expected_balance_json && chunk + 1 == chunks) {
      payload += ",\"expected_balance\":";
      payload += *expected_balance_json;
    }
    payload += '}';
    plan.payloads.push_back(std::move(payload));
    plan.chunk_rows.push_back(static_cast<int64_t>(end - begin));
  }
  return plan;
}

}  // namespace lf::importer
