// The snapshot writer thread.
#include "engine/service/snapshot_writer.hpp"

#include <pthread.h>

#include <chrono>
#include <memory>

#include <pqxx/pqxx>

#include "engine/service/logger.hpp"

namespace lf::engine_service {

SnapshotWriter::SnapshotWriter(std::string database_url)
    : database_url_(std::move(database_url)), thread_([this] { run(); }) {}

SnapshotWriter::~SnapshotWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void SnapshotWriter::submit(SnapshotJob job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  changed_.notify_all();
}

std::vector<SnapshotOutcome> SnapshotWriter::take_finished() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<SnapshotOutcome> outcomes;
  outcomes.swap(finished_);
  return outcomes;
}

bool SnapshotWriter::wait_idle(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return queue_.empty() && busy_ == 0; });
}

void SnapshotWriter::run() {
  pthread_setname_np(pthread_self(), "lf-snapshots");
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    SnapshotJob job = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    SnapshotOutcome outcome = write(job);
    lock.lock();
    --busy_;
    finished_.push_back(std::move(outcome));
    changed_.notify_all();
  }
}

SnapshotOutcome SnapshotWriter::write(SnapshotJob& job) {
  SnapshotOutcome outcome;
  outcome.partition = job.header.partition;
  outcome.assignment = job.assignment;
  outcome.seq = job.header.seq;
  for (const pg::TenantStateRow& tenant : job.tenants) outcome.tenant_ids.push_back(tenant.tenant_id);
  // One connection, used by this thread only, made again after a failure.
  std::unique_ptr<pqxx::connection>& connection = connection_;
  try {
    if (!connection) connection = std::make_unique<pqxx::connection>(database_url_);
    pqxx::work work(*connection);
    outcome.saved = pg::save_snapshot(work, job.header, job.tenants, job.dedup, job.dedup_evict_through_seq);
    work.commit();
  } catch (const pqxx::in_doubt_error& error) {
    // Unknown outcome: the next snapshot (with these tenants again) settles it.
    outcome.saved = false;
    outcome.error = error.what();
    connection.reset();
  } catch (const std::exception& error) {
    outcome.saved = false;
    outcome.error = error.what();
    connection.reset();
  }
  return outcome;
}

}  // namespace lf::engine_service
