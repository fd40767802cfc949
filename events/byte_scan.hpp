// Tests over the bytes of a text, eight at a time in a 64-bit word
// (portable SWAR; GCC does not vectorise such byte loops at -O2). Each
// answers exactly what the byte-by-byte loop would: a borrow between bytes
// starts only at a byte that already makes the answer true.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace lf::byte_scan {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t load_word(const char* at) {
  uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

// Some byte of `word` is below `bound` (at most 0x80).
constexpr bool any_below(uint64_t word, uint8_t bound) {
  return ((word - kOnes * bound) & ~word & kHighBits) != 0;
}

// Some byte of `word` is `byte`.
constexpr bool any_equal(uint64_t word, uint8_t byte) {
  const uint64_t differences = word ^ (kOnes * byte);
  return ((differences - kOnes) & ~differences & kHighBits) != 0;
}

// What JSON must escape: a byte below 0x20, a quote or a backslash.
constexpr bool needs_json_escape(uint8_t byte) {
  return byte < 0x20 || byte == '"' || byte == '\\';
}

// No byte of `text` needs escaping in a JSON string.
inline bool json_plain(std::string_view text) {
  std::size_t at = 0;
  for (; at + sizeof(uint64_t) <= text.size(); at += sizeof(uint64_t)) {
    const uint64_t word = load_word(text.data() + at);
    if (any_below(word, 0x20) || any_equal(word, '"') || any_equal(word, '\\')) return false;
  }
  for (; at < text.size(); ++at) {
    if (needs_json_escape(static_cast<uint8_t>(text[at]))) return false;
  }
  return true;
}

}  // namespace lf::byte_scan
