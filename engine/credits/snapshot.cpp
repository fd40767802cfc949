// Snapshot form of the credits state (write_state / read_state): every field,
// integers as integers, instants as Unix milliseconds and dates as days, so
// that read_state(write_state(s)) == s exactly. Snapshots of the previous
// version (1, before billing periods had dates) still load, and so do those
// written before top-up orders (no `topup_orders`: none).
#include "engine/credits/decider.hpp"

#include "engine/credits/events.hpp"
#include "engine/credits/import_sequence.hpp"
#include "engine/credits/period.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

// 2: periods with dates, a time zone and a series. 1: periods of instants.
constexpr int64_t kSnapshotVersion = 2;
constexpr int64_t kSnapshotVersionInstantPeriods = 1;
constexpr const char* kInvalidSnapshot = "invalid_snapshot";

// ---- writing -----------------------------------------------------------------

void write_period(JsonWriter& writer, const Period& period) {
  writer.key("period");
  writer.begin_object();
  writer.field("start_ms", period.span.start_ms);
  writer.field("end_ms", period.span.end_ms);
  writer.field("start_day", period.span.start_day);
  writer.field("end_day", period.span.end_day);
  writer.field("time_zone", period.span.time_zone);
  writer.field("series", to_string(period.span.series));
  writer.field("anchor_day", period.anchor_day);
  writer.field("anchor_ms", period.anchor_ms);
  writer.field("length_months", period.length_months);
  writer.field("end_months_from_anchor", period.end_months_from_anchor);
  writer.end_object();
}

void write_lots(JsonWriter& writer, const Book& book) {
  writer.key("topup_lots");
  writer.begin_array();
  for (const auto& [order_id, lot] : book.topup_lots) {
    writer.begin_object();
    writer.field("topup_order_id", lot.topup_order_id);
    writer.field("remaining_credits", lot.remaining_credits);
    writer.field("expires_at_ms", lot.expires_at_ms);
    writer.end_object();
  }
  writer.end_array();
  writer.key("lapsing_lots");
  writer.begin_array();
  for (const LapsingLot& lot : book.lapsing_lots) {
    writer.begin_object();
    writer.field("lot_number", lot.lot_number);
    writer.field("remaining_credits", lot.remaining_credits);
    writer.field("expired_at_ms", lot.expired_at_ms);
    writer.field("topup_order_id", lot.topup_order_id);
    writer.end_object();
  }
  writer.end_array();
}

void write_book(JsonWriter& writer, const Book& book) {
  writer.field("credits_monthly", book.credits_monthly);
  if (book.period) write_period(writer, *book.period);
  writer.field("monthly_remaining_credits", book.monthly_remaining_credits);
  write_lots(writer, book);
  writer.field("lapsing_lot_number_next", book.lapsing_lot_number_next);
  writer.field("reserved_credits", book.reserved_credits);
  writer.field("consumed_in_period_credits", book.consumed_in_period_credits);
  writer.field("consumed_lifetime_credits", book.consumed_lifetime_credits);
  writer.field("refunded_lifetime_credits", book.refunded_lifetime_credits);
}

void write_reservations(JsonWriter& writer, const State& state) {
  writer.key("reservations");
  writer.begin_array();
  for (const auto& [id, reservation] : state.reservations) {
    writer.begin_object();
    writer.field("reservation_id", reservation.reservation_id);
    writer.field("credits", reservation.credits);
    writer.field("expires_at_ms", reservation.expires_at_ms);
    writer.field("activity_run_id", reservation.activity_run_id);
    writer.field("deliverable_type", reservation.deliverable_type);
    writer.end_object();
  }
  writer.end_array();
  writer.key("recently_closed");
  writer.begin_array();
  for (const std::string& id : state.recently_closed.ids_oldest_first()) writer.string(id);
  writer.end_array();
  if (state.pending_consumption) {
    writer.key("pending_consumption");
    writer.begin_object();
    writer.field("reservation_id", state.pending_consumption->reservation_id);
    writer.field("held_credits", state.pending_consumption->held_credits);
    writer.end_object();
  }
}

