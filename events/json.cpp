// Bounded JSON parsing over rapidjson (the number literals are read in
// json_number.cpp, the member readers and writer are in json_access.cpp). Untrusted text never
// reaches rapidjson unbounded: the size is checked first, the parser is
// iterative (its stack lives on the heap, not in recursion), UTF-8 is
// validated, and a wrapper handler stops the parse once nesting exceeds the
// limit, before the document grows deeper. Strings that would not survive the
// trip to PostgreSQL (NUL characters, lone surrogate escapes) are refused, and
// so is what other parsers would read differently: a duplicate key, a number
// whose double is not its literal (JsonLimits).
#include "events/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <system_error>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "events/json_number.hpp"
#include "events/time.hpp"

namespace lf {
namespace {

using json_number::NumberReading;
using json_number::read_number;
using json_number::short_integer;

// Literals and keys quoted in error messages, at most.
constexpr std::size_t kExcerptBytesMax = 64;

// The keys of one open object, to refuse a duplicate (unique_keys). The
// first few are compared one by one; past kKeysLinearMax they move into an
// ordered set: O(log n) per key whatever the keys are (a hash set could be
// flooded with colliding keys). Only the open objects' keys are held, so
// the memory is bounded by the text's size (max_bytes) plus a fixed
// overhead per key.
class ObjectKeys {
 public:
  static constexpr std::size_t kKeysLinearMax = 16;

  void clear() {
    few_.clear();
    many_.clear();
  }
  // False when `key` is already a key of this object.
  bool insert(std::string_view key) {
    if (many_.empty()) {
      for (const std::string& seen : few_) {
        if (seen == key) return false;
      }
      if (few_.size() < kKeysLinearMax) {
        few_.emplace_back(key);
        return true;
      }
      for (std::string& seen : few_) many_.insert(std::move(seen));
      few_.clear();
    }
    return many_.emplace(key).second;
  }

 private:
  std::vector<std::string> few_;
  std::set<std::string, std::less<>> many_;
};

// Forwards SAX events to the document under construction, counting the
// nesting depth of objects and arrays, and (per JsonLimits) tracking each
// open object's keys and reading number literals exactly. Returning false
// from a handler makes the reader stop with kParseErrorTermination.
class DepthLimitedHandler {
 public:
  DepthLimitedHandler(rapidjson::Document& document, const JsonLimits& limits)
      : document_(document),
        depth_max_(limits.max_depth),
        unique_keys_(limits.unique_keys),
        exact_numbers_(limits.exact_numbers) {}

