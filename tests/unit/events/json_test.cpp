// The bounded JSON parser (size, depth, UTF-8, syntax) and the JSON helpers.
#include "events/json.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/envelope.hpp"

namespace lf {
namespace {

using namespace std::string_literals;

std::string error_code(std::string_view text, const JsonLimits& limits = JsonLimits{}) {
  const auto parsed = parse_json_bounded(text, limits);
  return parsed ? "ok" : parsed.error().code;
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(Json, ParsesAnObject) {
  const auto parsed =
      parse_json_bounded(R"({"a":1,"b":[true,null,"x"],"c":{"d":-2.5}})", JsonLimits{});
  ASSERT_TRUE(parsed) << parsed.error().message;
  const rapidjson::Document& document = **parsed;
  ASSERT_TRUE(document.IsObject());
  EXPECT_EQ(json_int64(document, "a"), 1);
  EXPECT_EQ(document["b"].Size(), 3u);
  EXPECT_DOUBLE_EQ(document["c"]["d"].GetDouble(), -2.5);
}

TEST(Json, RejectsTenMegabyteValueBeforeParsing) {
  const std::string huge = "\"" + std::string(10 * 1024 * 1024, 'a') + "\"";
  const auto parsed = parse_json_bounded(huge, JsonLimits{});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "too_large");
  EXPECT_NE(parsed.error().message.find(std::to_string(huge.size())), std::string::npos);
  // Size is checked first: even text that is not JSON reports too_large.
  EXPECT_EQ(error_code(std::string(10 * 1024 * 1024, '{')), "too_large");
}

TEST(Json, AcceptsTextExactlyAtTheSizeLimit) {
  JsonLimits limits;
  limits.max_bytes = 8;
  EXPECT_EQ(error_code("[1,2,34]", limits), "ok");
  EXPECT_EQ(error_code("[1,2,345]", limits), "too_large");
}

TEST(Json, RejectsEmptyInput) {
  EXPECT_EQ(error_code(""), "empty");
}

TEST(Json, RejectsNestingDeeperThanLimitWithoutRecursion) {
  // 100,000 levels would overflow the stack of a recursive parser.
  const auto parsed = parse_json_bounded(std::string(100000, '['), JsonLimits{});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "too_deep");
  EXPECT_EQ(error_code(nested_arrays(100000), JsonLimits{1 << 30, 32}), "too_deep");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  EXPECT_EQ(error_code(objects), "too_deep");
}

TEST(Json, AcceptsNestingExactlyAtTheLimit) {
  const JsonLimits limits{1 << 20, 32};
  EXPECT_EQ(error_code(nested_arrays(32), limits), "ok");
  EXPECT_EQ(error_code(nested_arrays(33), limits), "too_deep");
  std::string mixed;
  for (int i = 0; i < 16; ++i) mixed += R"({"k":[)";
  for (int i = 0; i < 16; ++i) mixed += "]}";
  EXPECT_EQ(error_code(mixed, limits), "ok");
  EXPECT_EQ(error_code("[" + mixed + "]", limits), "too_deep");
  // Depth counts nesting, not containers: many siblings are fine.
  std::string siblings = "[";
  for (int i = 0; i < 1000; ++i) siblings += (i ? ",[[]]" : "[[]]");
  siblings += "]";
  EXPECT_EQ(error_code(siblings, JsonLimits{1 << 20, 3}), "ok");
  EXPECT_EQ(error_code(siblings, JsonLimits{1 << 20, 2}), "too_deep");
}

TEST(Json, RejectsInvalidUtf8InStrings) {
  for (const std::string& bytes : {
           "\xC0\xAF"s,          // overlong '/'
           "\xE0\x80\xAF"s,      // overlong, three bytes
           "\xF0\x80\x80\xAF"s,  // overlong, four bytes
           "\x80"s,              // lone continuation byte
           "a\xBF"s,             // continuation byte after ASCII
           "\xED\xA0\x80"s,      // UTF-16 surrogate U+D800 encoded in UTF-8
           "\xED\xBF\xBF"s,      // surrogate U+DFFF
           "\xE2\x82"s,          // truncated sequence
           "\xF5\x80\x80\x80"s,  // beyond U+10FFFF
           "\xFF"s,
       }) {
    const std::string text = "{\"name\":\"" + bytes + "\"}";
    const auto parsed = parse_json_bounded(text, JsonLimits{});
    ASSERT_FALSE(parsed) << testing::PrintToString(bytes);
    EXPECT_EQ(parsed.error().code, "invalid_utf8") << testing::PrintToString(bytes);
  }
}

TEST(Json, AcceptsValidMultibyteUtf8) {
  EXPECT_EQ(error_code("[\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"]"), "ok");
  const auto pair = parse_json_bounded(R"(["\ud83d\ude00"])", JsonLimits{});
  ASSERT_TRUE(pair);
  EXPECT_EQ(json_view((**pair)[0]), "\xF0\x9F\x98\x80");
}

TEST(Json, RejectsTextThatIsNotJson) {
  for (const std::string& text : {
           "hello"s,
           "{"s,
           "{\"a\":"s,
           "{\"a\":1"s,
           "[1,2"s,
           "\"unterminated"s,
           "{'a':1}"s,
           "{a:1}"s,
           "[1,]"s,
           "01"s,
           "NaN"s,
           "Infinity"s,
           " "s,
           "\n\t"s,
           "nul"s,
           "{\"a\" 1}"s,
           "[\"\\x\"]"s,
           "[\"\\ud800\"]"s,        // lone high surrogate escape
           "[\"\\udc00\"]"s,        // lone low surrogate escape
           "{\"\\udfff\":1}"s,      // ... in a key
           "[\"ok\\u0000tail\"]"s,  // NUL: PostgreSQL cannot store it
           "{\"a\\u0000\":1}"s,
       }) {
    const auto parsed = parse_json_bounded(text, JsonLimits{});
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, "invalid_json") << text;
  }
}

TEST(Json, RejectsTrailingGarbageAfterTheRoot) {
  EXPECT_EQ(error_code("{} x"), "invalid_json");
  EXPECT_EQ(error_code("{}{}"), "invalid_json");
  EXPECT_EQ(error_code("[1] 2"), "invalid_json");
  EXPECT_EQ(error_code("{}\0{\"a\":1}"s), "invalid_json");  // a NUL byte does not end the input
  EXPECT_EQ(error_code("{}\0"s), "invalid_json");
  EXPECT_EQ(error_code(" {} \n"), "ok");
}

// ASCII text is scanned 16 bytes at a time (no encoding check is needed):
// an escape, a quote, a control character or a NUL byte is found wherever
// it falls in or across a block, and text with a byte above 0x7F still
// has its encoding checked.
TEST(Json, EveryCharacterIsFoundWhereverItFallsInTheScan) {
  for (std::size_t length = 0; length <= 48; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      const std::string before(at, 'a');
      const std::string after(length - at, 'b');
      const std::string escaped = "[\"" + before + "\\n" + after + "\"]";
      for (const bool trusted : {false, true}) {
        const auto parsed =
            trusted ? parse_json_trusted(escaped) : parse_json_bounded(escaped, JsonLimits{});
        ASSERT_TRUE(parsed) << escaped;
        EXPECT_EQ(std::string((**parsed)[0].GetString()), before + "\n" + after) << escaped;
      }
      const std::string quoted = "{\"" + before + "\":\"" + after + "\"}";
      const auto object = parse_json_bounded(quoted, JsonLimits{});
      ASSERT_TRUE(object) << quoted;
      EXPECT_EQ(std::string((**object)[before.c_str()].GetString()), after);
      // A raw control character, and a raw NUL byte, inside the string.
      for (const char raw : {'\x01', '\x1a', '\x1f', '\0'}) {
        const std::string text = "[\"" + before + std::string(1, raw) + after + "\"]";
        const auto refused = parse_json_bounded(text, JsonLimits{});
        ASSERT_FALSE(refused) << at << " of " << length;
        EXPECT_EQ(refused.error().code, "invalid_json");
        EXPECT_NE(refused.error().message.find("byte offset " + std::to_string(2 + at)),
                  std::string::npos)
            << refused.error().message;
      }
      // A byte above 0x7F anywhere: checked, whether well formed or not.
      const std::string accented = "[\"" + before + "\xC3\xA9" + after + "\"]";
      ASSERT_TRUE(parse_json_bounded(accented, JsonLimits{})) << at << " of " << length;
      const std::string broken = "[\"" + before + "\xC3" + after + "\"]";
      const auto bad = parse_json_bounded(broken, JsonLimits{});
      ASSERT_FALSE(bad);
      EXPECT_EQ(bad.error().code, "invalid_utf8");
    }
  }
}

