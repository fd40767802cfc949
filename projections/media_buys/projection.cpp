// media_buys mapping.
#include "projections/media_buys/projection.hpp"

#include <array>
#include <optional>

#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/money.hpp"

namespace lf::projections {

namespace {

struct StatusMove {
  std::string_view event_type;
  std::string_view status;
};

constexpr std::array<StatusMove, 6> kStatusMoves{{
    {"media_buy.approved", "approved"},
    {"media_buy.activated", "active"},
    {"media_buy.paused", "paused"},
    {"media_buy.resumed", "active"},
    {"media_buy.completed", "completed"},
    {"media_buy.failed", "failed"},
}};

const StatusMove* status_move(std::string_view event_type) {
  for (const StatusMove& move : kStatusMoves) {
    if (move.event_type == event_type) return &move;
  }
  return nullptr;
}

// A budget of `field` (integer minor units) as the exact amount in the
// currency's major unit ("5000.50" USD, "5000" JPY); null when the currency
// is one ledgerflow does not know (the engine refuses such buys, so the row's
// NOT NULL then parks the stream rather than guessing).
Value major_units(const rapidjson::Value& object, std::string_view field,
                  std::optional<int32_t> minor_digits) {
  if (!minor_digits) return Null{};
  return scaled_decimal_or_null(object, field, *minor_digits);
}

// media_buy.created (v2): the buy and its packages, budgets both as minor
// units (from the event) and as the seed's amount in the currency.
void insert_buy_row(const std::string& tenant_id, const rapidjson::Value& payload,
                    std::string status, const Value& created_at, RowBatch& batch);

void insert_buy(const DecodedEvent& event, RowBatch& batch) {
  insert_buy_row(event.header.tenant_id, *event.payload, "pending",
                 timestamp_value(event.header.occurred_at_ms), batch);
}

// media_buy.imported: each buy as media_buy.created writes it, in the status
// the platform left it in and at its original created_at.
void insert_imported(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* buys = json_member(*event.payload, "buys");
  LF_ASSERT_MSG(buys != nullptr && buys->IsArray(), "media_buy.imported carries buys");
  for (const rapidjson::Value& item : buys->GetArray()) {
    const rapidjson::Value* buy = json_member(item, "buy");
    LF_ASSERT_MSG(buy != nullptr, "an imported buy carries its media_buy.created payload");
    insert_buy_row(event.header.tenant_id, *buy,
                   std::string(json_string(item, "status").value_or("")),
                   timestamp_or_null(item, "created_at"), batch);
  }
}

void insert_buy_row(const std::string& tenant_id, const rapidjson::Value& payload,
                    std::string status, const Value& created_at, RowBatch& batch) {
  const Value currency = text_or_null(payload, "currency");
  const std::optional<int32_t> minor_digits =
      currency_minor_digits(json_string(payload, "currency").value_or(std::string_view()));
  batch.insert(
      MediaBuys::buys_table(),
      {tenant_id, text_or_null(payload, "media_buy_id"), text_or_null(payload, "principal_id"),
       text_or_null(payload, "campaign_name"), text_or_null(payload, "buyer_ref"),
       std::move(status), Null{}, date_or_null(payload, "start_date"),
       date_or_null(payload, "end_date"), currency,
       major_units(payload, "budget_total_minor", minor_digits),
       int_or_null(payload, "budget_total_minor"), bool_or_null(payload, "requires_approval"),
       text_or_null(payload, "approval_id"), created_at, created_at});
  const rapidjson::Value* packages = json_member(payload, "packages");
  LF_ASSERT_MSG(packages != nullptr && packages->IsArray(), "media_buy.created carries packages");
  for (const rapidjson::Value& package : packages->GetArray()) {
    batch.insert(
        MediaBuys::packages_table(),
        {tenant_id, text_or_null(payload, "media_buy_id"), text_or_null(package, "package_id"),
         text_or_null(package, "product_id"), currency,
         major_units(package, "budget_minor", minor_digits), int_or_null(package, "budget_minor"),
         json_or_null(package, "pricing"), json_or_null(package, "targeting")});
  }
}

// approval.imported: a pending approval linked to a buy decides it from
// now on (as media_buy.create's requires_approval).
void link_imported_approvals(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* approvals = json_member(*event.payload, "approvals");
  LF_ASSERT_MSG(approvals != nullptr && approvals->IsArray(),
                "approval.imported carries approvals");
  for (const rapidjson::Value& item : approvals->GetArray()) {
    const rapidjson::Value* payload = json_member(item, "approval");
    const rapidjson::Value* subject = payload ? json_member(*payload, "subject") : nullptr;
    if (!json_bool(item, "linked").value_or(false) || subject == nullptr ||
        json_string(*subject, "kind") != "media_buy") {
      continue;
    }
    batch.patch(MediaBuys::buys_table(), {event.header.tenant_id, text_or_null(*subject, "id")},
                {{"requires_approval", true},
                 {"approval_id", text_or_null(*payload, "approval_id")},
                 {"updated_at", timestamp_value(event.header.occurred_at_ms)}});
  }
}

void move_buy(const DecodedEvent& event, const StatusMove& move, RowBatch& batch) {
  const rapidjson::Value& payload = *event.payload;
  std::vector<std::pair<std::string_view, Value>> columns;
  columns.emplace_back("status", std::string(move.status));
  columns.emplace_back("status_reason", text_or_null(payload, "reason"));
  columns.emplace_back("updated_at", timestamp_value(event.header.occurred_at_ms));
  // The approval that decided the buy, when the event names one (it may be a
  // later approval than the one media_buy.created opened).
  if (json_string(payload, "approval_id")) {
    columns.emplace_back("approval_id", text_or_null(payload, "approval_id"));
  }
  batch.patch(MediaBuys::buys_table(),
              {event.header.tenant_id, text_or_null(payload, "media_buy_id")}, std::move(columns));
}

}  // namespace

const TableSpec& MediaBuys::buys_table() {
  static const TableSpec spec{"media_buys",
                              {{"tenant_id", SqlType::uuid},
                               {"media_buy_id", SqlType::text},
                               {"principal_id", SqlType::text},
                               {"campaign_name", SqlType::text},
                               {"buyer_ref", SqlType::text},
                               {"status", SqlType::text},
                               {"status_reason", SqlType::text},
                               {"start_date", SqlType::date},
                               {"end_date", SqlType::date},
                               {"currency", SqlType::text},
                               {"budget_total", SqlType::numeric},
                               {"budget_total_minor", SqlType::int64},
                               {"requires_approval", SqlType::boolean},
                               {"approval_id", SqlType::text},
                               {"created_at", SqlType::timestamptz},
                               {"updated_at", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

const TableSpec& MediaBuys::packages_table() {
  static const TableSpec spec{"media_buy_packages",
                              {{"tenant_id", SqlType::uuid},
                               {"media_buy_id", SqlType::text},
                               {"package_id", SqlType::text},
                               {"product_id", SqlType::text},
                               {"currency", SqlType::text},
                               {"budget", SqlType::numeric},
                               {"budget_minor", SqlType::int64},
                               {"pricing", SqlType::jsonb},
                               {"targeting", SqlType::jsonb}},
                              {0, 1, 2}};
  return spec;
}

void MediaBuys::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    const std::string& type = event.header.type;
    if (type == "media_buy.created") {
      insert_buy(event, batch);
      continue;
    }
    if (type == "media_buy.imported") {
      insert_imported(event, batch);
      continue;
    }
    if (type == "approval.imported") {
      link_imported_approvals(event, batch);
      continue;
    }
    if (const StatusMove* move = status_move(type)) move_buy(event, *move, batch);
  }
}

}  // namespace lf::projections
