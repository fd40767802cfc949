// The engine service's upkeep between commands: due timers fired, a
// partition's confirmed state snapshotted (copied out here, written by the
// snapshot writer's thread), and offsets committed up to what is confirmed.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "consumers/engine/engine_service.hpp"
#include "consumers/engine/logger.hpp"
#include "consumers/pg/snapshots.hpp"
#include "events/time.hpp"

namespace lf::engine_service {

void EngineService::fire_timers() {
  const int64_t now = now_ms();
  for (auto& [number, partition] : partitions_) {
    if (partition.stale || partition.snapshot_wanted) continue;
    std::vector<engine::Decided> records = partition.core->fire_timers(now, 100);
    if (records.empty()) continue;
    stats_.timer_records += static_cast<int64_t>(records.size());
    for (const engine::Decided& record : records) {
      logger()->info("partition {} tenant {}: timer fired, seq {}, {} event(s)", number,
                     record.header.tenant_id, record.header.seq, record.event_ids.size());
    }
    write_records(partition, number, records);
  }
}

void EngineService::maybe_snapshot(int32_t number, Partition& partition) {
  if (!options_.snapshots || partition.stale || partition.snapshot_in_flight) return;
  if (!partition.snapshot_wanted) {
    const bool many = partition.records_since_snapshot >= options_.snapshot_every_records ||
                      partition.bytes_since_snapshot >= options_.snapshot_every_bytes;
    const bool old = partition.records_since_snapshot > 0 &&
                     now_ms() - partition.last_snapshot_ms >= options_.snapshot_every_ms;
    if (!many && !old) return;
    // New commands wait until every decision is confirmed; the state is then
    // the log's, and is copied out.
    partition.snapshot_wanted = true;
  }
  if (!partition.unconfirmed.empty()) return;
  submit_snapshot(number, partition);
  partition.snapshot_wanted = false;
  std::deque<kafka::MessagePtr> held;
  held.swap(partition.held);
  for (kafka::MessagePtr& message : held) handle_command(std::move(message));
}

// Copies the partition's confirmed state out (tenants changed since the last
// snapshot, new de-duplication entries) and hands it to the writer thread.
void EngineService::submit_snapshot(int32_t number, Partition& partition) {
  LF_ASSERT(partition.unconfirmed.empty() && !partition.snapshot_in_flight);
  engine::PartitionCore& core = *partition.core;
  LF_ASSERT(core.chain().last_seq == partition.confirmed.last_seq);
  SnapshotJob job;
  job.assignment = partition.assignment;
  // Commands from the first whose outputs are not yet delivered are read
  // again after a restore (and answered from the de-duplication window).
  job.header =
      pg::SnapshotHeader{number, partition.confirmed.last_seq, partition.confirmed.last_record_id,
                         partition.events_next_offset, committable_offset(partition)};
  for (const std::string& tenant_id : core.take_dirty_tenants()) {
    job.tenants.push_back(pg::TenantStateRow{tenant_id, core.tenant_state_json(tenant_id)});
  }
  for (engine::DedupWindow::Row& row : core.dedup().since(partition.last_snapshot_seq)) {
    job.dedup.push_back(pg::DedupRow{std::move(row.tenant_id), std::move(row.command_id), row.seq,
                                     std::move(row.result_json)});
  }
  job.dedup_evict_through_seq = core.dedup().oldest_seq() - 1;
  partition.snapshot_in_flight = true;
  partition.records_since_snapshot = 0;
  partition.bytes_since_snapshot = 0;
  partition.last_snapshot_ms = now_ms();
  snapshot_writer_->submit(std::move(job));
}

void EngineService::collect_snapshots() {
  if (!snapshot_writer_) return;
  for (SnapshotOutcome& outcome : snapshot_writer_->take_finished()) {
    auto found = partitions_.find(outcome.partition);
    if (found == partitions_.end() || found->second.assignment != outcome.assignment) continue;
    Partition& partition = found->second;
    partition.snapshot_in_flight = false;
    if (!outcome.saved) {
      // Its tenants go into the next snapshot.
      partition.core->mark_dirty(outcome.tenant_ids);
      logger()->warn("partition {}: snapshot at seq {} not saved: {}", outcome.partition,
                     outcome.seq, outcome.error.empty() ? "a newer one exists" : outcome.error);
      continue;
    }
    partition.last_snapshot_seq = std::max(partition.last_snapshot_seq, outcome.seq);
    ++stats_.snapshots;
    logger()->info("partition {}: snapshot at seq {} ({} tenants changed)", outcome.partition,
                   outcome.seq, outcome.tenant_ids.size());
  }
}

int64_t EngineService::committable_offset(const Partition& partition) const {
  return partition.in_flight.empty() ? partition.next_consume_offset
                                     : partition.in_flight.begin()->first;
}

void EngineService::commit_offsets(bool sync) {
  if (options_.partitions) return;  // no group: positions come from the log and snapshots
  std::vector<kafka::TopicPartitionOffset> offsets;
  for (auto& [number, partition] : partitions_) {
    const int64_t offset = committable_offset(partition);
    if (offset <= partition.committed_offset) continue;
    offsets.push_back(kafka::TopicPartitionOffset{options_.topics.commands(), number, offset});
    partition.committed_offset = offset;
  }
  if (offsets.empty()) return;
  try {
    commands_->commit(offsets, !sync);
  } catch (const kafka::KafkaError& error) {
    // A commit refused during a rebalance is repeated by the next owner's
    // duplicates; nothing is lost.
    logger()->warn("offset commit failed: {}", error.what());
  }
}

}  // namespace lf::engine_service
