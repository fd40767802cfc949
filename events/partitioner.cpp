// Kafka's default partitioner, bit for bit as the Java client computes it
// (org.apache.kafka.common.utils.Utils.murmur2 and toPositive), so producers
// in every language send a tenant's records to the same partition.
#include "events/partitioner.hpp"

#include "events/assert.hpp"

namespace lf {

uint32_t kafka_murmur2(std::string_view key) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const std::size_t length = key.size();

  // Java's int arithmetic wraps; uint32_t arithmetic wraps identically.
  uint32_t h = kSeed ^ static_cast<uint32_t>(length);
  const std::size_t blocks = length / 4;
  for (std::size_t i = 0; i < blocks; ++i) {
    const unsigned char* block = data + 4 * i;
    uint32_t k = static_cast<uint32_t>(block[0]) | (static_cast<uint32_t>(block[1]) << 8) |
                 (static_cast<uint32_t>(block[2]) << 16) | (static_cast<uint32_t>(block[3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const unsigned char* tail = data + 4 * blocks;
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(tail[0]);
      h *= kM;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return h;
}

int32_t partition_for_key(std::string_view key, int32_t partition_count) {
  LF_ASSERT(partition_count > 0);
  // Java's toPositive: clear the sign bit (not abs, which differs for MIN_VALUE).
  const uint32_t positive = kafka_murmur2(key) & 0x7fffffffu;
  const auto partition = static_cast<int32_t>(positive % static_cast<uint32_t>(partition_count));
  LF_ASSERT(partition >= 0 && partition < partition_count);
  return partition;
}

}  // namespace lf
