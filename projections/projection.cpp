// Record subsets, the unknown-event policy, and the helpers the mappings share
// (the registry of projections is in registry.cpp).
#include "projections/projection.hpp"

#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/money.hpp"
#include "events/time.hpp"

namespace lf::projections {

RecordSubset::RecordSubset(const DecodedRecord& record, std::vector<int32_t> event_indexes)
    : indexes_(std::move(event_indexes)) {
  subset_.header = record.header;
  subset_.events.reserve(indexes_.size());
  for (const int32_t index : indexes_) {
    LF_ASSERT(index >= 0 && static_cast<std::size_t>(index) < record.events.size());
    subset_.events.push_back(record.events[static_cast<std::size_t>(index)]);
  }
}

std::string_view to_string(UnknownEventPolicy policy) {
  switch (policy) {
    case UnknownEventPolicy::apply:
      return "apply";
    case UnknownEventPolicy::skip:
      return "skip";
    case UnknownEventPolicy::park:
      return "park";
  }
  return "?";
}

std::optional<UnknownEventPolicy> parse_unknown_event_policy(std::string_view text) {
  if (text == "apply") return UnknownEventPolicy::apply;
  if (text == "skip") return UnknownEventPolicy::skip;
  if (text == "park") return UnknownEventPolicy::park;
  return std::nullopt;
}

UnknownEventPolicy Projection::unknown_event_policy(std::string_view) const {
  return UnknownEventPolicy::skip;
}

UnknownEventPolicy park_prefixed(std::string_view type,
                                 std::initializer_list<std::string_view> prefixes) {
  for (const std::string_view prefix : prefixes) {
    if (type.substr(0, prefix.size()) == prefix) return UnknownEventPolicy::park;
  }
  return UnknownEventPolicy::skip;
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

Value timestamp_value(int64_t unix_ms) {
  return Timestamp{unix_ms};
}

Value bool_or_null(const rapidjson::Value& object, std::string_view field) {
  std::optional<bool> flag = json_bool(object, field);
  if (!flag) return Null{};
  return *flag;
}

Value date_or_null(const rapidjson::Value& object, std::string_view field) {
  std::optional<std::string_view> text = json_string(object, field);
  if (!text) return Null{};
  std::optional<int32_t> days = parse_date_days(*text);
  if (!days) return Null{};
  return Date{*days};
}

Value json_or_null(const rapidjson::Value& object, std::string_view field) {
  const rapidjson::Value* member = json_member(object, field);
  if (member == nullptr || member->IsNull()) return Null{};
  return Json{json_to_string(*member)};
}

Value json_value_or_null(const rapidjson::Value& object, std::string_view field) {
  const rapidjson::Value* member = json_member(object, field);
  if (member == nullptr) return Null{};
  return Json{json_to_string(*member)};
}

Value scaled_decimal_or_null(const rapidjson::Value& object, std::string_view field,
                             int32_t scale_digits) {
  std::optional<int64_t> units = json_int64(object, field);
  if (!units) return Null{};
  return format_scaled_decimal(*units, scale_digits);
}

}  // namespace lf::projections
