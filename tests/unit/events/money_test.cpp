// Exact decimal amounts (events/money.hpp).
#include "events/money.hpp"

#include <gtest/gtest.h>

#include "events/json.hpp"

namespace lf {
namespace {

constexpr int64_t kMax = INT64_MAX;

int64_t scaled(std::string_view text, int32_t digits) {
  Result<int64_t> value = parse_scaled_decimal(text, digits, 0, kMax, "budget");
  EXPECT_TRUE(value.ok()) << text << ": " << (value ? "" : value.error().message);
  return value ? *value : -1;
}

std::string refusal(std::string_view text, int32_t digits, int64_t minimum = 0,
                    int64_t maximum = kMax) {
  Result<int64_t> value = parse_scaled_decimal(text, digits, minimum, maximum, "budget");
  if (value) return "accepted " + std::to_string(*value);
  EXPECT_EQ(value.error().code, "invalid_amount");
  return value.error().message;
}

TEST(Money, CurrencyMinorDigitsFollowIso4217) {
  EXPECT_EQ(currency_minor_digits("USD"), 2);
  EXPECT_EQ(currency_minor_digits("EUR"), 2);
  EXPECT_EQ(currency_minor_digits("INR"), 2);
  EXPECT_EQ(currency_minor_digits("JPY"), 0);
  EXPECT_EQ(currency_minor_digits("KRW"), 0);
  EXPECT_EQ(currency_minor_digits("KWD"), 3);
  EXPECT_EQ(currency_minor_digits("CLF"), 4);
  EXPECT_EQ(currency_minor_digits("AED"), 2);  // first of the table
  EXPECT_EQ(currency_minor_digits("ZWL"), 2);  // last of the table
  EXPECT_EQ(currency_minor_digits("usd"), std::nullopt);
  EXPECT_EQ(currency_minor_digits("XAU"), std::nullopt);
  EXPECT_EQ(currency_minor_digits(""), std::nullopt);
}

TEST(Money, DecimalTextBecomesExactMinorUnits) {
  EXPECT_EQ(scaled("5000.5", 2), 500050);
  EXPECT_EQ(scaled("5000.50", 2), 500050);
  EXPECT_EQ(scaled("5000", 2), 500000);
  EXPECT_EQ(scaled("0.1", 2), 10);
  EXPECT_EQ(scaled("0.10000", 2), 10);
  EXPECT_EQ(scaled("1e3", 2), 100000);
  EXPECT_EQ(scaled("1.5E-1", 2), 15);
  EXPECT_EQ(scaled("0.012345", 6), 12345);
  EXPECT_EQ(scaled("9999.999999", 6), 9999999999);
  EXPECT_EQ(scaled("-0", 2), 0);
  EXPECT_EQ(scaled("7", 0), 7);
  EXPECT_EQ(scaled("92233720368547758.07", 2), kMax);
}

TEST(Money, MoreDecimalsThanTheCurrencyHasIsRefused) {
  EXPECT_NE(refusal("5000.505", 2).find("more than 2 decimal places"), std::string::npos);
  EXPECT_NE(refusal("1.5", 0).find("more than 0 decimal places"), std::string::npos);
  EXPECT_NE(refusal("1e-7", 6).find("decimal places"), std::string::npos);
}

TEST(Money, TextThatIsNoDecimalNumberIsRefused) {
  for (std::string_view text : {"", "abc", "1.", ".5", "1,5", "1.5.5", "+1", "1e", "1e+", "0x10",
                                " 1", "1 ", "NaN", "Infinity", "1e401"}) {
    EXPECT_NE(refusal(text, 2).find("budget"), std::string::npos) << text;
  }
  EXPECT_NE(refusal(std::string(65, '1'), 2).find("longer than"), std::string::npos);
}

TEST(Money, OutOfRangeSaysSo) {
  EXPECT_NE(refusal("-1", 2).find("must lie between 0.00 and"), std::string::npos);
  EXPECT_NE(refusal("92233720368547758.08", 2).find("must lie between"), std::string::npos);
  EXPECT_NE(refusal("1e30", 2).find("must lie between"), std::string::npos);
  EXPECT_NE(refusal("10000", 6, 0, 9'999'999'999).find("must lie between 0.000000 and 9999.999999"),
            std::string::npos);
}

TEST(Money, JsonNumbersAndStringsReadTheSame) {
  auto read = [](std::string_view json) {
    Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(json, JsonLimits{});
    EXPECT_TRUE(document.ok()) << json;
    Result<int64_t> value = json_scaled_decimal((**document)["a"], 2, 0, kMax, "budget");
    return value ? *value : -1;
  };
  EXPECT_EQ(read(R"({"a": 5000.5})"), 500050);
  EXPECT_EQ(read(R"({"a": "5000.50"})"), 500050);
  EXPECT_EQ(read(R"({"a": 5000})"), 500000);
  EXPECT_EQ(read(R"({"a": 0.29})"), 29);  // 0.29 is no double; its shortest form is
  EXPECT_EQ(read(R"({"a": 1234567.89})"), 123456789);
  EXPECT_EQ(read(R"({"a": 1e2})"), 10000);
  EXPECT_EQ(read(R"({"a": true})"), -1);
  EXPECT_EQ(read(R"({"a": 5000.505})"), -1);
}

TEST(Money, ZeroIsZeroWhateverItsExponent) {
  // A string "0E-952233723603688545488" was refused while the JSON number
  // reads as 0 (found by fuzz/json_fuzz.cpp): an amount means the same
  // either way.
  EXPECT_EQ(scaled("0E-952233723603688545488", 2), 0);
  EXPECT_EQ(scaled("-0.000e999999999999999999999", 6), 0);
  const auto number = parse_json_bounded(R"({"a":0E-952233723603688545488})", JsonLimits{});
  ASSERT_TRUE(number.ok());
  const Result<int64_t> from_json = json_scaled_decimal((**number)["a"], 2, 0, kMax, "budget");
  ASSERT_TRUE(from_json.ok());
  EXPECT_EQ(*from_json, 0);
  // Other digits with such exponents are still out of range or too fine.
  EXPECT_NE(refusal("1e999999999999", 2).find("must lie between"), std::string::npos);
  EXPECT_NE(refusal("1e-999999999999", 2).find("decimal places"), std::string::npos);
}

TEST(Money, FormattingWritesExactlyTheScaleDigits) {
  EXPECT_EQ(format_scaled_decimal(500050, 2), "5000.50");
  EXPECT_EQ(format_scaled_decimal(5, 2), "0.05");
  EXPECT_EQ(format_scaled_decimal(-5, 3), "-0.005");
  EXPECT_EQ(format_scaled_decimal(7, 0), "7");
  EXPECT_EQ(format_scaled_decimal(0, 6), "0.000000");
  EXPECT_EQ(format_scaled_decimal(INT64_MIN, 2), "-92233720368547758.08");
}

}  // namespace
}  // namespace lf
