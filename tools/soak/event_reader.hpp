// The soak's reader of ledgerflow.events (soak.hpp): the chain rule per
// partition over the whole log, each accepted record a decision for the
// ledger, every message spooled for `verify`'s fold at the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consumers/kafka/kafka.hpp"
#include "consumers/verify/fold.hpp"
#include "events/chain.hpp"
#include "events/json.hpp"
#include "tools/soak/ledger.hpp"

namespace lf::soak {

// Unanswered commands a partition may hold: ~1.8 MB of commands, well within
// the ~5 MiB the mock keeps of a partition, so no engine ever needs a
// command the broker has dropped.
inline constexpr std::size_t kPollBatchMax = 5'000;
// A commit record's bounds when the soak decodes it.
inline const JsonLimits kRecordLimits{.max_bytes = 1 << 20, .max_depth = 64};

inline std::vector<kafka::TopicPartitionOffset> from_start(kafka::Consumer& consumer,
                                                           const std::string& topic) {
  std::vector<kafka::TopicPartitionOffset> positions;
  const int32_t partitions = consumer.partition_count(topic);
  for (int32_t partition = 0; partition < partitions; ++partition) {
    positions.push_back({topic, partition, consumer.watermarks(topic, partition).low});
  }
  return positions;
}

// ledgerflow.events, read continuously from offset 0 (the mock keeps only
// ~5 MiB a partition): the chain rule per partition, each accepted record a
// decision for the ledger; and every message kept as it came, in a spool
// file per partition, for the fold `ledgerflow verify` makes, one partition
// at a time, at the end (folding a long log at once would need gigabytes).
class EventReader {
 public:
  EventReader(const kafka::Settings& settings, const kafka::Topics& topics,
              std::filesystem::path spool)
      : topic_(topics.events()),
        consumer_(std::make_unique<kafka::Consumer>(settings, "soak-events", "")),
        spool_(std::move(spool)) {
    std::filesystem::create_directories(spool_);
    std::vector<kafka::TopicPartitionOffset> start = from_start(*consumer_, topic_);
    for (const auto& position : start) {
      next_offset_[position.partition] = position.offset;
      files_[position.partition].open(spool_file(position.partition),
                                      std::ios::binary | std::ios::trunc);
    }
    consumer_->assign(start);
  }

  void poll(Ledger& ledger, int timeout_ms) {
    std::vector<kafka::MessagePtr> messages;
    consumer_->poll_batch(messages, kPollBatchMax, timeout_ms);
    for (const kafka::MessagePtr& message : messages) offer(ledger, *message);
  }

  // Read up to the log's end of every partition.
  bool at_end() {
    for (auto& [partition, next] : next_offset_) {
      if (consumer_->watermarks(topic_, partition).high > next) return false;
    }
    return true;
  }
  // Whether the broker still holds every partition from offset 0.
  bool log_whole() {
    for (auto& [partition, next] : next_offset_) {
      if (consumer_->watermarks(topic_, partition).low > 0) return false;
    }
    return true;
  }
  // Done reading: the client goes before the cluster does, the spool is complete.
  void close() {
    if (!consumer_) return;
    consumer_->close();
    consumer_.reset();
    for (auto& [partition, file] : files_) file.close();
  }

  std::vector<int32_t> partitions() const {
    std::vector<int32_t> all;
    for (const auto& [partition, next] : next_offset_) all.push_back(partition);
    return all;
  }
  // Offers every spooled message of `partition` to `fold`, in offset order.
  void replay(int32_t partition, verify::Fold& fold) const {
    std::ifstream in(spool_file(partition), std::ios::binary);
    int64_t offset = 0;
    uint32_t size = 0;
    std::string value;
    while (in.read(reinterpret_cast<char*>(&offset), sizeof offset) &&
           in.read(reinterpret_cast<char*>(&size), sizeof size)) {
      value.resize(size);
      if (!in.read(value.data(), size))
        throw std::runtime_error("a torn spool file: " + spool_file(partition).string());
      fold.offer(partition, offset, value, kRecordLimits);
    }
  }
  void remove_spool() const { std::filesystem::remove_all(spool_); }

  int64_t accepted() const { return accepted_; }
  int64_t events() const { return events_; }
  int64_t spooled_bytes() const { return spooled_bytes_; }
  const std::map<std::string, int64_t>& ignored() const { return ignored_; }
  int64_t undecodable() const { return undecodable_; }
  int64_t offset_gaps() const { return offset_gaps_; }

 private:
  std::filesystem::path spool_file(int32_t partition) const {
    return spool_ / ("partition-" + std::to_string(partition) + ".bin");
  }

  void offer(Ledger& ledger, const rd_kafka_message_t& message) {
    const int32_t partition = message.partition;
    if (message.offset != next_offset_[partition]) {  // never, with auto.offset.reset=error
      ++offset_gaps_;
      spdlog::error("events partition {}: offset {} follows {}", partition, message.offset,
                    next_offset_[partition] - 1);
    }
    next_offset_[partition] = message.offset + 1;
    const std::string_view value = kafka::message_value(message);
    std::ofstream& file = files_[partition];
    const int64_t offset = message.offset;
    const auto size = static_cast<uint32_t>(value.size());
    file.write(reinterpret_cast<const char*>(&offset), sizeof offset);
    file.write(reinterpret_cast<const char*>(&size), sizeof size);
    file.write(value.data(), static_cast<std::streamsize>(value.size()));
    if (!file) throw std::runtime_error("cannot write the events spool in " + spool_.string());
    spooled_bytes_ += static_cast<int64_t>(value.size());
    Result<DecodedRecord> record = decode_commit_record(value, kRecordLimits);
    if (!record) {
      ++undecodable_;
      spdlog::error("events partition {} offset {}: not a commit record: {}", partition,
                    message.offset, record.error().message);
      return;
    }
    const RecordVerdict verdict = admit(chains_[partition], record->header);
    if (verdict != RecordVerdict::accepted) {
      ++ignored_[to_string(verdict)];
      return;
    }
    ++accepted_;
    events_ += static_cast<int64_t>(record->events.size());
    const DecisionView decision = decision_of(*record);
    ledger.on_decision(record->header.command_id, record->header.seq, decision.rejected,
                       decision.reason);
  }

  std::string topic_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::filesystem::path spool_;
  std::map<int32_t, std::ofstream> files_;
  std::map<int32_t, ChainPosition> chains_;
  std::map<int32_t, int64_t> next_offset_;
  int64_t accepted_ = 0;
  int64_t events_ = 0;
  int64_t spooled_bytes_ = 0;
  std::map<std::string, int64_t> ignored_;
  int64_t undecodable_ = 0;
  int64_t offset_gaps_ = 0;
};

}  // namespace lf::soak
