// The bounded JSON parser (size, depth, UTF-8, syntax) and the JSON helpers.
#include "events/json.hpp"

#include <random>
#include <string>

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
  const auto parsed = parse_json_bounded(R"({"a":1,"b":[true,null,"x"],"c":{"d":-2.5}})", JsonLimits{});
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

TEST(Json, RejectsEmptyInput) { EXPECT_EQ(error_code(""), "empty"); }

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
           "hello"s, "{"s, "{\"a\":"s, "{\"a\":1"s, "[1,2"s, "\"unterminated"s, "{'a':1}"s,
           "{a:1}"s, "[1,]"s, "01"s, "NaN"s, "Infinity"s, "1e400"s, " "s, "\n\t"s, "nul"s,
           "{\"a\" 1}"s, "[\"\\x\"]"s,
           "[\"\\ud800\"]"s,         // lone high surrogate escape
           "[\"\\udc00\"]"s,         // lone low surrogate escape
           "{\"\\udfff\":1}"s,       // ... in a key
           "[\"ok\\u0000tail\"]"s,   // NUL: PostgreSQL cannot store it
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

TEST(Json, ErrorMessageNamesTheByteOffset) {
  const auto parsed = parse_json_bounded(R"({"a":1,})", JsonLimits{});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "invalid_json");
  EXPECT_NE(parsed.error().message.find("byte offset 7"), std::string::npos) << parsed.error().message;
  const auto garbage = parse_json_bounded("[1] x", JsonLimits{});
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("byte offset 4"), std::string::npos) << garbage.error().message;
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
    ASSERT_TRUE(code == "empty" || code == "too_large" || code == "too_deep" || code == "invalid_utf8" ||
                code == "invalid_json")
        << code;
    ASSERT_FALSE(parsed.error().message.empty());
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
        case 0: bytes[at] = static_cast<char>(random() & 0xff); break;              // flip a byte
        case 1: bytes.erase(at, 1 + random() % 8); break;                            // delete
        case 2: bytes.insert(at, 1, static_cast<char>(random() & 0xff)); break;      // insert
        default: bytes.resize(at); break;                                            // truncate
      }
    }
    ASSERT_NO_FATAL_FAILURE(exercise(bytes, limits)) << testing::PrintToString(bytes);
  }
}

}  // namespace
}  // namespace lf
