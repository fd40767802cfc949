// JSON in and out. Untrusted text is bounded before it is parsed: a size cap
// checked first, iterative parsing (no recursion), UTF-8 validation, and a
// nesting-depth cap enforced while parsing, so no input can crash or stall us.
// It is also read so that no other parser could read it differently: no
// duplicate keys, and every number held exactly as written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/result.hpp"

namespace lf {

struct JsonLimits {
  std::size_t max_bytes = 1 << 20;  // 1 MiB
  uint32_t max_depth = 32;          // objects and arrays nested
  // Producer input is refused where parsers disagree (DESIGN.md "Seed
  // dialect", JSON):
  // - unique_keys: an object with a duplicate key is "invalid_json" (others
  //   keep the last value, rapidjson the first);
  // - exact_numbers: doubles are read correctly rounded, and a number is
  //   "inexact_number" unless its value is exactly the shortest decimal form
  //   of the double that holds it (0.10000000000000001 is not; 5000.5 is), or,
  //   for an integer literal, unless it fits 64 bits or is such a double.
  //   Integers that fit stay integers (Int/Uint/Int64/Uint64).
  // Both are off only to read what ledgerflow wrote itself (commit records
  // and snapshots of any earlier binary, which must stay readable) and to
  // find who sent a refused command (see without_input_checks).
  bool unique_keys = true;
  bool exact_numbers = true;
};

// `limits` with unique_keys and exact_numbers off: numbers are then read as
// the nearest double (correctly rounded, as with exact_numbers) but never
// refused, and a duplicate key keeps both members (lookups find the first).
JsonLimits without_input_checks(JsonLimits limits);

// Error codes: "empty", "too_large", "too_deep", "invalid_utf8",
// "invalid_json" (a duplicate key among them), "inexact_number". The message
// names the byte offset where parsing stopped (for a number: where it starts)
// and, for a duplicate key or a number, the key or the literal.
Result<std::unique_ptr<rapidjson::Document>> parse_json_bounded(std::string_view text,
                                                                const JsonLimits& limits);

// At most `max_bytes` of `text` for a human sentence: printable ASCII and
// whole UTF-8 characters as they are, anything else (control characters,
// bytes that are not UTF-8) as \xNN, and "..." when cut.
std::string printable_excerpt(std::string_view text, std::size_t max_bytes = 64);

// Parses text this process encoded itself (a commit record it just wrote):
// no size, depth or encoding checks, which untrusted input always gets.
// Error code "invalid_json".
Result<std::unique_ptr<rapidjson::Document>> parse_json_trusted(std::string_view text);

// Parses text as parse_json_bounded or parse_json_trusted do, again and
// again into the same memory: a fresh rapidjson document allocates a 64 KiB
// chunk for its first value and frees it with the document, which for small
// texts costs more than the parse. Here the first chunk is a buffer kept
// between parses; a text that needs more gets heap chunks, freed at the next
// parse. What a parse returns is valid until the next parse.
class ReusableDocument {
 public:
  explicit ReusableDocument(std::size_t buffer_bytes = 64 * 1024);
  ReusableDocument(const ReusableDocument&) = delete;
  ReusableDocument& operator=(const ReusableDocument&) = delete;

  // Errors as parse_json_bounded's.
  Result<const rapidjson::Value*> parse_bounded(std::string_view text, const JsonLimits& limits);
  // Error code "invalid_json".
  Result<const rapidjson::Value*> parse_trusted(std::string_view text);

 private:
  rapidjson::Document& emptied();

