// Writes engine snapshots to PostgreSQL on a thread of its own, so the
// engine's loop never waits on the database. The engine submits a job built
// from a quiet partition's state and later collects its outcome; it keeps at
// most one job per partition in flight, so a failed job's tenants can be put
// back before the next job is built.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/pg/connection.hpp"
#include "consumers/pg/snapshots.hpp"

namespace lf::engine_service {

struct SnapshotJob {
  uint64_t assignment = 0;  // the partition's assignment when the job was built
  pg::SnapshotHeader header;
  std::vector<pg::TenantStateRow> tenants;
  std::vector<pg::DedupRow> dedup;
  int64_t dedup_evict_through_seq = 0;
};

struct SnapshotOutcome {
  int32_t partition = 0;
  uint64_t assignment = 0;
  int64_t seq = 0;
  bool saved = false;                   // false: a newer snapshot exists, or the database failed
  std::string error;                    // why, when the database failed
  std::vector<std::string> tenant_ids;  // the job's tenants (to mark changed again if not saved)
};

class SnapshotWriter {
 public:
  // `health` hears of every failure and success; when idle for
  // probe_every_ms the writer asks the database `SELECT 1`, so an outage is
  // seen even when there is nothing to save.
  SnapshotWriter(std::string database_url, pg::DatabaseHealth& health, int probe_every_ms = 1000);
  ~SnapshotWriter();  // finishes the queued jobs, then stops
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  void submit(SnapshotJob job);
  // Outcomes of finished jobs since the last call.
  std::vector<SnapshotOutcome> take_finished();
  // Waits until every submitted job has finished (bounded); true if so.
  bool wait_idle(int timeout_ms);

 private:
  void run();
  SnapshotOutcome write(SnapshotJob& job);
  void probe();

  pg::Reconnecting database_;  // the writer thread's only connection
  int probe_every_ms_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<SnapshotJob> queue_;
  std::vector<SnapshotOutcome> finished_;
  int busy_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lf::engine_service
