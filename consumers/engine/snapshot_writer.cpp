// The snapshot writer thread.
#include "consumers/engine/snapshot_writer.hpp"

#include <pthread.h>

#include <chrono>
#include <memory>

#include <pqxx/pqxx>

#include "consumers/engine/logger.hpp"

namespace lf::engine_service {

SnapshotWriter::SnapshotWriter(std::string database_url, pg::DatabaseHealth& health,
                               int probe_every_ms)
    : database_(std::move(database_url), "snapshot writer", health),
      probe_every_ms_(probe_every_ms),
      thread_([this] { run(); }) {}

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
    const bool woken = changed_.wait_for(lock, std::chrono::milliseconds(probe_every_ms_),
                                         [this] { return stopping_ || !queue_.empty(); });
    if (!woken) {
      lock.unlock();
      probe();
      lock.lock();
      continue;
    }
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
  for (const pg::TenantStateRow& tenant : job.tenants)
    outcome.tenant_ids.push_back(tenant.tenant_id);
  // One connection, used by this thread only, made again after a failure:
  // a snapshot not saved is taken again later with these tenants.
  try {
    pqxx::work work(database_.get());
    outcome.saved =
        pg::save_snapshot(work, job.header, job.tenants, job.dedup, job.dedup_evict_through_seq);
    work.commit();
    database_.health().up();
  } catch (const std::exception& error) {
    outcome.saved = false;
    outcome.error = error.what();
    // Unknown outcome, lost connection, or a refusal: the next snapshot
    // (with these tenants again) settles it.
    const bool transient = pg::is_transient_failure(
        std::current_exception(), database_.connected() ? &database_.get() : nullptr);
    if (transient && database_.health().is_up()) {
      database_.lost("saving a snapshot", error);  // once per outage
    } else {
      database_.reset();
    }
    // Only this connection may have been lost (a terminated backend): ask
    // again at once, so the health says what holds now.
    if (transient) probe();
  }
  return outcome;
}

void SnapshotWriter::probe() {
  try {
    pqxx::nontransaction work(database_.get());
    work.exec("SELECT 1");
    if (!database_.health().is_up()) logger()->info("snapshot writer: the database answers again");
    database_.health().up();
  } catch (const std::exception& error) {
    if (database_.health().is_up()) database_.lost("probing the database", error);
    database_.reset();
  }
}

}  // namespace lf::engine_service
