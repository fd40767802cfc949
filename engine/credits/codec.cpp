// Credits event payload JSON.
#include "engine/credits/codec.hpp"

#include "engine/credits/period.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

// ---- encoding ----------------------------------------------------------------

void write_lot_credits(JsonWriter& writer, const LotCredits& lot) {
  writer.begin_object();
  writer.field("lot", lot.lot);
  writer.field("credits", lot.credits);
  writer.end_object();
}

void write_drawn(JsonWriter& writer, const std::vector<LotCredits>& drawn) {
  writer.key("drawn");
  writer.begin_array();
  for (const LotCredits& lot : drawn) write_lot_credits(writer, lot);
  writer.end_array();
}

void write_held_over(JsonWriter& writer, const std::optional<LotCredits>& held_over) {
  if (!held_over) return;
  writer.key("held_over");
  write_lot_credits(writer, *held_over);
}

void write_date(JsonWriter& writer, std::string_view name, int32_t day) {
  writer.field(name, format_date_days(day));
}

bool has_period(const Balance& balance) {
  return balance.period_start_day.has_value();
}

// The period fields of credits.allocated, in the schema's order.
void write_period(JsonWriter& writer, const PeriodSpan& period) {
  const std::optional<std::string> violation = span_violation(period);
  LF_ASSERT_MSG(!violation.has_value(), "an event's period is well-formed");
  write_date(writer, "period_start", period.start_day);
  write_date(writer, "period_end", period.end_day);
  writer.field("timezone", period.time_zone);
  writer.timestamp_field("period_starts_at", period.start_ms);
  writer.timestamp_field("next_reset_at", period.end_ms);
  writer.field("series", to_string(period.series));
}

struct FieldWriter {
  JsonWriter& writer;

  void operator()(const Allocated& event) const {
    writer.field("credits", event.credits_monthly);
    writer.field("credits_monthly", event.credits_monthly);
    write_period(writer, event.period);
    writer.field("reason", to_string(event.reason));
    writer.field("carried_over", event.carried_over_credits);
    write_held_over(writer, event.held_over);
  }
  void operator()(const ToppedUp& event) const {
    writer.field("topup_order_id", event.topup_order_id);
    writer.field("credits", event.credits);
    writer.timestamp_field("expires_at", event.expires_at_ms);
  }
  void operator()(const Reserved& event) const {
    writer.field("reservation_id", event.reservation_id);
    writer.field("credits", event.credits);
    writer.timestamp_field("expires_at", event.expires_at_ms);
    writer.field("activity_run_id", event.activity_run_id);
    writer.field("deliverable_type", event.deliverable_type);
  }
  void operator()(const Released& event) const {
    writer.field("reservation_id", event.reservation_id);
    writer.field("credits", event.credits);
    writer.field("reason", to_string(event.reason));
    writer.field("activity_run_id", event.activity_run_id);
  }
  void operator()(const Consumed& event) const {
    writer.field("reservation_id", event.reservation_id);
    writer.field("credits", event.credits);
    writer.field("activity_run_id", event.activity_run_id);
    writer.field("deliverable_type", event.deliverable_type);
    write_drawn(writer, event.drawn);
  }
  void operator()(const Refunded& event) const {
    writer.field("credits", event.credits);
    writer.field("note", event.note);
    writer.field("activity_run_id", event.activity_run_id);
  }
  void operator()(const Adjusted& event) const {
    writer.field("credits", event.credits);
    writer.field("note", event.note);
    if (event.credits < 0) write_drawn(writer, event.drawn);
  }
  void operator()(const Expired& event) const {
    writer.field("credits", event.credits);
    writer.field("reason", to_string(event.reason));
    writer.field("lot", event.lot);
    writer.field("topup_order_id", event.topup_order_id);
    write_held_over(writer, event.held_over);
  }
  void operator()(const TopupRefunded& event) const {
    writer.field("topup_order_id", event.topup_order_id);
    writer.field("lot", event.lot);
    writer.field("credits", event.credits);
    write_held_over(writer, event.held_over);
    writer.timestamp_field("refunded_at", event.refunded_at_ms);
    writer.field("note", event.note);
  }
  void operator()(const TopupOrderCreated& event) const {
    writer.field("topup_order_id", event.topup_order_id);
    writer.field("credits", event.credits);
    writer.field("amount_minor", event.amount_minor);
    writer.field("currency", event.currency);
    writer.timestamp_field("expires_at", event.expires_at_ms);
  }
  void operator()(const TopupOrderPaid& event) const {
    writer.field("topup_order_id", event.topup_order_id);
    writer.field("credits", event.credits);
    writer.timestamp_field("paid_at", event.paid_at_ms);
    writer.timestamp_field("expires_at", event.expires_at_ms);
  }
  void operator()(const TopupOrderFailed& event) const {
    writer.field("topup_order_id", event.topup_order_id);
    writer.field("reason", event.reason);
  }
  void operator()(const TopupOrderRefunded& event) const {
    LF_ASSERT(event.credits_consumed + event.credits_expired + event.credits_taken_back +
                  event.credits_held_over ==
              event.credits_granted);
    writer.field("topup_order_id", event.topup_order_id);
    writer.timestamp_field("refunded_at", event.refunded_at_ms);
    writer.field("credits_granted", event.credits_granted);
    writer.field("credits_consumed", event.credits_consumed);
    writer.field("credits_expired", event.credits_expired);
    writer.field("credits_taken_back", event.credits_taken_back);
    writer.field("credits_held_over", event.credits_held_over);
    writer.field("note", event.note);
  }
};

