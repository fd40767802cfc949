// credit_topup_orders mapping: topup_order.created inserts the row, the other
// topup_order.* events patch it. The credits.* events beside them are the
// ledger's and the balances' business.
#include "projections/credit_topup_orders/projection.hpp"

#include <variant>

#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::projections {

namespace {

// amount_inr is the seed's column: the amount in paise, for INR orders only.
constexpr std::string_view kSeedCurrency = "INR";

using Columns = std::vector<std::pair<std::string_view, Value>>;

void insert_created(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value& payload = *event.payload;
  const Value updated = timestamp_value(event.header.occurred_at_ms);
  const bool inr = json_string(payload, "currency") == kSeedCurrency;
  batch.insert(CreditTopupOrders::table(),
               {event.header.tenant_id, text_or_null(payload, "topup_order_id"),
                text_or_null(payload, "topup_order_id"), int_or_null(payload, "credits"),
                inr ? int_or_null(payload, "amount_minor") : Value{Null{}},
                int_or_null(payload, "amount_minor"), text_or_null(payload, "currency"),
                std::string("pending"), Null{}, Null{}, timestamp_or_null(payload, "expires_at"),
                Null{}, Null{}, Null{}, Null{}, Null{}, updated, updated});
}

// topup_order.imported: a row per order as the platform left it, at its
// original times (updated_at: its latest). How a refunded order's credits
// divided is not in the seed's row: the credits_* columns stay NULL.
void insert_imported(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* orders = json_member(*event.payload, "orders");
  LF_ASSERT_MSG(orders != nullptr && orders->IsArray(), "topup_order.imported carries orders");
  for (const rapidjson::Value& order : orders->GetArray()) {
    const bool inr = json_string(order, "currency") == kSeedCurrency;
    Value updated = timestamp_or_null(order, "refunded_at");
    if (std::holds_alternative<Null>(updated)) updated = timestamp_or_null(order, "paid_at");
    if (std::holds_alternative<Null>(updated)) updated = timestamp_or_null(order, "created_at");
    batch.insert(
        CreditTopupOrders::table(),
        {event.header.tenant_id, text_or_null(order, "topup_order_id"),
         text_or_null(order, "topup_order_id"), int_or_null(order, "credits"),
         inr ? int_or_null(order, "amount_minor") : Value{Null{}},
         int_or_null(order, "amount_minor"), text_or_null(order, "currency"),
         text_or_null(order, "status"), Null{}, timestamp_or_null(order, "paid_at"),
         timestamp_or_null(order, "expires_at"), timestamp_or_null(order, "refunded_at"), Null{},
         Null{}, Null{}, Null{}, timestamp_or_null(order, "created_at"), std::move(updated)});
  }
}

// The columns an order event other than topup_order.created changes.
Columns changed_columns(std::string_view type, const rapidjson::Value& payload) {
  Columns columns;
  if (type == "topup_order.paid") {
    columns.emplace_back("status", std::string("paid"));
    columns.emplace_back("paid_at", timestamp_or_null(payload, "paid_at"));
    columns.emplace_back("expires_at", timestamp_or_null(payload, "expires_at"));
  } else if (type == "topup_order.failed") {
    columns.emplace_back("status", std::string("failed"));
    columns.emplace_back("failure_reason", text_or_null(payload, "reason"));
  } else if (type == "topup_order.refunded") {
    columns.emplace_back("status", std::string("refunded"));
    columns.emplace_back("refunded_at", timestamp_or_null(payload, "refunded_at"));
    columns.emplace_back("credits_consumed", int_or_null(payload, "credits_consumed"));
    columns.emplace_back("credits_expired", int_or_null(payload, "credits_expired"));
    columns.emplace_back("credits_taken_back", int_or_null(payload, "credits_taken_back"));
    columns.emplace_back("credits_held_over", int_or_null(payload, "credits_held_over"));
  }
  return columns;
}

}  // namespace

const TableSpec& CreditTopupOrders::table() {
  static const TableSpec spec{"credit_topup_orders",
                              {{"tenant_id", SqlType::uuid},
                               {"topup_order_id", SqlType::text},
                               {"razorpay_order_id", SqlType::text},
                               {"credits", SqlType::int64},
                               {"amount_inr", SqlType::int64},
                               {"amount_minor", SqlType::int64},
                               {"currency", SqlType::text},
                               {"status", SqlType::text},
                               {"failure_reason", SqlType::text},
                               {"paid_at", SqlType::timestamptz},
                               {"expires_at", SqlType::timestamptz},
                               {"refunded_at", SqlType::timestamptz},
                               {"credits_consumed", SqlType::int64},
                               {"credits_expired", SqlType::int64},
                               {"credits_taken_back", SqlType::int64},
                               {"credits_held_over", SqlType::int64},
                               {"created_at", SqlType::timestamptz},
                               {"updated_at", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

void CreditTopupOrders::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    const std::string& type = event.header.type;
    if (!type.starts_with("topup_order.")) continue;
    if (type == "topup_order.created") {
      insert_created(event, batch);
      continue;
    }
    if (type == "topup_order.imported") {
      insert_imported(event, batch);
      continue;
    }
    Columns columns = changed_columns(type, *event.payload);
    if (columns.empty()) continue;  // a topup_order.* event this mapping does not read
    columns.emplace_back("updated_at", timestamp_value(event.header.occurred_at_ms));
    batch.patch(table(), {event.header.tenant_id, text_or_null(*event.payload, "topup_order_id")},
                std::move(columns));
  }
}

}  // namespace lf::projections
