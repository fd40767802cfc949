// Reading import payloads (commands and their events) field by field,
// remembering the first problem with the row's line: shared by the import
// kinds' codecs. Internal to engine/credits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/credits/import.hpp"
#include "events/json.hpp"
#include "events/result.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

// The schema's limits on strings (code points; the schema says the same).
inline constexpr std::size_t kIdLengthMax = 128;
inline constexpr std::size_t kImportIdLength = 64;
inline constexpr std::size_t kFileLengthMax = 1024;
inline constexpr std::size_t kNoteLengthMax = 10'000;
inline constexpr std::size_t kTimestampLengthMax = 40;

inline std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (const char byte : text) count += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

// Reads fields, remembering the first problem (with the row's line when
// reading a row).
class ImportReader {
 public:
  explicit ImportReader(std::optional<Error>& error) : error_(error) {}

  void at_line(int64_t line) { line_ = line; }
  int64_t integer(const rapidjson::Value& object, std::string_view name, int64_t minimum,
                  int64_t maximum) {
    const std::optional<int64_t> value = json_int64(object, name);
    if (!value || *value < minimum || *value > maximum) {
      fail(std::string(name) + " must be an integer from " + std::to_string(minimum) + " to " +
           std::to_string(maximum));
      return minimum;
    }
    return *value;
  }
  std::optional<std::string> optional_text(const rapidjson::Value& object, std::string_view name,
                                           std::size_t length_max, std::size_t length_min = 1) {
    const rapidjson::Value* member = json_member(object, name);
    if (member == nullptr) return std::nullopt;
    if (!member->IsString() || member->GetStringLength() < length_min ||
        code_points(json_view(*member)) > length_max) {
      fail(std::string(name) + " must be a string of " + std::to_string(length_min) + " to " +
           std::to_string(length_max) + " characters");
      return std::nullopt;
    }
    return std::string(json_view(*member));
  }
  std::string text(const rapidjson::Value& object, std::string_view name, std::size_t length_max) {
    std::optional<std::string> value = optional_text(object, name, length_max);
    if (!value && !error_) fail(std::string(name) + " is required");
    return value.value_or("");
  }
  std::optional<int64_t> optional_timestamp(const rapidjson::Value& object, std::string_view name) {
    const std::optional<std::string> value = optional_text(object, name, kTimestampLengthMax);
    if (!value) return std::nullopt;
    const std::optional<int64_t> unix_ms = parse_rfc3339_ms(*value);
    if (!unix_ms) fail(std::string(name) + " is not an RFC 3339 timestamp: " + *value);
    return unix_ms;
  }
  int64_t timestamp(const rapidjson::Value& object, std::string_view name) {
    const std::optional<int64_t> value = optional_timestamp(object, name);
    if (!value && !error_) fail(std::string(name) + " is required");
    return value.value_or(0);
  }
  std::optional<int32_t> optional_date(const rapidjson::Value& object, std::string_view name) {
    const std::optional<std::string> value = optional_text(object, name, 10);
    if (!value) return std::nullopt;
    const std::optional<int32_t> day = parse_date_days(*value);
    if (!day) fail(std::string(name) + " is not a calendar date (YYYY-MM-DD): " + *value);
    return day;
  }
  const rapidjson::Value* object(const rapidjson::Value& parent, std::string_view name,
                                 bool required) {
    const rapidjson::Value* member = json_member(parent, name);
    if (member != nullptr && member->IsObject()) return member;
    if (member != nullptr || required) fail(std::string(name) + " must be an object");
    return nullptr;
  }
  void fail(std::string message) {
    if (error_) return;
    const bool in_row = line_ > 0;
    error_ = make_error(in_row ? import_reason::kInvalidRow : "invalid_payload",
                        in_row ? "line " + std::to_string(line_) + ": " + message : message);
  }
  bool failed() const { return error_.has_value(); }

 private:
  std::optional<Error>& error_;
  int64_t line_ = 0;
};

inline constexpr int64_t kLineMax = int64_t{1} << 40;

}  // namespace lf::engine::credits
