// Incremental manual assignment: the engine reads back several partitions of
// ledgerflow.events and adds or drops one without disturbing the others.
#include "consumers/kafka/kafka.hpp"

namespace lf::kafka {

namespace {

void check(rd_kafka_error_t* error, const char* what) {
  if (error == nullptr) return;
  const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  std::string message = std::string(what) + ": " + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  throw KafkaError(code, message);
}

}  // namespace

void Consumer::add_partitions(const std::vector<TopicPartitionOffset>& partitions) {
  if (partitions.empty()) return;
  PartitionListPtr list = to_partition_list(partitions);
  check(rd_kafka_incremental_assign(handle_.get(), list.get()), "incremental assign");
}

void Consumer::remove_partitions(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  std::vector<TopicPartitionOffset> offsets;
  for (const TopicPartition& partition : partitions) {
    offsets.push_back(
        TopicPartitionOffset{partition.topic, partition.partition, RD_KAFKA_OFFSET_INVALID});
  }
  PartitionListPtr list = to_partition_list(offsets);
  check(rd_kafka_incremental_unassign(handle_.get(), list.get()), "incremental unassign");
}

}  // namespace lf::kafka
