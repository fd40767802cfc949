// Kafka's murmur2 partitioner, checked against the Java client's test vectors
// (org.apache.kafka.common.utils.UtilsTest.testMurmur2) and against librdkafka's
// rd_kafka_msg_partitioner_murmur2 (values below were produced by it).
#include "events/partitioner.hpp"

#include <gtest/gtest.h>

namespace lf {
namespace {

TEST(Partitioner, Murmur2MatchesJavaClientVectors) {
  // Java returns a signed int; these are the same 32 bits.
  EXPECT_EQ(static_cast<int32_t>(kafka_murmur2("21")), -973932308);
  EXPECT_EQ(static_cast<int32_t>(kafka_murmur2("foobar")), -790332482);
  EXPECT_EQ(static_cast<int32_t>(kafka_murmur2("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(static_cast<int32_t>(kafka_murmur2("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(static_cast<int32_t>(kafka_murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")),
            -58897971);
  EXPECT_EQ(static_cast<int32_t>(kafka_murmur2("abc")), 479470107);
}

TEST(Partitioner, Murmur2CoversEveryTailLength) {
  // From librdkafka with partition count 2147483647 (murmur2 & 0x7fffffff).
  EXPECT_EQ(kafka_murmur2("") & 0x7fffffffu, 275646681u);
  EXPECT_EQ(kafka_murmur2("a") & 0x7fffffffu, 584102524u);
  EXPECT_EQ(kafka_murmur2("ab") & 0x7fffffffu, 316155434u);
  EXPECT_EQ(kafka_murmur2("abc") & 0x7fffffffu, 479470107u);
  EXPECT_EQ(kafka_murmur2("tenant-1") & 0x7fffffffu, 374640331u);
}

TEST(Partitioner, PartitionMatchesLibrdkafkaMurmur2) {
  struct Case {
    const char* key;
    int32_t partitions_12;
    int32_t partitions_7;
  };
  for (const Case& c : {
           Case{"21", 0, 3},
           Case{"foobar", 6, 0},
           Case{"a-little-bit-long-string", 8, 1},
           Case{"a-little-bit-longer-string", 11, 0},
           Case{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 5, 3},
           Case{"abc", 3, 4},
           Case{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", 11, 5},
           Case{"00000000-0000-0000-0000-000000000000", 9, 3},
           Case{"tenant-1", 7, 2},
       }) {
    EXPECT_EQ(partition_for_key(c.key, 12), c.partitions_12) << c.key;
    EXPECT_EQ(partition_for_key(c.key, 7), c.partitions_7) << c.key;
  }
}

TEST(Partitioner, ClearsTheSignBitBeforeTheModulo) {
  // murmur2("21") has the sign bit set: a plain signed modulo would be negative.
  EXPECT_EQ(partition_for_key("21", 2147483647), 1173551340);
  EXPECT_EQ(partition_for_key("abc", 1), 0);
}

}  // namespace
}  // namespace lf
