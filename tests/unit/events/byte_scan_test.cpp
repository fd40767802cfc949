#include "events/byte_scan.hpp"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace lf {
namespace {

bool plain_byte_by_byte(const std::string& text) {
  for (const char byte : text) {
    if (byte_scan::needs_json_escape(static_cast<uint8_t>(byte))) return false;
  }
  return true;
}

// Every byte value at every position of texts of 0 to 24 bytes, among
// bytes that pass, and next to bytes that borrow (0x00, 0x01) and bytes
// with the high bit set: the word-at-a-time answer is the byte loop's.
TEST(ByteScan, EveryByteAtEveryPositionIsAnsweredAsByteByByte) {
  for (const char filler : {'a', '\0', '\x01', '\x7f', '\x80', '\xff', ' ', '\x19', '\x20'}) {
    for (std::size_t length = 1; length <= 24; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        for (int value = 0; value < 256; ++value) {
          std::string text(length, filler);
          text[at] = static_cast<char>(value);
          ASSERT_EQ(byte_scan::json_plain(text), plain_byte_by_byte(text))
              << "byte " << value << " at " << at << " of " << length << ", filler "
              << int(static_cast<uint8_t>(filler));
        }
      }
    }
  }
}

TEST(ByteScan, RandomTextsAreAnsweredAsByteByByte) {
  std::mt19937 random(7);
  const std::string interesting = std::string("aZ09 {}:,\"\\\t\n\r", 15) +
                                  std::string("\0\x01\x19\x1a\x1f\x20\x7f\x80\xc3\xa9\xff", 11);
  for (int round = 0; round < 20000; ++round) {
    std::string text(random() % 40, 'x');
    for (char& byte : text) {
      byte = random() % 4 == 0 ? interesting[random() % interesting.size()] : 'q';
    }
    ASSERT_EQ(byte_scan::json_plain(text), plain_byte_by_byte(text));
  }
  EXPECT_TRUE(byte_scan::json_plain(""));
}

}  // namespace
}  // namespace lf
