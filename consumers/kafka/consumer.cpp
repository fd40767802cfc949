// The consumer: a member of a consumer group (eager rebalancing handled by a
// RebalanceListener) or a reader of manually assigned partitions. Everything
// librdkafka has to tell it (messages, rebalances, errors, commit results) is
// served by poll_batch() on the caller's thread.
#include "consumers/kafka/kafka.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <random>
#include <thread>

#include "consumers/kafka/internal.hpp"

namespace lf::kafka {

namespace {

const std::map<std::string, std::string>& consumer_defaults() {
  static const std::map<std::string, std::string> defaults = {
      // Positions are the application's business: committed explicitly, or
      // stored with the effects (projectors).
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // Reading from an offset the broker no longer holds is an error, never a skip.
      {"auto.offset.reset", "error"},
      // The mock cluster answers a fetch only after fetch.wait.max.ms when
      // there is nothing new: a low value keeps end-to-end latency low.
      {"fetch.wait.max.ms", "10"},
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"},
      {"max.poll.interval.ms", "300000"},
      {"enable.partition.eof", "false"},
      // Readers rely on the chain rule (DESIGN.md), not on transactions.
      {"isolation.level", "read_uncommitted"},
  };
  return defaults;
}

// librdkafka needs a group handle even to assign() partitions, but a manual
// consumer never joins a group or commits: its group id is private to it.
std::string private_group_id(const std::string& client_id) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_salt = std::random_device{}();
  return "ledgerflow-manual." + client_id + "." + std::to_string(process_salt % 1'000'000'000) +
         "." + std::to_string(counter.fetch_add(1));
}

std::vector<TopicPartition> topic_partitions(const rd_kafka_topic_partition_list_t& list) {
  std::vector<TopicPartition> partitions;
  partitions.reserve(static_cast<std::size_t>(list.cnt));
  for (int i = 0; i < list.cnt; ++i)
    partitions.push_back(TopicPartition{list.elems[i].topic, list.elems[i].partition});
  return partitions;
}

PartitionListPtr partition_list(const std::vector<TopicPartition>& partitions) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& partition : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition);
  }
  return list;
}

// Throws for the first partition of `list` that carries an error.
void throw_on_partition_error(const rd_kafka_topic_partition_list_t& list,
                              const std::string& what) {
  for (int i = 0; i < list.cnt; ++i) {
    const rd_kafka_topic_partition_t& element = list.elems[i];
    if (element.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    throw KafkaError(element.err, what + " " + element.topic + " [" +
                                      std::to_string(element.partition) +
                                      "]: " + rd_kafka_err2str(element.err));
  }
}

void commit_callback(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                     rd_kafka_topic_partition_list_t* offsets, void* /*opaque*/) {
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  internal::logger()->warn("{}: offset commit of {} failed: {}", rd_kafka_name(handle),
                           offsets ? internal::describe(*offsets) : "(none)",
                           rd_kafka_err2str(error));
}

// Answers a group coordinator gives while it moves to another broker, loads
// the group or restarts: asked again a moment later, it (or its successor)
// answers. librdkafka re-queries the coordinator after NOT_COORDINATOR but
// does not repeat an OffsetFetch itself.
bool coordinator_in_transition(rd_kafka_resp_err_t error) {
  switch (error) {
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
      return true;
    default:
      return false;
  }
}
// Pause between two committed-offset queries while the coordinator moves.
constexpr int kCoordinatorRetryBackoffMs = 100;

// librdkafka before 2.0.3 waits for a seek's acknowledgement timeout_ms
// *microseconds* (confluentinc/librdkafka#4230): 5 ms for 5 s, which a busy
// machine misses, and the seek "fails" although it goes ahead. The argument
// that makes such a version wait timeout_ms milliseconds.
constexpr int kFirstVersionWithSeekTimeoutInMs = 0x02000300;  // 2.0.3
int seek_timeout_argument(int timeout_ms) {
  if (timeout_ms <= 0 || rd_kafka_version() >= kFirstVersionWithSeekTimeoutInMs) return timeout_ms;
  constexpr int64_t kMicrosPerMilli = 1000;
  return static_cast<int>(
      std::min<int64_t>(int64_t{timeout_ms} * kMicrosPerMilli, std::numeric_limits<int>::max()));
}

bool ends_the_read(rd_kafka_resp_err_t error) {
  return error == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
         error == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE || error == RD_KAFKA_RESP_ERR__FATAL;
}

}  // namespace

