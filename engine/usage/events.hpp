// The usage domain's events, typed, and their payloads (schemas/events/
// usage.*.json, tenant.spend_cap_set.json, all at schema_version 1). Every
// event carries `spend`: the spend period it counted into and the figures
// after it, so evolve and the projections need no clock. Encoding checks an
// event right before writing it; reading checks a payload right after.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/usage/commands.hpp"
#include "engine/usage/state.hpp"
#include "events/json.hpp"

namespace lf::engine::usage {

// The spend figures after an event.
struct SpendFigures {
  SpendPeriod period;
  int64_t month_spend_usd_micros = 0;
  std::optional<int64_t> cap_usd_micros;  // none: no cap
  bool operator==(const SpendFigures&) const = default;
};

struct LlmCallRecorded {
  RecordLlmCall call;  // created_on_ms resolved (issued_at when not given)
  int64_t counted_usd_micros = 0;
  SpendFigures spend;
};

struct ToolCallRecorded {
  RecordToolCall call;  // created_on_ms resolved
  int64_t counted_usd_micros = 0;
  SpendFigures spend;
};

struct UsageRecorded {
  RecordUsage usage;
  int64_t counted_usd_micros = 0;  // total_cost when in USD, else 0
  SpendFigures spend;
};

struct SpendCapSet {
  SpendFigures spend;
};

// The engine's own: the period in force changed (a renewal, an allocation,
// a new calendar month); the spend starts again from 0.
struct SpendPeriodStarted {
  SpendFigures spend;
  SpendFigures previous;
};

// `spend` objects of usage payloads (name: "spend", "previous"); writing
// checks the figures, reading asserts they are whole.
void write_figures(JsonWriter& writer, std::string_view name, const SpendFigures& spend);
SpendFigures read_figures(const rapidjson::Value& payload, std::string_view name);

inline constexpr const char* kLlmCallRecorded = "usage.llm_call_recorded";
inline constexpr const char* kToolCallRecorded = "usage.tool_call_recorded";
inline constexpr const char* kUsageRecorded = "usage.recorded";
inline constexpr const char* kSpendCapSet = "tenant.spend_cap_set";
inline constexpr const char* kSpendPeriodStarted = "usage.spend_period_started";

std::string encode(const LlmCallRecorded& event);
std::string encode(const ToolCallRecorded& event);
std::string encode(const UsageRecorded& event);
std::string encode(const SpendCapSet& event);
std::string encode(const SpendPeriodStarted& event);

// What evolve reads from any usage event: the id it records (if any) and
// the spend after it. Aborts on a payload that does not fit its type.
enum class UsageKind { llm_call, tool_call, usage_record };
struct Applied {
  std::optional<UsageKind> kind;
  std::string id;
  SpendFigures spend;
};
Applied read_applied(std::string_view type, const rapidjson::Value& payload);

}  // namespace lf::engine::usage
