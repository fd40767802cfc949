// credit_reservations mapping.
#include "projections/credit_reservations/projection.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::projections {

const TableSpec& CreditReservations::table() {
  static const TableSpec spec{"credit_reservations",
                              {{"tenant_id", SqlType::uuid},
                               {"reservation_id", SqlType::text},
                               {"credits", SqlType::int64},
                               {"credits_consumed", SqlType::int64},
                               {"status", SqlType::text},
                               {"activity_run_id", SqlType::text},
                               {"deliverable_type", SqlType::text},
                               {"expires_at", SqlType::timestamptz},
                               {"created_at", SqlType::timestamptz},
                               {"closed_at", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

namespace {

// credits.ledger_imported: a reserved entry opens its hold (at the entry's
// created_at), a released or consumed one moves it to its hold_status.
void apply_imported(const DecodedEvent& event, RowBatch& batch) {
  const TableSpec& table = CreditReservations::table();
  const rapidjson::Value* entries = json_member(*event.payload, "entries");
  LF_ASSERT_MSG(entries != nullptr && entries->IsArray(),
                "credits.ledger_imported carries entries");
  for (const rapidjson::Value& entry : entries->GetArray()) {
    const std::string_view type = json_string(entry, "type").value_or("");
    const std::optional<std::string_view> status = json_string(entry, "hold_status");
    if (!status) continue;
    if (type == "reserved") {
      batch.insert(
          table,
          {event.header.tenant_id, text_or_null(entry, "reservation_id"),
           Value(-json_int64(entry, "credits").value_or(0)), Null{}, std::string(*status),
           text_or_null(entry, "activity_run_id"), text_or_null(entry, "deliverable_type"),
           timestamp_or_null(entry, "expires_at"), timestamp_or_null(entry, "created_at"), Null{}});
      continue;
    }
    std::vector<std::pair<std::string_view, Value>> columns;
    columns.emplace_back("status", std::string(*status));
    columns.emplace_back("credits_consumed", int_or_null(entry, "hold_consumed"));
    columns.emplace_back(
        "closed_at", *status == "open" ? Value(Null{}) : timestamp_or_null(entry, "created_at"));
    batch.patch(table, {event.header.tenant_id, text_or_null(entry, "reservation_id")},
                std::move(columns));
  }
}

}  // namespace

void CreditReservations::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    const std::string& type = event.header.type;
    const rapidjson::Value& payload = *event.payload;
    if (type == "credits.ledger_imported") {
      apply_imported(event, batch);
      continue;
    }
    if (type == "credits.reserved") {
      batch.insert(table(), {event.header.tenant_id, text_or_null(payload, "reservation_id"),
                             int_or_null(payload, "credits"), Null{}, std::string("open"),
                             text_or_null(payload, "activity_run_id"),
                             text_or_null(payload, "deliverable_type"),
                             timestamp_or_null(payload, "expires_at"),
                             timestamp_value(event.header.occurred_at_ms), Null{}});
      continue;
    }
    const bool consumed = type == "credits.consumed";
    const bool released = type == "credits.released";
    if (!consumed && !released) continue;
    const std::string_view reason = json_string(payload, "reason").value_or("released");
    // A consumption's release of the hold is followed by credits.consumed,
    // which closes the reservation.
    if (released && reason == "consumed") continue;
    std::vector<std::pair<std::string_view, Value>> columns;
    columns.emplace_back("status", std::string(consumed ? "consumed" : reason));
    columns.emplace_back("closed_at", timestamp_value(event.header.occurred_at_ms));
    if (consumed) columns.emplace_back("credits_consumed", int_or_null(payload, "credits"));
    batch.patch(table(), {event.header.tenant_id, text_or_null(payload, "reservation_id")},
                std::move(columns));
  }
}

}  // namespace lf::projections