void write_orders(JsonWriter& writer, const State& state) {
  writer.key("topup_orders");
  writer.begin_array();
  for (const auto& [order_id, order] : state.topup_orders) {
    writer.begin_object();
    writer.field("topup_order_id", order.topup_order_id);
    writer.field("status", to_string(order.status));
    writer.field("credits", order.credits);
    writer.field("amount_minor", order.amount_minor);
    writer.field("currency", order.currency);
    writer.field("expires_at_ms", order.expires_at_ms);
    writer.field("paid_at_ms", order.paid_at_ms);
    writer.field("refunded_at_ms", order.refunded_at_ms);
    writer.field("lot_expired_credits", order.lot_expired_credits);
    writer.end_object();
  }
  writer.end_array();
}

// Imports (engine/credits/import.hpp); written only once there are any.
void write_imports(JsonWriter& writer, const Imports& imports) {
  if (imports == Imports{}) return;
  writer.key("imports");
  writer.begin_object();
  writer.key("by_kind");
  write_import_progress(writer, imports.by_kind);
  writer.field("events", imports.events);
  writer.field("last_entry_ms", imports.last_entry_ms);
  writer.field("last_source_balance", imports.last_source_balance);
  writer.key("runs");
  writer.begin_array();
  for (const auto& [run_id, run] : imports.runs) {
    writer.begin_object();
    writer.field("activity_run_id", run_id);
    writer.field("reservation_id", run.reservation_id);
    writer.field("reserved_credits", run.reserved_credits);
    writer.field("held_credits", run.held_credits);
    writer.field("consumed_credits", run.consumed_credits);
    writer.end_object();
  }
  writer.end_array();
  writer.key("closed_runs");
  writer.begin_array();
  for (const std::string& run_id : imports.closed_runs) writer.string(run_id);
  writer.end_array();
  writer.end_object();
}

// ---- reading -----------------------------------------------------------------

// Field access that remembers the first problem; values read after it are
// placeholders and the result is discarded.
class Reader {
 public:
  explicit Reader(std::optional<Error>& error) : error_(error) {}

  const rapidjson::Value& object(const rapidjson::Value& parent, std::string_view name) {
    const rapidjson::Value* value = json_member(parent, name);
    if (value != nullptr && value->IsObject()) return *value;
    fail(std::string(name) + " is not an object");
    return empty_object_;
  }
  rapidjson::Value::ConstArray array(const rapidjson::Value& parent, std::string_view name) {
    const rapidjson::Value* value = json_member(parent, name);
    if (value != nullptr && value->IsArray()) return value->GetArray();
    fail(std::string(name) + " is not an array");
    return empty_array_.GetArray();
  }
  int64_t integer(const rapidjson::Value& parent, std::string_view name) {
    const std::optional<int64_t> value = json_int64(parent, name);
    if (!value) fail(std::string(name) + " is not an integer");
    return value.value_or(0);
  }
  std::optional<int64_t> optional_integer(const rapidjson::Value& parent, std::string_view name) {
    if (json_member(parent, name) == nullptr) return std::nullopt;
    return integer(parent, name);
  }
  int32_t int32(const rapidjson::Value& parent, std::string_view name) {
    const int64_t value = integer(parent, name);
    if (value < 0 || value > INT32_MAX) fail(std::string(name) + " is out of range");
    return static_cast<int32_t>(value);
  }
  std::string text(const rapidjson::Value& parent, std::string_view name) {
    const std::optional<std::string_view> value =
        parent.IsObject() ? json_string(parent, name) : std::nullopt;
    if (!value) fail(std::string(name) + " is not a string");
    return std::string(value.value_or(""));
  }
  std::optional<std::string> optional_text(const rapidjson::Value& parent, std::string_view name) {
    if (json_member(parent, name) == nullptr) return std::nullopt;
    return text(parent, name);
  }
  void fail(std::string message) {
    if (!error_) error_ = make_error(kInvalidSnapshot, "credits state: " + std::move(message));
  }
  bool failed() const { return error_.has_value(); }

 private:
  std::optional<Error>& error_;
  const rapidjson::Value empty_object_{rapidjson::kObjectType};
  const rapidjson::Value empty_array_{rapidjson::kArrayType};
};

