// Read-only views of consumed messages, and partition lists to and from
// librdkafka's.
#include "consumers/kafka/kafka.hpp"

namespace lf::kafka {

namespace {

// librdkafka parses headers lazily and caches them in the message, hence the
// non-const parameter of rd_kafka_message_headers(); the message's content
// does not change.
rd_kafka_headers_t* headers_of(const rd_kafka_message_t& message) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&message), &headers) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return nullptr;  // no headers
  }
  return headers;
}

}  // namespace

std::string_view message_key(const rd_kafka_message_t& message) {
  if (message.key == nullptr) return {};
  return {static_cast<const char*>(message.key), message.key_len};
}

std::string_view message_value(const rd_kafka_message_t& message) {
  if (message.payload == nullptr) return {};
  return {static_cast<const char*>(message.payload), message.len};
}

std::optional<std::string_view> nullable_key(const rd_kafka_message_t& message) {
  if (message.key == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(message.key), message.key_len);
}

std::optional<std::string_view> nullable_value(const rd_kafka_message_t& message) {
  if (message.payload == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(message.payload), message.len);
}

std::string message_topic(const rd_kafka_message_t& message) {
  return message.rkt != nullptr ? std::string(rd_kafka_topic_name(message.rkt)) : std::string();
}

std::vector<std::pair<std::string, std::string>> message_headers(
    const rd_kafka_message_t& message) {
  std::vector<std::pair<std::string, std::string>> result;
  const rd_kafka_headers_t* headers = headers_of(message);
  if (headers == nullptr) return result;
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  for (std::size_t index = 0;
       rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++index) {
    result.emplace_back(name, value != nullptr ? std::string(static_cast<const char*>(value), size)
                                               : std::string());
  }
  return result;
}

std::optional<std::string> message_header(const rd_kafka_message_t& message,
                                          std::string_view name) {
  const rd_kafka_headers_t* headers = headers_of(message);
  if (headers == nullptr) return std::nullopt;
  const std::string name_text(name);
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_header_get_last(headers, name_text.c_str(), &value, &size) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return value != nullptr ? std::string(static_cast<const char*>(value), size) : std::string();
}

PartitionListPtr to_partition_list(const std::vector<TopicPartitionOffset>& partitions) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartitionOffset& partition : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition)
        ->offset = partition.offset;
  }
  return list;
}

std::vector<TopicPartitionOffset> from_partition_list(const rd_kafka_topic_partition_list_t& list) {
  std::vector<TopicPartitionOffset> partitions;
  partitions.reserve(static_cast<std::size_t>(list.cnt));
  for (int i = 0; i < list.cnt; ++i) {
    const rd_kafka_topic_partition_t& element = list.elems[i];
    partitions.push_back(TopicPartitionOffset{element.topic, element.partition, element.offset});
  }
  return partitions;
}

}  // namespace lf::kafka
