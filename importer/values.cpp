// PostgreSQL text values (importer/values.hpp).
#include "importer/values.hpp"

#include <charconv>

#include "events/envelope.hpp"
#include "events/time.hpp"

namespace lf::importer {

std::optional<std::string> read_uuid(std::string_view text) {
  if (!is_uuid(text)) return std::nullopt;
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::optional<int64_t> read_integer(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.size() > 20) return std::nullopt;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> read_timestamp_ms(std::string_view text) {
  constexpr std::size_t kDateTime = 19;  // "YYYY-MM-DD HH:MM:SS"
  if (text.size() < kDateTime + 1 || text.size() > 40) return std::nullopt;
  std::string normalized(text);
  if (normalized[10] == ' ') normalized[10] = 'T';
  // The offset: after the seconds and any fraction.
  std::size_t at = kDateTime;
  if (normalized[at] == '.') {
    ++at;
    while (at < normalized.size() && normalized[at] >= '0' && normalized[at] <= '9') ++at;
  }
  if (at >= normalized.size()) return std::nullopt;
  const std::string_view offset = std::string_view(normalized).substr(at);
  if (offset.size() == 3 && (offset[0] == '+' || offset[0] == '-')) {
    normalized += ":00";  // "+05" -> "+05:00"
  } else if (offset.size() == 9 && (offset[0] == '+' || offset[0] == '-')) {
    if (offset.substr(6) != ":00") return std::nullopt;  // seconds in an offset: not representable
    normalized.resize(normalized.size() - 3);
  }
  return parse_rfc3339_ms(normalized);
}

std::optional<int32_t> read_date_days(std::string_view text) {
  return parse_date_days(text);
}

std::optional<std::size_t> utf8_length(std::string_view text) {
  std::size_t characters = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = 0;
    uint32_t code = 0;
    if (lead == 0) return std::nullopt;
    if (lead < 0x80) {
      length = 1;
      code = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (at + length > text.size()) return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
      const auto next = static_cast<unsigned char>(text[at + i]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      code = (code << 6) | (next & 0x3F);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return std::nullopt;
    }
    at += length;
    ++characters;
  }
  return characters;
}

}  // namespace lf::importer