// Every character JSON must escape is escaped wherever it falls in a
// string, and the text reads back as written. (rapidjson 1.1.0's SSE2
// writer, RAPIDJSON_SSE2, escapes control characters only up to 0x19 and
// would write 0x1A-0x1F raw: this test fails with it.)
TEST(Json, EveryCharacterToEscapeIsEscapedWhereverItFalls) {
  for (std::size_t length = 1; length <= 48; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (int value = 1; value <= 0x7f; ++value) {
        std::string text(length, 'a');
        text[at] = static_cast<char>(value);
        JsonWriter writer;
        writer.begin_array();
        writer.string(text);
        writer.end_array();
        const auto parsed = parse_json_bounded(writer.str(), JsonLimits{});
        ASSERT_TRUE(parsed) << "byte " << value << " at " << at << " of " << length << ": "
                            << parsed.error().message;
        ASSERT_EQ(std::string((**parsed)[0].GetString(), (**parsed)[0].GetStringLength()), text)
            << "byte " << value << " at " << at << " of " << length;
      }
    }
  }
}

TEST(Json, ErrorMessageNamesTheByteOffset) {
  const auto parsed = parse_json_bounded(R"({"a":1,})", JsonLimits{});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "invalid_json");
  EXPECT_NE(parsed.error().message.find("byte offset 7"), std::string::npos)
      << parsed.error().message;
  const auto garbage = parse_json_bounded("[1] x", JsonLimits{});
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("byte offset 4"), std::string::npos)
      << garbage.error().message;
}

