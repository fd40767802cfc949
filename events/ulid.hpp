// ULIDs (https://github.com/ulid/spec): 48-bit millisecond time + 80 random
// bits, 26 Crockford base32 characters, sortable by time. Monotonic within a
// generator: ids made in the same millisecond increment the random part.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace lf {

class UlidGenerator {
 public:
  // Seeded from std::random_device.
  UlidGenerator();
  // Deterministic, for tests.
  explicit UlidGenerator(uint64_t seed);

  // A new id for time `unix_ms`. Strictly greater than every id this
  // generator returned before, even if the clock went backwards.
  std::string next(int64_t unix_ms);

 private:
  std::mt19937_64 random_;
  int64_t last_ms_ = -1;
  std::array<uint8_t, 10> last_random_{};
};

// True if `text` is 26 Crockford base32 characters (upper case) whose first
// character is 0..7.
bool is_ulid(std::string_view text);

// The millisecond time encoded in a valid ULID.
int64_t ulid_time_ms(std::string_view ulid);

}  // namespace lf