  bool Null() { return document_.Null(); }
  bool Bool(bool flag) { return document_.Bool(flag); }
  bool Int(int number) { return document_.Int(number); }
  bool Uint(unsigned number) { return document_.Uint(number); }
  bool Int64(int64_t number) { return document_.Int64(number); }
  bool Uint64(uint64_t number) { return document_.Uint64(number); }
  bool Double(double number) { return document_.Double(number); }
  // Every number, as its literal (kParseNumbersAsStringsFlag).
  bool RawNumber(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    const std::string_view literal(text, length);
    // Integers that fit stay integers, in the representation rapidjson picks.
    if (const std::optional<int64_t> integer = short_integer(literal)) {
      if (literal.front() == '-') {
        return *integer >= std::numeric_limits<int32_t>::min()
                   ? document_.Int(static_cast<int>(*integer))
                   : document_.Int64(*integer);
      }
      return *integer <= std::numeric_limits<uint32_t>::max()
                 ? document_.Uint(static_cast<unsigned>(*integer))
                 : document_.Uint64(static_cast<uint64_t>(*integer));
    }
    NumberReading reading = read_number(literal, exact_numbers_);
    if (!exact_numbers_) {
      // Without the checks a number is its nearest double, as long as a
      // double can hold it at all.
      if (reading.beyond_double && reading.underflow) {
        return document_.Double(text[0] == '-' ? -0.0 : 0.0);
      }
      if (!reading.beyond_double && reading.kind == NumberReading::Kind::out_of_range) {
        return document_.Double(reading.real_value);
      }
    }
    switch (reading.kind) {
      case NumberReading::Kind::int32:
        return document_.Int(static_cast<int>(reading.signed_value));
      case NumberReading::Kind::int64:
        return document_.Int64(reading.signed_value);
      case NumberReading::Kind::uint32:
        return document_.Uint(static_cast<unsigned>(reading.unsigned_value));
      case NumberReading::Kind::uint64:
        return document_.Uint64(reading.unsigned_value);
      case NumberReading::Kind::real:
        return document_.Double(reading.real_value);
      case NumberReading::Kind::out_of_range:
      case NumberReading::Kind::inexact:
        refused_number_ = std::move(reading);
        refused_literal_ = printable_excerpt(std::string_view(text, length), kExcerptBytesMax);
        return false;
    }
    LF_ASSERT_MSG(false, "unknown NumberReading kind");
    return false;
  }
  bool String(const char* text, rapidjson::SizeType length, bool copy) {
    return accept_string(text, length) && document_.String(text, length, copy);
  }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) {
    if (!accept_string(text, length)) return false;
    if (unique_keys_) {
      LF_ASSERT(open_objects_ > 0);  // the reader sends keys inside objects only
      if (!object_keys_[open_objects_ - 1].insert(std::string_view(text, length))) {
        duplicate_key_ = printable_excerpt(std::string_view(text, length), kExcerptBytesMax);
        return false;
      }
    }
    return document_.Key(text, length, copy);
  }
  bool StartObject() {
    if (!enter()) return false;
    if (unique_keys_) {
      if (open_objects_ == object_keys_.size()) object_keys_.emplace_back();
      object_keys_[open_objects_++].clear();
    }
    return document_.StartObject();
  }
  bool EndObject(rapidjson::SizeType member_count) {
    leave();
    if (unique_keys_) {
      LF_ASSERT(open_objects_ > 0);
      --open_objects_;
    }
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
  // The duplicate key that stopped the parse (an excerpt), if any.
  const std::optional<std::string>& duplicate_key() const { return duplicate_key_; }
  // The number that stopped the parse, and its literal (an excerpt).
  const std::optional<NumberReading>& refused_number() const { return refused_number_; }
  const std::string& refused_literal() const { return refused_literal_; }

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
    if (std::memchr(text, '\0', length) != nullptr) {
      refused_string_ = "a string holds a NUL character (\\u0000)";
      return false;
    }
    const char* const end = text + length;
    for (const void* found = std::memchr(text, 0xED, length); found != nullptr;) {
      const char* at = static_cast<const char*>(found);
      if (at + 1 < end && static_cast<unsigned char>(at[1]) >= 0xA0) {
        refused_string_ = "a string holds a lone UTF-16 surrogate escape";
        return false;
      }
      found = std::memchr(at + 1, 0xED, static_cast<std::size_t>(end - at - 1));
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
  bool unique_keys_;
  bool exact_numbers_;
  // Keys of the open objects, innermost last; entries past open_objects_
  // are kept for reuse.
  std::vector<ObjectKeys> object_keys_;
  std::size_t open_objects_ = 0;
  std::optional<std::string> duplicate_key_;
  std::optional<NumberReading> refused_number_;
  std::string refused_literal_;
};

// Every number reaches the handler as its literal (read_number reads it).
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;
// Text this process wrote: no encoding validation, and rapidjson's
// recursive parser (faster; the nesting is our own).
constexpr unsigned kTrustedParseFlags = rapidjson::kParseNumbersAsStringsFlag;

// Fills `document` from `stream` through `handler` (which builds into it),
// parsing with `Flags`.
template <unsigned Flags>
rapidjson::ParseResult populate(rapidjson::Document& document, rapidjson::MemoryStream& stream,
                                DepthLimitedHandler& handler) {
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  auto generator = [&](rapidjson::Document& target) {
    LF_ASSERT(&target == &document);
    result = reader.Parse<Flags>(stream, handler);
    return !result.IsError();
  };
  document.Populate(generator);
  return result;
}

// The number literal starting at `offset` (for rapidjson's "number too big",
// which stops before the handler sees it).
std::string_view literal_at(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return {};
  const std::size_t end = text.find_first_not_of("-+.eE0123456789", offset);
  return text.substr(offset, end == std::string_view::npos ? std::string_view::npos : end - offset);
}

Error number_error(const NumberReading& reading, const std::string& literal, std::size_t offset) {
  const std::string where = " at byte offset " + std::to_string(offset);
  if (reading.kind == NumberReading::Kind::inexact) {
    return make_error("inexact_number", "the number " + literal + where +
                                            " has no exact binary double (it would be read as " +
                                            reading.nearest + "); send it as a string, e.g. \"" +
                                            literal + "\"");
  }
  if (reading.integer_literal) {
    return make_error("inexact_number",
                      "the integer " + literal + where +
                          " is out of range: integers must fit in 64 bits (a decimal "
                          "amount this large must be sent as a string)");
  }
  return make_error("inexact_number", "the number " + literal + where +
                                          " is out of range for a double; send it as a string");
}

}  // namespace

JsonLimits without_input_checks(JsonLimits limits) {
  limits.unique_keys = false;
  limits.exact_numbers = false;
  return limits;
}

namespace {

// The length of the well-formed UTF-8 sequence of two to four bytes that
// `text` starts with, or 0 (The Unicode Standard, table 3-7): no overlong
// forms, no surrogates, nothing above U+10FFFF. What the JSON readers
// accept, so that a sentence quoting untrusted bytes can be read back.
std::size_t well_formed_utf8_length(std::string_view text) {
  if (text.empty()) return 0;
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong below U+0800
    if (lead == 0xED) second_max = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong below U+10000
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  const auto second = static_cast<unsigned char>(text[1]);
  if (second < second_min || second > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

std::string printable_excerpt(std::string_view text, std::size_t max_bytes) {
  std::string excerpt;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto byte = static_cast<unsigned char>(text[at]);
    // The length of a well-formed UTF-8 sequence starting here (0: none).
    const std::size_t length =
        byte >= 0x20 && byte < 0x7f ? 1 : well_formed_utf8_length(text.substr(at));
    const std::size_t room = length > 0 ? length : 4;  // "\xNN"
    if (excerpt.size() + room > max_bytes) {
      excerpt += "...";
      return excerpt;
    }
    if (length > 0) {
      excerpt.append(text.substr(at, length));
      at += length;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      excerpt += "\\x";
      excerpt.push_back(kHex[byte >> 4]);
      excerpt.push_back(kHex[byte & 0xF]);
      ++at;
    }
  }
  return excerpt;
}

namespace {

// Fills `document` from untrusted `text` within `limits`.
Result<bool> parse_bounded_into(std::string_view text, const JsonLimits& limits,
                                rapidjson::Document& document) {
  // Size first: a huge value is refused without reading a byte of it.
  if (text.size() > limits.max_bytes) {
    return make_error("too_large", "JSON text of " + std::to_string(text.size()) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(limits.max_bytes) + " bytes");
  }
  if (text.empty()) return make_error("empty", "JSON text is empty");

  rapidjson::MemoryStream stream(text.data(), text.size());
  DepthLimitedHandler handler(document, limits);
  const rapidjson::ParseResult parse_result = populate<kParseFlags>(document, stream, handler);

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
  if (handler.duplicate_key()) {
    return make_error("invalid_json",
                      "invalid JSON before byte offset " + std::to_string(parse_result.Offset()) +
                          ": duplicate key \"" + *handler.duplicate_key() +
                          "\" in one object (parsers disagree on which value counts)");
  }
  if (handler.refused_number()) {
    // A number's termination offset is where its literal starts.
    if (!limits.exact_numbers) {
      return make_error("invalid_json", "invalid JSON at byte offset " +
                                            std::to_string(parse_result.Offset()) +
                                            ": the number " + handler.refused_literal() +
                                            " is too big to be stored in a double");
    }
    return number_error(*handler.refused_number(), handler.refused_literal(),
                        parse_result.Offset());
  }
  if (limits.exact_numbers && parse_result.Code() == rapidjson::kParseErrorNumberTooBig) {
    NumberReading too_big;
    too_big.kind = NumberReading::Kind::out_of_range;
    const std::string_view literal = literal_at(text, parse_result.Offset());
    too_big.integer_literal = literal.find_first_of(".eE") == std::string_view::npos;
    return number_error(too_big, printable_excerpt(literal, kExcerptBytesMax),
                        parse_result.Offset());
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
    return make_error("invalid_json", "invalid JSON at byte offset " +
                                          std::to_string(stream.Tell()) +
                                          ": unexpected data after the root value");
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<rapidjson::Document>> parse_json_bounded(std::string_view text,
                                                                const JsonLimits& limits) {
  auto document = std::make_unique<rapidjson::Document>();
  if (Result<bool> parsed = parse_bounded_into(text, limits, *document); !parsed)
    return parsed.error();
  return document;
}

namespace {

// Fills `document` from trusted `text`.
Result<bool> parse_trusted_into(std::string_view text, rapidjson::Document& document) {
  // Numbers read as parse_json_bounded reads them without the input checks,
  // so the engine applies its own events with the values every reader of
  // the log gets.
  const JsonLimits limits = without_input_checks(
      JsonLimits{.max_bytes = text.size(), .max_depth = std::numeric_limits<uint32_t>::max()});
  rapidjson::MemoryStream stream(text.data(), text.size());
  DepthLimitedHandler handler(document, limits);
  const rapidjson::ParseResult parse_result =
      populate<kTrustedParseFlags>(document, stream, handler);
  if (parse_result.IsError() || stream.Tell() != text.size()) {
    return make_error("invalid_json", "invalid JSON at byte offset " +
                                          std::to_string(parse_result.Offset()) + ": " +
                                          rapidjson::GetParseError_En(parse_result.Code()));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<rapidjson::Document>> parse_json_trusted(std::string_view text) {
  auto document = std::make_unique<rapidjson::Document>();
  if (Result<bool> parsed = parse_trusted_into(text, *document); !parsed) return parsed.error();
  return document;
}

ReusableDocument::ReusableDocument(std::size_t buffer_bytes)
    : buffer_(std::make_unique<char[]>(buffer_bytes)),
      pool_(buffer_.get(), buffer_bytes),
      document_(&pool_) {}

rapidjson::Document& ReusableDocument::emptied() {
  // The values of the last parse live in the pool; dropping them frees
  // nothing (the pool frees only whole chunks), then the pool is emptied.
  document_.SetNull();
  pool_.Clear();
  return document_;
}

Result<const rapidjson::Value*> ReusableDocument::parse_trusted(std::string_view text) {
  if (Result<bool> parsed = parse_trusted_into(text, emptied()); !parsed) return parsed.error();
  return &document_;
}

Result<const rapidjson::Value*> ReusableDocument::parse_bounded(std::string_view text,
                                                                const JsonLimits& limits) {
  if (Result<bool> parsed = parse_bounded_into(text, limits, emptied()); !parsed)
    return parsed.error();
  return &document_;
}

}  // namespace lf
