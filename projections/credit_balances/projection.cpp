// credit_balances mapping.
#include "projections/credit_balances/projection.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::projections {

const TableSpec& CreditBalances::table() {
  static const TableSpec spec{"credit_balances",
                              {{"tenant_id", SqlType::uuid},
                               {"credits_monthly", SqlType::int64},
                               {"credits_available", SqlType::int64},
                               {"credits_reserved", SqlType::int64},
                               {"credits_consumed", SqlType::int64},
                               {"credits_topup", SqlType::int64},
                               {"effective_available", SqlType::int64},
                               {"period_start", SqlType::date},
                               {"period_end", SqlType::date},
                               {"next_reset_at", SqlType::timestamptz},
                               {"last_event_id", SqlType::text},
                               {"updated_at", SqlType::timestamptz}},
                              {0}};
  return spec;
}

void CreditBalances::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type.rfind("credits.", 0) != 0) continue;
    const rapidjson::Value* balance = json_member(*event.payload, "balance");
    LF_ASSERT_MSG(balance != nullptr && balance->IsObject(), "credits events carry a balance");
    batch.upsert(
        table(),
        {event.header.tenant_id, int_or_null(*balance, "credits_monthly"),
         int_or_null(*balance, "credits_available"), int_or_null(*balance, "credits_reserved"),
         int_or_null(*balance, "credits_consumed"), int_or_null(*balance, "credits_topup"),
         int_or_null(*balance, "effective_available"), date_or_null(*balance, "period_start"),
         date_or_null(*balance, "period_end"), timestamp_or_null(*balance, "next_reset_at"),
         event.header.event_id, timestamp_value(event.header.occurred_at_ms)});
  }
}

}  // namespace lf::projections
