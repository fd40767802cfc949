// The credit_ledger kind (Leadmetrics credit_ledger, shared/seeds/001):
// rows to import.credit_ledger chunks, and their pre-check with the engine's
// own parse, schema and decision (engine/credits/import.hpp).
#include "importer/credit_ledger.hpp"

#include "engine/credits/decider.hpp"
#include "engine/credits/import.hpp"
#include "engine/intake.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

const std::vector<std::string_view> kLedgerRequiredColumns{"tenant_id", "type", "credits",
                                                           "balance_after", "created_at"};
const std::vector<std::string_view> kLedgerOptionalColumns{
    "id", "activity_run_id", "deliverable_type", "topup_order_id", "actor", "note"};

std::variant<ConvertedRow, RowError> convert_ledger_row(const Columns& columns,
                                                        const CsvRecord& record) {
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return row_error(std::nullopt, "column tenant_id: not a uuid");
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };

  const std::optional<std::string_view> type = text("type");
  if (!type || !engine::credits::parse_entry_type(*type)) {
    return row_error(
        tenant_id,
        "column type: " + (type ? "'" + printable_excerpt(*type) + "'" : std::string("NULL")) +
            " is none of allocated, topup, reserved, consumed, released, refunded, "
            "adjusted, expired");
  }
  constexpr int64_t kCreditsMax = 1'000'000'000'000'000;      // 10^15, one entry at most
  constexpr int64_t kBalanceMax = 1'000'000'000'000'000'000;  // 10^18
  const std::optional<int64_t> credits =
      text("credits") ? read_integer(*text("credits")) : std::nullopt;
  if (!credits || *credits < -kCreditsMax || *credits > kCreditsMax) {
    return row_error(tenant_id, "column credits: not an integer from -10^15 to 10^15");
  }
  const std::optional<int64_t> balance_after =
      text("balance_after") ? read_integer(*text("balance_after")) : std::nullopt;
  if (!balance_after || *balance_after < -kBalanceMax || *balance_after > kBalanceMax) {
    return row_error(tenant_id, "column balance_after: not an integer from -10^18 to 10^18");
  }
  const std::optional<int64_t> created_at =
      text("created_at") ? read_timestamp_ms(*text("created_at")) : std::nullopt;
  if (!created_at)
    return row_error(tenant_id, "column created_at: not a timestamp with a time zone");

  JsonWriter writer;
  writer.begin_object();
  writer.field("type", *type);
  writer.field("credits", *credits);
  writer.field("balance_after", *balance_after);
  writer.timestamp_field("created_at", *created_at);
  // Text as the command's schema bounds it (characters, not bytes).
  struct TextColumn {
    std::string_view name;
    std::size_t length_max;
    bool empty_allowed;
  };
  constexpr TextColumn kTexts[] = {
      {"id", 128, false},
      {"activity_run_id", 121, false},  // its hold is "import:<id>", 128 at most
      {"deliverable_type", 128, false},
      {"topup_order_id", 128, false},
      {"actor", 128, false},
      {"note", 10'000, true}};
  for (const TextColumn& column : kTexts) {
    const CsvField* field = columns.get(record, column.name);
    if (field == nullptr || !*field) continue;
    const std::string name(column.name);
    if ((*field)->empty() && !column.empty_allowed) {
      return row_error(tenant_id, "column " + name + ": an empty string (NULL is an empty field)");
    }
    const std::optional<std::size_t> length = utf8_length(**field);
    if (!length) return row_error(tenant_id, "column " + name + ": not UTF-8 text");
    if (*length > column.length_max) {
      return row_error(tenant_id, "column " + name + ": longer than " +
                                      std::to_string(column.length_max) + " characters");
    }
    writer.field(column.name, **field);
  }
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *created_at};
}

std::optional<engine::Rejection> precheck_ledger(const PrecheckInput& input) {
  namespace credits = engine::credits;
  Result<std::vector<credits::LedgerChunk>> read =
      read_chunks(input, credits::kImportLedgerCommand, credits::parse_ledger_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<credits::LedgerChunk>& chunks = *read;
  if (input.append) {
    // The tenant's state is the engine's: only the order of the rows is
    // checked here, the rest when the engine decides.
    std::optional<int64_t> last_ms;
    for (const credits::LedgerChunk& chunk : chunks) {
      for (const credits::LedgerEntry& row : chunk.rows) {
        if (last_ms && row.created_at_ms < *last_ms) {
          return engine::Rejection{credits::import_reason::kTimestampOrder,
                                   chunk.source.file + ":" + std::to_string(row.line) +
                                       ": created_at " + format_rfc3339_ms(row.created_at_ms) +
                                       " is before the previous entry's, " +
                                       format_rfc3339_ms(*last_ms)};
        }
        last_ms = row.created_at_ms;
      }
    }
    return std::nullopt;
  }
  return credits::precheck_ledger_chunks(credits::State{}, 0, chunks,
                                         credits::stream_name(input.tenant_id), input.now_ms);
}

}  // namespace lf::importer