TEST(Json, AcceptsScalarRoots) {
  EXPECT_EQ(error_code("1"), "ok");
  EXPECT_EQ(error_code("\"x\""), "ok");
  EXPECT_EQ(error_code("null"), "ok");
}

TEST(Json, FieldAccessorsCheckTypes) {
  const auto parsed = parse_json_bounded(
      R"({"s":"text","i":-5,"big":9223372036854775807,"huge":9223372036854775808,)"
      R"("d":1.0,"e":1e3,"b":true,"n":null,"o":{}})",
      JsonLimits{});
  ASSERT_TRUE(parsed);
  const rapidjson::Value& object = **parsed;
  EXPECT_EQ(json_string(object, "s"), "text");
  EXPECT_FALSE(json_string(object, "i"));
  EXPECT_FALSE(json_string(object, "missing"));
  EXPECT_EQ(json_int64(object, "i"), -5);
  EXPECT_EQ(json_int64(object, "big"), INT64_MAX);
  EXPECT_FALSE(json_int64(object, "huge"));  // does not fit int64
  EXPECT_FALSE(json_int64(object, "d"));     // a double, even if integral
  EXPECT_FALSE(json_int64(object, "e"));
  EXPECT_FALSE(json_int64(object, "s"));
  EXPECT_EQ(json_bool(object, "b"), true);
  EXPECT_FALSE(json_bool(object, "n"));
  EXPECT_NE(json_member(object, "o"), nullptr);
  EXPECT_EQ(json_member(object, "nope"), nullptr);
  // Not an object: every accessor says absent.
  EXPECT_EQ(json_member(object["s"], "s"), nullptr);
  EXPECT_FALSE(json_string(object["i"], "s"));
}

TEST(Json, SerialisesCompactly) {
  const auto parsed = parse_json_bounded("{ \"a\" : [ 1 , \"x\\n\" ] ,\"b\":null }", JsonLimits{});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(json_to_string(**parsed), R"({"a":[1,"x\n"],"b":null})");
}

TEST(Json, WriterOmitsAbsentOptionalsAndFormatsTimestamps) {
  JsonWriter writer;
  writer.begin_object();
  writer.field("a", std::optional<std::string>{});
  writer.field("b", std::optional<int64_t>{});
  writer.timestamp_field("c", std::optional<int64_t>{});
  writer.timestamp_field("at", int64_t{1});
  writer.field("n", int64_t{7});
  writer.key("raw");
  writer.raw(R"({"x":1})");
  writer.end_object();
  EXPECT_EQ(writer.view(), R"({"at":"1970-01-01T00:00:00.001Z","n":7,"raw":{"x":1}})");
  writer.reset();
  writer.begin_array();
  writer.end_array();
  EXPECT_EQ(writer.str(), "[]");
}