// ---- decoding ----------------------------------------------------------------

// Field access that aborts on a payload that does not fit its type.
class Reader {
 public:
  explicit Reader(const rapidjson::Value& object) : object_(object) {
    LF_ASSERT_MSG(object.IsObject(), "a credits payload is an object");
  }

  int64_t integer(std::string_view name) const {
    const std::optional<int64_t> value = json_int64(object_, name);
    LF_ASSERT_MSG(value.has_value(), "a credits payload lacks an integer field");
    return *value;
  }
  std::string text(std::string_view name) const {
    const std::optional<std::string_view> value = json_string(object_, name);
    LF_ASSERT_MSG(value.has_value(), "a credits payload lacks a string field");
    return std::string(*value);
  }
  std::optional<std::string> optional_text(std::string_view name) const {
    if (json_member(object_, name) == nullptr) return std::nullopt;
    return text(name);
  }
  int64_t timestamp(std::string_view name) const {
    const std::optional<int64_t> unix_ms = parse_rfc3339_ms(text(name));
    LF_ASSERT_MSG(unix_ms.has_value(), "a credits payload has an invalid timestamp");
    return *unix_ms;
  }
  std::optional<int64_t> optional_timestamp(std::string_view name) const {
    if (json_member(object_, name) == nullptr) return std::nullopt;
    return timestamp(name);
  }
  int32_t date(std::string_view name) const {
    const std::optional<int32_t> days = parse_date_days(text(name));
    LF_ASSERT_MSG(days.has_value(), "a credits payload has an invalid date");
    return *days;
  }
  bool has(std::string_view name) const { return json_member(object_, name) != nullptr; }
  std::optional<LotCredits> optional_lot_credits(std::string_view name) const {
    const rapidjson::Value* value = json_member(object_, name);
    if (value == nullptr) return std::nullopt;
    return lot_credits(*value);
  }
  std::vector<LotCredits> drawn() const {
    std::vector<LotCredits> drawn;
    const rapidjson::Value* value = json_member(object_, "drawn");
    if (value == nullptr) return drawn;
    LF_ASSERT_MSG(value->IsArray(), "drawn is an array");
    for (const rapidjson::Value& item : value->GetArray()) drawn.push_back(lot_credits(item));
    return drawn;
  }