Consumer::Consumer(const Settings& settings, std::string client_id, std::string group_id,
                   const std::map<std::string, std::string>& properties)
    : group_mode_(!group_id.empty()) {
  internal::ConfPtr conf = internal::new_conf();
  internal::set_property(conf.get(), "client.id", client_id);
  if (group_mode_) {
    internal::set_property(conf.get(), "group.id", group_id);
    // Eager rebalancing: the mock cluster does not do cooperative rebalancing
    // (it uses the group leader's first protocol).
    internal::set_property(conf.get(), "partition.assignment.strategy", "range,roundrobin");
  } else {
    internal::set_property(conf.get(), "group.id", private_group_id(client_id));
  }
  internal::set_properties(conf.get(), consumer_defaults());
  if (!settings.bootstrap.empty()) {
    internal::set_property(conf.get(), "bootstrap.servers", settings.bootstrap);
  }
  internal::set_properties(conf.get(), settings.consumer_properties);
  internal::set_properties(conf.get(), settings.properties);
  internal::set_properties(conf.get(), properties);
  if (group_mode_) rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::rebalance_trampoline);
  rd_kafka_conf_set_offset_commit_cb(conf.get(), commit_callback);
  rd_kafka_conf_set_error_cb(conf.get(), internal::error_callback);
  rd_kafka_conf_set_opaque(conf.get(), this);
  handle_ = internal::new_handle(RD_KAFKA_CONSUMER, std::move(conf));
  // One queue for everything: rebalances, errors and commit results are served by consumer_poll.
  const rd_kafka_resp_err_t error = rd_kafka_poll_set_consumer(handle_.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, std::string("cannot route events to the consumer queue: ") +
                                rd_kafka_err2str(error));
  }
  internal::logger()->debug("{}: consumer for {} ({})", rd_kafka_name(handle_.get()),
                            settings.bootstrap,
                            group_mode_ ? "group " + group_id : std::string("manual assignment"));
}

Consumer::~Consumer() {
  try {
    close();
  } catch (const std::exception& error) {
    internal::logger()->error("{}: error while closing: {}", rd_kafka_name(handle_.get()),
                              error.what());
  } catch (...) {
    internal::logger()->error("{}: unknown error while closing", rd_kafka_name(handle_.get()));
  }
}

void Consumer::rebalance_trampoline(rd_kafka_t* handle, rd_kafka_resp_err_t event,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  const char* name = rd_kafka_name(handle);
  if (event == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    // Unless the listener says otherwise, each partition starts at its committed offset.
    PartitionListPtr assigned(rd_kafka_topic_partition_list_copy(partitions));
    try {
      if (self->listener_ != nullptr) {
        for (const TopicPartitionOffset& start :
             self->listener_->on_assigned(topic_partitions(*partitions))) {
          rd_kafka_topic_partition_t* element = rd_kafka_topic_partition_list_find(
              assigned.get(), start.topic.c_str(), start.partition);
          if (element == nullptr) {
            internal::logger()->warn("{}: on_assigned named {} [{}], which was not assigned", name,
                                     start.topic, start.partition);
            continue;
          }
          element->offset = start.offset;
        }
      }
    } catch (...) {
      internal::stash_callback_exception();
      rd_kafka_assign(handle, nullptr);  // the listener failed: take nothing
      return;
    }
    const rd_kafka_resp_err_t error = rd_kafka_assign(handle, assigned.get());
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      internal::logger()->error("{}: assign {} failed: {}", name, internal::describe(*assigned),
                                rd_kafka_err2str(error));
      return;
    }
    internal::logger()->info("{}: assigned {}", name, internal::describe(*assigned));
    return;
  }
  if (event == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    const bool lost = rd_kafka_assignment_lost(handle) != 0;
    internal::logger()->info("{}: {} {}", name, lost ? "lost" : "revoked",
                             internal::describe(*partitions));
    try {
      if (self->listener_ != nullptr)
        self->listener_->on_revoked(topic_partitions(*partitions), lost);
    } catch (...) {
      internal::stash_callback_exception();
    }
    rd_kafka_assign(handle, nullptr);
    return;
  }
  internal::logger()->error("{}: rebalance error: {}", name, rd_kafka_err2str(event));
  rd_kafka_assign(handle, nullptr);
}

