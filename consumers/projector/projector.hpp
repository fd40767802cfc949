// The projector runtime: ledgerflow.events -> PostgreSQL read tables. It
// consumes a batch, admits each commit record by the chain rule separately
// for every projection (each has its own stored position), maps accepted
// records to row changes, and writes the rows and the advanced checkpoints
// in one transaction (compare-and-set, so a stale projector's commit fails).
// Messages it cannot decode go to the dead-letter topic. Knows no domain.
#pragma once

#include <atomic>
#include <future>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/positions.hpp"
#include "events/json.hpp"
#include "projections/projection.hpp"

namespace lf::projector {

struct Options {
  kafka::Settings kafka;
  kafka::Topics topics;
  std::string database_url;
  std::string group_id = "ledgerflow-projector";
  std::string client_id = "ledgerflow-projector";
  // Names of the projections to run; empty: all of them.
  std::vector<std::string> projections;
  // Manual assignment of these partitions instead of joining the group.
  std::optional<std::vector<int32_t>> partitions;
  std::size_t batch_records_max = 5000;
  int batch_wait_ms = 20;
  JsonLimits record_limits{.max_bytes = 1 << 20, .max_depth = 64};
};

struct Stats {
  int64_t batches = 0;
  int64_t records_accepted = 0;  // counted once per record, not per projection
  int64_t records_ignored = 0;
  int64_t deadlettered = 0;
  int64_t stale_commits = 0;     // batches refused by compare-and-set
  double map_seconds = 0;        // decoding records and mapping them to rows
  double write_seconds = 0;      // writing rows and checkpoints to PostgreSQL
};

class Projector final : public kafka::RebalanceListener {
 public:
  explicit Projector(Options options);
  ~Projector() override;

  // Consumes until `stop` is set, then leaves the group cleanly.
  void run(const std::atomic<bool>& stop);
  // One poll-and-write step (for tests and benchmarks); returns the number
  // of messages consumed. The batch's write may still be under way: flush()
  // waits for it.
  std::size_t step(int poll_timeout_ms);
  void flush();

  Stats stats() const { return stats_; }
  // stats() as of the end of the last step() or flush(); safe to call from
  // any thread (stats() is for the owning thread).
  Stats published_stats() const;
  // Partitions owned; safe to read from another thread.
  int assigned_partitions() const { return assigned_.load(std::memory_order_acquire); }

  std::vector<kafka::TopicPartitionOffset> on_assigned(
      const std::vector<kafka::TopicPartition>& partitions) override;
  void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) override;

 private:
  // A batch's rows and positions, written on another thread while the next
  // batch is mapped.
  struct WriteJob {
    projections::RowBatch batch;
    std::vector<pg::Checkpoint> from;
    std::vector<pg::Checkpoint> to;
    int64_t accepted = 0;
    int64_t ignored = 0;
  };
  struct PartitionState {
    std::vector<pg::Checkpoint> checkpoints;  // one per projection, in projections_ order
  };

  static int64_t start_offset(const PartitionState& state);
  void connect();
  void check_versions();
  std::map<int32_t, PartitionState> load_positions(const std::vector<int32_t>& partitions);
  void write_batch(std::vector<kafka::MessagePtr>& messages);
  void dead_letter(const rd_kafka_message_t& message, const Error& error);
  void recover_positions(const std::vector<int32_t>& partitions);
  void start_write(WriteJob job);
  // Waits for the write under way; false (positions re-read) if it failed.
  bool finish_write();
  void publish_stats();

  Options options_;
  std::vector<std::unique_ptr<projections::Projection>> projections_;
  std::vector<std::string> projection_names_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pg::BatchWriter> writer_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::unique_ptr<kafka::Producer> dead_letters_;
  std::map<int32_t, PartitionState> partitions_;
  projections::RowBatch batch_;
  std::unique_ptr<WriteJob> writing_job_;
  std::future<double> writing_;  // seconds the write took
  std::vector<kafka::MessagePtr> messages_;
  Stats stats_;
  mutable std::mutex published_mutex_;
  Stats published_;  // guarded by published_mutex_
  std::atomic<int> assigned_{0};
};

}  // namespace lf::projector
