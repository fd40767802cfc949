// Usage event payloads: writing them from typed events, reading back what
// evolve needs.
#include "engine/usage/events.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::engine::usage {

namespace {

void check_figures(const SpendFigures& spend) {
  LF_ASSERT(spend.period.start_ms < spend.period.end_ms);
  LF_ASSERT(spend.month_spend_usd_micros >= 0 &&
            spend.month_spend_usd_micros <= kMonthSpendUsdMicrosMax);
  LF_ASSERT(!spend.cap_usd_micros ||
            (*spend.cap_usd_micros >= 0 && *spend.cap_usd_micros <= kSpendCapUsdMicrosMax));
}

}  // namespace

void write_figures(JsonWriter& w, std::string_view name, const SpendFigures& spend) {
  check_figures(spend);
  w.key(name);
  w.begin_object();
  w.timestamp_field("period_start", spend.period.start_ms);
  w.timestamp_field("period_end", spend.period.end_ms);
  w.field("basis", to_string(spend.period.basis));
  w.field("month_spend_usd_micros", spend.month_spend_usd_micros);
  w.field("monthly_spend_cap_usd_micros", spend.cap_usd_micros);
  w.end_object();
}

namespace {

void write_counted(JsonWriter& w, int64_t counted_usd_micros, const SpendFigures& spend) {
  LF_ASSERT(counted_usd_micros >= 0 && counted_usd_micros <= spend.month_spend_usd_micros);
  w.field("counted_usd_micros", counted_usd_micros);
  write_figures(w, "spend", spend);
}

}  // namespace

SpendFigures read_figures(const rapidjson::Value& payload, std::string_view name) {
  const rapidjson::Value* object = json_member(payload, name);
  LF_ASSERT_MSG(object != nullptr && object->IsObject(), "a usage event without its spend");
  const std::optional<std::string_view> start = json_string(*object, "period_start");
  const std::optional<std::string_view> end = json_string(*object, "period_end");
  const std::optional<std::string_view> basis = json_string(*object, "basis");
  const std::optional<int64_t> spend = json_int64(*object, "month_spend_usd_micros");
  LF_ASSERT_MSG(start && end && basis && spend, "a usage event's spend lacks a field");
  const std::optional<int64_t> start_ms = parse_rfc3339_ms(*start);
  const std::optional<int64_t> end_ms = parse_rfc3339_ms(*end);
  const std::optional<SpendBasis> parsed_basis = parse_spend_basis(*basis);
  LF_ASSERT_MSG(start_ms && end_ms && parsed_basis, "a usage event's spend period is unreadable");
  SpendFigures figures{SpendPeriod{*start_ms, *end_ms, *parsed_basis}, *spend, std::nullopt};
  if (json_member(*object, "monthly_spend_cap_usd_micros") != nullptr) {
    figures.cap_usd_micros = json_int64(*object, "monthly_spend_cap_usd_micros");
    LF_ASSERT_MSG(figures.cap_usd_micros.has_value(), "a usage event's cap is not an integer");
  }
  check_figures(figures);
  return figures;
}

std::string encode(const LlmCallRecorded& e) {
  const RecordLlmCall& c = e.call;
  LF_ASSERT(c.created_on_ms.has_value());
  LF_ASSERT(c.cost_usd_micros >= 0 && c.cost_usd_micros <= kCostUsdMicrosMax);
  LF_ASSERT(e.counted_usd_micros == c.cost_usd_micros);
  JsonWriter w;
  w.begin_object();
  w.field("llm_call_id", c.llm_call_id);
  w.field("activity_run_id", c.activity_run_id);
  w.field("adapter_type", to_string(c.adapter_type));
  w.field("model_id", c.model_id);
  w.field("prompt_hash", c.prompt_hash);
  w.field("response_hash", c.response_hash);
  w.field("input_tokens", c.input_tokens);
  w.field("output_tokens", c.output_tokens);
  w.field("cost_usd_micros", c.cost_usd_micros);
  w.field("duration_ms", c.duration_ms);
  w.timestamp_field("created_on", c.created_on_ms);
  write_counted(w, e.counted_usd_micros, e.spend);
  w.end_object();
  return w.str();
}