 private:
  static LotCredits lot_credits(const rapidjson::Value& value) {
    const Reader reader(value);
    return LotCredits{reader.text("lot"), reader.integer("credits")};
  }

  const rapidjson::Value& object_;
};

template <typename Reason>
Reason required(std::optional<Reason> reason) {
  LF_ASSERT_MSG(reason.has_value(), "a credits payload has an unknown reason");
  return *reason;
}

PeriodSpan decode_period(const Reader& in) {
  PeriodSpan period{in.date("period_start"),
                    in.date("period_end"),
                    in.timestamp("period_starts_at"),
                    in.timestamp("next_reset_at"),
                    in.text("timezone"),
                    required(parse_period_series(in.text("series")))};
  const std::optional<std::string> violation = span_violation(period);
  LF_ASSERT_MSG(!violation.has_value(), "a credits.allocated period is not well-formed");
  return period;
}

Event decode_allocated(const Reader& in) {
  Allocated event{in.integer("credits_monthly"), decode_period(in),
                  required(parse_allocation_reason(in.text("reason"))), in.integer("carried_over"),
                  in.optional_lot_credits("held_over")};
  LF_ASSERT(in.integer("credits") == event.credits_monthly);
  return event;
}

Event decode_consumed(const Reader& in) {
  return Consumed{in.text("reservation_id"), in.integer("credits"),
                  in.optional_text("activity_run_id"), in.optional_text("deliverable_type"),
                  in.drawn()};
}

Event decode_expired(const Reader& in) {
  return Expired{in.integer("credits"), required(parse_expiry_reason(in.text("reason"))),
                 in.text("lot"), in.optional_text("topup_order_id"),
                 in.optional_lot_credits("held_over")};
}

Event decode_topup_refunded(const Reader& in) {
  return TopupRefunded{in.text("topup_order_id"),   in.text("lot"),
                       in.integer("credits"),       in.optional_lot_credits("held_over"),
                       in.timestamp("refunded_at"), in.optional_text("note")};
}

Event decode_order_refunded(const Reader& in) {
  TopupOrderRefunded event{in.text("topup_order_id"),       in.timestamp("refunded_at"),
                           in.integer("credits_granted"),   in.integer("credits_consumed"),
                           in.integer("credits_expired"),   in.integer("credits_taken_back"),
                           in.integer("credits_held_over"), in.optional_text("note")};
  LF_ASSERT_MSG(event.credits_consumed + event.credits_expired + event.credits_taken_back +
                        event.credits_held_over ==
                    event.credits_granted,
                "a refund accounts for every credit the order granted");
  return event;
}

// The top-up order events (topup_order.*); they carry no balance.
Event decode_order_event(std::string_view type, const Reader& in) {
  if (type == "topup_order.created") {
    return TopupOrderCreated{in.text("topup_order_id"), in.integer("credits"),
                             in.integer("amount_minor"), in.text("currency"),
                             in.optional_timestamp("expires_at")};
  }
  if (type == "topup_order.paid") {
    return TopupOrderPaid{in.text("topup_order_id"), in.integer("credits"), in.timestamp("paid_at"),
                          in.optional_timestamp("expires_at")};
  }
  if (type == "topup_order.failed")
    return TopupOrderFailed{in.text("topup_order_id"), in.optional_text("reason")};
  LF_ASSERT_MSG(type == "topup_order.refunded", "an unknown top-up order event type");
  return decode_order_refunded(in);
}

// Event types added after catalogue v1, at their first version.
constexpr std::string_view kVersionOneTypes[] = {
    "credits.topup_refunded", "topup_order.created",  "topup_order.paid",
    "topup_order.failed",     "topup_order.refunded", "credits.ledger_imported",
    "topup_order.imported",
};

}  // namespace

int32_t event_schema_version(std::string_view type) {
  for (const std::string_view each : kVersionOneTypes) {
    if (each == type) return 1;
  }
  return kEventSchemaVersion;
}

