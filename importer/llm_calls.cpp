// The llm_calls kind (Leadmetrics llm_calls, shared/seeds/001): rows to
// import.llm_calls chunks (each row the live usage.record_llm_call
// payload), and their pre-check with the engine's own parse, schema and
// decision (engine/usage/import.hpp).
#include "importer/llm_calls.hpp"

#include "engine/intake.hpp"
#include "engine/usage/commands.hpp"
#include "engine/usage/import.hpp"
#include "engine/usage/state.hpp"
#include "events/json.hpp"
#include "events/money.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

// id and created_on are the Leadmetrics base record's columns.
const std::vector<std::string_view> kLlmCallsRequiredColumns{
    "tenant_id",     "id",       "adapter_type", "model_id", "input_tokens",
    "output_tokens", "cost_usd", "created_on"};
const std::vector<std::string_view> kLlmCallsOptionalColumns{"activity_run_id", "prompt_hash",
                                                             "response_hash", "duration_ms"};

std::variant<ConvertedRow, RowError> convert_llm_call_row(const Columns& columns,
                                                          const CsvRecord& record) {
  namespace usage = engine::usage;
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return row_error(std::nullopt, "column tenant_id: not a uuid");
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };

  constexpr TextColumn kTexts[] = {{"id", "llm_call_id", 128, true},
                                   {"activity_run_id", "activity_run_id", 128, false},
                                   {"model_id", "model_id", usage::kModelIdLengthMax, true}};
  JsonWriter writer;
  writer.begin_object();
  if (std::optional<std::string> bad = write_text_columns(writer, columns, record, kTexts)) {
    return row_error(tenant_id, std::move(*bad));
  }
  const std::optional<std::string_view> adapter = text("adapter_type");
  if (!adapter || !usage::parse_adapter_type(*adapter)) {
    return row_error(tenant_id,
                     "column adapter_type: " +
                         (adapter ? "'" + printable_excerpt(*adapter) + "'" : std::string("NULL")) +
                         " is none of claude, openai, ollama, webhook");
  }
  writer.field("adapter_type", *adapter);
  for (const std::string_view name : {"prompt_hash", "response_hash"}) {
    const std::optional<std::string_view> hash = text(name);
    if (!hash) continue;
    const bool hex = hash->size() == usage::kHashLength &&
                     hash->find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    if (!hex) return row_error(tenant_id, "column " + std::string(name) + ": not 64 hex digits");
    writer.field(name, *hash);
  }
  for (const std::string_view name : {"input_tokens", "output_tokens", "duration_ms"}) {
    const std::optional<std::string_view> value = text(name);
    if (!value) {
      if (name != "duration_ms")
        return row_error(tenant_id, "column " + std::string(name) + ": NULL");
      continue;
    }
    const std::optional<int64_t> number = read_integer(*value);
    if (!number || *number < 0 || *number > usage::kInt32Max) {
      return row_error(tenant_id,
                       "column " + std::string(name) + ": not an integer from 0 to 2147483647");
    }
    writer.field(name, *number);
  }
  const std::optional<std::string_view> cost = text("cost_usd");
  if (!cost) return row_error(tenant_id, "column cost_usd: NULL");
  Result<int64_t> micros =
      parse_scaled_decimal(*cost, kMicroUsdDigits, 0, usage::kCostUsdMicrosMax, "cost_usd");
  if (!micros) return row_error(tenant_id, "column cost_usd: " + micros.error().message);
  writer.field("cost_usd", format_scaled_decimal(*micros, kMicroUsdDigits));
  const std::optional<int64_t> created_on =
      text("created_on") ? read_timestamp_ms(*text("created_on")) : std::nullopt;
  if (!created_on)
    return row_error(tenant_id, "column created_on: not a timestamp with a time zone");
  writer.timestamp_field("created_on", *created_on);
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *created_on};
}

std::optional<engine::Rejection> precheck_llm_calls(const PrecheckInput& input) {
  namespace usage = engine::usage;
  Result<std::vector<usage::LlmCallsChunk>> read =
      read_chunks(input, usage::kImportLlmCallsCommand, usage::parse_llm_calls_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<usage::LlmCallsChunk>& chunks = *read;
  // The spend period in force is the engine's (the tenant's billing
  // period); here a fresh tenant's, the calendar month: only the limit on a
  // period's spend could differ.
  return usage::precheck_llm_calls_chunks(chunks, input.now_ms);
}

}  // namespace lf::importer
