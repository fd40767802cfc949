// Typed parsing of credits command payloads.
#include "engine/credits/commands.hpp"

#include "engine/credits/period.hpp"
#include "engine/credits/state.hpp"
#include "events/json.hpp"
#include "events/money.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

// The command schemas' limits on strings.
constexpr std::size_t kIdLengthMax = 128;
constexpr std::size_t kNoteLengthMax = 1000;
constexpr std::size_t kTimestampLengthMax = 40;
constexpr std::size_t kDateLength = 10;  // "YYYY-MM-DD"
constexpr std::string_view kInvalidPeriod = "invalid_period";
// A top-up order's price: at most 10^15 minor units (the schema says so too).
constexpr int64_t kAmountMinorMax = 1'000'000'000'000'000;
// The seed's (Leadmetrics) amounts are paise.
constexpr std::string_view kOrderDefaultCurrency = "INR";
constexpr std::size_t kCurrencyLength = 3;

// Characters as JSON Schema's maxLength counts them: UTF-8 code points.
std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (const char byte : text) count += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

// Reads fields, remembering the first problem instead of failing at once, so
// each parser reads straight through and checks once at the end.
class Fields {
 public:
  explicit Fields(const rapidjson::Value& payload) : payload_(payload) {}

  int64_t credits(std::string_view name, int64_t minimum) {
    const std::optional<int64_t> value = json_int64(payload_, name);
    if (!value || *value < minimum || *value > kCreditsPerCommandMax) {
      fail("invalid_payload", std::string(name) + " must be an integer from " +
                                  std::to_string(minimum) + " to " +
                                  std::to_string(kCreditsPerCommandMax));
      return 0;
    }
    return *value;
  }
  std::string text(std::string_view name, std::size_t length_max = kIdLengthMax) {
    std::optional<std::string> value = optional_text(name, length_max);
    if (!value) fail("invalid_payload", std::string(name) + " is required");
    return value.value_or("");
  }
  std::optional<std::string> optional_text(std::string_view name,
                                           std::size_t length_max = kIdLengthMax) {
    const rapidjson::Value* member = json_member(payload_, name);
    if (member == nullptr) return std::nullopt;
    if (!member->IsString() || member->GetStringLength() == 0 ||
        code_points(json_view(*member)) > length_max) {
      fail("invalid_payload", std::string(name) + " must be a string of 1 to " +
                                  std::to_string(length_max) + " characters");
      return std::nullopt;
    }
    return std::string(json_view(*member));
  }
  // A timestamp whose text is no real instant is reported with `reason`.
  std::optional<int64_t> optional_timestamp(std::string_view name, std::string_view reason) {
    std::optional<std::string> value = optional_text(name, kTimestampLengthMax);
    if (!value) return std::nullopt;
    std::optional<int64_t> unix_ms = parse_rfc3339_ms(*value);
    if (!unix_ms) fail(reason, std::string(name) + " is not a valid RFC 3339 timestamp: " + *value);
    return unix_ms;
  }
  void fail(std::string_view code, std::string message) {
    if (!error_) error_ = make_error(std::string(code), std::move(message));
  }
  bool has(std::string_view name) const { return json_member(payload_, name) != nullptr; }
  const rapidjson::Value& payload() const { return payload_; }

  template <typename T>
  Result<Command> finish(T command) const {
    if (error_) return *error_;
    return Command{std::move(command)};
  }

 private:
  const rapidjson::Value& payload_;
  std::optional<Error> error_;
};

// A period bound: a date ("YYYY-MM-DD", days) or an RFC 3339 instant (ms).
using PeriodBound = std::variant<int32_t, int64_t>;

std::optional<PeriodBound> period_bound(Fields& in, std::string_view name) {
  std::optional<std::string> value = in.text(name, kTimestampLengthMax);
  if (!value) return std::nullopt;
  if (value->size() == kDateLength) {
    if (const std::optional<int32_t> days = parse_date_days(*value)) return PeriodBound{*days};
    in.fail(kInvalidPeriod, std::string(name) + " is not a calendar date (YYYY-MM-DD): " + *value);
    return std::nullopt;
  }
  if (const std::optional<int64_t> unix_ms = parse_rfc3339_ms(*value)) return PeriodBound{*unix_ms};
  in.fail(
      kInvalidPeriod,
      std::string(name) + " is neither a date (YYYY-MM-DD) nor an RFC 3339 timestamp: " + *value);
  return std::nullopt;
}

Result<Command> parse_allocate(Fields& in) {
  Allocate command;
  command.credits_monthly = in.credits("credits_monthly", 0);
  const std::optional<PeriodBound> start = period_bound(in, "period_start");
  const std::optional<PeriodBound> end = period_bound(in, "period_end");
  command.time_zone = in.optional_text("timezone", kTimeZoneNameLengthMax);
  if (start && end) {
    if (std::holds_alternative<int32_t>(*start) && std::holds_alternative<int32_t>(*end)) {
      command.period = PeriodDates{std::get<int32_t>(*start), std::get<int32_t>(*end)};
    } else if (std::holds_alternative<int64_t>(*start) && std::holds_alternative<int64_t>(*end)) {
      command.period = PeriodInstants{std::get<int64_t>(*start), std::get<int64_t>(*end)};
    } else {
      in.fail(kInvalidPeriod,
              "period_start and period_end must both be dates (YYYY-MM-DD) or both RFC 3339 "
              "timestamps, not one of each");
    }
  }
  return in.finish(std::move(command));
}

