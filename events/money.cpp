// Exact decimal amounts and the ISO 4217 minor units.
#include "events/money.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>

namespace lf {

namespace {

// A decimal text longer than this is refused before it is read: no amount
// ledgerflow holds needs more (int64 has 19 digits).
constexpr std::size_t kDecimalTextLengthMax = 64;
// Exponents beyond this cannot land in int64 whatever the (non-zero) digits.
constexpr int32_t kExponentMagnitudeMax = 400;

struct Minor {
  std::string_view code;
  int32_t digits;
};

// ISO 4217 (list one, 2024): the active codes with a minor unit. Funds and
// precious metals without one (XAU, XDR, XXX, ...) are not money here.
constexpr std::array kCurrencies = std::to_array<Minor>({
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4},
    {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2},
    {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2},
    {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2},
    {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0},
    {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2},
    {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2},
    {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2},
    {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2},
    {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
    {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2},
    {"SLE", 2}, {"SLL", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2},
    {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2},
    {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2},
    {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0},
    {"XCD", 2}, {"XCG", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
    {"ZWL", 2},
});

static_assert(std::is_sorted(kCurrencies.begin(), kCurrencies.end(),
                             [](const Minor& a, const Minor& b) { return a.code < b.code; }),
              "currency_minor_digits searches the table by binary search");

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Error invalid(std::string_view field, std::string sentence) {
  return make_error("invalid_amount", std::string(field) + " " + std::move(sentence));
}

// The decimal text split as value = (negative ? -1 : 1) * digits * 10^exponent.
struct DecimalText {
  bool negative = false;
  std::string digits;  // the significand's digits, leading zeros removed (empty: zero)
  int64_t exponent = 0;
};

std::optional<DecimalText> split_decimal(std::string_view text) {
  DecimalText out;
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    out.negative = true;
    ++i;
  }
  const std::size_t integer_begin = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == integer_begin) return std::nullopt;
  std::string digits(text.substr(integer_begin, i - integer_begin));
  int64_t fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t fraction_begin = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == fraction_begin) return std::nullopt;
    digits.append(text.substr(fraction_begin, i - fraction_begin));
    fraction_digits = static_cast<int64_t>(i - fraction_begin);
  }
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exponent_negative = text[i++] == '-';
    const std::size_t exponent_begin = i;
    while (i < text.size() && is_digit(text[i])) {
      // Held just past the bound: enough for any non-zero significand to be
      // out of range or too fine, while zero stays zero (0e-999 is 0, as the
      // JSON number 0e-999 reads).
      if (exponent <= kExponentMagnitudeMax) exponent = exponent * 10 + (text[i] - '0');
      ++i;
    }
    if (i == exponent_begin) return std::nullopt;
    if (exponent_negative) exponent = -exponent;
  }
  if (i != text.size()) return std::nullopt;
  const std::size_t first_nonzero = digits.find_first_not_of('0');
  out.digits = first_nonzero == std::string::npos ? std::string() : digits.substr(first_nonzero);
  out.exponent = exponent - fraction_digits;
  return out;
}

}  // namespace

std::optional<int32_t> currency_minor_digits(std::string_view code) {
  const auto found =
      std::lower_bound(kCurrencies.begin(), kCurrencies.end(), code,
                       [](const Minor& entry, std::string_view key) { return entry.code < key; });
  if (found == kCurrencies.end() || found->code != code) return std::nullopt;
  return found->digits;
}

Result<int64_t> parse_scaled_decimal(std::string_view text, int32_t scale_digits, int64_t minimum,
                                     int64_t maximum, std::string_view field) {
  LF_ASSERT(scale_digits >= 0 && scale_digits <= 18 && minimum <= maximum);
  if (text.size() > kDecimalTextLengthMax) {
    return invalid(field,
                   "is longer than " + std::to_string(kDecimalTextLengthMax) + " characters");
  }
  const std::optional<DecimalText> decimal = split_decimal(text);
  if (!decimal) return invalid(field, "is not a decimal number: " + std::string(text));
  std::string digits = decimal->digits;
  int64_t exponent = decimal->exponent + scale_digits;  // of the scaled value
  // Trailing zeros of the significand move into the exponent: 5000.50 at 2
  // digits is 500050 * 10^0, 0.10 at 1 digit is 1 * 10^0.
  while (!digits.empty() && digits.back() == '0' && exponent < 0) {
    digits.pop_back();
    ++exponent;
  }
  if (!digits.empty() && exponent < 0) {
    return invalid(field, "has more than " + std::to_string(scale_digits) +
                              " decimal places: " + std::string(text));
  }
  // Now value = digits * 10^exponent with exponent >= 0 (or digits empty: 0).
  const std::string range = " must lie between " + format_scaled_decimal(minimum, scale_digits) +
                            " and " + format_scaled_decimal(maximum, scale_digits) + ": " +
                            std::string(text);
  int64_t magnitude = 0;
  if (!digits.empty()) {
    if (static_cast<int64_t>(digits.size()) + exponent > 19) return invalid(field, range);
    digits.append(static_cast<std::size_t>(exponent), '0');
    uint64_t unsigned_magnitude = 0;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), unsigned_magnitude);
    if (error != std::errc() || end != digits.data() + digits.size() ||
        unsigned_magnitude > static_cast<uint64_t>(INT64_MAX)) {
      return invalid(field, range);
    }
    magnitude = static_cast<int64_t>(unsigned_magnitude);
  }
  const int64_t value = decimal->negative ? -magnitude : magnitude;
  if (value < minimum || value > maximum) return invalid(field, range);
  return value;
}

Result<int64_t> json_scaled_decimal(const rapidjson::Value& value, int32_t scale_digits,
                                    int64_t minimum, int64_t maximum, std::string_view field) {
  if (value.IsString()) {
    return parse_scaled_decimal(std::string_view(value.GetString(), value.GetStringLength()),
                                scale_digits, minimum, maximum, field);
  }
  if (value.IsInt64()) {
    return parse_scaled_decimal(std::to_string(value.GetInt64()), scale_digits, minimum, maximum,
                                field);
  }
  if (value.IsUint64()) {
    return parse_scaled_decimal(std::to_string(value.GetUint64()), scale_digits, minimum, maximum,
                                field);
  }
  if (value.IsDouble()) {
    // The shortest form that reads back as this double: the producer's
    // literal, since the parser admitted only doubles that hold it exactly.
    std::array<char, 64> buffer{};
    const auto [end, error] =
        std::to_chars(buffer.data(), buffer.data() + buffer.size(), value.GetDouble());
    LF_ASSERT(error == std::errc());
    return parse_scaled_decimal(
        std::string_view(buffer.data(), static_cast<std::size_t>(end - buffer.data())),
        scale_digits, minimum, maximum, field);
  }
  return invalid(field, "must be a number or a string holding a decimal number");
}

std::string format_scaled_decimal(int64_t units, int32_t scale_digits) {
  LF_ASSERT(scale_digits >= 0 && scale_digits <= 18);
  const bool negative = units < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  std::string digits = std::to_string(magnitude);
  const auto scale = static_cast<std::size_t>(scale_digits);
  if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  if (scale > 0) digits.insert(digits.size() - scale, 1, '.');
  return negative ? "-" + digits : digits;
}

}  // namespace lf
