// llm_calls mapping.
#include "projections/llm_calls/projection.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/money.hpp"

namespace lf::projections {

const TableSpec& LlmCalls::table() {
  static const TableSpec spec{"llm_calls",
                              {{"tenant_id", SqlType::uuid},
                               {"llm_call_id", SqlType::text},
                               {"created_on", SqlType::timestamptz},
                               {"activity_run_id", SqlType::text},
                               {"adapter_type", SqlType::text},
                               {"model_id", SqlType::text},
                               {"prompt_hash", SqlType::text},
                               {"response_hash", SqlType::text},
                               {"input_tokens", SqlType::int32},
                               {"output_tokens", SqlType::int32},
                               {"cost_usd", SqlType::numeric},
                               {"duration_ms", SqlType::int32},
                               {"spend_period_start", SqlType::timestamptz},
                               {"recorded_at", SqlType::timestamptz}},
                              {0, 1, 2},
                              "created_on"};
  return spec;
}

namespace {

// usage.llm_calls_imported: a row per call at its original created_on, in
// the spend period it counted into (the one in force, else its month's).
void insert_imported(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* calls = json_member(*event.payload, "calls");
  LF_ASSERT_MSG(calls != nullptr && calls->IsArray(), "usage.llm_calls_imported carries calls");
  for (const rapidjson::Value& call : calls->GetArray()) {
    batch.insert(LlmCalls::table(),
                 {event.header.tenant_id, text_or_null(call, "llm_call_id"),
                  timestamp_or_null(call, "created_on"), text_or_null(call, "activity_run_id"),
                  text_or_null(call, "adapter_type"), text_or_null(call, "model_id"),
                  text_or_null(call, "prompt_hash"), text_or_null(call, "response_hash"),
                  int_or_null(call, "input_tokens"), int_or_null(call, "output_tokens"),
                  scaled_decimal_or_null(call, "cost_usd_micros", kMicroUsdDigits),
                  int_or_null(call, "duration_ms"), timestamp_or_null(call, "spend_period_start"),
                  timestamp_value(event.header.occurred_at_ms)});
  }
}

}  // namespace

void LlmCalls::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type == "usage.llm_calls_imported") {
      insert_imported(event, batch);
      continue;
    }
    if (event.header.type != "usage.llm_call_recorded") continue;
    const rapidjson::Value& payload = *event.payload;
    static const rapidjson::Value kNoSpend(rapidjson::kObjectType);
    const rapidjson::Value* spend = json_member(payload, "spend");
    batch.insert(
        table(),
        {event.header.tenant_id, text_or_null(payload, "llm_call_id"),
         timestamp_or_null(payload, "created_on"), text_or_null(payload, "activity_run_id"),
         text_or_null(payload, "adapter_type"), text_or_null(payload, "model_id"),
         text_or_null(payload, "prompt_hash"), text_or_null(payload, "response_hash"),
         int_or_null(payload, "input_tokens"), int_or_null(payload, "output_tokens"),
         scaled_decimal_or_null(payload, "cost_usd_micros", kMicroUsdDigits),
         int_or_null(payload, "duration_ms"),
         timestamp_or_null(spend != nullptr ? *spend : kNoSpend, "period_start"),
         timestamp_value(event.header.occurred_at_ms)});
  }
}

}  // namespace lf::projections
