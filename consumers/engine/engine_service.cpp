// The engine service: its loop, assignment and hand-over, read-back and
// confirmation, outputs. Command intake is in command_intake.cpp; recovering
// a partition (its snapshot, then the log) in recovery.cpp; timers,
// snapshots and offset commits in upkeep.cpp.
#include "consumers/engine/engine_service.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "consumers/engine/logger.hpp"
#include "consumers/pg/snapshots.hpp"
#include "events/assert.hpp"
#include "events/time.hpp"
#include "events/timezone.hpp"
#include "events/ulid.hpp"

namespace lf::engine_service {

EngineService::EngineService(Options options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = lf::system_now_ms;
  // Billing time zones: the machine's tzdata ($TZDIR, else /usr/share/zoneinfo).
  if (options_.partition.time_zones == nullptr)
    options_.partition.time_zones = &TimeZoneDb::system();
  if (options_.writer_id.empty()) {
    options_.writer_id = options_.client_id + "-" + UlidGenerator().next(lf::system_now_ms());
  }
  // Connected when first needed, and again whenever the database drops it.
  database_ = std::make_unique<pg::Reconnecting>(options_.database_url,
                                                 "engine " + options_.writer_id, database_health_);
  if (options_.snapshots) {
    snapshot_writer_ = std::make_unique<SnapshotWriter>(options_.database_url, database_health_);
  }
  // Dead letters carry a rejected command's value unchanged, however large
  // the commands topic let it be (the dead-letter topic's max.message.bytes
  // must allow as much on a real broker).
  // lz4 keeps commit records, results and dead letters small on the wire
  // and in the broker at little CPU cost.
  std::map<std::string, std::string> producer_properties;
  if (options_.kafka.properties.count("message.max.bytes") == 0) {
    producer_properties["message.max.bytes"] = std::to_string(32 << 20);
  }
  if (options_.kafka.properties.count("compression.type") == 0)
    producer_properties["compression.type"] = "lz4";
  producer_ =
      std::make_unique<kafka::Producer>(options_.kafka, options_.client_id, producer_properties);
  producer_->on_delivery([this](const kafka::DeliveryReport& report) { on_delivery(report); });
  partition_count_ = producer_->partition_count(options_.topics.commands());
  const int32_t event_partitions = producer_->partition_count(options_.topics.events());
  if (partition_count_ <= 0 || event_partitions != partition_count_) {
    throw std::runtime_error(options_.topics.commands() + " has " +
                             std::to_string(partition_count_) + " partitions and " +
                             options_.topics.events() + " has " + std::to_string(event_partitions) +
                             ": they must have the same, non-zero number");
  }
  readback_ =
      std::make_unique<kafka::Consumer>(options_.kafka, options_.client_id + "-readback", "");
  commands_ = std::make_unique<kafka::Consumer>(options_.kafka, options_.client_id,
                                                options_.partitions ? "" : options_.group_id);
  if (options_.partitions) {
    std::vector<kafka::TopicPartition> manual;
    for (int32_t number : *options_.partitions) {
      manual.push_back(kafka::TopicPartition{options_.topics.commands(), number});
    }
    commands_->assign(on_assigned(manual));
  } else {
    commands_->subscribe({options_.topics.commands()}, this);
  }
  logger()->info("engine {} started: {} partitions, group {}", options_.writer_id, partition_count_,
                 options_.partitions ? "(manual assignment)" : options_.group_id);
}

EngineService::~EngineService() {
  try {
    if (commands_) commands_->close();
    if (readback_) readback_->close();
    if (producer_) producer_->flush(10'000);
  } catch (const std::exception& error) {
    logger()->warn("engine shutdown: {}", error.what());
  }
}

int64_t EngineService::now_ms() const {
  return options_.clock();
}

void EngineService::run(const std::atomic<bool>& stop) {
  pthread_setname_np(pthread_self(), "lf-engine");
  stop_ = &stop;
  try {
    while (!stop.load(std::memory_order_relaxed)) step(50);
  } catch (const pg::StopRequested&) {
    // A partition is half recovered: leave as a crash would, committing nothing
    // (the next owner reads from the last committed offset and answers what
    // was decided from the de-duplication window).
    logger()->warn("engine {}: stopped while waiting for the database; offsets not committed",
                   options_.writer_id);
    return;
  }
  drain(10'000);
  commit_offsets(true);
  commands_->close();  // hands the partitions over (on_revoked)
  if (snapshot_writer_ && !snapshot_writer_->wait_idle(10'000)) {
    logger()->warn("engine {}: snapshots still being written at shutdown", options_.writer_id);
  }
  readback_->close();
  producer_->flush(10'000);
  logger()->info("engine {} stopped", options_.writer_id);
}

void EngineService::step(int poll_timeout_ms) {
  bool waiting = false;
  for (const auto& [number, partition] : partitions_) {
    waiting = waiting || !partition.unconfirmed.empty() || !partition.outcomes.empty();
  }
  batch_.clear();
  const std::size_t commands =
      commands_->poll_batch(batch_, options_.poll_batch_max, waiting ? 0 : poll_timeout_ms);
  for (kafka::MessagePtr& message : batch_) handle_command(std::move(message));

  bool unconfirmed = false;
  for (const auto& [number, partition] : partitions_)
    unconfirmed = unconfirmed || !partition.unconfirmed.empty();
  batch_.clear();
  // Wait briefly for confirmations only when no commands are queuing up.
  readback_->poll_batch(batch_, 10'000, unconfirmed && commands == 0 ? 1 : 0);
  for (const kafka::MessagePtr& message : batch_) handle_readback(*message);
  batch_.clear();
  producer_->poll(0);

  std::vector<int32_t> conflicted;
  conflicted.swap(conflicted_);
  for (int32_t number : conflicted) reload_after_conflict(number);

  const int64_t now = now_ms();
  if (timers_unchecked_ || now - last_timer_check_ms_ >= options_.timer_check_every_ms) {
    timers_unchecked_ = false;
    last_timer_check_ms_ = now;
    fire_timers();
  }
  collect_snapshots();
  for (auto& [number, partition] : partitions_) maybe_snapshot(number, partition);
  if (now - last_commit_ms_ >= options_.commit_every_ms) {
    last_commit_ms_ = now;
    commit_offsets(false);
  }
  publish_report();
}

bool EngineService::drain(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto settled = [this] {
    for (const auto& [number, partition] : partitions_) {
      if (!partition.unconfirmed.empty() || !partition.outcomes.empty() ||
          !partition.in_flight.empty()) {
        return false;
      }
    }
    return true;
  };
  while (!settled() && std::chrono::steady_clock::now() < deadline) {
    batch_.clear();
    readback_->poll_batch(batch_, 10'000, 5);
    for (const kafka::MessagePtr& message : batch_) handle_readback(*message);
    batch_.clear();
    producer_->poll(1);
    std::vector<int32_t> conflicted;
    conflicted.swap(conflicted_);
    for (int32_t number : conflicted) reload_after_conflict(number);
  }
  publish_report();
  return settled();
}

void EngineService::publish_report() {
  const std::lock_guard<std::mutex> lock(report_mutex_);
  report_.stats = stats_;
  report_.partitions.clear();  // keeps its capacity: no allocation per step
  for (const auto& [number, partition] : partitions_) {
    CommandBacklog backlog;
    backlog.partition = number;
    if (std::optional<int64_t> high =
            commands_->cached_high_watermark(options_.topics.commands(), number)) {
      backlog.commands_lag = std::max<int64_t>(0, *high - partition.next_consume_offset);
    }
    report_.partitions.push_back(backlog);
  }
}

Report EngineService::report() const {
  const std::lock_guard<std::mutex> lock(report_mutex_);
  return report_;
}

// ---- assignment --------------------------------------------------------------

std::vector<kafka::TopicPartitionOffset> EngineService::on_assigned(
    const std::vector<kafka::TopicPartition>& assigned) {
  std::vector<kafka::TopicPartitionOffset> offsets;
  std::vector<kafka::TopicPartitionOffset> committed;
  if (!options_.partitions) committed = commands_->committed(assigned);
  for (const kafka::TopicPartition& topic_partition : assigned) {
    const int32_t number = topic_partition.partition;
    Partition& partition = partitions_[number];
    partition = Partition{};
    partition.assignment = next_epoch_++;
    try {
      recover(number, partition);
    } catch (...) {
      partitions_.erase(number);
      throw;
    }
    // Resume below the first command whose outputs may not have been
    // delivered: the group's committed offset, or else the snapshot's (taken
    // when every output was out). Never the log's last decision: a command
    // decided but not yet answered when its engine died must be read again,
    // and is then answered from the de-duplication window.
    std::optional<int64_t> stored_offset;
    for (const kafka::TopicPartitionOffset& stored : committed) {
      if (stored.partition == number && stored.offset >= 0) stored_offset = stored.offset;
    }
    int64_t resume = stored_offset.value_or(partition.snapshot_commands_offset);
    if (!stored_offset) {
      const int64_t low = readback_->watermarks(options_.topics.commands(), number).low;
      if (low > resume) {
        logger()->warn(
            "partition {}: no committed offset and commands {}..{} are no longer held by the "
            "broker; "
            "starting at {}",
            number, resume, low - 1, low);
        resume = low;
      }
    }
    partition.next_consume_offset = resume;
    partition.committed_offset = resume;
    partition.last_snapshot_ms = now_ms();
    readback_->add_partitions({kafka::TopicPartitionOffset{options_.topics.events(), number,
                                                           partition.events_next_offset}});
    offsets.push_back(kafka::TopicPartitionOffset{options_.topics.commands(), number, resume});
    // The report first: whoever sees the partition counted (a readiness
    // check) then finds it in the report (the metrics) too.
    publish_report();
    assigned_.store(static_cast<int>(partitions_.size()), std::memory_order_release);
    logger()->info(
        "partition {} assigned: seq {}, {} tenants, commands from offset {}, events from offset {}",
        number, partition.confirmed.last_seq, partition.core->tenant_count(), resume,
        partition.events_next_offset);
  }
  return offsets;
}

void EngineService::on_revoked(const std::vector<kafka::TopicPartition>& revoked, bool lost) {
  if (!lost) {
    drain(5'000);
    commit_offsets(true);
    for (const kafka::TopicPartition& topic_partition : revoked) {
      auto found = partitions_.find(topic_partition.partition);
      if (found == partitions_.end()) continue;
      Partition& partition = found->second;
      // Hand over with a fresh snapshot, so the next owner replays little.
      const bool quiet =
          partition.unconfirmed.empty() && !partition.stale && !partition.snapshot_in_flight;
      if (options_.snapshots && quiet &&
          partition.confirmed.last_seq > partition.last_snapshot_seq) {
        submit_snapshot(topic_partition.partition, partition);
      }
    }
  }
  for (const kafka::TopicPartition& topic_partition : revoked) {
    release_partition(topic_partition.partition);
    logger()->info("partition {} {}", topic_partition.partition, lost ? "lost" : "revoked");
  }
}

void EngineService::release_partition(int32_t number) {
  auto found = partitions_.find(number);
  if (found == partitions_.end()) return;
  partitions_.erase(found);
  publish_report();
  assigned_.store(static_cast<int>(partitions_.size()), std::memory_order_release);
  readback_->remove_partitions({kafka::TopicPartition{options_.topics.events(), number}});
}

// ---- read-back and confirmation ----------------------------------------------

void EngineService::handle_readback(const rd_kafka_message_t& message) {
  auto found = partitions_.find(message.partition);
  if (found == partitions_.end()) return;
  Partition& partition = found->second;
  if (partition.stale || message.offset < partition.events_next_offset) return;
  partition.events_next_offset = message.offset + 1;
  const std::string_view value = kafka::message_value(message);
  // Our own next record, byte for byte (the usual case): no need to parse it.
  if (!partition.unconfirmed.empty() && partition.unconfirmed.front().json == value &&
      admit(partition.confirmed, partition.unconfirmed.front().header) == RecordVerdict::accepted) {
    ++stats_.records_confirmed;
    partition.unconfirmed.pop_front();
    emit_confirmed(partition, message.partition);
    return;
  }
  Result<DecodedRecord> record = decode_commit_record(value, options_.partition.record_limits);
  if (!record) {
    logger()->warn("partition {} offset {}: unreadable record ignored ({}: {})", message.partition,
                   message.offset, record.error().code, record.error().message);
    return;
  }
  const RecordVerdict verdict = admit(partition.confirmed, record->header);
  if (verdict != RecordVerdict::accepted) {
    logger()->debug("partition {} offset {}: record seq {} by {} ignored ({})", message.partition,
                    message.offset, record->header.seq, record->header.writer, to_string(verdict));
    return;
  }
  ++stats_.records_confirmed;
  if (!partition.unconfirmed.empty() &&
      partition.unconfirmed.front().header.record_id == record->header.record_id) {
    partition.unconfirmed.pop_front();
    emit_confirmed(partition, message.partition);
    return;
  }
  // Another writer's decision holds this seq: our view was stale.
  logger()->warn(
      "partition {} seq {}: the log accepted {}'s record (tenant {}, command {}) at offset {}; "
      "recovering and deciding again",
      message.partition, record->header.seq, record->header.writer, record->header.tenant_id,
      record->header.command_id, message.offset);
  partition.stale = true;
  conflicted_.push_back(message.partition);
}

void EngineService::emit_confirmed(Partition& partition, int32_t number) {
  while (!partition.outcomes.empty() &&
         partition.outcomes.front().wait_seq <= partition.confirmed.last_seq) {
    Outcome outcome = std::move(partition.outcomes.front());
    partition.outcomes.pop_front();
    for (Output& output : outcome.outputs) {
      produce_output(number, partition.assignment, outcome.command_offset, std::move(output), 0);
    }
  }
}

void EngineService::queue_outcome(Partition& partition, Outcome outcome) {
  LF_ASSERT(!outcome.outputs.empty());
  partition.in_flight[outcome.command_offset] += static_cast<int>(outcome.outputs.size());
  partition.outcomes.push_back(std::move(outcome));
}

void EngineService::produce_output(int32_t number, uint64_t assignment, int64_t command_offset,
                                   Output output, int attempts) {
  const uint64_t token = next_token_++;
  Delivery& delivery = deliveries_[token];
  delivery.kind = Delivery::Kind::output;
  delivery.partition = number;
  delivery.assignment = assignment;
  delivery.command_offset = command_offset;
  delivery.attempts = attempts;
  delivery.output = std::move(output);
  Output& sent = delivery.output;
  try {
    producer_->produce(sent.topic, sent.partition, sent.key, sent.value, sent.headers, token);
  } catch (const kafka::KafkaError& error) {
    if (error.code() != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || !sent.value || sent.value->empty())
      throw;
    // Too large even for the dead-letter topic: the letter keeps its origin
    // headers (where the value still is), says what was left out, and has a
    // null value.
    logger()->error("partition {} offset {}: {} bytes too large for {}; sent without the value",
                    number, command_offset, sent.value->size(), sent.topic);
    sent.headers.emplace_back("ledgerflow.value_omitted",
                              std::to_string(sent.value->size()) + " bytes");
    sent.value.reset();
    producer_->produce(sent.topic, sent.partition, sent.key, sent.value, sent.headers, token);
  }
}

void EngineService::on_delivery(const kafka::DeliveryReport& report) {
  auto found = deliveries_.find(report.token);
  LF_ASSERT(found != deliveries_.end());
  Delivery delivery = std::move(found->second);
  deliveries_.erase(found);
  if (delivery.kind == Delivery::Kind::record) {
    if (report.error == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // the read-back confirms it
    logger()->error("partition {}: a commit record was not written ({}); recovering",
                    delivery.partition, rd_kafka_err2str(report.error));
    auto partition = partitions_.find(delivery.partition);
    if (partition != partitions_.end() && partition->second.epoch == delivery.epoch &&
        !partition->second.stale) {
      partition->second.stale = true;
      conflicted_.push_back(delivery.partition);
    }
    return;
  }
  if (report.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    constexpr int kAttemptsMax = 5;
    if (delivery.attempts + 1 >= kAttemptsMax) {
      throw kafka::KafkaError(report.error, "could not deliver an output to " +
                                                delivery.output.topic + " after " +
                                                std::to_string(kAttemptsMax) +
                                                " attempts: " + rd_kafka_err2str(report.error));
    }
    logger()->warn("output to {} failed ({}); sending again", delivery.output.topic,
                   rd_kafka_err2str(report.error));
    produce_output(delivery.partition, delivery.assignment, delivery.command_offset,
                   std::move(delivery.output), delivery.attempts + 1);
    return;
  }
  output_delivered(delivery.partition, delivery.assignment, delivery.command_offset);
}

void EngineService::output_delivered(int32_t number, uint64_t assignment, int64_t command_offset) {
  auto found = partitions_.find(number);
  if (found == partitions_.end() || found->second.assignment != assignment) return;
  auto in_flight = found->second.in_flight.find(command_offset);
  LF_ASSERT(in_flight != found->second.in_flight.end());
  if (--in_flight->second == 0) found->second.in_flight.erase(in_flight);
}

}  // namespace lf::engine_service
