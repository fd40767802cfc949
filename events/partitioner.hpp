// Kafka's default partitioner as the Java client implements it (murmur2 of
// the key bytes, sign bit cleared, modulo the partition count); librdkafka's
// `partitioner=murmur2_random` agrees for non-empty keys.
#pragma once

#include <cstdint>
#include <string_view>

namespace lf {

uint32_t kafka_murmur2(std::string_view key);

// The partition a record keyed `key` belongs to. `partition_count` > 0.
int32_t partition_for_key(std::string_view key, int32_t partition_count);

}  // namespace lf
