// The mock Kafka fixture for integration tests.
#include "tests/support/kafka_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <random>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

namespace lf::testing {

namespace {

constexpr int kMetadataTimeoutMs = 5000;
constexpr int kReadPollMs = 100;
constexpr std::size_t kReadBatchMax = 10'000;
// A read that started below a low watermark the broker moved meanwhile is retried.
constexpr int kReadAttemptsMax = 3;

std::string unique_name_stem() {
  static std::atomic<uint64_t> counter{0};
  static std::mt19937_64 random{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string suffix;
  for (int i = 0; i < 6; ++i) suffix += hex[random() % 16];
  return "t" + std::to_string(counter.fetch_add(1)) + "-" + suffix;
}

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};

// Moves every partition `broker` leads, except `keep`, to the other brokers.
void isolate_leader(kafka::MockCluster& cluster, int32_t broker, const std::string& keep_topic,
                    int32_t keep_partition) {
  kafka::Settings settings;
  settings.bootstrap = cluster.bootstrap();
  kafka::Producer client(settings, "duplicate-recipe-metadata", {{"enable.idempotence", "false"}});
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata(client.handle(), 1, nullptr, &raw, kMetadataTimeoutMs);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw kafka::KafkaError(error, std::string("cluster metadata: ") + rd_kafka_err2str(error));
  }
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> metadata(raw);
  std::vector<int32_t> others;
  for (int b = 0; b < metadata->broker_cnt; ++b) {
    if (metadata->brokers[b].id != broker) others.push_back(metadata->brokers[b].id);
  }
  std::sort(others.begin(), others.end());
  if (others.empty()) return;
  std::size_t next = 0;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& partition = topic.partitions[p];
      if (partition.leader != broker) continue;
      if (keep_topic == topic.topic && partition.id == keep_partition) continue;
      cluster.set_partition_leader(topic.topic, partition.id, others[next++ % others.size()]);
    }
  }
}

}  // namespace

std::string KafkaRecord::header(const std::string& name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return "";
}

MockKafka::MockKafka(int brokers) : cluster_(brokers) {}

MockKafka::~MockKafka() = default;

kafka::Settings MockKafka::settings() const {
  kafka::Settings settings;
  settings.bootstrap = cluster_.bootstrap();
  settings.properties["socket.timeout.ms"] = std::to_string(kMockSocketTimeoutMs);
  return settings;
}

std::string MockKafka::unique_topic(int partitions) {
  const std::string topic = unique_name_stem() + ".topic";
  cluster_.create_topic(topic, partitions, std::min(3, cluster_.broker_count()));
  return topic;
}

kafka::Topics MockKafka::unique_topics(int partitions) {
  kafka::Topics topics;
  topics.prefix = unique_name_stem() + ".";
  cluster_.create_ledgerflow_topics(topics, partitions);
  return topics;
}

std::vector<kafka::DeliveryReport> MockKafka::produce(
    const std::string& topic, const std::vector<OutgoingRecord>& records,
    const std::map<std::string, std::string>& properties, std::chrono::milliseconds timeout) {
  std::vector<kafka::DeliveryReport> reports(records.size());
  std::vector<bool> reported(records.size(), false);
  kafka::Producer producer(settings(), "test-producer", properties);
  producer.on_delivery([&](const kafka::DeliveryReport& report) {
    if (report.token >= reports.size())
      throw std::logic_error("delivery report with an unknown token");
    reports[report.token] = report;
    reported[report.token] = true;
  });
  for (std::size_t i = 0; i < records.size(); ++i) {
    const OutgoingRecord& record = records[i];
    producer.produce(
        topic, record.partition,
        record.null_key ? std::nullopt : std::optional<std::string_view>(record.key),
        record.null_value ? std::nullopt : std::optional<std::string_view>(record.value),
        record.headers, i);
  }
  if (!producer.flush(static_cast<int>(timeout.count()))) {
    throw std::runtime_error("produce to " + topic + ": " + std::to_string(producer.outstanding()) +
                             " message(s) not delivered within " + std::to_string(timeout.count()) +
                             " ms");
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (!reported[i])
      throw std::runtime_error("produce to " + topic + ": no delivery report for record " +
                               std::to_string(i));
    if (reports[i].error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("produce to " + topic + ": record " + std::to_string(i) +
                               " not delivered: " + rd_kafka_err2str(reports[i].error));
    }
  }
  return reports;
}

std::vector<KafkaRecord> MockKafka::read_partition(const std::string& topic, int32_t partition,
                                                   std::chrono::milliseconds timeout) {
  if (!reader_) reader_ = std::make_unique<kafka::Consumer>(settings(), "test-reader", "");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int attempt = 1;; ++attempt) {
    const kafka::Watermarks marks = reader_->watermarks(topic, partition);
    std::vector<KafkaRecord> records;
    if (marks.high <= marks.low) return records;
    reader_->assign({kafka::TopicPartitionOffset{topic, partition, marks.low}});
    int64_t next = marks.low;
    std::vector<kafka::MessagePtr> batch;
    try {
      while (next < marks.high) {
        if (std::chrono::steady_clock::now() > deadline) {
          throw std::runtime_error("reading " + topic + " [" + std::to_string(partition) +
                                   "]: stuck at offset " + std::to_string(next) + " of " +
                                   std::to_string(marks.high));
        }
        batch.clear();
        reader_->poll_batch(batch, kReadBatchMax, kReadPollMs);
        for (const kafka::MessagePtr& message : batch) {
          if (message->partition != partition || message->offset < next ||
              message->offset >= marks.high || kafka::message_topic(*message) != topic) {
            continue;
          }
          records.push_back(KafkaRecord{
              topic, partition, message->offset, std::string(kafka::message_key(*message)),
              std::string(kafka::message_value(*message)), kafka::message_headers(*message),
              message->key == nullptr, message->payload == nullptr});
          next = message->offset + 1;
        }
      }
    } catch (const kafka::KafkaError& error) {
      reader_->assign({});
      const bool truncated_meanwhile = error.code() == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                                       error.code() == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE;
      if (!truncated_meanwhile || attempt == kReadAttemptsMax) throw;
      continue;
    }
    reader_->assign({});
    return records;
  }
}

std::map<std::string, std::string> MockKafka::duplicate_prone_producer_properties() {
  return {
      {"socket.timeout.ms", std::to_string(kMockSocketTimeoutMs)},
      {"socket.max.fails", "1"},
      {"message.timeout.ms", "120000"},
      {"retries", "2147483647"},
  };
}

void inject_duplicate_produce(kafka::MockCluster& cluster, const std::string& topic,
                              int32_t partition, int count) {
  const int32_t leader = cluster.leader_of(topic, partition);
  if (leader < 0)
    throw std::runtime_error(topic + " [" + std::to_string(partition) + "] has no leader");
  if (cluster.broker_count() > 1) isolate_leader(cluster, leader, topic, partition);
  cluster.push_broker_errors(leader, /*Produce*/ 0, count, RD_KAFKA_RESP_ERR_NO_ERROR,
                             kDuplicateResponseDelayMs);
  spdlog::info(
      "duplicate recipe: {} delayed Produce response(s) ({} ms) on broker {}, leader of {} [{}]",
      count, kDuplicateResponseDelayMs, leader, topic, partition);
}

}  // namespace lf::testing
