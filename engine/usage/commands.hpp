// The usage domain's commands, typed: what a payload (valid against its JSON
// Schema) says, with exact amounts read from their decimal text. Parsing
// never throws; a payload that does not fit is invalid_payload, an amount
// that is no exact decimal in range is invalid_amount.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <rapidjson/document.h>

#include "events/result.hpp"

namespace lf::engine::usage {

// The seeds' text limits (Leadmetrics llm_calls and tool_calls columns).
inline constexpr std::size_t kModelIdLengthMax = 100;
inline constexpr std::size_t kToolNameLengthMax = 100;
inline constexpr std::size_t kMethodLengthMax = 100;
inline constexpr std::size_t kBillingUnitLengthMax = 64;
inline constexpr std::size_t kErrorLengthMax = 10'000;
inline constexpr std::size_t kHashLength = 64;  // SHA-256, hex
// A tool call's input or output object, as the JSON text the producer sent.
inline constexpr std::size_t kToolJsonBytesMax = 16 * 1024;
// The seeds' int columns (tokens, duration_ms).
inline constexpr int64_t kInt32Max = 2'147'483'647;

enum class AdapterType { claude, openai, ollama, webhook };
enum class ToolCallStatus { success, error };

std::string_view to_string(AdapterType adapter);
std::optional<AdapterType> parse_adapter_type(std::string_view text);
std::string_view to_string(ToolCallStatus status);
std::optional<ToolCallStatus> parse_tool_call_status(std::string_view text);

struct RecordLlmCall {
  std::string llm_call_id;
  std::optional<std::string> activity_run_id;
  AdapterType adapter_type = AdapterType::claude;
  std::string model_id;
  std::optional<std::string> prompt_hash;    // 64 lower-case hex digits
  std::optional<std::string> response_hash;  // 64 lower-case hex digits
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cost_usd_micros = 0;
  std::optional<int64_t> duration_ms;
  std::optional<int64_t> created_on_ms;  // default: the command's issued_at
  bool operator==(const RecordLlmCall&) const = default;
};

struct RecordToolCall {
  std::string tool_call_id;
  std::optional<std::string> activity_run_id;
  std::string tool_name;
  std::string method;
  std::optional<std::string> input_json;   // a JSON object, as sent
  std::optional<std::string> output_json;  // a JSON object, as sent
  ToolCallStatus status = ToolCallStatus::success;
  std::optional<std::string> error;
  std::optional<int64_t> duration_ms;
  int64_t cost_usd_micros = 0;
  std::optional<int64_t> created_on_ms;
  bool operator==(const RecordToolCall&) const = default;
};

// Agent Factory's usage record. total_cost_micros is the product
// quantity x unit_price rounded half up to 6 decimals (a given total_cost
// must equal it).
struct RecordUsage {
  std::string usage_record_id;
  std::optional<std::string> subscription_id;
  std::string billing_unit;
  int64_t quantity_micros = 0;    // quantity x 10^6
  int64_t unit_price_nanos = 0;   // unit_price x 10^9
  int64_t total_cost_micros = 0;  // total_cost x 10^6, in `currency`
  std::string currency = "USD";
  std::optional<int64_t> period_start_ms;
  std::optional<int64_t> period_end_ms;
  bool operator==(const RecordUsage&) const = default;
};

struct SetSpendCap {
  std::optional<int64_t> cap_usd_micros;  // none: clear the cap
  bool operator==(const SetSpendCap&) const = default;
};

using Command = std::variant<RecordLlmCall, RecordToolCall, RecordUsage, SetSpendCap>;

// The command of `type` (one handles_command() accepts) from its payload.
Result<Command> parse_command(std::string_view type, const rapidjson::Value* payload);

// quantity_micros x unit_price_nanos as micro-units, rounded half up; nullopt
// above kTotalCostMicrosMax. Exact (128-bit).
std::optional<int64_t> total_cost_micros(int64_t quantity_micros, int64_t unit_price_nanos);

}  // namespace lf::engine::usage
