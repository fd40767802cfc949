// librdkafka's mock cluster (rdkafka_mock.h): real Kafka protocol over TCP on
// loopback, in this process. Used by `ledgerflow dev` and by the tests. Its
// limits (librdkafka 2.0.2): no transaction semantics, no idempotent
// de-duplication, no CreateTopics, about 5 MiB / 100,000 message sets kept per
// partition, nothing kept across restarts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "consumers/kafka/kafka.hpp"

namespace lf::kafka {

class MockCluster {
 public:
  explicit MockCluster(int broker_count);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  std::string bootstrap() const;
  // librdkafka properties for the consumers of a pipeline running on the
  // mock cluster, under the user's own (Settings::consumer_properties). The mock answers a fetch
  // that finds nothing new only when fetch.wait.max.ms has passed; unlike a real broker it does not
  // answer early when a record arrives. Every consumer a command crosses (the engine's, the
  // projector's) thus adds up to that wait to its latency, so the mock's consumers wait less than
  // the production default (docs/performance.md, "Latency at 1,000 commands/s").
  static std::map<std::string, std::string> consumer_properties();
  int broker_count() const { return broker_count_; }
  void create_topic(const std::string& topic, int partitions, int replication_factor);
  // The four ledgerflow topics with `partitions` partitions each.
  void create_ledgerflow_topics(const Topics& topics, int partitions);

  // Fault injection.
  // The next `count` requests of `api_key` to broker `broker_id` answer
  // `error` after `rtt_ms` (a delay longer than the client's request timeout
  // makes it retry a request the broker already applied: a duplicate).
  void push_broker_errors(int32_t broker_id, int16_t api_key, int count, rd_kafka_resp_err_t error,
                          int rtt_ms);
  void push_cluster_errors(int16_t api_key, int count, rd_kafka_resp_err_t error);
  void set_broker_down(int32_t broker_id);
  void set_broker_up(int32_t broker_id);
  void set_partition_leader(const std::string& topic, int32_t partition, int32_t broker_id);
  void set_broker_rtt(int32_t broker_id, int rtt_ms);
  // Makes broker `broker_id` the coordinator of consumer group `group_id`:
  // the old coordinator answers the group's requests with NOT_COORDINATOR.
  void set_group_coordinator(const std::string& group_id, int32_t broker_id);
  // Errors pushed with push_broker_errors() for `api_key` that broker
  // `broker_id` has not yet answered a request with.
  std::size_t broker_errors_pending(int32_t broker_id, int16_t api_key);
  // The broker leading `topic`/`partition` (from metadata).
  int32_t leader_of(const std::string& topic, int32_t partition);

  rd_kafka_mock_cluster_t* handle() const { return cluster_; }

 private:
  HandlePtr owner_;  // the rd_kafka_t the mock cluster lives in
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  int broker_count_ = 0;
};

}  // namespace lf::kafka
