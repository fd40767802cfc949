// Reading members of a parsed document and writing JSON (json.hpp).
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include <rapidjson/writer.h>

#include "events/byte_scan.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf {

const rapidjson::Value* json_member(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  const rapidjson::Value key(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  const auto member = object.FindMember(key);
  return member == object.MemberEnd() ? nullptr : &member->value;
}

std::optional<std::string_view> json_string(const rapidjson::Value& object, std::string_view name) {
  const rapidjson::Value* value = json_member(object, name);
  if (value == nullptr || !value->IsString()) return std::nullopt;
  return json_view(*value);
}

std::optional<int64_t> json_int64(const rapidjson::Value& object, std::string_view name) {
  const rapidjson::Value* value = json_member(object, name);
  // IsInt64 is false for doubles (even 1.0) and for integers above INT64_MAX.
  if (value == nullptr || !value->IsInt64()) return std::nullopt;
  return value->GetInt64();
}

std::optional<bool> json_bool(const rapidjson::Value& object, std::string_view name) {
  const rapidjson::Value* value = json_member(object, name);
  if (value == nullptr || !value->IsBool()) return std::nullopt;
  return value->GetBool();
}

bool ExactWriter::Double(double number) {
  if (!std::isfinite(number)) return false;
  std::array<char, 40> text{};
  // Room for ".0" after the longest form (24 characters).
  const auto [end, error] = std::to_chars(text.data(), text.data() + text.size() - 2, number);
  LF_ASSERT(error == std::errc());
  char* last = end;
  if (std::find_if(text.data(), last, [](char c) { return c == '.' || c == 'e'; }) == last) {
    *last++ = '.';
    *last++ = '0';
  }
  return RawValue(text.data(), static_cast<std::size_t>(last - text.data()),
                  rapidjson::kNumberType);
}

bool ExactWriter::String(const char* text, rapidjson::SizeType length, bool copy) {
  // What rapidjson's writer escapes (its escape table, UTF-8 to UTF-8).
  if (!byte_scan::json_plain(std::string_view(text, length))) {
    return Writer::String(text, length, copy);
  }
  Prefix(rapidjson::kStringType);
  char* out = os_->Push(std::size_t{length} + 2);
  out[0] = '"';
  if (length > 0) std::memcpy(out + 1, text, length);
  out[length + 1] = '"';
  return EndValue(true);
}

std::string json_to_string(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  ExactWriter writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void JsonWriter::timestamp_field(std::string_view name, int64_t unix_ms) {
  key(name);
  std::array<char, kRfc3339MsLength> text;
  format_rfc3339_ms(unix_ms, text);
  string(std::string_view(text.data(), text.size()));
}

void JsonWriter::timestamp_field(std::string_view name, const std::optional<int64_t>& unix_ms) {
  if (unix_ms) timestamp_field(name, *unix_ms);
}

void JsonWriter::field(std::string_view name, const std::optional<std::string>& text) {
  if (text) field(name, *text);
}

void JsonWriter::field(std::string_view name, const std::optional<int64_t>& number) {
  if (number) field(name, *number);
}

}  // namespace lf
