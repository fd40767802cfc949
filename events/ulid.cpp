// ULIDs: 48-bit big-endian millisecond time then 80 random bits, written as
// 26 Crockford base32 characters (5 bits each, the first carrying only 3).
#include "events/ulid.hpp"

#include "events/assert.hpp"

namespace lf {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kUlidLength = 26;
constexpr std::size_t kTimeChars = 10;
constexpr int64_t kTimeMsMax = (int64_t{1} << 48) - 1;

// The value of a Crockford base32 character (upper case only), or -1.
constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> table{};
  for (int8_t& entry : table) entry = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr std::array<int8_t, 256> kDecodeTable = make_decode_table();

constexpr int decode_char(char c) {
  return kDecodeTable[static_cast<unsigned char>(c)];
}

// Adds one to a big-endian number; false when it wrapped to zero.
bool increment(std::array<uint8_t, 10>& bytes) {
  for (std::size_t i = bytes.size(); i-- > 0;) {
    if (++bytes[i] != 0) return true;
  }
  return false;
}

std::string encode(int64_t unix_ms, const std::array<uint8_t, 10>& random_bytes) {
  std::string text(kUlidLength, '0');
  auto time = static_cast<uint64_t>(unix_ms);
  for (std::size_t i = kTimeChars; i-- > 0;) {
    text[i] = kAlphabet[time & 0x1f];
    time >>= 5;
  }
  // 80 bits = 16 characters of 5 bits, read most significant first.
  std::size_t bit = 0;
  for (std::size_t i = kTimeChars; i < kUlidLength; ++i) {
    uint32_t value = 0;
    for (int j = 0; j < 5; ++j, ++bit) {
      const uint32_t byte = random_bytes[bit / 8];
      value = (value << 1) | ((byte >> (7 - bit % 8)) & 1u);
    }
    text[i] = kAlphabet[value];
  }
  return text;
}

}  // namespace

UlidGenerator::UlidGenerator() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  random_.seed(seed);
}

UlidGenerator::UlidGenerator(uint64_t seed) : random_(seed) {}

std::string UlidGenerator::next(int64_t unix_ms) {
  LF_ASSERT(unix_ms >= 0 && unix_ms <= kTimeMsMax);
  if (unix_ms > last_ms_) {
    last_ms_ = unix_ms;
    const uint64_t high = random_();
    const uint64_t low = random_();
    for (std::size_t i = 0; i < 8; ++i)
      last_random_[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    last_random_[8] = static_cast<uint8_t>(low >> 8);
    last_random_[9] = static_cast<uint8_t>(low);
  } else if (!increment(last_random_)) {
    // Same (or an earlier) millisecond and the random part overflowed: move
    // to the next millisecond so the id still sorts after the previous one.
    LF_ASSERT(last_ms_ < kTimeMsMax);
    ++last_ms_;
  }
  std::string id = encode(last_ms_, last_random_);
  LF_ASSERT(is_ulid(id));
  return id;
}

bool is_ulid(std::string_view text) {
  if (text.size() != kUlidLength) return false;
  if (text[0] < '0' || text[0] > '7') return false;
  for (const char c : text) {
    if (decode_char(c) < 0) return false;
  }
  return true;
}

int64_t ulid_time_ms(std::string_view ulid) {
  LF_ASSERT(is_ulid(ulid));
  int64_t time = 0;
  for (std::size_t i = 0; i < kTimeChars; ++i) time = (time << 5) | decode_char(ulid[i]);
  return time;
}

}  // namespace lf
