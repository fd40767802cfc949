// Exact money (DESIGN.md "Seed dialect", money): decimal amounts arrive as
// JSON numbers or strings ("5000.5", "5000.50") and are parsed from their
// decimal text into integer units (minor units of a currency, micro-dollars),
// never through binary floating point. A JSON number reaches us as a double
// only after the bounded parser has checked that the double holds the
// literal's value exactly (events/json.cpp), so its shortest decimal form is
// the producer's number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "events/result.hpp"

namespace lf {

// The minor-unit digits of an ISO 4217 currency ("USD" 2, "JPY" 0, "KWD" 3,
// "CLF" 4); nullopt for a code ledgerflow does not know.
std::optional<int32_t> currency_minor_digits(std::string_view code);

// Micro-dollars: cost_usd as the engine holds it.
inline constexpr int32_t kMicroUsdDigits = 6;

// `text` (-?digits[.digits][(e|E)[+-]digits], no other characters) times
// 10^scale_digits as an exact integer in [minimum, maximum]. Error code
// "invalid_amount", with a sentence naming `field`: not a decimal number,
// more fractional digits than scale_digits, or out of [minimum, maximum].
Result<int64_t> parse_scaled_decimal(std::string_view text, int32_t scale_digits, int64_t minimum,
                                     int64_t maximum, std::string_view field);

// The same for a JSON value: a number (integer, or a double whose shortest
// decimal form is read as above) or a string holding a decimal number.
Result<int64_t> json_scaled_decimal(const rapidjson::Value& value, int32_t scale_digits,
                                    int64_t minimum, int64_t maximum, std::string_view field);

// `units` / 10^scale_digits written with exactly scale_digits fractional
// digits: (500050, 2) -> "5000.50", (-5, 3) -> "-0.005", (7, 0) -> "7".
std::string format_scaled_decimal(int64_t units, int32_t scale_digits);

}  // namespace lf
