// Text limits as the JSON Schemas count them (UTF-8 code points), shared by
// command parsing and the event checks. Internal to engine/workflow.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lf::engine::workflow {

// The schemas' string limits, in characters (code points).
inline constexpr std::size_t kTitleLengthMax = 500;
inline constexpr std::size_t kTypeLengthMax = 64;
inline constexpr std::size_t kNoteLengthMax = 2000;
inline constexpr std::size_t kChosenOptionLengthMax = 255;
inline constexpr std::size_t kRunErrorLengthMax = 10'000;

inline std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (const char byte : text) count += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

inline bool fits(std::string_view text, std::size_t length_min, std::size_t length_max) {
  const std::size_t length = code_points(text);
  return length >= length_min && length <= length_max;
}

inline bool fits(const std::string& text, std::size_t length_min, std::size_t length_max) {
  return fits(std::string_view(text), length_min, length_max);
}

inline bool fits(const std::optional<std::string>& text, std::size_t length_min,
                 std::size_t length_max) {
  return !text || fits(*text, length_min, length_max);
}

// `text` cut to at most `length_max` characters, never inside a character.
inline std::string truncated(std::string_view text, std::size_t length_max) {
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < text.size()) {
    std::size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    if (++kept > length_max) break;
    end = next;
  }
  return std::string(text.substr(0, end));
}

}  // namespace lf::engine::workflow
