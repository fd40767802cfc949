// activity_runs mapping.
#include "projections/activity_runs/projection.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/money.hpp"

namespace lf::projections {

const TableSpec& ActivityRuns::table() {
  static const TableSpec spec{"activity_runs",
                              {{"tenant_id", SqlType::uuid},
                               {"run_id", SqlType::text},
                               {"activity_id", SqlType::text},
                               {"status", SqlType::text},
                               {"adapter_type", SqlType::text},
                               {"model_id", SqlType::text},
                               {"session_id", SqlType::text},
                               {"reservation_id", SqlType::text},
                               {"credits_reserved", SqlType::int64},
                               {"credits_used", SqlType::int64},
                               {"credits_charged", SqlType::int64},
                               {"input_tokens", SqlType::int64},
                               {"output_tokens", SqlType::int64},
                               {"cost_usd", SqlType::numeric},
                               {"duration_ms", SqlType::int64},
                               {"error", SqlType::text},
                               {"started_on", SqlType::timestamptz},
                               {"ended_on", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

namespace {

// activity_runs.imported (docs/migrating.md "activity_runs"): each run as
// the platform left it, at its original times; a running one with the hold
// it took over, credits used and charged unknown (NULL: the seed's row does
// not say; its ledger rows do).
void insert_imported(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* rows = json_member(*event.payload, "rows");
  LF_ASSERT_MSG(rows != nullptr && rows->IsArray(), "activity_runs.imported carries rows");
  static const rapidjson::Value kNoUsage(rapidjson::kObjectType);
  for (const rapidjson::Value& row : rows->GetArray()) {
    const rapidjson::Value* found_usage = json_member(row, "usage");
    const rapidjson::Value& usage =
        found_usage != nullptr && found_usage->IsObject() ? *found_usage : kNoUsage;
    batch.insert(
        ActivityRuns::table(),
        {event.header.tenant_id, text_or_null(row, "run_id"), text_or_null(row, "activity_id"),
         text_or_null(row, "status"), text_or_null(row, "adapter_type"),
         text_or_null(row, "model_id"), text_or_null(row, "session_id"),
         text_or_null(row, "reservation_id"), int_or_null(row, "credits_reserved"), Null{}, Null{},
         int_or_null(usage, "input_tokens"), int_or_null(usage, "output_tokens"),
         scaled_decimal_or_null(usage, "cost_usd_micros", kMicroUsdDigits),
         int_or_null(usage, "duration_ms"), text_or_null(row, "error"),
         timestamp_or_null(row, "started_on"), timestamp_or_null(row, "ended_on")});
  }
}

}  // namespace

void ActivityRuns::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    const std::string& type = event.header.type;
    const rapidjson::Value& payload = *event.payload;
    if (type == "activity_runs.imported") {
      insert_imported(event, batch);
      continue;
    }
    if (type == "activity.run_started") {
      // Version 2: what runs it (adapter, model, session), when known.
      batch.insert(table(),
                   {event.header.tenant_id, text_or_null(payload, "run_id"),
                    text_or_null(payload, "activity_id"), std::string("running"),
                    text_or_null(payload, "adapter_type"), text_or_null(payload, "model_id"),
                    text_or_null(payload, "session_id"), text_or_null(payload, "reservation_id"),
                    int_or_null(payload, "estimated_credits"), Null{}, Null{}, Null{}, Null{},
                    Null{}, Null{}, Null{}, timestamp_value(event.header.occurred_at_ms), Null{}});
      continue;
    }
    if (type != "activity.run_finished") continue;
    // Version 3 (decoding upcasts v1 and v2): what the run reported is in
    // `usage`, its cost as integer micro-dollars, shown exactly as
    // numeric(10,6) dollars.
    static const rapidjson::Value kNoUsage(rapidjson::kObjectType);
    const rapidjson::Value* found_usage = json_member(payload, "usage");
    const rapidjson::Value& usage =
        found_usage != nullptr && found_usage->IsObject() ? *found_usage : kNoUsage;
    batch.patch(table(), {event.header.tenant_id, text_or_null(payload, "run_id")},
                {{"status", text_or_null(payload, "status")},
                 {"credits_used", int_or_null(payload, "credits_used")},
                 {"credits_charged", int_or_null(payload, "credits_charged")},
                 {"input_tokens", int_or_null(usage, "input_tokens")},
                 {"output_tokens", int_or_null(usage, "output_tokens")},
                 {"cost_usd", scaled_decimal_or_null(usage, "cost_usd_micros", kMicroUsdDigits)},
                 {"duration_ms", int_or_null(usage, "duration_ms")},
                 {"error", text_or_null(payload, "error")},
                 {"ended_on", timestamp_value(event.header.occurred_at_ms)}});
  }
}

}  // namespace lf::projections