// ---- what other parsers would read differently ------------------------------

std::string error_message(std::string_view text, const JsonLimits& limits = JsonLimits{}) {
  const auto parsed = parse_json_bounded(text, limits);
  return parsed ? "" : parsed.error().message;
}

TEST(Json, ADuplicateKeyIsInvalidJsonNamingTheKeyAndOffset) {
  const std::string text = R"({"a":1,"b":2,"a":3})";
  const auto parsed = parse_json_bounded(text, JsonLimits{});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "invalid_json");
  // The parse stops right after the second "a" (byte 16).
  EXPECT_NE(parsed.error().message.find("duplicate key \"a\""), std::string::npos)
      << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("byte offset 16"), std::string::npos)
      << parsed.error().message;
  // Nested and in arrays of objects alike; escapes are compared decoded.
  EXPECT_EQ(error_code(R"({"p":{"credits":1,"credits":2}})"), "invalid_json");
  EXPECT_EQ(error_code(R"([{"x":1},{"y":1,"y":1}])"), "invalid_json");
  EXPECT_EQ(error_code(R"({"k":1,"\u006b":2})"), "invalid_json");
}

TEST(Json, TheSameKeyInDifferentObjectsIsFine) {
  EXPECT_EQ(error_code(R"({"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"a":{"a":null}}})"), "ok");
  // A closed object's keys are forgotten: its sibling may reuse them.
  EXPECT_EQ(error_code(R"([{"a":1,"b":2},{"a":3,"b":4}])"), "ok");
}

TEST(Json, ADuplicateAmongManyKeysIsFound) {
  // Past the first few keys an object's keys move to an ordered set.
  std::string object = "{";
  for (int i = 0; i < 1000; ++i)
    object += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  EXPECT_EQ(error_code(object + "}"), "ok");
  EXPECT_EQ(error_code(object + ",\"k999\":0}"), "invalid_json");
  EXPECT_EQ(error_code(object + ",\"k3\":0}"), "invalid_json");
  EXPECT_NE(error_message(object + ",\"k3\":0}").find("duplicate key \"k3\""), std::string::npos);
}

TEST(Json, ADuplicateKeyIsKeptWithoutTheInputChecks) {
  const auto parsed = parse_json_bounded(R"({"a":1,"a":2})", without_input_checks(JsonLimits{}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)->MemberCount(), 2u);
  EXPECT_EQ(json_int64(**parsed, "a"), 1);  // lookups find the first
}

TEST(Json, DecimalNumbersAreReadExactly) {
  const auto parsed = parse_json_bounded(
      R"({"budget":5000.5,"cost_usd":0.012345,"tenth":0.1,"big":1e20,"one":1.0,"scaled":123.456e-2,)"
      R"("zero":-0.0,"trailing":5000.50,"tiny":5e-324})",
      JsonLimits{});
  ASSERT_TRUE(parsed) << parsed.error().message;
  const rapidjson::Value& object = **parsed;
  EXPECT_EQ(object["budget"].GetDouble(), 5000.5);
  EXPECT_EQ(object["cost_usd"].GetDouble(), 0.012345);
  EXPECT_EQ(object["tenth"].GetDouble(), 0.1);
  EXPECT_EQ(object["big"].GetDouble(), 1e20);
  EXPECT_TRUE(object["one"].IsDouble());
  EXPECT_EQ(object["scaled"].GetDouble(), 1.23456);
  EXPECT_EQ(object["zero"].GetDouble(), 0.0);
  EXPECT_EQ(object["trailing"].GetDouble(), 5000.5);
  EXPECT_EQ(object["tiny"].GetDouble(), 5e-324);
}