void Consumer::subscribe(const std::vector<std::string>& topics, RebalanceListener* listener) {
  if (!group_mode_) {
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     "subscribe needs a consumer group (group_id is empty)");
  }
  listener_ = listener;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& topic : topics) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t error = rd_kafka_subscribe(handle_.get(), list.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, std::string("subscribe failed: ") + rd_kafka_err2str(error));
  }
  internal::logger()->info("{}: subscribed to {} topic(s)", rd_kafka_name(handle_.get()),
                           topics.size());
}

void Consumer::assign(const std::vector<TopicPartitionOffset>& partitions) {
  PartitionListPtr list = partitions.empty() ? PartitionListPtr() : to_partition_list(partitions);
  const rd_kafka_resp_err_t error = rd_kafka_assign(handle_.get(), list.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, std::string("assign failed: ") + rd_kafka_err2str(error));
  }
}

std::vector<TopicPartition> Consumer::assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  const rd_kafka_resp_err_t error = rd_kafka_assignment(handle_.get(), &raw);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, std::string("assignment query failed: ") + rd_kafka_err2str(error));
  }
  PartitionListPtr list(raw);
  return topic_partitions(*list);
}

std::size_t Consumer::poll_batch(std::vector<MessagePtr>& out, std::size_t max_messages,
                                 int timeout_ms) {
  if (closed_) throw KafkaError(RD_KAFKA_RESP_ERR__STATE, "poll on a closed consumer");
  rd_kafka_t* handle = handle_.get();
  std::size_t added = 0;
  int wait_ms = timeout_ms;  // for the first message only
  while (added < max_messages) {
    MessagePtr message(rd_kafka_consumer_poll(handle, wait_ms));
    internal::rethrow_callback_exception();
    if (!message) break;
    wait_ms = 0;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.push_back(std::move(message));
      ++added;
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    const std::string where = message->rkt != nullptr
                                  ? message_topic(*message) + " [" +
                                        std::to_string(message->partition) + "] at offset " +
                                        std::to_string(message->offset)
                                  : std::string("consumer");
    const std::string text = message->payload != nullptr
                                 ? std::string(message_value(*message))
                                 : std::string(rd_kafka_err2str(message->err));
    if (ends_the_read(message->err)) {
      internal::throw_if_fatal(handle);
      throw KafkaError(message->err,
                       std::string(rd_kafka_name(handle)) + ": " + where + ": " + text);
    }
    internal::logger()->warn("{}: {}: {} ({})", rd_kafka_name(handle), where, text,
                             rd_kafka_err2name(message->err));
  }
  internal::throw_if_fatal(handle);
  return added;
}

void Consumer::seek(const TopicPartitionOffset& position, int timeout_ms) {
  PartitionListPtr list = to_partition_list({position});
  rd_kafka_error_t* error =
      rd_kafka_seek_partitions(handle_.get(), list.get(), seek_timeout_argument(timeout_ms));
  if (error != nullptr) {
    const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    const std::string text = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    throw KafkaError(code, "seek " + position.topic + " [" + std::to_string(position.partition) +
                               "] to " + std::to_string(position.offset) + ": " + text);
  }
  throw_on_partition_error(*list, "seek");
}

void Consumer::pause(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  PartitionListPtr list = partition_list(partitions);
  const rd_kafka_resp_err_t error = rd_kafka_pause_partitions(handle_.get(), list.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, std::string("pause failed: ") + rd_kafka_err2str(error));
  }
  throw_on_partition_error(*list, "pause");
}

void Consumer::resume(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  PartitionListPtr list = partition_list(partitions);
  const rd_kafka_resp_err_t error = rd_kafka_resume_partitions(handle_.get(), list.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, std::string("resume failed: ") + rd_kafka_err2str(error));
  }
  throw_on_partition_error(*list, "resume");
}

void Consumer::commit(const std::vector<TopicPartitionOffset>& offsets, bool async) {
  if (!group_mode_) {
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     "commit needs a consumer group (group_id is empty)");
  }
  if (offsets.empty()) return;  // an empty list would commit the current positions
  PartitionListPtr list = to_partition_list(offsets);
  const rd_kafka_resp_err_t error = rd_kafka_commit(handle_.get(), list.get(), async ? 1 : 0);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(
        error, "commit of " + internal::describe(*list) + " failed: " + rd_kafka_err2str(error));
  }
}

