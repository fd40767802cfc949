// The credits commands as typed values, parsed from payloads that passed
// schemas/commands/credits.<cmd>.json. Parsing re-checks what decisions rely
// on (amounts in range, timestamps that are real instants) and reports a
// problem as an Error whose code is the rejection reason, never by throwing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <rapidjson/document.h>

#include "events/result.hpp"

namespace lf::engine::credits {

// A billing period as dates, local to the tenant's billing time zone
// (days since 1970-01-01), the end inclusive: the seed's form.
struct PeriodDates {
  int32_t start_day = 0;
  int32_t end_day = 0;
};

// Deprecated (accepted for one version): a period as RFC 3339 instants, the
// end exclusive, as catalogue v1 had it.
struct PeriodInstants {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

struct Allocate {
  int64_t credits_monthly = 0;
  std::variant<PeriodDates, PeriodInstants> period;
  std::optional<std::string> time_zone;  // IANA name; none: the current period's, else UTC
};

struct Topup {
  std::string topup_order_id;
  int64_t credits = 0;
  std::optional<int64_t> expires_at_ms;
};

struct Reserve {
  std::string reservation_id;
  int64_t credits = 0;
  std::optional<std::string> activity_run_id;
  std::optional<std::string> deliverable_type;
  std::optional<int64_t> expires_at_ms;
};

struct Consume {
  std::string reservation_id;
  int64_t credits = 0;
};

struct Release {
  std::string reservation_id;
};

struct Refund {
  int64_t credits = 0;
  std::optional<std::string> activity_run_id;
  std::string note;
};

struct Adjust {
  int64_t credits = 0;
  std::string note;
};

// topup_order.create: a pending order; its price is amount_minor units of
// currency (from `amount_minor`, or from the exact decimal `amount`).
struct CreateTopupOrder {
  std::string topup_order_id;
  int64_t credits = 0;
  int64_t amount_minor = 0;
  std::string currency;
  std::optional<int64_t> expires_at_ms;
};

struct PayTopupOrder {
  std::string topup_order_id;
  std::optional<int64_t> paid_at_ms;  // none: the command's issued_at
};

struct FailTopupOrder {
  std::string topup_order_id;
  std::optional<std::string> reason;
};

struct RefundTopupOrder {
  std::string topup_order_id;
  std::optional<std::string> note;
};

using Command = std::variant<Allocate, Topup, Reserve, Consume, Release, Refund, Adjust,
                             CreateTopupOrder, PayTopupOrder, FailTopupOrder, RefundTopupOrder>;

// Error codes: "invalid_payload" (a field missing, of another type or out
// of range), "invalid_period" (allocate: a date that is no calendar date, a
// timestamp that is no instant, or a date beside a timestamp),
// "invalid_expiry" (expires_at that is no instant), "invalid_amount" and
// "invalid_currency" (topup_order.create: an amount that is not exact in
// its currency, both or neither of amount and amount_minor; a currency
// ledgerflow does not know), "unknown_command_type".
Result<Command> parse_command(std::string_view type, const rapidjson::Value* payload);

}  // namespace lf::engine::credits
