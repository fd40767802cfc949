// Reading a command payload field by field, remembering the first problem
// instead of failing at once, so each parser reads straight through and
// checks once at the end (as engine/credits/commands.cpp does). Internal to
// engine/workflow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>

#include "engine/workflow/state.hpp"
#include "engine/workflow/text.hpp"
#include "events/json.hpp"
#include "events/result.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

inline constexpr const char* kInvalidPayloadCode = "invalid_payload";

class Fields {
 public:
  explicit Fields(const rapidjson::Value& payload) : payload_(payload) {}

  const rapidjson::Value& payload() const { return payload_; }
  bool has(std::string_view name) const { return json_member(payload_, name) != nullptr; }
  bool is_null(std::string_view name) const {
    const rapidjson::Value* member = json_member(payload_, name);
    return member != nullptr && member->IsNull();
  }

  std::optional<std::string> optional_text(std::string_view name,
                                           std::size_t length_max = kIdLengthMax) {
    const rapidjson::Value* member = json_member(payload_, name);
    if (member == nullptr) return std::nullopt;
    if (!member->IsString() || !fits(json_view(*member), 1, length_max)) {
      fail(kInvalidPayloadCode, std::string(name) + " must be a string of 1 to " +
                                    std::to_string(length_max) + " characters");
      return std::nullopt;
    }
    return std::string(json_view(*member));
  }
  std::string text(std::string_view name, std::size_t length_max = kIdLengthMax) {
    if (!has(name)) fail(kInvalidPayloadCode, std::string(name) + " is required");
    return optional_text(name, length_max).value_or("");
  }
  std::optional<std::string> note(std::string_view name) {
    return optional_text(name, kNoteLengthMax);
  }

  template <typename Enum>
  std::optional<Enum> optional_named(std::string_view name,
                                     std::optional<Enum> (*parse)(std::string_view)) {
    const std::optional<std::string> value = optional_text(name);
    if (!value) return std::nullopt;
    const std::optional<Enum> parsed = parse(*value);
    if (!parsed) fail(kInvalidPayloadCode, std::string(name) + " has no value " + *value);
    return parsed;
  }
  template <typename Enum>
  Enum named(std::string_view name, std::optional<Enum> (*parse)(std::string_view), Enum fallback) {
    if (!has(name)) fail(kInvalidPayloadCode, std::string(name) + " is required");
    return optional_named(name, parse).value_or(fallback);
  }

  std::optional<int64_t> optional_integer(std::string_view name, int64_t minimum, int64_t maximum) {
    if (!has(name)) return std::nullopt;
    const std::optional<int64_t> value = json_int64(payload_, name);
    if (!value || *value < minimum || *value > maximum) {
      fail(kInvalidPayloadCode, std::string(name) + " must be an integer from " +
                                    std::to_string(minimum) + " to " + std::to_string(maximum));
      return std::nullopt;
    }
    return value;
  }
  int64_t integer(std::string_view name, int64_t minimum, int64_t maximum) {
    if (!has(name)) fail(kInvalidPayloadCode, std::string(name) + " is required");
    return optional_integer(name, minimum, maximum).value_or(0);
  }

  std::optional<bool> optional_flag(std::string_view name) {
    if (!has(name)) return std::nullopt;
    const std::optional<bool> value = json_bool(payload_, name);
    if (!value) fail(kInvalidPayloadCode, std::string(name) + " must be true or false");
    return value;
  }
  bool flag(std::string_view name) {
    if (!has(name)) fail(kInvalidPayloadCode, std::string(name) + " is required");
    return optional_flag(name).value_or(false);
  }

  // An RFC 3339 timestamp; one that is no real instant is reported as `reason`.
  std::optional<int64_t> optional_timestamp(std::string_view name, std::string_view reason) {
    const std::optional<std::string> value = optional_text(name, kTimestampLengthMax);
    if (!value) return std::nullopt;
    const std::optional<int64_t> unix_ms = parse_rfc3339_ms(*value);
    if (!unix_ms) fail(reason, std::string(name) + " is not a valid RFC 3339 timestamp: " + *value);
    return unix_ms;
  }
  // A YYYY-MM-DD date; one that does not exist is reported as `reason`.
  std::optional<std::string> optional_date(std::string_view name, std::string_view reason) {
    std::optional<std::string> value = optional_text(name, kDateLengthMax);
    if (value && !parse_date_days(*value))
      fail(reason, std::string(name) + " is not a calendar date: " + *value);
    return value;
  }

  // A member as the JSON text the producer sent (free-form objects, an audit
  // row's change).
  std::optional<std::string> raw(std::string_view name) const {
    const rapidjson::Value* member = json_member(payload_, name);
    if (member == nullptr) return std::nullopt;
    return json_to_string(*member);
  }
  std::optional<std::string> raw_object(std::string_view name) {
    const rapidjson::Value* member = json_member(payload_, name);
    if (member == nullptr) return std::nullopt;
    if (!member->IsObject() || member->MemberCount() > kFreeFormMembersMax) {
      fail(kInvalidPayloadCode, std::string(name) + " must be an object of at most " +
                                    std::to_string(kFreeFormMembersMax) + " members");
      return std::nullopt;
    }
    return json_to_string(*member);
  }

  void fail(std::string_view code, std::string message) {
    if (!error_) error_ = make_error(std::string(code), std::move(message));
  }
  bool failed() const { return error_.has_value(); }
  // Takes over the first problem of a nested object's fields.
  void absorb(const Fields& nested) {
    if (nested.error_) fail(nested.error_->code, nested.error_->message);
  }

  template <typename Command, typename T>
  Result<Command> finish(T command) const {
    if (error_) return *error_;
    return Command{std::move(command)};
  }

 private:
  static constexpr std::size_t kTimestampLengthMax = 40;
  static constexpr std::size_t kDateLengthMax = 10;
  static constexpr rapidjson::SizeType kFreeFormMembersMax = 100;

  const rapidjson::Value& payload_;
  std::optional<Error> error_;
};

}  // namespace lf::engine::workflow
