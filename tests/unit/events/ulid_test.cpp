// ULID format, monotonicity and time encoding.
#include "events/ulid.hpp"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace lf {
namespace {

TEST(Ulid, IsTwentySixCrockfordCharactersEncodingTheTime) {
  UlidGenerator generator(1);
  const std::string id = generator.next(1469918176385);
  EXPECT_EQ(id.size(), 26u);
  EXPECT_TRUE(is_ulid(id)) << id;
  // The spec's example time 1469918176385 is "01ARYZ6S41".
  EXPECT_EQ(id.substr(0, 10), "01ARYZ6S41");
  EXPECT_EQ(ulid_time_ms(id), 1469918176385);
}

TEST(Ulid, EncodesTimeZeroAndTheLargest48BitTime) {
  UlidGenerator generator(2);
  EXPECT_EQ(generator.next(0).substr(0, 10), "0000000000");
  UlidGenerator other(2);
  const int64_t max_ms = (int64_t{1} << 48) - 1;
  const std::string id = other.next(max_ms);
  EXPECT_EQ(id.substr(0, 10), "7ZZZZZZZZZ");
  EXPECT_EQ(ulid_time_ms(id), max_ms);
}

TEST(Ulid, RejectsTextThatIsNotAUlid) {
  EXPECT_TRUE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  EXPECT_TRUE(is_ulid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
  EXPECT_FALSE(is_ulid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"));   // time overflows 48 bits
  EXPECT_FALSE(is_ulid("01arz3ndektsv4rrffq69g5fav"));   // lower case
  EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FA"));    // 25 characters
  EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));  // 27 characters
  EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAI"));   // I is not Crockford
  EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAL"));
  EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAO"));
  EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAU"));
  EXPECT_FALSE(is_ulid(""));
}

TEST(Ulid, IsMonotonicWithinOneMillisecond) {
  UlidGenerator generator(3);
  std::string previous = generator.next(1700000000000);
  for (int i = 0; i < 10000; ++i) {
    const std::string id = generator.next(1700000000000);
    ASSERT_LT(previous, id);
    ASSERT_EQ(ulid_time_ms(id), 1700000000000);
    previous = id;
  }
}

TEST(Ulid, StaysMonotonicWhenTheClockGoesBackwards) {
  UlidGenerator generator(4);
  const std::string first = generator.next(1700000000500);
  const std::string second = generator.next(1700000000000);
  EXPECT_LT(first, second);
  EXPECT_EQ(ulid_time_ms(second), 1700000000500);
}

TEST(Ulid, SortsByTimeAcrossMilliseconds) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  // Separate generators, so only the time part orders them.
  for (int i = 0; i < 1000; ++i) {
    const int64_t earlier = static_cast<int64_t>(random() % (uint64_t{1} << 47));
    const int64_t later = earlier + 1 + static_cast<int64_t>(random() % 1000);
    UlidGenerator a(random());
    UlidGenerator b(random());
    ASSERT_LT(a.next(earlier), b.next(later)) << earlier << " vs " << later;
  }
}

TEST(Ulid, IsDeterministicForASeed) {
  UlidGenerator a(42);
  UlidGenerator b(42);
  UlidGenerator c(43);
  const std::string from_a = a.next(1700000000000);
  EXPECT_EQ(from_a, b.next(1700000000000));
  EXPECT_NE(from_a, c.next(1700000000000));
}

TEST(Ulid, DistinctAcrossManyIds) {
  UlidGenerator generator(5);
  std::set<std::string> ids;
  for (int64_t ms = 0; ms < 2000; ++ms) ids.insert(generator.next(1700000000000 + ms / 4));
  EXPECT_EQ(ids.size(), 2000u);
}

TEST(Ulid, DefaultGeneratorsDiffer) {
  UlidGenerator a;
  UlidGenerator b;
  EXPECT_NE(a.next(1700000000000), b.next(1700000000000));
}

}  // namespace
}  // namespace lf