std::string encode(const ToolCallRecorded& e) {
  const RecordToolCall& c = e.call;
  LF_ASSERT(c.created_on_ms.has_value());
  LF_ASSERT(c.cost_usd_micros >= 0 && c.cost_usd_micros <= kCostUsdMicrosMax);
  LF_ASSERT(e.counted_usd_micros == c.cost_usd_micros);
  JsonWriter w;
  w.begin_object();
  w.field("tool_call_id", c.tool_call_id);
  w.field("activity_run_id", c.activity_run_id);
  w.field("tool_name", c.tool_name);
  w.field("method", c.method);
  if (c.input_json) {
    w.key("input");
    w.raw(*c.input_json);
  }
  if (c.output_json) {
    w.key("output");
    w.raw(*c.output_json);
  }
  w.field("status", to_string(c.status));
  w.field("error", c.error);
  w.field("duration_ms", c.duration_ms);
  w.field("cost_usd_micros", c.cost_usd_micros);
  w.timestamp_field("created_on", c.created_on_ms);
  write_counted(w, e.counted_usd_micros, e.spend);
  w.end_object();
  return w.str();
}

std::string encode(const UsageRecorded& e) {
  const RecordUsage& u = e.usage;
  LF_ASSERT(total_cost_micros(u.quantity_micros, u.unit_price_nanos) == u.total_cost_micros);
  LF_ASSERT(e.counted_usd_micros == (u.currency == "USD" ? u.total_cost_micros : 0));
  JsonWriter w;
  w.begin_object();
  w.field("usage_record_id", u.usage_record_id);
  w.field("subscription_id", u.subscription_id);
  w.field("billing_unit", u.billing_unit);
  w.field("quantity_micros", u.quantity_micros);
  w.field("unit_price_nanos", u.unit_price_nanos);
  w.field("total_cost_micros", u.total_cost_micros);
  w.field("currency", u.currency);
  w.timestamp_field("period_start", u.period_start_ms);
  w.timestamp_field("period_end", u.period_end_ms);
  write_counted(w, e.counted_usd_micros, e.spend);
  w.end_object();
  return w.str();
}

std::string encode(const SpendCapSet& e) {
  JsonWriter w;
  w.begin_object();
  write_figures(w, "spend", e.spend);
  w.end_object();
  return w.str();
}

std::string encode(const SpendPeriodStarted& e) {
  LF_ASSERT(e.spend.month_spend_usd_micros == 0);
  LF_ASSERT(!(e.spend.period == e.previous.period));
  JsonWriter w;
  w.begin_object();
  write_figures(w, "spend", e.spend);
  write_figures(w, "previous", e.previous);
  w.end_object();
  return w.str();
}

Applied read_applied(std::string_view type, const rapidjson::Value& payload) {
  LF_ASSERT_MSG(payload.IsObject(), "a usage payload is an object");
  Applied applied;
  applied.spend = read_figures(payload, "spend");
  auto id = [&](std::string_view name, UsageKind kind) {
    const std::optional<std::string_view> text = json_string(payload, name);
    LF_ASSERT_MSG(text.has_value() && !text->empty(), "a usage event lacks its id");
    applied.kind = kind;
    applied.id = std::string(*text);
  };
  if (type == kLlmCallRecorded) {
    id("llm_call_id", UsageKind::llm_call);
  } else if (type == kToolCallRecorded) {
    id("tool_call_id", UsageKind::tool_call);
  } else if (type == kUsageRecorded) {
    id("usage_record_id", UsageKind::usage_record);
  } else {
    LF_ASSERT_MSG(type == kSpendCapSet || type == kSpendPeriodStarted, "not a usage event type");
  }
  return applied;
}

}  // namespace lf::engine::usage