TEST(Json, IntegersKeepTheirRepresentation) {
  const auto parsed = parse_json_bounded(
      R"([0,-0,4294967295,4294967296,18446744073709551615,-2147483648,-2147483649,-9223372036854775808])",
      JsonLimits{});
  ASSERT_TRUE(parsed) << parsed.error().message;
  const rapidjson::Value& array = **parsed;
  EXPECT_TRUE(array[0].IsUint() && array[0].IsInt() && array[0].GetInt() == 0);
  EXPECT_TRUE(array[1].IsInt() && !array[1].IsDouble());
  EXPECT_TRUE(array[2].IsUint() && !array[2].IsInt() && array[2].GetUint() == 4294967295u);
  EXPECT_TRUE(array[3].IsUint64() && array[3].IsInt64() && !array[3].IsUint());
  EXPECT_TRUE(array[4].IsUint64() && !array[4].IsInt64() && array[4].GetUint64() == UINT64_MAX);
  EXPECT_TRUE(array[5].IsInt() && array[5].GetInt() == INT32_MIN);
  EXPECT_TRUE(array[6].IsInt64() && !array[6].IsInt() && array[6].GetInt64() == -2147483649LL);
  EXPECT_TRUE(array[7].IsInt64() && array[7].GetInt64() == INT64_MIN);
  // The same document the reading without the checks builds.
  const auto lenient =
      parse_json_bounded(json_to_string(array), without_input_checks(JsonLimits{}));
  ASSERT_TRUE(lenient);
  EXPECT_EQ(json_to_string(**lenient), json_to_string(array));
}

TEST(Json, ANumberNoDoubleHoldsExactlyIsInexact) {
  for (const std::string& literal :
       {"0.10000000000000001"s, "12345678901234567.5"s, "1.00000000000000000001"s,
        "9007199254740993.0"s, "-0.30000000000000004441"s}) {
    const std::string text = R"({"amount": )" + literal + "}";
    const auto parsed = parse_json_bounded(text, JsonLimits{});
    ASSERT_FALSE(parsed) << literal;
    EXPECT_EQ(parsed.error().code, "inexact_number") << literal;
    const std::string& message = parsed.error().message;
    EXPECT_NE(message.find(literal), std::string::npos) << message;
    EXPECT_NE(message.find("byte offset 11"), std::string::npos)
        << message;  // where the literal starts
    EXPECT_NE(message.find("as a string"), std::string::npos) << message;
  }
  EXPECT_NE(error_message("[0.10000000000000001]").find("read as 0.1"), std::string::npos);
}

TEST(Json, AnIntegerBeyondSixtyFourBitsIsOutOfRange) {
  for (const std::string& literal : {"99999999999999999999"s, "18446744073709551617"s,
                                     "-9223372036854775809"s, "123456789012345678901234567890"s}) {
    const auto parsed = parse_json_bounded("[" + literal + "]", JsonLimits{});
    ASSERT_FALSE(parsed) << literal;
    EXPECT_EQ(parsed.error().code, "inexact_number") << literal;
    EXPECT_NE(
        parsed.error().message.find("the integer " + literal + " at byte offset 1 is out of range"),
        std::string::npos)
        << parsed.error().message;
  }
  // An integer literal that is exactly a double's shortest form is that
  // double (std::to_chars writes 2^64 as 18446744073709551616).
  const auto exact =
      parse_json_bounded("[100000000000000000000,18446744073709551616]", JsonLimits{});
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ((**exact)[0].GetDouble(), 1e20);
  EXPECT_EQ((**exact)[1].GetDouble(), 18446744073709551616.0);
}

TEST(Json, ANumberBeyondTheDoubleRangeIsOutOfRange) {
  for (const std::string& literal : {"1e400"s, "-1e400"s, "1e-400"s, std::string(400, '9')}) {
    const auto parsed = parse_json_bounded("[" + literal + "]", JsonLimits{});
    ASSERT_FALSE(parsed) << literal;
    EXPECT_EQ(parsed.error().code, "inexact_number") << literal;
    EXPECT_NE(parsed.error().message.find("out of range"), std::string::npos)
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("byte offset 1"), std::string::npos)
        << parsed.error().message;
  }
  // A long literal is quoted in part.
  EXPECT_LT(error_message("[" + std::string(400, '9') + "]").size(), 300u);
}

