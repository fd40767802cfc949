// The activity_runs kind: Leadmetrics' `activity_runs` rows to
// import.activity_runs chunks (`id` as run_id, cost_usd exact to the
// micro-dollar); pre-checked with the engine's own parse, schema and the
// rules that need no state (engine/workflow/import_activities.hpp); the
// activity and the hold are the engine's, on each chunk.
#include "importer/activity_runs.hpp"

#include "engine/intake.hpp"
#include "engine/workflow/events.hpp"
#include "engine/workflow/import_activities.hpp"
#include "engine/workflow/state.hpp"
#include "events/json.hpp"
#include "events/money.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

namespace {

constexpr TextColumn kTexts[] = {{"id", "run_id", 128, true},
                                 {"activity_id", "activity_id", 128, true},
                                 {"model_id", "model_id", 100, false},
                                 {"session_id", "session_id", 128, false},
                                 {"error", "error", 10'000, false}};
constexpr int64_t kCostUsdMicrosMax = 9'999'999'999;  // numeric(10,6)
constexpr int64_t kInt32Max = 2'147'483'647;          // the seed's int columns

}  // namespace

const std::vector<std::string_view> kActivityRunsRequiredColumns{"tenant_id", "id", "activity_id",
                                                                 "status", "started_on"};
const std::vector<std::string_view> kActivityRunsOptionalColumns{
    "adapter_type",  "model_id", "session_id",  "error",   "input_tokens",
    "output_tokens", "cost_usd", "duration_ms", "ended_on"};

std::variant<ConvertedRow, RowError> convert_activity_run_row(const Columns& columns,
                                                              const CsvRecord& record) {
  namespace workflow = engine::workflow;
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return row_error(std::nullopt, "column tenant_id: not a uuid");
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };

  JsonWriter writer;
  writer.begin_object();
  if (std::optional<std::string> bad = write_text_columns(writer, columns, record, kTexts)) {
    return row_error(tenant_id, std::move(*bad));
  }
  const std::optional<std::string_view> status = text("status");
  if (!status || !workflow::parse_run_status(*status))
    return row_error(tenant_id, "column status: none of running, completed, failed, timed_out");
  writer.field("status", *status);
  if (const std::optional<std::string_view> adapter = text("adapter_type")) {
    if (!workflow::parse_adapter_type(*adapter))
      return row_error(tenant_id, "column adapter_type: none of claude, openai, ollama, webhook");
    writer.field("adapter_type", *adapter);
  }
  for (const std::string_view name : {"input_tokens", "output_tokens", "duration_ms"}) {
    const std::optional<std::string_view> value = text(name);
    if (!value) continue;
    const std::optional<int64_t> number = read_integer(*value);
    if (!number || *number < 0 || *number > kInt32Max) {
      return row_error(tenant_id,
                       "column " + std::string(name) + ": not an integer from 0 to 2147483647");
    }
    writer.field(name, *number);
  }
  if (const std::optional<std::string_view> cost = text("cost_usd")) {
    Result<int64_t> micros =
        parse_scaled_decimal(*cost, kMicroUsdDigits, 0, kCostUsdMicrosMax, "cost_usd");
    if (!micros) return row_error(tenant_id, "column cost_usd: " + micros.error().message);
    writer.field("cost_usd", format_scaled_decimal(*micros, kMicroUsdDigits));
  }
  std::optional<int64_t> started_on_ms;
  for (const std::string_view name : {"started_on", "ended_on"}) {
    const std::optional<std::string_view> value = text(name);
    if (!value) {
      if (name == "started_on") return row_error(tenant_id, "column started_on: NULL");
      continue;
    }
    const std::optional<int64_t> at_ms = read_timestamp_ms(*value);
    if (!at_ms)
      return row_error(tenant_id,
                       "column " + std::string(name) + ": not a timestamp with a time zone");
    if (name == "started_on") started_on_ms = at_ms;
    writer.timestamp_field(name, *at_ms);
  }
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *started_on_ms};
}

std::optional<engine::Rejection> precheck_activity_runs(const PrecheckInput& input) {
  namespace workflow = engine::workflow;
  Result<std::vector<workflow::ActivityRunsChunk>> read =
      read_chunks(input, workflow::kImportActivityRunsCommand, workflow::parse_activity_runs_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<workflow::ActivityRunsChunk>& chunks = *read;
  return workflow::precheck_activity_runs_chunks(chunks, input.now_ms);
}

}  // namespace lf::importer
