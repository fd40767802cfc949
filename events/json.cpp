// Bounded JSON parsing and small helpers over rapidjson. Untrusted text never
// reaches rapidjson unbounded: the size is checked first, the parser is
// iterative (its stack lives on the heap, not in recursion), UTF-8 is
// validated, and a wrapper handler stops the parse once nesting exceeds the
// limit, before the document grows deeper. Strings that would not survive the
// trip to PostgreSQL (NUL characters, lone surrogate escapes) are refused.
#include "events/json.hpp"


#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "events/time.hpp"

namespace lf {
namespace {

// Forwards SAX events to the document under construction, counting the
// nesting depth of objects and arrays. Returning false from a handler makes
// the reader stop with kParseErrorTermination.
class DepthLimitedHandler {
 public:
  DepthLimitedHandler(rapidjson::Document& document, uint32_t depth_max)
      : document_(document), depth_max_(depth_max) {}

  bool Null() { return document_.Null(); }
  bool Bool(bool flag) { return document_.Bool(flag); }
  bool Int(int number) { return document_.Int(number); }
  bool Uint(unsigned number) { return document_.Uint(number); }
  bool Int64(int64_t number) { return document_.Int64(number); }
  bool Uint64(uint64_t number) { return document_.Uint64(number); }
  bool Double(double number) { return document_.Double(number); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool copy) {
    return document_.RawNumber(text, length, copy);
  }
  bool String(const char* text, rapidjson::SizeType length, bool copy) {
    return accept_string(text, length) && document_.String(text, length, copy);
  }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) {
    return accept_string(text, length) && document_.Key(text, length, copy);
  }
  bool StartObject() { return enter() && document_.StartObject(); }
  bool EndObject(rapidjson::SizeType member_count) {
    leave();
    return document_.EndObject(member_count);
  }
  bool StartArray() { return enter() && document_.StartArray(); }
  bool EndArray(rapidjson::SizeType element_count) {
    leave();
    return document_.EndArray(element_count);
  }

  bool too_deep() const { return too_deep_; }
  // Why a string was refused, or null.
  const char* refused_string() const { return refused_string_; }

 private:
  // Two kinds of string JSON allows but we refuse, both only reachable
  // through escapes (raw bytes like these fail encoding validation or end
  // the string):
  // - a lone low-surrogate escape ("\udc00"), which rapidjson 1.1.0 decodes
  //   into the bytes ED B0 80: not UTF-8;
  // - a NUL character ("\u0000"), which PostgreSQL text and jsonb cannot
  //   store, and at which rapidjson 1.1.0's schema "pattern" matching stops
  //   reading (so "ok\u0000<anything>" would pass a pattern).
  bool accept_string(const char* text, rapidjson::SizeType length) {
    for (rapidjson::SizeType i = 0; i < length; ++i) {
      const auto byte = static_cast<unsigned char>(text[i]);
      if (byte == 0) {
        refused_string_ = "a string holds a NUL character (\\u0000)";
        return false;
      }
      if (byte == 0xED && i + 1 < length && static_cast<unsigned char>(text[i + 1]) >= 0xA0) {
        refused_string_ = "a string holds a lone UTF-16 surrogate escape";
        return false;
      }
    }
    return true;
  }

  bool enter() {
    if (depth_ >= depth_max_) {
      too_deep_ = true;
      return false;
    }
    ++depth_;
    return true;
  }
  void leave() {
    LF_ASSERT(depth_ > 0);  // the reader balances Start/End events
    --depth_;
  }

  rapidjson::Document& document_;
  uint32_t depth_max_;
  uint32_t depth_ = 0;
  bool too_deep_ = false;
  const char* refused_string_ = nullptr;
};

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

}  // namespace

Result<std::unique_ptr<rapidjson::Document>> parse_json_bounded(std::string_view text,
                                                                const JsonLimits& limits) {
  // Size first: a huge value is refused without reading a byte of it.
  if (text.size() > limits.max_bytes) {
    return make_error("too_large", "JSON text of " + std::to_string(text.size()) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(limits.max_bytes) + " bytes");
  }
  if (text.empty()) return make_error("empty", "JSON text is empty");

  auto document = std::make_unique<rapidjson::Document>();
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  DepthLimitedHandler handler(*document, limits.max_depth);
  rapidjson::ParseResult parse_result;
  auto generator = [&](rapidjson::Document& target) {
    LF_ASSERT(&target == document.get());
    parse_result = reader.Parse<kParseFlags>(stream, handler);
    return !parse_result.IsError();
  };
  document->Populate(generator);

  if (handler.too_deep()) {
    return make_error("too_deep", "JSON nesting exceeds the limit of " +
                                      std::to_string(limits.max_depth) + " at byte offset " +
                                      std::to_string(parse_result.Offset()));
  }
  if (handler.refused_string() != nullptr) {
    return make_error("invalid_json", "invalid JSON before byte offset " +
                                          std::to_string(parse_result.Offset()) + ": " +
                                          handler.refused_string());
  }
  if (parse_result.Code() == rapidjson::kParseErrorStringInvalidEncoding) {
    return make_error("invalid_utf8", "invalid UTF-8 in a string at byte offset " +
                                          std::to_string(parse_result.Offset()));
  }
  if (parse_result.IsError()) {
    return make_error("invalid_json", "invalid JSON at byte offset " +
                                          std::to_string(parse_result.Offset()) + ": " +
                                          rapidjson::GetParseError_En(parse_result.Code()));
  }
  // The memory stream reads a NUL byte as the end of input, so "{}\0junk"
  // would parse as "{}": anything left unread is trailing data.
  if (stream.Tell() != text.size()) {
    return make_error("invalid_json", "invalid JSON at byte offset " + std::to_string(stream.Tell()) +
                                          ": unexpected data after the root value");
  }
  return document;
}

Result<std::unique_ptr<rapidjson::Document>> parse_json_trusted(std::string_view text) {
  auto document = std::make_unique<rapidjson::Document>();
  document->Parse<rapidjson::kParseDefaultFlags>(text.data(), text.size());
  if (document->HasParseError()) {
    return make_error("invalid_json", "invalid JSON at byte offset " + std::to_string(document->GetErrorOffset()) +
                                          ": " + rapidjson::GetParseError_En(document->GetParseError()));
  }
  return document;
}

const rapidjson::Value* json_member(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  const rapidjson::Value key(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
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

std::string json_to_string(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void JsonWriter::timestamp_field(std::string_view name, int64_t unix_ms) {
  key(name);
  string(format_rfc3339_ms(unix_ms));
}

}  // namespace lf