void write_balance(JsonWriter& writer, const Balance& balance) {
  // A period's figures come together or not at all.
  LF_ASSERT(balance.period_end_day.has_value() == has_period(balance) &&
            balance.next_reset_at_ms.has_value() == has_period(balance));
  writer.key("balance");
  writer.begin_object();
  writer.field("credits_monthly", balance.credits_monthly);
  writer.field("credits_available", balance.credits_available);
  writer.field("credits_reserved", balance.credits_reserved);
  writer.field("credits_consumed", balance.credits_consumed);
  writer.field("credits_topup", balance.credits_topup);
  writer.field("effective_available", balance.effective_available);
  if (has_period(balance)) {
    LF_ASSERT(*balance.period_start_day <= *balance.period_end_day);
    write_date(writer, "period_start", *balance.period_start_day);
    write_date(writer, "period_end", *balance.period_end_day);
    writer.timestamp_field("next_reset_at", *balance.next_reset_at_ms);
  }
  writer.end_object();
}

std::string encode_event_payload(const Event& event, const Balance& balance) {
  // This runs for every credits event: the writer and its buffer are reused
  // (what it calls writes into it; no other encoder runs meanwhile).
  thread_local JsonWriter writer;
  writer.reuse();
  writer.begin_object();
  std::visit(FieldWriter{writer}, event);
  if (carries_balance(event)) write_balance(writer, balance);
  writer.end_object();
  return writer.str();
}

Event decode_event(std::string_view type, const rapidjson::Value& payload) {
  const Reader in(payload);
  if (type.starts_with("topup_order.")) return decode_order_event(type, in);
  if (type == "credits.topup_refunded") return decode_topup_refunded(in);
  if (type == "credits.allocated") return decode_allocated(in);
  if (type == "credits.topped_up") {
    return ToppedUp{in.text("topup_order_id"), in.integer("credits"),
                    in.optional_timestamp("expires_at")};
  }
  if (type == "credits.reserved") {
    return Reserved{in.text("reservation_id"), in.integer("credits"), in.timestamp("expires_at"),
                    in.optional_text("activity_run_id"), in.optional_text("deliverable_type")};
  }
  if (type == "credits.released") {
    return Released{in.text("reservation_id"), in.integer("credits"),
                    required(parse_release_reason(in.text("reason"))),
                    in.optional_text("activity_run_id")};
  }
  if (type == "credits.consumed") return decode_consumed(in);
  if (type == "credits.refunded") {
    return Refunded{in.integer("credits"), in.text("note"), in.optional_text("activity_run_id")};
  }
  if (type == "credits.adjusted")
    return Adjusted{in.integer("credits"), in.text("note"), in.drawn()};
  LF_ASSERT_MSG(type == "credits.expired", "an unknown credits event type");
  return decode_expired(in);
}

Balance decode_balance(const rapidjson::Value& payload) {
  const rapidjson::Value* object = json_member(payload, "balance");
  LF_ASSERT_MSG(object != nullptr, "a credits payload lacks its balance");
  const Reader in(*object);
  Balance balance;
  balance.credits_monthly = in.integer("credits_monthly");
  balance.credits_available = in.integer("credits_available");
  balance.credits_reserved = in.integer("credits_reserved");
  balance.credits_consumed = in.integer("credits_consumed");
  balance.credits_topup = in.integer("credits_topup");
  balance.effective_available = in.integer("effective_available");
  if (in.has("period_start")) {
    balance.period_start_day = in.date("period_start");
    balance.period_end_day = in.date("period_end");
    balance.next_reset_at_ms = in.timestamp("next_reset_at");
    LF_ASSERT(*balance.period_start_day <= *balance.period_end_day);
  } else {
    LF_ASSERT_MSG(!in.has("period_end") && !in.has("next_reset_at"),
                  "a balance has all of its period's figures or none");
  }
  return balance;
}

}  // namespace lf::engine::credits