std::vector<TopicPartitionOffset> Consumer::committed(const std::vector<TopicPartition>& partitions,
                                                      int timeout_ms) {
  std::vector<TopicPartitionOffset> offsets;
  if (!group_mode_ || partitions.empty()) {
    for (const TopicPartition& partition : partitions) {
      offsets.push_back(
          TopicPartitionOffset{partition.topic, partition.partition, RD_KAFKA_OFFSET_INVALID});
    }
    return offsets;
  }
  // A coordinator in transition is asked again until timeout_ms has passed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int attempt = 1;; ++attempt) {
    const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
    PartitionListPtr list = partition_list(partitions);
    rd_kafka_resp_err_t error = rd_kafka_committed(handle_.get(), list.get(),
                                                   static_cast<int>(std::max<int64_t>(left_ms, 0)));
    for (int i = 0; error == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
      if (coordinator_in_transition(list->elems[i].err)) error = list->elems[i].err;
    }
    const bool again = coordinator_in_transition(error) &&
                       left_ms > static_cast<int64_t>(kCoordinatorRetryBackoffMs);
    if (again) {
      internal::logger()->warn("{}: committed offsets query answered {} (attempt {}); asking again",
                               rd_kafka_name(handle_.get()), rd_kafka_err2name(error), attempt);
      std::this_thread::sleep_for(std::chrono::milliseconds(kCoordinatorRetryBackoffMs));
      continue;
    }
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw KafkaError(error,
                       std::string("committed offsets query failed: ") + rd_kafka_err2str(error));
    }
    throw_on_partition_error(*list, "committed offset of");
    return from_partition_list(*list);
  }
}

Watermarks Consumer::watermarks(const std::string& topic, int32_t partition, int timeout_ms) {
  Watermarks marks;
  const rd_kafka_resp_err_t error = rd_kafka_query_watermark_offsets(
      handle_.get(), topic.c_str(), partition, &marks.low, &marks.high, timeout_ms);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(error, "watermarks of " + topic + " [" + std::to_string(partition) +
                                "]: " + rd_kafka_err2str(error));
  }
  return marks;
}

std::optional<int64_t> Consumer::cached_high_watermark(const std::string& topic,
                                                       int32_t partition) const {
  int64_t low = RD_KAFKA_OFFSET_INVALID;
  int64_t high = RD_KAFKA_OFFSET_INVALID;
  const rd_kafka_resp_err_t error =
      rd_kafka_get_watermark_offsets(handle_.get(), topic.c_str(), partition, &low, &high);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR || high < 0) return std::nullopt;
  return high;
}

int32_t Consumer::partition_count(const std::string& topic, int timeout_ms) {
  return internal::partition_count(handle_.get(), topic, timeout_ms);
}

void Consumer::close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_t* handle = handle_.get();
  const auto started = std::chrono::steady_clock::now();
  // Serves the revocation (on_revoked) on this thread.
  const rd_kafka_resp_err_t error = rd_kafka_consumer_close(handle);
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    internal::logger()->warn("{}: close: {}", rd_kafka_name(handle), rd_kafka_err2str(error));
  } else if (group_mode_) {
    internal::logger()->info("{}: left the group in {} ms", rd_kafka_name(handle), elapsed_ms);
  }
  internal::rethrow_callback_exception();
}

void read_range(Consumer& reader, const std::string& topic, int32_t partition, int64_t from,
                int64_t to, const std::function<void(int64_t offset, std::string_view value)>& each,
                int stall_timeout_ms) {
  if (from >= to) return;
  reader.assign({TopicPartitionOffset{topic, partition, from}});
  int64_t next = from;
  std::vector<MessagePtr> messages;
  auto last_progress = std::chrono::steady_clock::now();
  while (next < to) {
    messages.clear();
    reader.poll_batch(messages, 10'000, 500);
    if (messages.empty()) {
      if (std::chrono::steady_clock::now() - last_progress >
          std::chrono::milliseconds(stall_timeout_ms)) {
        throw std::runtime_error(topic + " partition " + std::to_string(partition) +
                                 ": no progress reading at offset " + std::to_string(next));
      }
      continue;
    }
    last_progress = std::chrono::steady_clock::now();
    for (const MessagePtr& message : messages) {
      if (message->partition != partition || message->offset < next || message->offset >= to)
        continue;
      each(message->offset, message_value(*message));
      next = message->offset + 1;
    }
  }
}

}  // namespace lf::kafka
