// The Kafka adapter: librdkafka handles in RAII types, a producer with
// delivery reports served by poll(), a consumer (consumer group or manual
// assignment) with explicit rebalance handling, and watermark queries.
// Knows nothing of ledgerflow's domains.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace lf::kafka {

// Anything that ends the operation: a configuration error, a fatal client
// error, an unexpected broker answer.
class KafkaError : public std::runtime_error {
 public:
  KafkaError(rd_kafka_resp_err_t code, const std::string& what)
      : std::runtime_error(what), code_(code) {}
  rd_kafka_resp_err_t code() const { return code_; }

 private:
  rd_kafka_resp_err_t code_;
};

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const;
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// Connection settings shared by every client of one deployment.
struct Settings {
  std::string bootstrap;                          // host:port,...
  std::map<std::string, std::string> properties;  // passed through to librdkafka (TLS, SASL, ...)
  // Consumers only, under `properties` (a consumer property set on a
  // producer draws a CONFWARN).
  std::map<std::string, std::string> consumer_properties;
};

// Topic names: <prefix>commands, <prefix>events, <prefix>results, <prefix>deadletter.
struct Topics {
  std::string prefix = "ledgerflow.";
  std::string commands() const { return prefix + "commands"; }
  std::string events() const { return prefix + "events"; }
  std::string results() const { return prefix + "results"; }
  std::string deadletter() const { return prefix + "deadletter"; }
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& other) const {
    return topic != other.topic ? topic < other.topic : partition < other.partition;
  }
  bool operator==(const TopicPartition& other) const = default;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = RD_KAFKA_OFFSET_INVALID;  // INVALID: the committed offset (or auto.offset.reset)
};

struct Watermarks {
  int64_t low = 0;   // first offset still held by the broker
  int64_t high = 0;  // next offset to be written
};

// Read-only accessors for a consumed message. message_key/message_value read
// a null key or value (librdkafka's NULL pointer) as empty; the nullable_
// forms tell the two apart (nullopt: null; an empty view: empty), which is
// what a message passed on unchanged (a dead letter) needs.
std::string_view message_key(const rd_kafka_message_t& message);
std::string_view message_value(const rd_kafka_message_t& message);
std::optional<std::string_view> nullable_key(const rd_kafka_message_t& message);
std::optional<std::string_view> nullable_value(const rd_kafka_message_t& message);
std::string message_topic(const rd_kafka_message_t& message);
std::vector<std::pair<std::string, std::string>> message_headers(const rd_kafka_message_t& message);
std::optional<std::string> message_header(const rd_kafka_message_t& message, std::string_view name);

struct DeliveryReport {
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  uint64_t token = 0;  // what the caller passed to produce()
};

class Producer {
 public:
  // Properties applied on top of the defaults (acks=all, idempotence on,
  // linger 5 ms, partitioner murmur2_random) and settings.properties.
  Producer(const Settings& settings, std::string client_id,
           const std::map<std::string, std::string>& properties = {});
  // librdkafka's callbacks hold this object's address.
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Called from poll()/flush() on the calling thread, once per message.
  void on_delivery(std::function<void(const DeliveryReport&)> handler);

  // Enqueues one message; partition -1 lets the partitioner choose from the
  // key. A key or value is sent as given: nullopt as null, an empty view as
  // empty (Kafka and librdkafka tell them apart). Retries a full local queue
  // by serving delivery reports, a bounded number of times; throws
  // KafkaError when it cannot enqueue.
  void produce(const std::string& topic, int32_t partition, std::optional<std::string_view> key,
               std::optional<std::string_view> value,
               const std::vector<std::pair<std::string, std::string>>& headers = {},
               uint64_t token = 0);

  int poll(int timeout_ms);
  // Waits for every outstanding delivery; true when none is left.
  bool flush(int timeout_ms);
  int outstanding() const;

  int32_t partition_count(const std::string& topic, int timeout_ms = 5000);
  rd_kafka_t* handle() const { return handle_.get(); }

 private:
  static void delivery_trampoline(rd_kafka_t*, const rd_kafka_message_t*, void*);
  HandlePtr handle_;
  std::function<void(const DeliveryReport&)> delivery_handler_;
};

