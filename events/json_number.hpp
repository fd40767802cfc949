// JSON number literals read exactly (json.cpp's parser hands every number
// here as its literal): integers in the representation rapidjson picks,
// reals as the correctly rounded double, and literals no double holds
// exactly classified, so JsonLimits can refuse them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lf::json_number {

// How a JSON number literal is held. Every reading (with or without the
// input checks) goes through here: rapidjson 1.1.0's own is not correctly
// rounded by default, and its kParseFullPrecisionFlag has undefined
// behaviour and wrong results for some literals (fixed upstream later).
struct NumberReading {
  enum class Kind { int32, uint32, int64, uint64, real, out_of_range, inexact } kind = Kind::real;
  int64_t signed_value = 0;
  uint64_t unsigned_value = 0;
  // real, inexact, and integer literals out of the 64-bit range: the
  // nearest double, unless no double holds the literal's magnitude
  // (beyond_double; underflow: the magnitude is below the smallest double).
  double real_value = 0;
  bool beyond_double = false;
  bool underflow = false;
  std::string nearest;  // inexact: the shortest form of the double it would be
  bool integer_literal = false;
};

// An integer literal of at most 18 digits (it fits int64): its value.
// The common case (credits, seqs, versions), read without from_chars; inline,
// as the parser asks it of every number.
inline std::optional<int64_t> short_integer(std::string_view literal) {
  std::size_t at = literal.front() == '-' ? 1 : 0;
  const std::size_t digits = literal.size() - at;
  if (digits == 0 || digits > 18) return std::nullopt;
  int64_t value = 0;
  for (; at < literal.size(); ++at) {
    const char c = literal[at];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return literal.front() == '-' ? -value : value;
}

// `exact`: classify the literal against the double that holds it
// (exact_numbers); otherwise a double that holds it at all is `real`.
NumberReading read_number(std::string_view literal, bool exact);

}  // namespace lf::json_number
