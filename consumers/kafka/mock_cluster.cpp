// librdkafka's mock cluster, owned by a client handle that lives as long as
// the cluster; fault injection for tests.
#include "consumers/kafka/mock_cluster.hpp"

#include <algorithm>
#include <string>

#include "consumers/kafka/internal.hpp"

namespace lf::kafka {

namespace {

constexpr int kMetadataTimeoutMs = 5000;
constexpr int kReplicationFactorMax = 3;
// See consumer_properties(): what an idle consumer of the mock waits per fetch.
constexpr int kMockFetchWaitMs = 2;

void check(rd_kafka_resp_err_t error, const std::string& what) {
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, "mock cluster: " + what + ": " + rd_kafka_err2str(error));
  }
}

}  // namespace

MockCluster::MockCluster(int broker_count) : broker_count_(broker_count) {
  if (broker_count < 1) {
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     "mock cluster: broker_count must be at least 1");
  }
  internal::ConfPtr conf = internal::new_conf();
  internal::set_property(conf.get(), "client.id", "ledgerflow-mock-cluster");
  // The owner never connects anywhere: its "no bootstrap.servers" notice is
  // noise; the mock's warnings and errors still come through.
  internal::set_property(conf.get(), "log_level", "4");
  owner_ = internal::new_handle(RD_KAFKA_PRODUCER, std::move(conf));
  cluster_ = rd_kafka_mock_cluster_new(owner_.get(), broker_count);
  if (cluster_ == nullptr) {
    throw KafkaError(RD_KAFKA_RESP_ERR__FAIL,
                     "mock cluster: cannot start " + std::to_string(broker_count) + " broker(s)");
  }
  internal::logger()->info("mock cluster with {} broker(s) at {}", broker_count, bootstrap());
}

MockCluster::~MockCluster() {
  // The cluster runs on the owner's threads: it goes first.
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  cluster_ = nullptr;
  owner_.reset();
}

std::string MockCluster::bootstrap() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

std::map<std::string, std::string> MockCluster::consumer_properties() {
  return {{"fetch.wait.max.ms", std::to_string(kMockFetchWaitMs)}};
}

void MockCluster::create_topic(const std::string& topic, int partitions, int replication_factor) {
  check(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication_factor),
        "create topic " + topic);
  internal::logger()->debug("mock cluster: topic {} with {} partition(s), replication factor {}",
                            topic, partitions, replication_factor);
}

void MockCluster::create_ledgerflow_topics(const Topics& topics, int partitions) {
  const int replication_factor = std::min(kReplicationFactorMax, broker_count_);
  for (const std::string& topic :
       {topics.commands(), topics.events(), topics.results(), topics.deadletter()}) {
    create_topic(topic, partitions, replication_factor);
  }
}

void MockCluster::push_broker_errors(int32_t broker_id, int16_t api_key, int count,
                                     rd_kafka_resp_err_t error, int rtt_ms) {
  for (int i = 0; i < count; ++i) {
    check(rd_kafka_mock_broker_push_request_error_rtts(cluster_, broker_id, api_key, 1, error,
                                                       rtt_ms),
          "push errors on broker " + std::to_string(broker_id));
  }
}

void MockCluster::push_cluster_errors(int16_t api_key, int count, rd_kafka_resp_err_t error) {
  const std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(std::max(count, 0)),
                                                error);
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
}

void MockCluster::set_broker_down(int32_t broker_id) {
  check(rd_kafka_mock_broker_set_down(cluster_, broker_id),
        "broker " + std::to_string(broker_id) + " down");
  internal::logger()->info("mock cluster: broker {} down", broker_id);
}

void MockCluster::set_broker_up(int32_t broker_id) {
  check(rd_kafka_mock_broker_set_up(cluster_, broker_id),
        "broker " + std::to_string(broker_id) + " up");
  internal::logger()->info("mock cluster: broker {} up", broker_id);
}

void MockCluster::set_partition_leader(const std::string& topic, int32_t partition,
                                       int32_t broker_id) {
  check(rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker_id),
        "leader of " + topic + " [" + std::to_string(partition) + "]");
  internal::logger()->info("mock cluster: broker {} leads {} [{}]", broker_id, topic, partition);
}

void MockCluster::set_broker_rtt(int32_t broker_id, int rtt_ms) {
  check(rd_kafka_mock_broker_set_rtt(cluster_, broker_id, rtt_ms),
        "rtt of broker " + std::to_string(broker_id));
}

void MockCluster::set_group_coordinator(const std::string& group_id, int32_t broker_id) {
  check(rd_kafka_mock_coordinator_set(cluster_, "group", group_id.c_str(), broker_id),
        "coordinator of group " + group_id);
  internal::logger()->info("mock cluster: broker {} coordinates group {}", broker_id, group_id);
}

std::size_t MockCluster::broker_errors_pending(int32_t broker_id, int16_t api_key) {
  std::size_t count = 0;
  check(rd_kafka_mock_broker_error_stack_cnt(cluster_, broker_id, api_key, &count),
        "error stack of broker " + std::to_string(broker_id));
  return count;
}

int32_t MockCluster::leader_of(const std::string& topic, int32_t partition) {
  HandlePtr client = internal::new_metadata_client(bootstrap());
  internal::MetadataPtr metadata = internal::metadata(client.get(), topic, kMetadataTimeoutMs);
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& entry = metadata->topics[t];
    if (topic != entry.topic) continue;
    for (int p = 0; p < entry.partition_cnt; ++p) {
      if (entry.partitions[p].id == partition) return entry.partitions[p].leader;
    }
  }
  throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                   "mock cluster: no partition " + topic + " [" + std::to_string(partition) + "]");
}

}  // namespace lf::kafka
