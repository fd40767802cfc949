// What every librdkafka client of the adapter shares: configuration, logs and
// errors routed to spdlog, handle destruction, metadata.
#include "consumers/kafka/internal.hpp"

#include <exception>
#include <utility>

namespace lf::kafka {

namespace internal {

namespace {

// Exceptions raised inside a librdkafka callback, waiting for the API call
// that served the callback (on this thread) to return.
thread_local std::exception_ptr pending_callback_exception;

constexpr std::size_t kErrorTextBytes = 512;

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("kafka");
    return existing ? existing : spdlog::default_logger()->clone("kafka");
  }();
  return instance;
}

ConfPtr new_conf() {
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), log_callback);
  return conf;
}

void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error_text[kErrorTextBytes];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error_text, sizeof(error_text)) !=
      RD_KAFKA_CONF_OK) {
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     "Kafka property " + name + "=" + value + ": " + error_text);
  }
}

void set_properties(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& properties) {
  for (const auto& [name, value] : properties) set_property(conf, name, value);
}

HandlePtr new_handle(rd_kafka_type_t type, ConfPtr conf) {
  char error_text[kErrorTextBytes];
  rd_kafka_t* handle = rd_kafka_new(type, conf.get(), error_text, sizeof(error_text));
  if (handle == nullptr) {
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     std::string("cannot create Kafka client: ") + error_text);
  }
  static_cast<void>(conf.release());  // owned by the handle now
  return HandlePtr(handle);
}

HandlePtr new_metadata_client(const std::string& bootstrap) {
  ConfPtr conf = new_conf();
  set_property(conf.get(), "bootstrap.servers", bootstrap);
  set_property(conf.get(), "client.id", "ledgerflow-metadata");
  set_property(conf.get(), "enable.idempotence", "false");
  set_property(conf.get(), "allow.auto.create.topics", "false");
  rd_kafka_conf_set_error_cb(conf.get(), error_callback);
  return new_handle(RD_KAFKA_PRODUCER, std::move(conf));
}

void log_callback(const rd_kafka_t* handle, int level, const char* facility, const char* message) {
  // syslog levels: 0-3 emergency..error, 4 warning, 5 notice, 6 info, 7 debug.
  spdlog::level::level_enum spd_level = spdlog::level::debug;
  if (level <= 3) {
    spd_level = spdlog::level::err;
  } else if (level == 4) {
    spd_level = spdlog::level::warn;
  } else if (level == 5) {
    spd_level = spdlog::level::info;
  }
  logger()->log(spd_level, "{} {}: {}", handle ? rd_kafka_name(handle) : "-", facility, message);
}

void error_callback(rd_kafka_t* handle, int error, const char* reason, void* /*opaque*/) {
  const auto code = static_cast<rd_kafka_resp_err_t>(error);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal_text[kErrorTextBytes];
    const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(handle, fatal_text, sizeof(fatal_text));
    logger()->error("{}: fatal error {}: {}", rd_kafka_name(handle), rd_kafka_err2name(fatal),
                    fatal_text);
    return;
  }
  // librdkafka has already logged connection failures and request timeouts
  // (through log_callback): one line per event is enough.
  const bool already_logged =
      code == RD_KAFKA_RESP_ERR__TRANSPORT || code == RD_KAFKA_RESP_ERR__TIMED_OUT;
  logger()->log(already_logged ? spdlog::level::debug : spdlog::level::warn, "{}: {} ({})",
                rd_kafka_name(handle), reason, rd_kafka_err2name(code));
}

void stash_callback_exception() {
  if (!pending_callback_exception) pending_callback_exception = std::current_exception();
}

void rethrow_callback_exception() {
  if (!pending_callback_exception) return;
  std::exception_ptr pending = std::exchange(pending_callback_exception, nullptr);
  std::rethrow_exception(pending);
}

void throw_if_fatal(rd_kafka_t* handle) {
  char fatal_text[kErrorTextBytes];
  const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(handle, fatal_text, sizeof(fatal_text));
  if (fatal != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(fatal, std::string(rd_kafka_name(handle)) + ": fatal error: " + fatal_text);
  }
}

MetadataPtr metadata(rd_kafka_t* handle, const std::string& topic, int timeout_ms) {
  TopicPtr topic_handle;
  if (!topic.empty()) topic_handle.reset(rd_kafka_topic_new(handle, topic.c_str(), nullptr));
  if (!topic.empty() && !topic_handle) {
    const rd_kafka_resp_err_t code = rd_kafka_last_error();
    throw KafkaError(code, "topic " + topic + ": " + rd_kafka_err2str(code));
  }
  const rd_kafka_metadata_t* result = nullptr;
  const rd_kafka_resp_err_t code =
      rd_kafka_metadata(handle, topic.empty() ? 1 : 0, topic_handle.get(), &result, timeout_ms);
  if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError(code, "metadata request" + (topic.empty() ? std::string() : " for " + topic) +
                               " failed: " + rd_kafka_err2str(code));
  }
  return MetadataPtr(result);
}

int32_t partition_count(rd_kafka_t* handle, const std::string& topic, int timeout_ms) {
  MetadataPtr result = metadata(handle, topic, timeout_ms);
  for (int i = 0; i < result->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& entry = result->topics[i];
    if (topic != entry.topic) continue;
    if (entry.partition_cnt > 0) return entry.partition_cnt;
    const rd_kafka_resp_err_t code = entry.err != RD_KAFKA_RESP_ERR_NO_ERROR
                                         ? entry.err
                                         : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    throw KafkaError(code, "topic " + topic + ": " + rd_kafka_err2str(code));
  }
  throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                   "topic " + topic + ": not in the metadata");
}

std::string describe(const rd_kafka_topic_partition_list_t& list) {
  std::string text;
  const char* current_topic = nullptr;
  for (int i = 0; i < list.cnt; ++i) {
    const rd_kafka_topic_partition_t& element = list.elems[i];
    if (current_topic == nullptr || std::string_view(current_topic) != element.topic) {
      if (current_topic != nullptr) text += "] ";
      text += element.topic;
      text += "[";
      current_topic = element.topic;
    } else {
      text += ",";
    }
    text += std::to_string(element.partition);
    if (element.offset >= 0) text += "@" + std::to_string(element.offset);
  }
  if (current_topic != nullptr) text += "]";
  return text.empty() ? "(none)" : text;
}

}  // namespace internal

void HandleDeleter::operator()(rd_kafka_t* handle) const {
  if (rd_kafka_type(handle) == RD_KAFKA_PRODUCER) {
    const int outstanding = rd_kafka_outq_len(handle);
    if (outstanding > 0) {
      internal::logger()->warn(
          "{}: destroyed with {} message(s) or event(s) not yet served (flush first)",
          rd_kafka_name(handle), outstanding);
    }
    rd_kafka_destroy(handle);
    return;
  }
  // Consumer::close() has already closed the consumer. After a fatal error,
  // librdkafka 2.0.2's rd_kafka_destroy() would try to close it again and
  // never return (checked against the mock cluster): skip that close.
  const bool fatal = rd_kafka_fatal_error(handle, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_destroy_flags(handle, fatal ? RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE : 0);
}

}  // namespace lf::kafka