  std::unique_ptr<char[]> buffer_;
  rapidjson::MemoryPoolAllocator<> pool_;
  rapidjson::Document document_;
};

// Field access on an object value; nullopt when absent or of another type.
const rapidjson::Value* json_member(const rapidjson::Value& object, std::string_view name);
std::optional<std::string_view> json_string(const rapidjson::Value& object, std::string_view name);
std::optional<int64_t> json_int64(const rapidjson::Value& object, std::string_view name);
std::optional<bool> json_bool(const rapidjson::Value& object, std::string_view name);
inline std::string_view json_view(const rapidjson::Value& string_value) {
  return {string_value.GetString(), string_value.GetStringLength()};
}

// Compact serialisation of a value (numbers as ExactWriter writes them).
std::string json_to_string(const rapidjson::Value& value);

// rapidjson's Writer, but a double is written as its shortest decimal form
// (std::to_chars), the form the bounded parser's exact_numbers check compares
// a literal with, and ".0" is added when that form is integral so it stays a
// double. rapidjson's own (Grisu2) may write other digits that only round to
// the same double (24816744073709551616 as 24816744073709550000.0): another
// number to PostgreSQL's numeric and jsonb, and one the bounded parser would
// refuse as inexact. NaN and infinities are refused, as by rapidjson.
//
// A string (and a key) with nothing to escape is copied in one piece;
// rapidjson's Writer copies it byte by byte, looking each up in its escape
// table. Either way the text is the same: only control characters, '"' and
// '\\' are escaped, and other bytes are copied as they are.
class ExactWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  explicit ExactWriter(rapidjson::StringBuffer& buffer) : Writer(buffer) {}
  bool Double(double number);
  bool String(const char* text, rapidjson::SizeType length, bool copy = false);
  bool Key(const char* text, rapidjson::SizeType length, bool copy = false) {
    return String(text, length, copy);
  }
};

// A thin writer over ExactWriter with field helpers; absent optionals are
// omitted, never written as null.
class JsonWriter {
 public:
  JsonWriter() : writer_(buffer_) {}

  void begin_object() { writer_.StartObject(); }
  void end_object() { writer_.EndObject(); }
  void begin_array() { writer_.StartArray(); }
  void end_array() { writer_.EndArray(); }
  void key(std::string_view name) {
    writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  void string(std::string_view text) {
    writer_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  void int64(int64_t number) { writer_.Int64(number); }
  void boolean(bool flag) { writer_.Bool(flag); }
  void null() { writer_.Null(); }
  // `json` must be one complete, valid JSON value.
  void raw(std::string_view json) {
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  void value(const rapidjson::Value& value) { value.Accept(writer_); }

  void field(std::string_view name, std::string_view text) {
    key(name);
    string(text);
  }
  void field(std::string_view name, const char* text) {
    key(name);
    string(text);
  }
  void field(std::string_view name, const std::string& text) {
    key(name);
    string(text);
  }
  void field(std::string_view name, int64_t number) {
    key(name);
    int64(number);
  }
  void field(std::string_view name, int32_t number) {
    key(name);
    int64(number);
  }
  void field(std::string_view name, bool flag) {
    key(name);
    boolean(flag);
  }
  // Out of line (json.cpp): inlined into a caller that passes an empty
  // temporary, GCC 12 with -fsanitize=address reports the unread value as
  // "may be used uninitialized".
  void field(std::string_view name, const std::optional<std::string>& text);
  void field(std::string_view name, const std::optional<int64_t>& number);
  // A timestamp as RFC 3339 (UTC, milliseconds).
  void timestamp_field(std::string_view name, int64_t unix_ms);
  void timestamp_field(std::string_view name, const std::optional<int64_t>& unix_ms);

  std::string_view view() const { return {buffer_.GetString(), buffer_.GetSize()}; }
  std::string str() const { return std::string(view()); }
  void reset() {
    buffer_.Clear();
    writer_.Reset(buffer_);
  }
  // For an encoder that keeps one writer per thread: clears it for the next
  // text, keeping its buffer (no allocation per text) unless the last text
  // was larger than `keep_bytes_max`.
  void reuse(std::size_t keep_bytes_max = 64 * 1024) {
    const bool large = buffer_.GetSize() > keep_bytes_max;
    reset();
    if (large) buffer_.ShrinkToFit();
  }

 private:
  rapidjson::StringBuffer buffer_;
  ExactWriter writer_;
};

}  // namespace lf
