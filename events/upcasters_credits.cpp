// The credits events' upcasters: for each credits event type changed since
// v1, one pure step per version, from_version -> from_version + 1, stating
// the change field by field; docs/domains/credits.md keeps the types' version
// history.
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "events/time.hpp"
#include "events/upcast.hpp"

namespace lf {
namespace {

// v1 -> v2 of every credits event (issue 9, "billing periods are dates"):
// v1 wrote a period as two RFC 3339 instants, the end exclusive, always in
// UTC; v2 writes its dates (the end inclusive) in the tenant's billing time
// zone and the instant it ends, next_reset_at. A v1 period reads as a period
// in UTC whose dates are those of its first and last millisecond, exactly as
// today's engine reads the same period sent as RFC 3339 in UTC:
//
//   balance.period_start  T    -> the UTC date of T
//   balance.period_end    T    -> the UTC date of T - 1 ms
//   (new) balance.next_reset_at = T (of period_end), last in the balance
//
// and credits.allocated's own period likewise:
//
//   period_start  S   -> the UTC date of S
//   period_end    T   -> the UTC date of T - 1 ms, followed by
//   (new) timezone         = "UTC"
//   (new) period_starts_at = S
//   (new) next_reset_at    = T
//   (new) series           = "calendar" when S and T are both UTC
//         midnights (renewed by dates: for such a period the same periods
//         v1's rule gives), else "instants": renewed by v1's rule on the
//         instants (whole months from the anchor instant, else the same
//         length in ms), exactly as before
//
// Every other field is kept as it is, in its place. A balance without a
// period (before the tenant's first allocation) is unchanged. A v1 period
// that is not two instants, the end after the start, is no payload a v1
// engine wrote; it is left as it is and fails the v2 schema (the v1 schema's
// pattern admits some such periods, e.g. "2026-13-45T99:00:00Z" or an end
// before the start: fuzz/record_fuzz.cpp knows them).

std::optional<int64_t> instant_at(const rapidjson::Value& object, std::string_view name) {
  const auto member = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  if (member == object.MemberEnd() || !member->value.IsString()) return std::nullopt;
  return parse_rfc3339_ms({member->value.GetString(), member->value.GetStringLength()});
}

bool utc_midnight(int64_t unix_ms) {
  return unix_ms % kMillisPerDay == 0;
}

int32_t utc_day(int64_t unix_ms) {
  // v1 instants are never before 1970 (parse_rfc3339_ms refuses them).
  return static_cast<int32_t>(unix_ms / kMillisPerDay);
}

rapidjson::Value string_value(const std::string& text, JsonAllocator& allocator) {
  return rapidjson::Value(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

void set_string(rapidjson::Value& object, std::string_view name, const std::string& text,
                JsonAllocator& allocator) {
  const auto member = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  member->value = string_value(text, allocator);
}

void balance_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  const auto member = payload.FindMember("balance");
  if (member == payload.MemberEnd() || !member->value.IsObject()) return;
  rapidjson::Value& balance = member->value;
  const std::optional<int64_t> start_ms = instant_at(balance, "period_start");
  const std::optional<int64_t> end_ms = instant_at(balance, "period_end");
  if (!start_ms || !end_ms || *end_ms <= *start_ms) return;
  set_string(balance, "period_start", format_date_days(utc_day(*start_ms)), allocator);
  set_string(balance, "period_end", format_date_days(utc_day(*end_ms - 1)), allocator);
  balance.AddMember("next_reset_at", string_value(format_rfc3339_ms(*end_ms), allocator),
                    allocator);
}

void allocated_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  balance_v1_to_v2(payload, allocator);
  const std::optional<int64_t> start_ms = instant_at(payload, "period_start");
  const std::optional<int64_t> end_ms = instant_at(payload, "period_end");
  if (!start_ms || !end_ms || *end_ms <= *start_ms) return;
  // Rebuilt member by member, so the new fields follow period_end as the
  // engine writes them.
  rapidjson::Value upcast(rapidjson::kObjectType);
  for (auto& member : payload.GetObject()) {
    const std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (name == "period_start") {
      upcast.AddMember("period_start",
                       string_value(format_date_days(utc_day(*start_ms)), allocator), allocator);
    } else if (name == "period_end") {
      upcast.AddMember("period_end",
                       string_value(format_date_days(utc_day(*end_ms - 1)), allocator), allocator);
      upcast.AddMember("timezone", "UTC", allocator);
      upcast.AddMember("period_starts_at", string_value(format_rfc3339_ms(*start_ms), allocator),
                       allocator);
      upcast.AddMember("next_reset_at", string_value(format_rfc3339_ms(*end_ms), allocator),
                       allocator);
      upcast.AddMember("series",
                       utc_midnight(*start_ms) && utc_midnight(*end_ms) ? "calendar" : "instants",
                       allocator);
    } else {
      upcast.AddMember(member.name, member.value, allocator);  // moved
    }
  }
  payload = std::move(upcast);
}

constexpr std::array kUpcasters = {
    Upcaster{"credits.allocated", 1, &allocated_v1_to_v2},
    Upcaster{"credits.topped_up", 1, &balance_v1_to_v2},
    Upcaster{"credits.reserved", 1, &balance_v1_to_v2},
    Upcaster{"credits.released", 1, &balance_v1_to_v2},
    Upcaster{"credits.consumed", 1, &balance_v1_to_v2},
    Upcaster{"credits.refunded", 1, &balance_v1_to_v2},
    Upcaster{"credits.adjusted", 1, &balance_v1_to_v2},
    Upcaster{"credits.expired", 1, &balance_v1_to_v2},
};

}  // namespace

std::span<const Upcaster> credits_upcasters() {
  return kUpcasters;
}

}  // namespace lf