Result<Command> parse_topup(Fields& in) {
  Topup command;
  command.topup_order_id = in.text("topup_order_id");
  command.credits = in.credits("credits", 1);
  command.expires_at_ms = in.optional_timestamp("expires_at", "invalid_expiry");
  return in.finish(std::move(command));
}

Result<Command> parse_reserve(Fields& in) {
  Reserve command;
  command.reservation_id = in.text("reservation_id");
  command.credits = in.credits("credits", 1);
  command.activity_run_id = in.optional_text("activity_run_id");
  command.deliverable_type = in.optional_text("deliverable_type");
  command.expires_at_ms = in.optional_timestamp("expires_at", "invalid_expiry");
  return in.finish(std::move(command));
}

Result<Command> parse_consume(Fields& in) {
  Consume command;
  command.reservation_id = in.text("reservation_id");
  command.credits = in.credits("credits", 0);
  return in.finish(std::move(command));
}

Result<Command> parse_refund(Fields& in) {
  Refund command;
  command.credits = in.credits("credits", 1);
  command.activity_run_id = in.optional_text("activity_run_id");
  command.note = in.text("note", kNoteLengthMax);
  return in.finish(std::move(command));
}

Result<Command> parse_adjust(Fields& in) {
  Adjust command;
  command.credits = in.credits("credits", -kCreditsPerCommandMax);
  if (command.credits == 0) in.fail("invalid_payload", "credits must not be 0");
  command.note = in.text("note", kNoteLengthMax);
  return in.finish(std::move(command));
}

// The order's price in minor units of `currency`: `amount` (a JSON number or
// a decimal string, at most the currency's decimals) or `amount_minor`,
// exactly one of the two.
int64_t order_amount_minor(Fields& in, int32_t digits) {
  const bool decimal = in.has("amount");
  if (decimal == in.has("amount_minor")) {
    in.fail("invalid_amount", "give exactly one of amount and amount_minor");
    return 0;
  }
  if (!decimal) {
    const std::optional<int64_t> minor = json_int64(in.payload(), "amount_minor");
    if (!minor || *minor < 0 || *minor > kAmountMinorMax) {
      in.fail("invalid_amount",
              "amount_minor must be an integer from 0 to " + std::to_string(kAmountMinorMax));
      return 0;
    }
    return *minor;
  }
  Result<int64_t> minor = json_scaled_decimal(*json_member(in.payload(), "amount"), digits, 0,
                                              kAmountMinorMax, "amount");
  if (!minor) {
    in.fail(minor.error().code, minor.error().message);
    return 0;
  }
  return minor.value();
}

Result<Command> parse_create_order(Fields& in) {
  CreateTopupOrder command;
  command.topup_order_id = in.text("topup_order_id");
  command.credits = in.credits("credits", 1);
  command.currency =
      in.optional_text("currency", kCurrencyLength).value_or(std::string(kOrderDefaultCurrency));
  const std::optional<int32_t> digits = currency_minor_digits(command.currency);
  if (!digits) {
    in.fail("invalid_currency",
            "currency " + command.currency + " is not an ISO 4217 code ledgerflow knows");
  }
  command.amount_minor = order_amount_minor(in, digits.value_or(0));
  command.expires_at_ms = in.optional_timestamp("expires_at", "invalid_expiry");
  return in.finish(std::move(command));
}

Result<Command> parse_pay_order(Fields& in) {
  PayTopupOrder command;
  command.topup_order_id = in.text("topup_order_id");
  command.paid_at_ms = in.optional_timestamp("paid_at", "invalid_payload");
  return in.finish(std::move(command));
}

}  // namespace

Result<Command> parse_command(std::string_view type, const rapidjson::Value* payload) {
  if (payload == nullptr || !payload->IsObject())
    return make_error("invalid_payload", "the payload is not an object");
  Fields in(*payload);
  if (type == "credits.allocate") return parse_allocate(in);
  if (type == "credits.topup") return parse_topup(in);
  if (type == "credits.reserve") return parse_reserve(in);
  if (type == "credits.consume") return parse_consume(in);
  if (type == "credits.release") {
    Release command{in.text("reservation_id")};
    return in.finish(std::move(command));
  }
  if (type == "credits.refund") return parse_refund(in);
  if (type == "credits.adjust") return parse_adjust(in);
  if (type == "topup_order.create") return parse_create_order(in);
  if (type == "topup_order.pay") return parse_pay_order(in);
  if (type == "topup_order.fail") {
    FailTopupOrder command{in.text("topup_order_id"), in.optional_text("reason", kNoteLengthMax)};
    return in.finish(std::move(command));
  }
  if (type == "topup_order.refund") {
    RefundTopupOrder command{in.text("topup_order_id"), in.optional_text("note", kNoteLengthMax)};
    return in.finish(std::move(command));
  }
  return make_error("unknown_command_type", "no credits command is called " + std::string(type));
}

}  // namespace lf::engine::credits
