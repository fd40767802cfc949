// tool_calls mapping.
#include "projections/tool_calls/projection.hpp"

#include "events/json.hpp"
#include "events/money.hpp"

namespace lf::projections {

const TableSpec& ToolCalls::table() {
  static const TableSpec spec{"tool_calls",
                              {{"tenant_id", SqlType::uuid},
                               {"tool_call_id", SqlType::text},
                               {"activity_run_id", SqlType::text},
                               {"tool_name", SqlType::text},
                               {"method", SqlType::text},
                               {"input", SqlType::jsonb},
                               {"output", SqlType::jsonb},
                               {"status", SqlType::enumeration, "tool_call_status"},
                               {"error", SqlType::text},
                               {"duration_ms", SqlType::int32},
                               {"cost_usd", SqlType::numeric},
                               {"created_on", SqlType::timestamptz},
                               {"spend_period_start", SqlType::timestamptz},
                               {"recorded_at", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

void ToolCalls::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type != "usage.tool_call_recorded") continue;
    const rapidjson::Value& payload = *event.payload;
    static const rapidjson::Value kNoSpend(rapidjson::kObjectType);
    const rapidjson::Value* spend = json_member(payload, "spend");
    batch.insert(table(),
                 {event.header.tenant_id, text_or_null(payload, "tool_call_id"),
                  text_or_null(payload, "activity_run_id"), text_or_null(payload, "tool_name"),
                  text_or_null(payload, "method"), json_or_null(payload, "input"),
                  json_or_null(payload, "output"), text_or_null(payload, "status"),
                  text_or_null(payload, "error"), int_or_null(payload, "duration_ms"),
                  scaled_decimal_or_null(payload, "cost_usd_micros", kMicroUsdDigits),
                  timestamp_or_null(payload, "created_on"),
                  timestamp_or_null(spend != nullptr ? *spend : kNoSpend, "period_start"),
                  timestamp_value(event.header.occurred_at_ms)});
  }
}

}  // namespace lf::projections
