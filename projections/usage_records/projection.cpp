// usage_records mapping: the event's integer units as exact numerics
// (quantity 6 decimals, unit_price 9, total_cost 6, in the record's currency).
#include "projections/usage_records/projection.hpp"

#include "events/json.hpp"
#include "events/money.hpp"

namespace lf::projections {

namespace {

constexpr int32_t kQuantityDigits = 6;
constexpr int32_t kUnitPriceDigits = 9;
constexpr int32_t kTotalCostDigits = 6;

}  // namespace

const TableSpec& UsageRecords::table() {
  static const TableSpec spec{"usage_records",
                              {{"tenant_id", SqlType::uuid},
                               {"usage_record_id", SqlType::text},
                               {"subscription_id", SqlType::text},
                               {"billing_unit", SqlType::text},
                               {"quantity", SqlType::numeric},
                               {"unit_price", SqlType::numeric},
                               {"total_cost", SqlType::numeric},
                               {"currency", SqlType::text},
                               {"period_start", SqlType::timestamptz},
                               {"period_end", SqlType::timestamptz},
                               {"created_at", SqlType::timestamptz},
                               {"counted_usd", SqlType::numeric},
                               {"spend_period_start", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

void UsageRecords::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type != "usage.recorded") continue;
    const rapidjson::Value& payload = *event.payload;
    static const rapidjson::Value kNoSpend(rapidjson::kObjectType);
    const rapidjson::Value* spend = json_member(payload, "spend");
    batch.insert(
        table(),
        {event.header.tenant_id, text_or_null(payload, "usage_record_id"),
         text_or_null(payload, "subscription_id"), text_or_null(payload, "billing_unit"),
         scaled_decimal_or_null(payload, "quantity_micros", kQuantityDigits),
         scaled_decimal_or_null(payload, "unit_price_nanos", kUnitPriceDigits),
         scaled_decimal_or_null(payload, "total_cost_micros", kTotalCostDigits),
         text_or_null(payload, "currency"), timestamp_or_null(payload, "period_start"),
         timestamp_or_null(payload, "period_end"), timestamp_value(event.header.occurred_at_ms),
         scaled_decimal_or_null(payload, "counted_usd_micros", kMicroUsdDigits),
         timestamp_or_null(spend != nullptr ? *spend : kNoSpend, "period_start")});
  }
}

}  // namespace lf::projections
