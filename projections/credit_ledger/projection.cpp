// credit_ledger mapping.
#include "projections/credit_ledger/projection.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::projections {

namespace {

struct EntryKind {
  std::string_view event_type;
  std::string_view entry_type;
  int sign;  // +1, -1, or 0 for "the payload's credits are already signed"
};

constexpr std::array<EntryKind, 9> kEntryKinds{{
    {"credits.allocated", "allocated", +1},
    {"credits.topped_up", "topup", +1},
    {"credits.reserved", "reserved", -1},
    {"credits.released", "released", +1},
    {"credits.consumed", "consumed", -1},
    {"credits.refunded", "refunded", +1},
    {"credits.adjusted", "adjusted", 0},
    {"credits.expired", "expired", -1},
    // A refunded top-up order's lot taken back (fits the seed's varchar(20)).
    {"credits.topup_refunded", "topup_refunded", -1},
}};

const EntryKind* entry_kind(std::string_view event_type) {
  for (const EntryKind& kind : kEntryKinds) {
    if (kind.event_type == event_type) return &kind;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string_view> ledger_entry_type(std::string_view event_type) {
  const EntryKind* kind = entry_kind(event_type);
  if (kind == nullptr) return std::nullopt;
  return kind->entry_type;
}

int64_t ledger_credits(std::string_view event_type, const rapidjson::Value& payload) {
  const EntryKind* kind = entry_kind(event_type);
  LF_ASSERT(kind != nullptr);
  const std::optional<int64_t> credits = json_int64(payload, "credits");
  LF_ASSERT_MSG(credits.has_value(), "credits events carry credits");
  return kind->sign == 0 ? *credits : kind->sign * *credits;
}

const TableSpec& CreditLedger::table() {
  static const TableSpec spec{"credit_ledger",
                              {{"tenant_id", SqlType::uuid},
                               {"event_id", SqlType::text},
                               {"type", SqlType::text},
                               {"credits", SqlType::int64},
                               {"reservation_id", SqlType::text},
                               {"activity_run_id", SqlType::text},
                               {"deliverable_type", SqlType::text},
                               {"topup_order_id", SqlType::text},
                               {"reason", SqlType::text},
                               {"balance_after", SqlType::int64},
                               {"actor", SqlType::text},
                               {"note", SqlType::text},
                               {"command_id", SqlType::text},
                               {"created_at", SqlType::timestamptz}},
                              {0, 1}};
  return spec;
}

std::string imported_entry_key(std::string_view event_id, std::size_t index) {
  std::string key(event_id);
  std::string digits = std::to_string(index);
  key += ':';
  key.append(kImportedEntryKeyDigits - std::min(digits.size(), kImportedEntryKeyDigits), '0');
  key += digits;
  return key;
}

namespace {

// credits.ledger_imported: a row per entry, at its original created_at.
void apply_imported(const DecodedEvent& event, RowBatch& batch) {
  const rapidjson::Value* entries = json_member(*event.payload, "entries");
  LF_ASSERT_MSG(entries != nullptr && entries->IsArray(),
                "credits.ledger_imported carries entries");
  std::size_t index = 0;
  for (const rapidjson::Value& entry : entries->GetArray()) {
    const std::optional<std::string_view> type = json_string(entry, "type");
    const std::optional<int64_t> credits = json_int64(entry, "credits");
    LF_ASSERT(type.has_value() && credits.has_value());
    Value actor = text_or_null(entry, "actor");
    if (std::holds_alternative<Null>(actor)) actor = event.header.actor;
    batch.insert(
        CreditLedger::table(),
        {event.header.tenant_id, imported_entry_key(event.header.event_id, index++),
         std::string(*type), *credits, text_or_null(entry, "reservation_id"),
         text_or_null(entry, "activity_run_id"), text_or_null(entry, "deliverable_type"),
         text_or_null(entry, "topup_order_id"), Null{}, int_or_null(entry, "balance_after"),
         std::move(actor), text_or_null(entry, "note"), event.header.command_id,
         timestamp_or_null(entry, "created_at")});
  }
}

}  // namespace

void CreditLedger::apply(const RecordAt& at, RowBatch& batch) const {
  for (const DecodedEvent& event : at.record->events) {
    if (event.header.type == "credits.ledger_imported") {
      apply_imported(event, batch);
      continue;
    }
    const EntryKind* kind = entry_kind(event.header.type);
    if (kind == nullptr) continue;
    const rapidjson::Value& payload = *event.payload;
    const rapidjson::Value* balance = json_member(payload, "balance");
    LF_ASSERT_MSG(balance != nullptr && balance->IsObject(), "credits events carry a balance");
    batch.insert(
        table(),
        {event.header.tenant_id, event.header.event_id, std::string(kind->entry_type),
         ledger_credits(event.header.type, payload), text_or_null(payload, "reservation_id"),
         text_or_null(payload, "activity_run_id"), text_or_null(payload, "deliverable_type"),
         text_or_null(payload, "topup_order_id"), text_or_null(payload, "reason"),
         int_or_null(*balance, "effective_available"), event.header.actor,
         text_or_null(payload, "note"), event.header.command_id,
         timestamp_value(event.header.occurred_at_ms)});
  }
}

}  // namespace lf::projections
