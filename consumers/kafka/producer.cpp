// The producer: idempotent, acks from all replicas, Java-compatible
// partitioning; delivery reports served by poll()/flush() on the caller's thread.
#include "consumers/kafka/kafka.hpp"

#include <cstdint>

#include "consumers/kafka/internal.hpp"

namespace lf::kafka {

namespace {

// A full local queue is retried by serving delivery reports for
// kQueueFullPollMs at a time, at most kQueueFullRetriesMax times (~10 s).
constexpr int kQueueFullRetriesMax = 1000;
constexpr int kQueueFullPollMs = 10;

static_assert(sizeof(void*) >= sizeof(uint64_t),
              "a delivery token travels as librdkafka's msg_opaque");

const std::map<std::string, std::string>& producer_defaults() {
  static const std::map<std::string, std::string> defaults = {
      {"acks", "all"},
      {"enable.idempotence", "true"},
      {"linger.ms", "5"},
      {"batch.num.messages", "10000"},
      // Kafka's Java default (murmur2 of the key): producers in every language agree.
      {"partitioner", "murmur2_random"},
      // Topics are created on purpose, with the partition count the tenants'
      // placement depends on; librdkafka's producer default would let a
      // metadata request for a mistyped name create one. (The 2.0.2 mock
      // speaks Metadata v2, which cannot say no: it auto-creates anyway.)
      {"allow.auto.create.topics", "false"},
  };
  return defaults;
}

}  // namespace

Producer::Producer(const Settings& settings, std::string client_id,
                   const std::map<std::string, std::string>& properties) {
  internal::ConfPtr conf = internal::new_conf();
  internal::set_property(conf.get(), "client.id", client_id);
  internal::set_properties(conf.get(), producer_defaults());
  if (!settings.bootstrap.empty()) {
    internal::set_property(conf.get(), "bootstrap.servers", settings.bootstrap);
  }
  internal::set_properties(conf.get(), settings.properties);
  internal::set_properties(conf.get(), properties);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::delivery_trampoline);
  rd_kafka_conf_set_error_cb(conf.get(), internal::error_callback);
  rd_kafka_conf_set_opaque(conf.get(), this);
  handle_ = internal::new_handle(RD_KAFKA_PRODUCER, std::move(conf));
  internal::logger()->debug("{}: producer for {}", rd_kafka_name(handle_.get()),
                            settings.bootstrap);
}

void Producer::on_delivery(std::function<void(const DeliveryReport&)> handler) {
  delivery_handler_ = std::move(handler);
}

void Producer::delivery_trampoline(rd_kafka_t* handle, const rd_kafka_message_t* message,
                                   void* opaque) {
  auto* self = static_cast<Producer*>(opaque);
  DeliveryReport report;
  report.error = message->err;
  report.topic = message_topic(*message);
  report.partition = message->partition;
  report.offset = message->offset;
  report.token = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(message->_private));
  if (report.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    internal::logger()->warn("{}: delivery to {} [{}] failed: {}", rd_kafka_name(handle),
                             report.topic, report.partition, rd_kafka_err2str(report.error));
  }
  if (!self->delivery_handler_) return;
  try {
    self->delivery_handler_(report);
  } catch (...) {
    internal::stash_callback_exception();
  }
}

void Producer::produce(const std::string& topic, int32_t partition,
                       std::optional<std::string_view> key, std::optional<std::string_view> value,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       uint64_t token) {
  rd_kafka_t* handle = handle_.get();
  internal::throw_if_fatal(handle);
  internal::HeadersPtr message_headers;
  if (!headers.empty()) {
    message_headers.reset(rd_kafka_headers_new(headers.size()));
    for (const auto& [name, header_value] : headers) {
      rd_kafka_header_add(message_headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                          header_value.data(), static_cast<ssize_t>(header_value.size()));
    }
  }
  // The key and value are copied (F_COPY); headers pass to librdkafka on
  // success only. librdkafka sends a NULL pointer as null and any other
  // pointer, even with length 0, as those bytes: an empty key or value stays
  // empty. (An empty string_view's data() may be null, so it points at a
  // static byte instead.)
  static const char kNoBytes = '\0';
  auto bytes_of = [](const std::optional<std::string_view>& bytes) -> void* {
    if (!bytes) return nullptr;
    return const_cast<char*>(bytes->empty() ? &kNoBytes : bytes->data());
  };
  void* key_bytes = bytes_of(key);
  void* value_bytes = bytes_of(value);
  const std::size_t key_size = key ? key->size() : 0;
  const std::size_t value_size = value ? value->size() : 0;
  for (int attempt = 0;; ++attempt) {
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        handle, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key_bytes, key_size), RD_KAFKA_V_VALUE(value_bytes, value_size),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(message_headers.get()),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(token))), RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
      static_cast<void>(message_headers.release());
      return;
    }
    if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt == kQueueFullRetriesMax) {
      throw KafkaError(
          error, std::string(rd_kafka_name(handle)) + ": cannot produce to " + topic + " [" +
                     std::to_string(partition) + "]" +
                     (attempt > 0 ? " after " + std::to_string(attempt) + " retries" : "") + ": " +
                     rd_kafka_err2str(error));
    }
    poll(kQueueFullPollMs);
  }
}

int Producer::poll(int timeout_ms) {
  rd_kafka_t* handle = handle_.get();
  internal::throw_if_fatal(handle);
  const int served = rd_kafka_poll(handle, timeout_ms);
  internal::rethrow_callback_exception();
  internal::throw_if_fatal(handle);
  return served;
}

bool Producer::flush(int timeout_ms) {
  rd_kafka_t* handle = handle_.get();
  const rd_kafka_resp_err_t error = rd_kafka_flush(handle, timeout_ms);
  internal::rethrow_callback_exception();
  internal::throw_if_fatal(handle);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    internal::logger()->warn("{}: {} message(s) still outstanding after flushing for {} ms",
                             rd_kafka_name(handle), rd_kafka_outq_len(handle), timeout_ms);
    return false;
  }
  return true;
}

int Producer::outstanding() const {
  return rd_kafka_outq_len(handle_.get());
}

int32_t Producer::partition_count(const std::string& topic, int timeout_ms) {
  return internal::partition_count(handle_.get(), topic, timeout_ms);
}

}  // namespace lf::kafka
