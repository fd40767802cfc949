// What the three wire envelopes' decoders share (events/envelope.cpp,
// commit_record.cpp, result_envelope.cpp): the field limits, the shape
// checks, and a reader whose every error names the field it fails on.
// Internal to lf_events.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::envelope_fields {

inline constexpr std::size_t kTypeLengthMax = 64;
inline constexpr std::size_t kActorIdLengthMax = 128;
inline constexpr std::size_t kCorrelationIdLengthMax = 128;

inline bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

inline bool is_lower_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}

// ^[a-z][a-z_]*(\.[a-z][a-z_]*)+$
inline bool is_valid_type(std::string_view type) {
  if (type.empty() || type.size() > kTypeLengthMax) return false;
  std::size_t segments = 0;
  std::size_t at = 0;
  while (true) {
    if (at >= type.size() || type[at] < 'a' || type[at] > 'z') return false;
    ++at;
    while (at < type.size() && is_lower_identifier_char(type[at])) ++at;
    ++segments;
    if (at == type.size()) break;
    if (type[at] != '.') return false;
    ++at;
  }
  return segments >= 2;
}

inline std::string lower_ascii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// ---- decoding helpers: each names the field it fails on -------------------

class FieldReader {
 public:
  FieldReader(const rapidjson::Value& object, std::string code, std::string context)
      : object_(object), code_(std::move(code)), context_(std::move(context)) {}

  // The error for `field` and what is wrong with it.
  Error error(std::string_view field, std::string_view problem) const {
    return make_error(code_, context_ + std::string(field) + " " + std::string(problem));
  }

  const rapidjson::Value* find(std::string_view field) const { return json_member(object_, field); }

  // A required string; on failure sets `failure` and returns nullopt.
  std::optional<std::string_view> string(std::string_view field,
                                         std::optional<Error>& failure) const {
    const rapidjson::Value* value = find(field);
    if (value == nullptr) {
      failure = error(field, "is missing");
      return std::nullopt;
    }
    if (!value->IsString()) {
      failure = error(field, "must be a string");
      return std::nullopt;
    }
    return json_view(*value);
  }

  std::optional<int64_t> int64(std::string_view field, std::optional<Error>& failure) const {
    const rapidjson::Value* value = find(field);
    if (value == nullptr) {
      failure = error(field, "is missing");
      return std::nullopt;
    }
    if (!value->IsInt64()) {
      failure = error(field, "must be an integer");
      return std::nullopt;
    }
    return value->GetInt64();
  }

  const rapidjson::Value* object(std::string_view field, std::optional<Error>& failure) const {
    const rapidjson::Value* value = find(field);
    if (value == nullptr) {
      failure = error(field, "is missing");
      return nullptr;
    }
    if (!value->IsObject()) {
      failure = error(field, "must be an object");
      return nullptr;
    }
    return value;
  }

  std::optional<int64_t> timestamp(std::string_view field, std::optional<Error>& failure) const {
    const auto text = string(field, failure);
    if (!text) return std::nullopt;
    const auto unix_ms = parse_rfc3339_ms(*text);
    if (!unix_ms) failure = error(field, "must be an RFC 3339 timestamp");
    return unix_ms;
  }

 private:
  const rapidjson::Value& object_;
  std::string code_;
  std::string context_;
};

// An identifier of 1..max bytes without control characters.
inline std::optional<std::string_view> bounded_id(const FieldReader& reader, std::string_view field,
                                                  std::size_t length_max,
                                                  std::optional<Error>& failure) {
  const auto text = reader.string(field, failure);
  if (!text) return std::nullopt;
  if (text->empty() || text->size() > length_max) {
    failure = reader.error(field, "must be 1.." + std::to_string(length_max) + " bytes long");
    return std::nullopt;
  }
  if (has_control_character(*text)) {
    failure = reader.error(field, "must not contain control characters");
    return std::nullopt;
  }
  return text;
}

#define LF_TRY_FIELD(target, expression) \
  do {                                   \
    auto value_ = (expression);          \
    if (failure) return *failure;        \
    target = std::move(*value_);         \
  } while (0)

}  // namespace lf::envelope_fields
