// JSON number literals read exactly (json_number.hpp).
#include "events/json_number.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "events/assert.hpp"

namespace lf::json_number {
namespace {

// An exponent beyond this is held at it: far past any double (and the text
// is at most a few MiB long, so no significand moves it back into range).
constexpr int64_t kExponentSaturation = int64_t{1} << 40;

// A decimal number as sign, significant digits (no leading or trailing
// zeros) and exponent: value = 0.d1d2d3... x 10^exponent. Zero has no digits
// and no sign, so 0, -0.0 and 0e7 are equal.
struct DecimalValue {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
  bool operator==(const DecimalValue&) const = default;
};

// `literal` is a JSON number (the reader checked its grammar) or what
// std::to_chars writes for a double (the same grammar, "e+20" included).
DecimalValue decimal_value(std::string_view literal) {
  DecimalValue value;
  std::size_t at = 0;
  if (at < literal.size() && literal[at] == '-') {
    value.negative = true;
    ++at;
  }
  int64_t point = 0;  // digits before the decimal point
  for (; at < literal.size() && literal[at] >= '0' && literal[at] <= '9'; ++at, ++point) {
    value.digits.push_back(literal[at]);
  }
  if (at < literal.size() && literal[at] == '.') {
    for (++at; at < literal.size() && literal[at] >= '0' && literal[at] <= '9'; ++at) {
      value.digits.push_back(literal[at]);
    }
  }
  int64_t exponent = 0;
  if (at < literal.size() && (literal[at] == 'e' || literal[at] == 'E')) {
    ++at;
    bool exponent_negative = false;
    if (at < literal.size() && (literal[at] == '+' || literal[at] == '-'))
      exponent_negative = literal[at++] == '-';
    for (; at < literal.size() && literal[at] >= '0' && literal[at] <= '9'; ++at) {
      if (exponent < kExponentSaturation) exponent = exponent * 10 + (literal[at] - '0');
    }
    if (exponent_negative) exponent = -exponent;
  }
  LF_ASSERT(at == literal.size());
  const std::size_t first = value.digits.find_first_not_of('0');
  if (first == std::string::npos) return DecimalValue{};
  value.digits.erase(0, first);
  value.digits.erase(value.digits.find_last_not_of('0') + 1);
  value.exponent = point - static_cast<int64_t>(first) + exponent;
  return value;
}

}  // namespace

NumberReading read_number(std::string_view literal, bool exact) {
  LF_ASSERT(!literal.empty());
  const char* const begin = literal.data();
  const char* const end = literal.data() + literal.size();
  NumberReading reading;
  reading.integer_literal = literal.find_first_of(".eE") == std::string_view::npos;
  // Integers that fit stay integers, in the representation rapidjson picks.
  if (reading.integer_literal && literal.front() == '-') {
    int64_t number = 0;
    const auto [stop, error] = std::from_chars(begin, end, number);
    if (error == std::errc() && stop == end) {
      reading.kind = number >= std::numeric_limits<int32_t>::min() ? NumberReading::Kind::int32
                                                                   : NumberReading::Kind::int64;
      reading.signed_value = number;
      return reading;
    }
  } else if (reading.integer_literal) {
    uint64_t number = 0;
    const auto [stop, error] = std::from_chars(begin, end, number);
    if (error == std::errc() && stop == end) {
      reading.kind = number <= std::numeric_limits<uint32_t>::max() ? NumberReading::Kind::uint32
                                                                    : NumberReading::Kind::uint64;
      reading.unsigned_value = number;
      return reading;
    }
  }
  // Correctly rounded (rapidjson's default reading is not).
  double number = 0;
  const auto [stop, error] = std::from_chars(begin, end, number);
  if (error == std::errc::result_out_of_range) {
    reading.kind = NumberReading::Kind::out_of_range;
    reading.beyond_double = true;
    reading.underflow = decimal_value(literal).exponent <= 0;  // 0.d1d2... x 10^exponent < 1
    return reading;
  }
  LF_ASSERT(error == std::errc() && stop == end);
  if (!exact) {
    reading.kind = NumberReading::Kind::real;
    reading.real_value = number;
    return reading;
  }
  std::array<char, 64> shortest{};
  const auto [written, write_error] =
      std::to_chars(shortest.data(), shortest.data() + shortest.size(), number);
  LF_ASSERT(write_error == std::errc());
  const std::string_view nearest(shortest.data(),
                                 static_cast<std::size_t>(written - shortest.data()));
  if (decimal_value(literal) != decimal_value(nearest)) {
    reading.kind =
        reading.integer_literal ? NumberReading::Kind::out_of_range : NumberReading::Kind::inexact;
    reading.nearest = std::string(nearest);
    reading.real_value = number;
    return reading;
  }
  reading.kind = NumberReading::Kind::real;
  reading.real_value = number;
  return reading;
}

}  // namespace lf::json_number
