// csv_fuzz: `ledgerflow import`'s readers of untrusted files. The input is
// read as CSV (importer/csv.hpp, small limits) and, as a credit_ledger
// export, through the row converter, the chunk planner and the engine's
// own parse, schema and pre-check (importer/). Beyond "no crash, no
// sanitizer report" it checks: records start on increasing lines within
// the input; errors name a line of the input; what the reader read, written
// back as CSV, reads back the same; every row the converter accepts makes
// chunks the command schema and the engine's parser accept.
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "engine/credits/import.hpp"
#include "engine/intake.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "fuzz/check.hpp"
#include "importer/csv.hpp"
#include "importer/kinds.hpp"
#include "importer/plan.hpp"

namespace {

using lf::fuzz::as_text;
using lf::importer::CsvField;
using lf::importer::CsvReader;
using lf::importer::CsvRecord;

constexpr lf::importer::CsvLimits kLimits{.field_bytes_max = 4096, .fields_max = 64};

int64_t lines_in(std::string_view text) {
  int64_t lines = 1;
  for (const char c : text) lines += c == '\n' ? 1 : 0;
  return lines;
}

// "line N: ..." with 1 <= N <= the input's lines.
void check_error_line(const lf::Error& error, int64_t lines) {
  LF_FUZZ_CHECK(error.code == "invalid_csv", error.code);
  LF_FUZZ_CHECK(error.message.starts_with("line "), error.message);
  const int64_t line = std::stoll(error.message.substr(5));
  LF_FUZZ_CHECK(line >= 1 && line <= lines, error.message);
}

std::string write_csv(const std::vector<CsvRecord>& records) {
  std::string text;
  for (const CsvRecord& record : records) {
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      if (i > 0) text += ',';
      const CsvField& field = record.fields[i];
      if (!field) continue;  // NULL: an unquoted empty field
      text += '"';
      for (const char c : *field) {
        if (c == '"') text += '"';
        text += c;
      }
      text += '"';
    }
    text += '\n';
  }
  return text;
}

std::vector<CsvRecord> read_csv(std::string_view text, bool& complete) {
  const int64_t lines = lines_in(text);
  CsvReader reader(text, kLimits);
  std::vector<CsvRecord> records;
  CsvRecord record;
  int64_t previous_line = 0;
  complete = false;
  while (true) {
    lf::Result<bool> read = reader.next(record);
    if (!read) {
      check_error_line(read.error(), lines);
      return records;
    }
    if (!*read) break;
    LF_FUZZ_CHECK(record.line > previous_line && record.line <= lines, std::to_string(record.line));
    LF_FUZZ_CHECK(!record.fields.empty(), "a record without fields");
    previous_line = record.line;
    records.push_back(record);
  }
  complete = true;
  return records;
}

void check_round_trip(const std::vector<CsvRecord>& records) {
  bool complete = false;
  const std::string written = write_csv(records);
  const std::vector<CsvRecord> again = read_csv(written, complete);
  LF_FUZZ_CHECK(complete, written);
  LF_FUZZ_CHECK(again.size() == records.size(), written);
  for (std::size_t i = 0; i < again.size(); ++i)
    LF_FUZZ_CHECK(again[i].fields == records[i].fields, written);
}

// Every row the converter accepts ends in chunks the engine reads.
void check_ledger(std::string_view text) {
  const lf::importer::KindSpec& kind = *lf::importer::find_kind("credit_ledger");
  lf::importer::RowLoader loader(kind);
  std::istringstream in{std::string(text)};
  if (!loader.add("fuzz.csv", in)) return;
  const lf::importer::LoadedRows loaded = loader.take();
  for (const std::string& tenant : loaded.tenant_order) {
    const lf::importer::TenantPlan plan = lf::importer::plan_tenant(
        kind, tenant, loaded.by_tenant.at(tenant), loaded.files, false, std::nullopt,
        lf::importer::ChunkLimits{.rows_max = 3, .bytes_max = 8192});
    for (const std::string& payload : plan.payloads) {
      auto document = lf::parse_json_bounded(payload, lf::engine::kCommandLimits);
      LF_FUZZ_CHECK(document.ok(), payload);
      const std::optional<std::string> problem =
          lf::SchemaRegistry::embedded().validate_command_payload("import.credit_ledger",
                                                                  **document);
      LF_FUZZ_CHECK(!problem.has_value(), *problem + "\n" + payload);
      auto chunk = lf::engine::credits::parse_ledger_chunk(document->get());
      LF_FUZZ_CHECK(chunk.ok(), chunk.ok() ? "" : chunk.error().message + "\n" + payload);
    }
    // The pre-check decides them as the engine would: whatever it says, it says it without
    // crashing.
    (void)kind.precheck(
        lf::importer::PrecheckInput{tenant, plan.payloads, false, 1'760'000'000'000});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  bool complete = false;
  const std::vector<CsvRecord> records = read_csv(text, complete);
  if (complete) check_round_trip(records);
  check_ledger(text);
  return 0;
}