// A version 1 period has instants only: it reads as the upcasters read a v1
// credits.allocated (events/upcasters_credits.cpp), a period in UTC whose
// dates are the UTC dates of its first and last millisecond; a calendar
// series when both its instants are UTC midnights (v1 renewed such a period
// exactly as the calendar does), else a series of instants.
void read_period(Reader& in, const rapidjson::Value& value, int64_t version, Book& book) {
  if (json_member(value, "period") == nullptr) return;
  const rapidjson::Value& object = in.object(value, "period");
  Period period;
  period.span.start_ms = in.integer(object, "start_ms");
  period.span.end_ms = in.integer(object, "end_ms");
  const int64_t v1_anchor_ms = in.integer(object, "anchor_ms");
  if (version == kSnapshotVersionInstantPeriods) {
    period.span.start_day = static_cast<int32_t>(period.span.start_ms / kMillisPerDay);
    period.span.end_day = static_cast<int32_t>((period.span.end_ms - 1) / kMillisPerDay);
    period.span.time_zone = std::string(kDefaultTimeZone);
    const bool midnights =
        period.span.start_ms % kMillisPerDay == 0 && period.span.end_ms % kMillisPerDay == 0;
    period.span.series = midnights ? PeriodSeries::calendar : PeriodSeries::instants;
  } else {
    period.span.start_day = in.int32(object, "start_day");
    period.span.end_day = in.int32(object, "end_day");
    period.span.time_zone = in.text(object, "time_zone");
    const std::optional<PeriodSeries> series = parse_period_series(in.text(object, "series"));
    if (!series) in.fail("period series is unknown");
    period.span.series = series.value_or(PeriodSeries::calendar);
    period.anchor_day = in.int32(object, "anchor_day");
  }
  period.anchor_ms = v1_anchor_ms;
  period.length_months = in.int32(object, "length_months");
  period.end_months_from_anchor = in.int32(object, "end_months_from_anchor");
  if (version == kSnapshotVersionInstantPeriods && period.span.series == PeriodSeries::calendar) {
    // Months counted from the anchor's day (a midnight when the period is
    // whole months: add_months keeps the time of day); days need none.
    period.anchor_day = period.length_months > 0
                            ? static_cast<int32_t>(v1_anchor_ms / kMillisPerDay)
                            : period.span.start_day;
    period.anchor_ms = 0;
  }
  if (period.span.start_ms < 0 || period.span.end_ms <= period.span.start_ms) {
    in.fail("period instants out of order");
  }
  book.period = std::move(period);
}

void read_lots(Reader& in, const rapidjson::Value& value, Book& book) {
  for (const rapidjson::Value& item : in.array(value, "topup_lots")) {
    TopupLot lot{in.text(item, "topup_order_id"), in.integer(item, "remaining_credits"),
                 in.optional_integer(item, "expires_at_ms")};
    if (!book.topup_lots.emplace(lot.topup_order_id, lot).second)
      in.fail("a top-up lot appears twice");
  }
  for (const rapidjson::Value& item : in.array(value, "lapsing_lots")) {
    book.lapsing_lots.push_back(
        LapsingLot{in.integer(item, "lot_number"), in.integer(item, "remaining_credits"),
                   in.integer(item, "expired_at_ms"), in.optional_text(item, "topup_order_id")});
  }
}

Book read_book(Reader& in, const rapidjson::Value& value, int64_t version) {
  Book book;
  book.credits_monthly = in.integer(value, "credits_monthly");
  read_period(in, value, version, book);
  book.monthly_remaining_credits = in.integer(value, "monthly_remaining_credits");
  read_lots(in, value, book);
  book.lapsing_lot_number_next = in.integer(value, "lapsing_lot_number_next");
  book.reserved_credits = in.integer(value, "reserved_credits");
  book.consumed_in_period_credits = in.integer(value, "consumed_in_period_credits");
  book.consumed_lifetime_credits = in.integer(value, "consumed_lifetime_credits");
  book.refunded_lifetime_credits = in.integer(value, "refunded_lifetime_credits");
  return book;
}

void read_reservations(Reader& in, const rapidjson::Value& value, State& state) {
  for (const rapidjson::Value& item : in.array(value, "reservations")) {
    Reservation reservation{in.text(item, "reservation_id"), in.integer(item, "credits"),
                            in.integer(item, "expires_at_ms"),
                            in.optional_text(item, "activity_run_id"),
                            in.optional_text(item, "deliverable_type")};
    if (!state.reservations.emplace(reservation.reservation_id, reservation).second) {
      in.fail("a reservation appears twice");
    }
  }
  const rapidjson::Value::ConstArray closed = in.array(value, "recently_closed");
  if (closed.Size() > kRecentlyClosedMax) in.fail("too many recently closed reservations");
  for (const rapidjson::Value& item : closed) {
    if (!item.IsString() || state.recently_closed.contains(json_view(item))) {
      in.fail("recently_closed holds a non-string or a repeated id");
      return;
    }
    state.recently_closed.push(std::string(json_view(item)));
  }
}

