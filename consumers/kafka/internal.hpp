// Internals shared by the Kafka adapter's .cpp files (not for other modules):
// the "kafka" logger, configuration building, librdkafka's logs and errors
// routed to spdlog, exceptions carried across librdkafka's C callbacks, and
// metadata queries.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "consumers/kafka/kafka.hpp"

namespace lf::kafka::internal {

std::shared_ptr<spdlog::logger> logger();

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};
struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;

// A configuration whose log lines go to the "kafka" logger.
ConfPtr new_conf();
// Throws KafkaError (with librdkafka's message) for an unknown or invalid property.
void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);
void set_properties(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& properties);
// rd_kafka_new; takes `conf` only on success. Throws KafkaError.
HandlePtr new_handle(rd_kafka_type_t type, ConfPtr conf);
// A plain client for metadata queries (no idempotence, no group).
HandlePtr new_metadata_client(const std::string& bootstrap);

// librdkafka callbacks.
void log_callback(const rd_kafka_t* handle, int level, const char* facility, const char* message);
void error_callback(rd_kafka_t* handle, int error, const char* reason, void* opaque);

// A C++ exception must not unwind through librdkafka: callbacks stash it on
// the calling thread, and the API call that served them rethrows it.
void stash_callback_exception();
void rethrow_callback_exception();

// Throws KafkaError if the client raised a fatal error.
void throw_if_fatal(rd_kafka_t* handle);

// Metadata of one topic (all_topics = false) or of the whole cluster (topic empty).
MetadataPtr metadata(rd_kafka_t* handle, const std::string& topic, int timeout_ms);
// The topic's partition count; throws KafkaError for an unknown topic.
int32_t partition_count(rd_kafka_t* handle, const std::string& topic, int timeout_ms);

// "topic[0,1,2] other[3]" for log lines.
std::string describe(const rd_kafka_topic_partition_list_t& list);

}  // namespace lf::kafka::internal
