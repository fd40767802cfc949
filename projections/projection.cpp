// The projection registry and shared mapping helpers.
#include "projections/projection.hpp"

#include "events/json.hpp"
#include "events/time.hpp"
#include "projections/credit_balances/projection.hpp"
#include "projections/credit_ledger/projection.hpp"
#include "projections/credit_reservations/projection.hpp"
#include "projections/event_log/projection.hpp"

namespace lf::projections {

std::vector<std::unique_ptr<Projection>> all_projections() {
  std::vector<std::unique_ptr<Projection>> projections;
  projections.push_back(std::make_unique<CreditBalances>());
  projections.push_back(std::make_unique<CreditLedger>());
  projections.push_back(std::make_unique<CreditReservations>());
  projections.push_back(std::make_unique<EventLog>());
  return projections;
}

std::unique_ptr<Projection> make_projection(std::string_view name) {
  for (std::unique_ptr<Projection>& projection : all_projections()) {
    if (projection->name() == name) return std::move(projection);
  }
  return nullptr;
}

Value text_or_null(const rapidjson::Value& object, std::string_view field) {
  std::optional<std::string_view> text = json_string(object, field);
  if (!text) return Null{};
  return std::string(*text);
}

Value int_or_null(const rapidjson::Value& object, std::string_view field) {
  std::optional<int64_t> number = json_int64(object, field);
  if (!number) return Null{};
  return *number;
}

Value timestamp_or_null(const rapidjson::Value& object, std::string_view field) {
  std::optional<std::string_view> text = json_string(object, field);
  if (!text) return Null{};
  std::optional<int64_t> unix_ms = parse_rfc3339_ms(*text);
  if (!unix_ms) return Null{};
  return Timestamp{*unix_ms};
}

Value timestamp_value(int64_t unix_ms) { return Timestamp{unix_ms}; }

}  // namespace lf::projections