TEST(Json, TheShortestFormOfEveryDoubleReadsBackAsThatDouble) {
  // rapidjson's default reading is off by an ulp for some of these; the
  // exact reading never is, and never refuses one.
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = random();
    double number = 0;
    std::memcpy(&number, &bits, sizeof number);
    if (!std::isfinite(number)) continue;
    std::array<char, 64> buffer{};
    const auto written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
    const std::string literal(buffer.data(), written.ptr);
    const auto parsed = parse_json_bounded("[" + literal + "]", JsonLimits{});
    ASSERT_TRUE(parsed) << literal << ": " << parsed.error().message;
    const rapidjson::Value& value = (**parsed)[0];
    const double read = value.IsDouble()  ? value.GetDouble()
                        : value.IsInt64() ? static_cast<double>(value.GetInt64())
                                          : static_cast<double>(value.GetUint64());
    ASSERT_EQ(std::memcmp(&read, &number, sizeof read) == 0 || (read == 0 && number == 0), true)
        << literal;
  }
}

TEST(Json, NumbersAreReadAsTheirNearestDoubleWithoutTheInputChecks) {
  // 1e-110 written out: rapidjson's default reading was an ulp off, so a
  // record read without the checks held another number than the engine
  // decided with (found by fuzz/json_fuzz.cpp).
  const std::string tiny = "0." + std::string(109, '0') + "1";
  const auto parsed =
      parse_json_bounded("[0.10000000000000001,99999999999999999999," + tiny + ",1e-400,-1e-400]",
                         without_input_checks(JsonLimits{}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((**parsed)[0].GetDouble(), 0.1);
  EXPECT_EQ((**parsed)[1].GetDouble(), 1e20);
  EXPECT_EQ((**parsed)[2].GetDouble(), 1e-110);
  EXPECT_EQ((**parsed)[3].GetDouble(), 0.0);  // below every double: zero, as rapidjson read it
  EXPECT_TRUE(std::signbit((**parsed)[4].GetDouble()));
  // Too large for any double is still no number.
  EXPECT_EQ(error_code("[1e400]", without_input_checks(JsonLimits{})), "invalid_json");
  EXPECT_EQ(error_code("[" + std::string(400, '9') + "]", without_input_checks(JsonLimits{})),
            "invalid_json");
  // The engine's own text reads the same way.
  const auto trusted = parse_json_trusted("[" + tiny + "]");
  ASSERT_TRUE(trusted) << trusted.error().message;
  EXPECT_EQ((**trusted)[0].GetDouble(), 1e-110);
}

TEST(Json, DoublesAreWrittenAsTheirShortestDecimalForm) {
  // rapidjson's writer wrote 24816744073709551616 as 24816744073709550000.0:
  // the same double, another number to PostgreSQL, and one the input checks
  // refuse (found by fuzz/json_fuzz.cpp).
  const auto parsed = parse_json_bounded(
      "[24816744073709551616,5000.5,1e22,-0.0,5e-324,0.1,3.0,1.7976931348623157e308]",
      JsonLimits{});
  ASSERT_TRUE(parsed) << parsed.error().message;
  const std::string written = json_to_string(**parsed);
  EXPECT_EQ(written,
            "[24816744073709551616.0,5000.5,1e+22,-0.0,5e-324,0.1,3.0,1.7976931348623157e+308]");
  JsonWriter writer;
  writer.value(**parsed);
  EXPECT_EQ(writer.str(), written);
  // What is written reads back, with the input checks, as the same numbers.
  const auto again = parse_json_bounded(written, JsonLimits{});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(json_to_string(**again), written);
  EXPECT_TRUE((**again)[6].IsDouble());  // an integral double stays a double
}

// ExactWriter copies a string with nothing to escape in one piece: every
// string and key must come out exactly as rapidjson's own Writer writes it.
TEST(Json, StringsAndKeysAreWrittenAsRapidjsonWritesThem) {
  std::vector<std::string> texts = {"",
                                    "plain",
                                    "tenant-00042",
                                    "a \"quoted\" word",
                                    "back\\slash",
                                    "tab\tnew line\ncarriage\r",
                                    "\x01\x1f control",
                                    "del \x7f is copied",
                                    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                    "nul \0 inside"s,
                                    std::string(300, 'x') + "\"" + std::string(40, 'y')};
  std::mt19937 random(7);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(random() % 40, '\0');
    for (char& byte : bytes) byte = static_cast<char>(random() % 256);
    texts.push_back(bytes);
  }
  for (const std::string& text : texts) {
    rapidjson::StringBuffer expected_buffer;
    rapidjson::Writer<rapidjson::StringBuffer> expected(expected_buffer);
    expected.StartObject();
    expected.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    expected.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    expected.EndObject();
    JsonWriter writer;
    writer.begin_object();
    writer.field(text, text);
    writer.end_object();
    EXPECT_EQ(writer.view(),
              std::string_view(expected_buffer.GetString(), expected_buffer.GetSize()))
        << printable_excerpt(text);
  }
}

// One document parsed again and again: each parse gives what a fresh parse
// gives, texts beyond its buffer included, and an error leaves it usable.
TEST(Json, AReusableDocumentParsesAsAFreshDocumentDoes) {
  ReusableDocument reused(256);
  const std::string large = "[" + std::string(5000, ' ') + "\"" + std::string(20000, 'z') + "\"]";
  const std::vector<std::string> texts = {R"({"a":1,"b":[true,null,"x"]})", large,
                                          R"({"c":"after a large one"})", "[1.5,2]", large};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& text : texts) {
      const auto fresh = parse_json_bounded(text, JsonLimits{});
      ASSERT_TRUE(fresh);
      const auto bounded = reused.parse_bounded(text, JsonLimits{});
      ASSERT_TRUE(bounded) << bounded.error().message;
      EXPECT_EQ(json_to_string(**bounded), json_to_string(**fresh));
      const auto trusted = reused.parse_trusted(text);
      ASSERT_TRUE(trusted) << trusted.error().message;
      EXPECT_EQ(json_to_string(**trusted), json_to_string(**fresh));
    }
    const auto duplicate = reused.parse_bounded(R"({"k":1,"k":2})", JsonLimits{});
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().code, "invalid_json");
    EXPECT_EQ(reused.parse_bounded(nested_arrays(40), JsonLimits{}).error().code, "too_deep");
    EXPECT_EQ(reused.parse_trusted("{\"open\":").error().code, "invalid_json");
  }
}

