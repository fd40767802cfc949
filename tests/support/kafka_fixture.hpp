// The mock Kafka cluster as integration tests use it: a cluster per fixture,
// fresh topics per test, synchronous produce, reading a partition back, and a
// recipe that makes the mock store a produced batch twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "consumers/kafka/kafka.hpp"
#include "consumers/kafka/mock_cluster.hpp"

namespace lf::testing {

// Client-side timeout of one request (librdkafka's socket.timeout.ms) for
// every client built from MockKafka::settings(). Short enough that the
// duplicate recipe below costs a few seconds, long enough that nothing times
// out by accident on loopback.
inline constexpr int kMockSocketTimeoutMs = 5000;
// How long inject_duplicate_produce() delays a Produce response: longer than
// kMockSocketTimeoutMs plus librdkafka's once-a-second timeout scan, with
// room to spare on a loaded machine.
inline constexpr int kDuplicateResponseDelayMs = kMockSocketTimeoutMs + 4000;

// One message to produce.
struct OutgoingRecord {
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  int32_t partition = -1;  // -1: the partitioner chooses from the key
  // Sent as null instead of `key` / `value` (an empty one is sent as empty).
  bool null_key = false;
  bool null_value = false;
};

// One message read back.
struct KafkaRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;    // "" when null too
  std::string value;  // "" when null too
  std::vector<std::pair<std::string, std::string>> headers;
  // librdkafka's NULL key or payload pointer (null), as against a non-NULL
  // pointer with length 0 (empty).
  bool null_key = false;
  bool null_value = false;
  // The last value of header `name`, "" if absent.
  std::string header(const std::string& name) const;
};

class MockKafka {
 public:
  explicit MockKafka(int brokers = 3);
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;
  ~MockKafka();

  kafka::MockCluster& cluster() { return cluster_; }
  // The bootstrap, and socket.timeout.ms = kMockSocketTimeoutMs so that any
  // client built from these settings can be made to duplicate a batch.
  kafka::Settings settings() const;
  // The four ledgerflow topics under a prefix no other test uses ("t<n>-<random>."),
  // created with `partitions` partitions each.
  kafka::Topics unique_topics(int partitions);
  // One fresh topic.
  std::string unique_topic(int partitions);

  // Produces `records` to `topic` with a new producer, flushes, and throws
  // unless every delivery succeeded. Reports are in the order of `records`.
  std::vector<kafka::DeliveryReport> produce(
      const std::string& topic, const std::vector<OutgoingRecord>& records,
      const std::map<std::string, std::string>& properties = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Everything the broker holds in `topic`/`partition` now, from the low
  // watermark to the high watermark at the time of the call.
  std::vector<KafkaRecord> read_partition(
      const std::string& topic, int32_t partition,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Producer properties under which inject_duplicate_produce() duplicates a
  // batch (the settings() already carry the socket timeout):
  //   socket.timeout.ms   kMockSocketTimeoutMs: the client gives up on the
  //                       delayed response and sends the batch again. (In
  //                       librdkafka, request.timeout.ms is only the broker's
  //                       ack timeout; a request's client-side timeout is
  //                       min(socket.timeout.ms, what is left of the first
  //                       message's message.timeout.ms).)
  //   socket.max.fails    1: the timed-out request takes the connection down,
  //                       so the retry goes out at once on a new connection
  //                       instead of queueing behind the delayed response.
  //   message.timeout.ms  120000: leaves room for the retries.
  //   retries             librdkafka's default (INT32_MAX), stated.
  // enable.idempotence may be true (our default) or false: either way a timed
  // out request is "possibly persisted" and retried; the idempotent producer
  // re-sends the same sequence numbers, which a real broker would
  // de-duplicate, but the mock checks sequences only for transactional
  // producers, so both store the batch twice.
  static std::map<std::string, std::string> duplicate_prone_producer_properties();

 private:
  kafka::MockCluster cluster_;
  std::unique_ptr<kafka::Consumer> reader_;  // for read_partition, created on first use
};

// The "delayed response" recipe: makes the mock store the next batch produced
// to `topic`/`partition` twice (or more: each of the `count` delayed responses
// makes one more copy of whatever batch it answers).
//
// It pushes `count` Produce (ApiKey 0) responses with NO_ERROR delayed by
// kDuplicateResponseDelayMs onto the broker leading the partition. The mock
// appends the batch when the request arrives and only delays the answer; a
// producer built with MockKafka::settings() (or with
// duplicate_prone_producer_properties()) times out after
// kMockSocketTimeoutMs, reconnects and sends the batch again, and the mock
// appends it again. The delivery report reports success (the offset of the
// last copy).
//
// The delayed responses answer whatever Produce requests that broker gets
// next, from any client. So that they hit this partition, every other
// partition the broker leads (of every topic) first moves to another broker
// (when there is more than one); clients follow after a metadata refresh.
// Produce nothing else to this partition until the batch to duplicate is sent.
void inject_duplicate_produce(kafka::MockCluster& cluster, const std::string& topic,
                              int32_t partition, int count);

}  // namespace lf::testing
