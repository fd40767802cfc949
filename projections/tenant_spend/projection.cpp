// tenant_spend mapping: every usage event states the spend period in force
// and the figures after it (`spend`), so each one upserts the whole row.
#include "projections/tenant_spend/projection.hpp"

#include "events/json.hpp"
#include "events/money.hpp"

namespace lf::projections {

namespace {

// The cap has 4 decimals (numeric(10,4)); events hold micro-dollars.
constexpr int32_t kCapDigits = 4;
constexpr int64_t kMicrosPerCapUnit = 100;

bool is_usage_event(const std::string& type) {
  return type.starts_with("usage.") || type == "tenant.spend_cap_set";
}

Value cap_or_null(const rapidjson::Value& spend) {
  const std::optional<int64_t> micros = json_int64(spend, "monthly_spend_cap_usd_micros");
  if (!micros) return Null{};
  return format_scaled_decimal(*micros / kMicrosPerCapUnit, kCapDigits);
}

}  // namespace

const TableSpec& TenantSpend::table() {
  static const TableSpec spec{"tenant_spend",
                              {{"tenant_id", SqlType::uuid},
                               {"monthly_spend_cap_usd", SqlType::numeric},
                               {"current_month_spend_usd", SqlType::numeric},
                               {"period_start", SqlType::timestamptz},
                               {"period_end", SqlType::timestamptz},
                               {"spend_basis", SqlType::text},
                               {"updated_at", SqlType::timestamptz}},
                              {0}};
  return spec;
}

void TenantSpend::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (!is_usage_event(event.header.type)) continue;
    const rapidjson::Value* spend = json_member(*event.payload, "spend");
    if (spend == nullptr || !spend->IsObject()) continue;
    batch.upsert(
        table(),
        {event.header.tenant_id, cap_or_null(*spend),
         scaled_decimal_or_null(*spend, "month_spend_usd_micros", kMicroUsdDigits),
         timestamp_or_null(*spend, "period_start"), timestamp_or_null(*spend, "period_end"),
         text_or_null(*spend, "basis"), timestamp_value(event.header.occurred_at_ms)});
  }
}

}  // namespace lf::projections