// What a consumer in a group is told on a rebalance. on_assigned returns the
// offset to start each partition at (INVALID: the committed offset). It runs
// inside poll(), so it may block to rebuild state before returning.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual std::vector<TopicPartitionOffset> on_assigned(
      const std::vector<TopicPartition>& partitions) = 0;
  // `lost`: the partitions were taken away without a clean hand-over.
  virtual void on_revoked(const std::vector<TopicPartition>& partitions, bool lost) = 0;
};

class Consumer {
 public:
  // `group_id` empty: no consumer group, partitions come from assign().
  // Defaults: enable.auto.commit=false, auto.offset.reset=error,
  // fetch.wait.max.ms=10, isolation.level=read_uncommitted (readers rely
  // on the chain rule, not on transactions); then
  // settings.consumer_properties, then settings.properties, then `properties`.
  Consumer(const Settings& settings, std::string client_id, std::string group_id,
           const std::map<std::string, std::string>& properties = {});
  ~Consumer();

  void subscribe(const std::vector<std::string>& topics, RebalanceListener* listener);
  void assign(const std::vector<TopicPartitionOffset>& partitions);
  // Manual mode: add or remove partitions without touching the others'
  // positions (rd_kafka_incremental_(un)assign). In consumers/kafka/incremental.cpp.
  void add_partitions(const std::vector<TopicPartitionOffset>& partitions);
  void remove_partitions(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> assignment() const;

  // Appends up to `max_messages` to `out`, waiting at most `timeout_ms` for
  // the first. Errors that are events (partition EOF, rebalance) are
  // consumed here; a fatal or offset-out-of-range error throws KafkaError.
  std::size_t poll_batch(std::vector<MessagePtr>& out, std::size_t max_messages, int timeout_ms);

  // Moves an assigned partition's position; waits up to timeout_ms (in
  // milliseconds, whatever the librdkafka version) for it to take effect.
  void seek(const TopicPartitionOffset& position, int timeout_ms = 5000);
  void pause(const std::vector<TopicPartition>& partitions);
  void resume(const std::vector<TopicPartition>& partitions);
  void commit(const std::vector<TopicPartitionOffset>& offsets, bool async);
  // The group's committed offsets (INVALID where none). A coordinator that
  // answers NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or
  // COORDINATOR_LOAD_IN_PROGRESS (it is moving) is asked again until
  // timeout_ms has passed; then, or on any other error, throws KafkaError.
  std::vector<TopicPartitionOffset> committed(const std::vector<TopicPartition>& partitions,
                                              int timeout_ms = 5000);
  Watermarks watermarks(const std::string& topic, int32_t partition, int timeout_ms = 5000);
  // The high watermark of an assigned partition as of its last fetch
  // response (no broker round trip); nullopt before the first one.
  std::optional<int64_t> cached_high_watermark(const std::string& topic, int32_t partition) const;
  int32_t partition_count(const std::string& topic, int timeout_ms = 5000);

  // Leaves the group cleanly (revocation runs). Idempotent.
  void close();
  rd_kafka_t* handle() const { return handle_.get(); }

 private:
  static void rebalance_trampoline(rd_kafka_t*, rd_kafka_resp_err_t,
                                   rd_kafka_topic_partition_list_t*, void*);
  HandlePtr handle_;
  RebalanceListener* listener_ = nullptr;
  bool group_mode_ = false;  // false: manual assignment, no commits
  bool closed_ = false;
};

// Reads offsets [from, to) of one partition with `reader` (manual
// assignment; its other assignments are replaced), calling `each(offset,
// value)` in offset order. Throws KafkaError when the broker no longer holds
// `from` (auto.offset.reset=error), and std::runtime_error when no message
// arrives for `stall_timeout_ms`.
void read_range(Consumer& reader, const std::string& topic, int32_t partition, int64_t from,
                int64_t to, const std::function<void(int64_t offset, std::string_view value)>& each,
                int stall_timeout_ms = 60'000);

PartitionListPtr to_partition_list(const std::vector<TopicPartitionOffset>& partitions);
std::vector<TopicPartitionOffset> from_partition_list(const rd_kafka_topic_partition_list_t& list);

}  // namespace lf::kafka