TEST(Json, PrintableExcerptEscapesAndCuts) {
  EXPECT_EQ(printable_excerpt("plain"), "plain");
  EXPECT_EQ(printable_excerpt("a\nb\x01"), "a\\x0Ab\\x01");
  EXPECT_EQ(printable_excerpt("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(printable_excerpt("bad\xC3\x28"), "bad\\xC3(");
  EXPECT_EQ(printable_excerpt("\xFF\xFE"), "\\xFF\\xFE");
  EXPECT_EQ(printable_excerpt(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
  // Never cut inside a character.
  EXPECT_EQ(printable_excerpt("ab\xE2\x82\xAC", 4), "ab...");
}

// What the JSON readers refuse is escaped, not copied: overlong forms,
// surrogates, code points above U+10FFFF, truncated sequences. (command_fuzz
// found a key_mismatch rejection quoting a key with an overlong sequence:
// its commit record could not be read back.)
TEST(Json, PrintableExcerptCopiesOnlyWellFormedUtf8) {
  EXPECT_EQ(printable_excerpt("\xE0\x80\x80"), "\\xE0\\x80\\x80");           // overlong U+0000
  EXPECT_EQ(printable_excerpt("\xE0\xA0\x80"), "\xE0\xA0\x80");              // U+0800
  EXPECT_EQ(printable_excerpt("\xED\xA0\x80"), "\\xED\\xA0\\x80");           // surrogate U+D800
  EXPECT_EQ(printable_excerpt("\xED\x9F\xBF"), "\xED\x9F\xBF");              // U+D7FF
  EXPECT_EQ(printable_excerpt("\xF0\x8F\xBF\xBF"), "\\xF0\\x8F\\xBF\\xBF");  // overlong
  EXPECT_EQ(printable_excerpt("\xF0\x90\x80\x80"), "\xF0\x90\x80\x80");      // U+10000
  EXPECT_EQ(printable_excerpt("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF");      // U+10FFFF
  EXPECT_EQ(printable_excerpt("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above
  EXPECT_EQ(printable_excerpt("\xE2\x82"), "\\xE2\\x82");                    // cut short

  // Any bytes: the excerpt, written as a JSON string, reads back with every
  // input check on.
  std::mt19937_64 random(20261205);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> high(0x80, 0xFF);
  for (int round = 0; round < 20'000; ++round) {
    std::string bytes;
    for (int i = 0; i < 8; ++i)
      bytes.push_back(static_cast<char>(i % 2 ? high(random) : byte(random)));
    const std::string excerpt = printable_excerpt(bytes, 64);
    rapidjson::Document document;
    document.SetString(excerpt.data(), static_cast<rapidjson::SizeType>(excerpt.size()),
                       document.GetAllocator());
    const std::string written = json_to_string(document);
    Result<std::unique_ptr<rapidjson::Document>> read = parse_json_bounded(written, JsonLimits{});
    ASSERT_TRUE(read.ok()) << read.error().message << " for the excerpt of "
                           << printable_excerpt(bytes, 64);
    EXPECT_EQ(std::string((*read)->GetString(), (*read)->GetStringLength()), excerpt);
  }
}

// ---- fuzzing: no input may crash the parser or the decoders -----------------

constexpr const char* kValidCommand =
    R"({"command_id":"c-1","type":"credits.reserve","tenant_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301",)"
    R"("actor":"user:42","issued_at":"2024-02-29T10:00:00Z","correlation_id":"corr",)"
    R"("expected_version":3,"payload":{"reservation_id":"r-1","credits":300,"nested":[[{"a":[1,2.5,"\u00e9"]}]]}})";

void exercise(const std::string& bytes, const JsonLimits& limits) {
  const auto parsed = parse_json_bounded(bytes, limits);
  if (parsed) {
    ASSERT_NE(parsed.value(), nullptr);
    const auto command = decode_command(**parsed);
    if (!command) {
      ASSERT_EQ(command.error().code, "invalid_envelope");
    } else {
      ASSERT_TRUE(command->payload->IsObject());
    }
    json_to_string(**parsed);
  } else {
    const std::string& code = parsed.error().code;
    ASSERT_TRUE(code == "empty" || code == "too_large" || code == "too_deep" ||
                code == "invalid_utf8" || code == "invalid_json" || code == "inexact_number")
        << code;
    ASSERT_FALSE(parsed.error().message.empty());
    // What the intake does next: read who sent it without the checks.
    const auto lenient = parse_json_bounded(bytes, without_input_checks(limits));
    if (lenient) {
      if (const auto identity = identify_command(**lenient)) {
        ASSERT_TRUE(is_uuid(identity->tenant_id));
      }
    }
  }
  const auto record = decode_commit_record(bytes, limits);
  if (!record) {
    ASSERT_FALSE(record.error().code.empty());
  }
  const auto result = decode_result(bytes);
  if (!result) {
    ASSERT_FALSE(result.error().code.empty());
  }
}

TEST(Json, FuzzedBytesNeverCrashTheParserOrDecoders) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  const JsonLimits limits{4096, 8};
  constexpr std::string_view kAlphabet = "{}[]\":,0123456789.-+eEtrufalsn \\u\x80\xC3\xA9\xED\xF0";
  for (int i = 0; i < 10000; ++i) {
    std::string bytes(random() % 64, '\0');
    const bool structured = random() % 2 == 0;
    for (char& c : bytes) {
      c = structured ? kAlphabet[random() % kAlphabet.size()] : static_cast<char>(random() & 0xff);
    }
    ASSERT_NO_FATAL_FAILURE(exercise(bytes, limits)) << testing::PrintToString(bytes);
  }
}

TEST(Json, MutatedEnvelopesNeverCrashTheParserOrDecoders) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  const std::string valid = kValidCommand;
  ASSERT_TRUE(parse_json_bounded(valid, JsonLimits{}));
  const JsonLimits limits{4096, 4};
  for (int i = 0; i < 10000; ++i) {
    std::string bytes = valid;
    const int mutations = 1 + static_cast<int>(random() % 4);
    for (int m = 0; m < mutations && !bytes.empty(); ++m) {
      const std::size_t at = random() % bytes.size();
      switch (random() % 4) {
        case 0:
          bytes[at] = static_cast<char>(random() & 0xff);
          break;  // flip a byte
        case 1:
          bytes.erase(at, 1 + random() % 8);
          break;  // delete
        case 2:
          bytes.insert(at, 1, static_cast<char>(random() & 0xff));
          break;  // insert
        default:
          bytes.resize(at);
          break;  // truncate
      }
    }
    ASSERT_NO_FATAL_FAILURE(exercise(bytes, limits)) << testing::PrintToString(bytes);
  }
}

}  // namespace
}  // namespace lf
