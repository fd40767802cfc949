// Parsing the usage commands' payloads into typed commands.
#include "engine/usage/commands.hpp"

#include <algorithm>

#include "engine/names.hpp"
#include "engine/usage/state.hpp"
#include "engine/workflow/fields.hpp"
#include "events/money.hpp"

namespace lf::engine::usage {

namespace {

using workflow::Fields;

constexpr NameTable<AdapterType, 4> kAdapterNames{{
    {AdapterType::claude, "claude"},
    {AdapterType::openai, "openai"},
    {AdapterType::ollama, "ollama"},
    {AdapterType::webhook, "webhook"},
}};

constexpr NameTable<ToolCallStatus, 2> kToolStatusNames{{
    {ToolCallStatus::success, "success"},
    {ToolCallStatus::error, "error"},
}};

constexpr const char* kInvalidAmount = "invalid_amount";
constexpr const char* kInvalidCreatedOn = "invalid_created_on";

// A SHA-256 as 64 hex digits, kept in lower case.
std::optional<std::string> hash_field(Fields& in, std::string_view name) {
  std::optional<std::string> value = in.optional_text(name, kHashLength);
  if (!value) return std::nullopt;
  const bool hex =
      value->size() == kHashLength && std::all_of(value->begin(), value->end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      });
  if (!hex) {
    in.fail(workflow::kInvalidPayloadCode, std::string(name) + " must be 64 hexadecimal digits");
    return std::nullopt;
  }
  std::transform(value->begin(), value->end(), value->begin(), [](char c) {
    return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return value;
}

// An exact decimal (JSON number or string) scaled by 10^digits, in [0, maximum].
std::optional<int64_t> amount(Fields& in, std::string_view name, int32_t digits, int64_t maximum) {
  const rapidjson::Value* member = json_member(in.payload(), name);
  if (member == nullptr) return std::nullopt;
  Result<int64_t> units = json_scaled_decimal(*member, digits, 0, maximum, name);
  if (!units) {
    in.fail(units.error().code, units.error().message);
    return std::nullopt;
  }
  return units.value();
}

int64_t required_amount(Fields& in, std::string_view name, int32_t digits, int64_t maximum) {
  if (!in.has(name)) in.fail(workflow::kInvalidPayloadCode, std::string(name) + " is required");
  return amount(in, name, digits, maximum).value_or(0);
}

// A free-form JSON object of at most kToolJsonBytesMax bytes.
std::optional<std::string> tool_json(Fields& in, std::string_view name) {
  std::optional<std::string> text = in.raw_object(name);
  if (text && text->size() > kToolJsonBytesMax) {
    in.fail(workflow::kInvalidPayloadCode, std::string(name) + " must be at most " +
                                               std::to_string(kToolJsonBytesMax) +
                                               " bytes of JSON");
    return std::nullopt;
  }
  return text;
}

Result<Command> parse_llm_call(Fields in) {
  RecordLlmCall c;
  c.llm_call_id = in.text("llm_call_id");
  c.activity_run_id = in.optional_text("activity_run_id");
  c.adapter_type = in.named("adapter_type", &parse_adapter_type, AdapterType::claude);
  c.model_id = in.text("model_id", kModelIdLengthMax);
  c.prompt_hash = hash_field(in, "prompt_hash");
  c.response_hash = hash_field(in, "response_hash");
  c.input_tokens = in.integer("input_tokens", 0, kInt32Max);
  c.output_tokens = in.integer("output_tokens", 0, kInt32Max);
  c.cost_usd_micros = required_amount(in, "cost_usd", kMicroUsdDigits, kCostUsdMicrosMax);
  c.duration_ms = in.optional_integer("duration_ms", 0, kInt32Max);
  c.created_on_ms = in.optional_timestamp("created_on", kInvalidCreatedOn);
  return in.finish<Command>(std::move(c));
}

Result<Command> parse_tool_call(Fields in) {
  RecordToolCall c;
  c.tool_call_id = in.text("tool_call_id");
  c.activity_run_id = in.optional_text("activity_run_id");
  c.tool_name = in.text("tool_name", kToolNameLengthMax);
  c.method = in.text("method", kMethodLengthMax);
  c.input_json = tool_json(in, "input");
  c.output_json = tool_json(in, "output");
  c.status = in.named("status", &parse_tool_call_status, ToolCallStatus::success);
  c.error = in.optional_text("error", kErrorLengthMax);
  c.duration_ms = in.optional_integer("duration_ms", 0, kInt32Max);
  c.cost_usd_micros = amount(in, "cost_usd", kMicroUsdDigits, kCostUsdMicrosMax).value_or(0);
  c.created_on_ms = in.optional_timestamp("created_on", kInvalidCreatedOn);
  return in.finish<Command>(std::move(c));
}

Result<Command> parse_usage_record(Fields in) {
  RecordUsage c;
  c.usage_record_id = in.text("usage_record_id");
  c.subscription_id = in.optional_text("subscription_id");
  c.billing_unit = in.text("billing_unit", kBillingUnitLengthMax);
  c.quantity_micros = required_amount(in, "quantity", kQuantityDigits, kQuantityUnitsMax);
  c.unit_price_nanos = required_amount(in, "unit_price", kUnitPriceDigits, kUnitPriceUnitsMax);
  const std::optional<int64_t> given_total =
      amount(in, "total_cost", kTotalCostDigits, kTotalCostMicrosMax);
  c.currency = in.optional_text("currency", 3).value_or("USD");
  c.period_start_ms = in.optional_timestamp("period_start", "invalid_period");
  c.period_end_ms = in.optional_timestamp("period_end", "invalid_period");
  if (in.failed()) return in.finish<Command>(std::move(c));

  const std::optional<int64_t> computed = total_cost_micros(c.quantity_micros, c.unit_price_nanos);
  if (!computed) {
    in.fail(kInvalidAmount, "quantity x unit_price is above " +
                                format_scaled_decimal(kTotalCostMicrosMax, kTotalCostDigits));
  } else if (given_total && *given_total != *computed) {
    in.fail(kInvalidAmount, "total_cost " + format_scaled_decimal(*given_total, kTotalCostDigits) +
                                " is not quantity x unit_price rounded half up to 6 decimals (" +
                                format_scaled_decimal(*computed, kTotalCostDigits) + ")");
  }
  c.total_cost_micros = computed.value_or(0);
  if (!currency_minor_digits(c.currency)) {
    in.fail("invalid_currency", "currency " + c.currency + " is no ISO 4217 code ledgerflow knows");
  }
  if (c.period_start_ms && c.period_end_ms && *c.period_end_ms < *c.period_start_ms) {
    in.fail("invalid_period", "period_end is before period_start");
  }
  return in.finish<Command>(std::move(c));
}

Result<Command> parse_spend_cap(Fields in) {
  SetSpendCap c;
  if (!in.has("monthly_spend_cap_usd")) {
    in.fail(workflow::kInvalidPayloadCode,
            "monthly_spend_cap_usd is required (null clears the cap)");
  } else if (!in.is_null("monthly_spend_cap_usd")) {
    // Four decimals, as the seed's numeric(10,4); held as micro-dollars.
    const std::optional<int64_t> cap =
        amount(in, "monthly_spend_cap_usd", kSpendCapDigits, kSpendCapUsdMicrosMax / 100);
    if (cap) c.cap_usd_micros = *cap * 100;
  }
  return in.finish<Command>(std::move(c));
}

}  // namespace

std::string_view to_string(AdapterType adapter) {
  return name_in(kAdapterNames, adapter);
}
std::optional<AdapterType> parse_adapter_type(std::string_view text) {
  return parse_in(kAdapterNames, text);
}
std::string_view to_string(ToolCallStatus status) {
  return name_in(kToolStatusNames, status);
}
std::optional<ToolCallStatus> parse_tool_call_status(std::string_view text) {
  return parse_in(kToolStatusNames, text);
}

std::optional<int64_t> total_cost_micros(int64_t quantity_micros, int64_t unit_price_nanos) {
  LF_ASSERT(quantity_micros >= 0 && unit_price_nanos >= 0);
  // Scale 6 x scale 9 = scale 15; micro-units are scale 6: divide by 10^9.
  __extension__ using Wide = unsigned __int128;
  constexpr Wide kScale = 1'000'000'000;
  const Wide product = static_cast<Wide>(quantity_micros) * static_cast<Wide>(unit_price_nanos);
  const Wide rounded = (product + kScale / 2) / kScale;
  if (rounded > static_cast<Wide>(kTotalCostMicrosMax)) return std::nullopt;
  return static_cast<int64_t>(rounded);
}

Result<Command> parse_command(std::string_view type, const rapidjson::Value* payload) {
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const rapidjson::Value& object = payload != nullptr && payload->IsObject() ? *payload : kEmpty;
  if (type == "usage.record_llm_call") return parse_llm_call(Fields(object));
  if (type == "usage.record_tool_call") return parse_tool_call(Fields(object));
  if (type == "usage.record") return parse_usage_record(Fields(object));
  if (type == "tenant.set_spend_cap") return parse_spend_cap(Fields(object));
  return make_error("unknown_command_type", "the usage domain decides no " + std::string(type));
}

}  // namespace lf::engine::usage
