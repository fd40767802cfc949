// Recovering a partition's decision state: the snapshot in PostgreSQL, then
// every record after it in ledgerflow.events, admitted by the chain rule. On
// assignment, and when another writer's record won a seq this engine wrote.
#include <chrono>
#include <stdexcept>

#include "consumers/engine/engine_service.hpp"
#include "consumers/engine/logger.hpp"
#include "consumers/pg/snapshots.hpp"

namespace lf::engine_service {

namespace {

engine::PartitionImage image_of(pg::Snapshot snapshot) {
  engine::PartitionImage image;
  image.seq = snapshot.header.seq;
  image.record_id = snapshot.header.record_id;
  image.commands_next_offset = snapshot.header.commands_next_offset;
  for (pg::TenantStateRow& tenant : snapshot.tenants) {
    image.tenants.emplace_back(std::move(tenant.tenant_id), std::move(tenant.state_json));
  }
  for (pg::DedupRow& row : snapshot.dedup) {
    image.dedup.push_back(engine::DedupWindow::Row{
        std::move(row.tenant_id), std::move(row.command_id), row.seq, std::move(row.result_json)});
  }
  return image;
}

// An event a newer binary wrote (a schema_version above the current one):
// engine::evolve cannot read it and only advances its stream, so the state
// may lack its effect. The operator must know: this engine is older than the
// log it folds.
void warn_unreadable(const DecodedRecord& record, int32_t partition, int64_t offset) {
  for (const DecodedEvent& event : record.events) {
    if (event.schema != UpcastOutcome::newer_version) continue;
    logger()->error(
        "tenant {} partition {} offset {}: event {} ({} schema_version {}) is newer than this "
        "binary reads; its effect is not in the state: upgrade the engine",
        record.header.tenant_id, partition, offset, event.header.event_id, event.header.type,
        event.written_schema_version);
  }
}

}  // namespace

void EngineService::recover(int32_t number, Partition& partition) {
  const auto started = std::chrono::steady_clock::now();
  partition.core = std::make_unique<engine::PartitionCore>(number, options_.writer_id,
                                                           options_.partition, UlidGenerator());
  partition.epoch = next_epoch_++;
  int64_t from_offset = 0;
  partition.last_snapshot_seq = 0;
  partition.snapshot_commands_offset = 0;
  if (options_.snapshots) {
    // Waits for the database when it is down (the rebalance waits with it).
    std::optional<pg::Snapshot> snapshot = database_->run(
        "loading the snapshot of partition " + std::to_string(number),
        [number](pqxx::connection& connection) {
          pqxx::work work(connection);
          std::optional<pg::Snapshot> loaded = pg::load_snapshot(work, number);
          work.commit();
          return loaded;
        },
        stop_);
    if (snapshot) {
      from_offset = snapshot->header.events_next_offset;
      partition.snapshot_commands_offset = snapshot->header.commands_next_offset;
      partition.last_snapshot_seq = snapshot->header.seq;
      Result<bool> restored = partition.core->restore(image_of(std::move(*snapshot)));
      if (!restored) {
        throw std::runtime_error("partition " + std::to_string(number) +
                                 ": the snapshot is unreadable: " + restored.error().message);
      }
    }
  }
  partition.events_next_offset = replay_log(number, *partition.core, from_offset);
  partition.confirmed = partition.core->chain();
  partition.unconfirmed.clear();
  partition.outcomes.clear();
  partition.stale = false;
  timers_unchecked_ = true;
  partition.records_since_snapshot = partition.confirmed.last_seq - partition.last_snapshot_seq;
  // Tenants the replay touched stay marked: the next snapshot writes them.
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  logger()->info(
      "partition {} recovered in {} ms: snapshot seq {}, log replayed to seq {} (events offset {})",
      number, elapsed_ms, partition.last_snapshot_seq, partition.confirmed.last_seq,
      partition.events_next_offset);
}

int64_t EngineService::replay_log(int32_t number, engine::PartitionCore& core,
                                  int64_t from_offset) {
  kafka::Consumer reader(options_.kafka, options_.client_id + "-recovery", "");
  const kafka::Watermarks marks = reader.watermarks(options_.topics.events(), number);
  if (from_offset < marks.low) {
    throw std::runtime_error(
        "partition " + std::to_string(number) + " of " + options_.topics.events() +
        " starts at offset " + std::to_string(marks.low) +
        " but the engine's snapshot covers the log only up to offset " +
        std::to_string(from_offset) + ": the broker dropped records no snapshot holds");
  }
  if (from_offset >= marks.high) return from_offset;
  reader.assign({kafka::TopicPartitionOffset{options_.topics.events(), number, from_offset}});
  int64_t next = from_offset;
  std::vector<kafka::MessagePtr> messages;
  auto last_progress = std::chrono::steady_clock::now();
  while (next < marks.high) {
    messages.clear();
    reader.poll_batch(messages, 5000, 500);
    if (messages.empty()) {
      if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(60)) {
        throw std::runtime_error("partition " + std::to_string(number) +
                                 ": no progress replaying " + options_.topics.events() +
                                 " at offset " + std::to_string(next));
      }
      continue;
    }
    last_progress = std::chrono::steady_clock::now();
    for (const kafka::MessagePtr& message : messages) {
      next = message->offset + 1;
      Result<DecodedRecord> record =
          decode_commit_record(kafka::message_value(*message), options_.partition.record_limits);
      if (!record) continue;  // not a commit record: no reader accepts it
      if (core.replay(*record) == RecordVerdict::accepted)
        warn_unreadable(*record, number, message->offset);
    }
  }
  reader.close();
  return next;
}

void EngineService::reload_after_conflict(int32_t number) {
  auto found = partitions_.find(number);
  if (found == partitions_.end()) return;
  Partition& partition = found->second;
  // Decisions not yet confirmed are void: their commands are read again from
  // the first of them (the log's de-duplication answers any the winner decided).
  int64_t resume = partition.next_consume_offset;
  for (const Outcome& outcome : partition.outcomes) {
    if (outcome.command_offset >= 0) {
      resume = std::min(resume, outcome.command_offset);
      partition.in_flight.erase(outcome.command_offset);
    }
  }
  ++stats_.conflicts;
  // Set before the recovery: should it be interrupted, no offset beyond the
  // voided decisions may be committed.
  partition.next_consume_offset = resume;
  recover(number, partition);
  readback_->seek(
      kafka::TopicPartitionOffset{options_.topics.events(), number, partition.events_next_offset});
  commands_->seek(kafka::TopicPartitionOffset{options_.topics.commands(), number, resume});
  partition.held.clear();  // read again from `resume`
  partition.snapshot_wanted = false;
  logger()->warn("partition {} recovered after a conflict; commands resume at offset {}", number,
                 resume);
}

}  // namespace lf::engine_service
