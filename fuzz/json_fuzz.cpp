// json_fuzz: the readers of untrusted text below the envelope. The input is
// read at once as JSON (parse_json_bounded with the engine's command limits,
// without the input checks, and with tight limits), as a decimal amount
// (parse_scaled_decimal, json_scaled_decimal), as an RFC 3339 timestamp and as
// a date (events/time.hpp), and quoted (printable_excerpt). Beyond "no crash,
// no sanitizer report" it checks the properties the contract states.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/intake.hpp"
#include "events/json.hpp"
#include "events/money.hpp"
#include "events/time.hpp"
#include "fuzz/check.hpp"

namespace {

using lf::fuzz::as_text;

constexpr std::array<std::string_view, 6> kParseErrorCodes = {
    "empty", "too_large", "too_deep", "invalid_utf8", "invalid_json", "inexact_number"};

bool is_parse_error_code(std::string_view code) {
  return std::find(kParseErrorCodes.begin(), kParseErrorCodes.end(), code) !=
         kParseErrorCodes.end();
}

// The scales ledgerflow reads amounts at: whole credits, minor units of
// currencies (0, 2, 3, 4 digits), micro-dollars.
constexpr std::array<int32_t, 5> kScales = {0, 2, 3, 4, 6};

// An excerpt is printable ASCII, whole UTF-8 characters (lead byte C2..F4
// and continuation bytes), \xNN escapes and a final "...", never longer than
// its bound plus the "...".
void check_excerpt(std::string_view text, std::size_t max_bytes) {
  const std::string excerpt = lf::printable_excerpt(text, max_bytes);
  LF_FUZZ_CHECK(excerpt.size() <= max_bytes + 3, excerpt);
  for (const char c : excerpt) {
    const auto byte = static_cast<unsigned char>(c);
    LF_FUZZ_CHECK(byte >= 0x20 && byte != 0x7f, "an excerpt holds a control byte: " + excerpt);
  }
  if (text.size() <= max_bytes / 4) {
    // Short enough that nothing is cut.
    LF_FUZZ_CHECK(
        excerpt.size() < 3 || excerpt.substr(excerpt.size() - 3) != "..." || text.ends_with("..."),
        excerpt);
  }
}

// The properties of the bounded parser.
void check_json(std::string_view text) {
  const lf::JsonLimits strict = lf::engine::kCommandLimits;
  auto parsed = lf::parse_json_bounded(text, strict);
  auto lenient = lf::parse_json_bounded(text, lf::without_input_checks(strict));
  if (!parsed) {
    const lf::Error& error = parsed.error();
    LF_FUZZ_CHECK(is_parse_error_code(error.code), error.code);
    LF_FUZZ_CHECK(!error.message.empty(), error.code);
    // Only the input checks separate the two readings: every other error is
    // the lenient reader's too.
    if (error.code != "invalid_json" && error.code != "inexact_number") {
      LF_FUZZ_CHECK(!lenient && lenient.error().code == error.code,
                    error.code + ": " + error.message);
    }
  } else {
    // What the strict reader accepts, the lenient one accepts, as the same
    // JSON: the engine reads a refused command's sender that way, and the
    // log's readers read what the engine wrote that way.
    LF_FUZZ_CHECK(lenient.ok(), lenient.error().message);
    const std::string strict_text = lf::json_to_string(**parsed);
    LF_FUZZ_CHECK(lf::json_to_string(**lenient) == strict_text, strict_text);
    // What ledgerflow writes from a document it accepted reads back, under
    // the same checks, as the same document.
    auto again = lf::parse_json_bounded(strict_text, strict);
    LF_FUZZ_CHECK(again.ok(), again.error().message + " in " + strict_text);
    LF_FUZZ_CHECK(lf::json_to_string(**again) == strict_text, strict_text);
  }
  // Tight limits: only the bounds' own errors are new.
  const lf::JsonLimits tight{.max_bytes = 64, .max_depth = 2};
  auto bounded = lf::parse_json_bounded(text, tight);
  if (bounded) {
    LF_FUZZ_CHECK(text.size() <= tight.max_bytes && parsed.ok(), std::string(text));
  } else {
    LF_FUZZ_CHECK(is_parse_error_code(bounded.error().code), bounded.error().code);
  }
}

// An amount's decimal text re-printed at its scale reads back as the same
// integer, inside the bounds asked for.
void check_decimal(std::string_view text) {
  for (const int32_t scale : kScales) {
    for (const auto& [minimum, maximum] :
         std::array<std::pair<int64_t, int64_t>, 2>{{{INT64_MIN, INT64_MAX}, {0, 1'000'000'000}}}) {
      auto units = lf::parse_scaled_decimal(text, scale, minimum, maximum, "amount");
      if (!units) {
        LF_FUZZ_CHECK(units.error().code == "invalid_amount", units.error().code);
        LF_FUZZ_CHECK(units.error().message.starts_with("amount "), units.error().message);
        continue;
      }
      LF_FUZZ_CHECK(*units >= minimum && *units <= maximum, std::string(text));
      const std::string printed = lf::format_scaled_decimal(*units, scale);
      auto again = lf::parse_scaled_decimal(printed, scale, minimum, maximum, "amount");
      LF_FUZZ_CHECK(again.ok() && *again == *units, std::string(text) + " -> " + printed);
      if (scale == 0) {
        // Whole units: an integer literal means what from_chars reads.
        int64_t integer = 0;
        const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), integer);
        if (error == std::errc() && stop == text.data() + text.size()) {
          LF_FUZZ_CHECK(integer == *units, std::string(text));
        }
      }
    }
  }
}

// A JSON number or string read as an amount means what its text means: the
// bounded parser only lets through doubles whose shortest form is the
// literal's value (events/money.hpp).
void check_json_amount(std::string_view text) {
  auto parsed = lf::parse_json_bounded(text, lf::engine::kCommandLimits);
  if (!parsed) return;
  const rapidjson::Value& value = **parsed;
  if (!value.IsNumber()) return;
  // The literal, without the whitespace JSON allows around it.
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  const std::string_view literal = text.substr(begin, end - begin + 1);
  // parse_scaled_decimal refuses texts longer than it reads; a literal that
  // long has no such bound in JSON.
  if (literal.size() > 64) return;
  for (const int32_t scale : kScales) {
    auto from_json = lf::json_scaled_decimal(value, scale, INT64_MIN, INT64_MAX, "amount");
    auto from_text = lf::parse_scaled_decimal(literal, scale, INT64_MIN, INT64_MAX, "amount");
    LF_FUZZ_CHECK(from_json.ok() == from_text.ok(),
                  std::string(literal) + " at scale " + std::to_string(scale) + ": " +
                      (from_json.ok() ? from_text.error().message : from_json.error().message));
    if (from_json) {
      LF_FUZZ_CHECK(*from_json == *from_text, std::string(literal));
    }
  }
}

// Timestamps and dates: what is accepted formats back to what reads as the
// same instant or day; a date's canonical text is the text itself.
void check_time(std::string_view text) {
  if (const std::optional<int64_t> unix_ms = lf::parse_rfc3339_ms(text)) {
    LF_FUZZ_CHECK(*unix_ms >= 0, std::string(text));
    const std::string printed = lf::format_rfc3339_ms(*unix_ms);
    LF_FUZZ_CHECK(lf::parse_rfc3339_ms(printed) == unix_ms, std::string(text) + " -> " + printed);
    // The date of a UTC timestamp is its first ten characters.
    if (text.ends_with("Z") || text.ends_with("z")) {
      const std::optional<int32_t> day = lf::parse_date_days(text.substr(0, 10));
      LF_FUZZ_CHECK(day.has_value() && *day == *unix_ms / lf::kMillisPerDay, std::string(text));
    }
  }
  if (const std::optional<int32_t> days = lf::parse_date_days(text)) {
    LF_FUZZ_CHECK(lf::format_date_days(*days) == text, std::string(text));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  check_json(text);
  check_json_amount(text);
  check_decimal(text);
  check_time(text);
  check_excerpt(text, 64);
  check_excerpt(text, 5);
  return 0;
}
