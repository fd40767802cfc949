// The usage domain's tests drive one partition's engine core (the workflow
// tests' harness: every command payload and every event checked against its
// schema) and read the tenant's usage state.
#pragma once

#include <cstdint>
#include <string>

#include "engine/usage/decider.hpp"
#include "engine/usage/state.hpp"
#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::usage::testing {

using workflow::testing::at;
using workflow::testing::decode;
using workflow::testing::event_of;
using workflow::testing::Harness;
using workflow::testing::kTenant;
using workflow::testing::types_of;
using namespace lf::testing::workflow_matrix;

inline const State& usage_of(Harness& h) {
  static const State kNone;
  const TenantState* tenant = h.core().tenant(kTenant);
  return tenant == nullptr ? kNone : tenant->usage;
}

// An LLM call payload costing `cost` (JSON text: 0.25 or "0.25").
inline std::string llm_call(const std::string& id, const std::string& cost,
                            const std::string& extra = "") {
  return "{\"llm_call_id\":" + quoted(id) +
         ",\"adapter_type\":\"claude\",\"model_id\":\"claude-sonnet-4-6\",\"input_tokens\":1200,"
         "\"output_tokens\":300,\"cost_usd\":" +
         cost + extra + "}";
}

inline std::string tool_call(const std::string& id, const std::string& extra = "") {
  return "{\"tool_call_id\":" + quoted(id) +
         ",\"tool_name\":\"google_search_console\",\"method\":\"getKeywordRankings\","
         "\"status\":\"success\"" +
         extra + "}";
}

inline std::string spend_cap(const std::string& cap) {
  return "{\"monthly_spend_cap_usd\":" + cap + "}";
}

// The `spend` object's month_spend_usd_micros of an event.
inline int64_t month_spend_after(const DecodedEvent& event) {
  const rapidjson::Value* spend = json_member(*event.payload, "spend");
  EXPECT_NE(spend, nullptr);
  return spend == nullptr ? -1 : json_int64(*spend, "month_spend_usd_micros").value_or(-1);
}

}  // namespace lf::engine::usage::testing
