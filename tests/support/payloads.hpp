// Command payloads for tests and benchmarks, in the seed dialect: the credits
// commands' (allocate, reserve, consume, release, top-up, refund and adjust),
// built from their parts. The workflow's payloads are in
// tests/support/workflow_matrix.hpp. No GoogleTest here, so bench/ can use it.
#pragma once

#include <cstdint>
#include <string>

#include "events/time.hpp"

namespace lf::testing {

// `text` as a JSON string (no escaping needed in these tests).
inline std::string quoted(const std::string& text) {
  return "\"" + text + "\"";
}

// credits.allocate over the period [start, end] as given: RFC 3339 instants
// (end exclusive) or dates (end inclusive).
inline std::string allocate_payload(int64_t monthly, const std::string& start,
                                    const std::string& end, const std::string& timezone = "") {
  return "{\"credits_monthly\":" + std::to_string(monthly) + ",\"period_start\":" + quoted(start) +
         ",\"period_end\":" + quoted(end) +
         (timezone.empty() ? "" : ",\"timezone\":" + quoted(timezone)) + "}";
}

// November 2026 in catalogue v1's form (RFC 3339, end exclusive), for tests
// whose engine clock is fixed inside it.
inline std::string allocate_payload(int64_t monthly) {
  return allocate_payload(monthly, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
}

// The UTC calendar month holding `now_ms` as the seed writes a billing period
// (dates, end inclusive), for tests on the system clock.
inline std::string allocate_payload(int64_t monthly, int64_t now_ms) {
  const std::string today = format_date_days(static_cast<int32_t>(now_ms / kMillisPerDay));
  const int32_t first = *parse_date_days(today.substr(0, 8) + "01");
  const int32_t next_first =
      static_cast<int32_t>(add_months_ms(first * kMillisPerDay, 1) / kMillisPerDay);
  return allocate_payload(monthly, format_date_days(first), format_date_days(next_first - 1));
}

// A period from a day before `now_ms` to `days_after` days after it (RFC 3339
// instants), whatever the calendar month.
inline std::string allocate_around(int64_t monthly, int64_t now_ms, int64_t days_after = 20) {
  return allocate_payload(monthly, format_rfc3339_ms(now_ms - kMillisPerDay),
                          format_rfc3339_ms(now_ms + days_after * kMillisPerDay));
}

// `extra`: more members, each with its leading comma.
inline std::string reserve_payload(const std::string& id, int64_t credits,
                                   const std::string& extra = "") {
  return "{\"reservation_id\":" + quoted(id) + ",\"credits\":" + std::to_string(credits) + extra +
         "}";
}

inline std::string consume_payload(const std::string& id, int64_t credits) {
  return "{\"reservation_id\":" + quoted(id) + ",\"credits\":" + std::to_string(credits) + "}";
}

inline std::string release_payload(const std::string& id) {
  return "{\"reservation_id\":" + quoted(id) + "}";
}

// `extra`: more members (a price), each with its leading comma.
inline std::string topup_payload(const std::string& order, int64_t credits,
                                 const std::string& extra = "") {
  return "{\"topup_order_id\":" + quoted(order) + ",\"credits\":" + std::to_string(credits) +
         extra + "}";
}

// credits.refund and credits.adjust.
inline std::string amount_payload(int64_t credits, const std::string& note = "n") {
  return "{\"credits\":" + std::to_string(credits) + ",\"note\":" + quoted(note) + "}";
}

}  // namespace lf::testing