void read_orders(Reader& in, const rapidjson::Value& value, State& state) {
  if (json_member(value, "topup_orders") == nullptr) return;  // written before orders
  for (const rapidjson::Value& item : in.array(value, "topup_orders")) {
    const std::optional<TopupOrderStatus> status =
        parse_topup_order_status(in.text(item, "status"));
    if (!status) in.fail("a top-up order's status is unknown");
    TopupOrder order{in.text(item, "topup_order_id"),
                     status.value_or(TopupOrderStatus::pending),
                     in.integer(item, "credits"),
                     in.integer(item, "amount_minor"),
                     in.text(item, "currency"),
                     in.optional_integer(item, "expires_at_ms"),
                     in.optional_integer(item, "paid_at_ms"),
                     in.optional_integer(item, "refunded_at_ms"),
                     in.integer(item, "lot_expired_credits")};
    if (!state.topup_orders.emplace(order.topup_order_id, std::move(order)).second)
      in.fail("a top-up order appears twice");
  }
}

void read_history(Reader& in, const rapidjson::Value& value, State& state) {
  read_reservations(in, value, state);
  for (const rapidjson::Value& item : in.array(value, "topup_orders_seen")) {
    if (!item.IsString()) return in.fail("topup_orders_seen holds a non-string");
    state.topup_orders_seen.emplace(json_view(item));
  }
  read_orders(in, value, state);
  if (json_member(value, "pending_consumption") != nullptr) {
    const rapidjson::Value& pending = in.object(value, "pending_consumption");
    state.pending_consumption =
        PendingConsumption{in.text(pending, "reservation_id"), in.integer(pending, "held_credits")};
  }
}

void read_imports(Reader& in, const rapidjson::Value& value, Imports& imports) {
  if (json_member(value, "imports") == nullptr) return;  // none yet, or an older snapshot
  const rapidjson::Value& object = in.object(value, "imports");
  if (const rapidjson::Value* by_kind = json_member(object, "by_kind"); by_kind == nullptr) {
    in.fail("by_kind is missing");
  } else if (Result<std::map<std::string, ImportProgress>> progress =
                 read_import_progress(*by_kind);
             !progress) {
    in.fail(progress.error().message);
  } else {
    imports.by_kind = std::move(*progress);
  }
  imports.events = in.integer(object, "events");
  imports.last_entry_ms = in.optional_integer(object, "last_entry_ms");
  imports.last_source_balance = in.optional_integer(object, "last_source_balance");
  for (const rapidjson::Value& item : in.array(object, "runs")) {
    ImportedRun run{in.text(item, "reservation_id"), in.integer(item, "reserved_credits"),
                    in.integer(item, "held_credits"), in.integer(item, "consumed_credits")};
    if (!imports.runs.emplace(in.text(item, "activity_run_id"), std::move(run)).second)
      in.fail("an imported run appears twice");
  }
  for (const rapidjson::Value& item : in.array(object, "closed_runs")) {
    if (!item.IsString()) return in.fail("closed_runs holds a non-string");
    imports.closed_runs.emplace_back(json_view(item));
  }
}

}  // namespace

void write_state(JsonWriter& writer, const State& state) {
  writer.begin_object();
  writer.field("version", kSnapshotVersion);
  write_book(writer, state.book);
  write_reservations(writer, state);
  writer.key("topup_orders_seen");
  writer.begin_array();
  for (const std::string& order_id : state.topup_orders_seen) writer.string(order_id);
  writer.end_array();
  write_orders(writer, state);
  write_imports(writer, state.imports);
  writer.end_object();
}

Result<State> read_state(const rapidjson::Value& value) {
  if (!value.IsObject()) return make_error(kInvalidSnapshot, "credits state is not an object");
  const std::optional<int64_t> version = json_int64(value, "version");
  if (version != kSnapshotVersion && version != kSnapshotVersionInstantPeriods) {
    return make_error(kInvalidSnapshot, "credits state has an unknown version");
  }
  std::optional<Error> error;
  Reader in(error);
  State state;
  state.book = read_book(in, value, *version);
  if (!in.failed()) read_history(in, value, state);
  if (!in.failed()) read_imports(in, value, state.imports);
  if (error) return *error;
  if (std::optional<std::string> violation = state_invariant_violation(state)) {
    return make_error(kInvalidSnapshot, "credits state breaks an invariant: " + *violation);
  }
  return state;
}

}  // namespace lf::engine::credits
