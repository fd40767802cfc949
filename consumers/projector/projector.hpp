// The projector runtime: ledgerflow.events -> PostgreSQL read tables. It
// consumes a batch, admits each commit record by the chain rule separately
// for every projection (each has its own stored position), maps accepted
// records to row changes, and writes the rows and the advanced checkpoints
// in one transaction (compare-and-set, so a stale projector's commit fails).
// Messages it cannot decode go to the dead-letter topic. An event a
// projection cannot apply parks its stream for that projection (see
// consumers/pg/parking.hpp) while every other stream keeps moving. Knows no
// domain.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/connection.hpp"
#include "consumers/pg/parking.hpp"
#include "consumers/pg/positions.hpp"
#include "events/json.hpp"
#include "projections/feed.hpp"
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
  // While the previous batch is being written, the next one fills for up to
  // this long; with no write under way a batch is written at once.
  int batch_wait_ms = 20;
  JsonLimits record_limits{.max_bytes = 1 << 20, .max_depth = 64};
  // A projection stored at another version than this binary's is rebuilt
  // (ledgerflow rebuild's path: shadow tables, swap) before projecting;
  // false: refuse to start instead.
  bool rebuild_outdated = true;
  std::string rebuild_from = "kafka";  // or "archive"
  // Per projection name: the policy for events this binary does not know,
  // instead of the projection's own (Projection::unknown_event_policy).
  std::map<std::string, projections::UnknownEventPolicy> unknown_events;
};

struct Stats {
  int64_t batches = 0;
  int64_t records_accepted = 0;  // counted once per record, not per projection
  int64_t records_ignored = 0;
  int64_t deadlettered = 0;
  int64_t stale_commits = 0;    // batches refused by compare-and-set
  int64_t streams_parked = 0;   // (projection, stream) pairs this process parked
  int64_t events_parked = 0;    // events stored for parked streams, per projection
  int64_t unknown_skipped = 0;  // unknown events skipped, per projection
  int64_t isolations = 0;       // batches refused for their data and re-applied stream by stream
  double map_seconds = 0;       // decoding records and mapping them to rows
  double write_seconds = 0;     // writing rows and checkpoints to PostgreSQL
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
  // Empty while the database answers; else what is wrong and for how long
  // (/healthz). Safe to call from any thread. While the database is down the
  // projector waits for it, keeping its place: nothing is skipped.
  std::string database_problem() const { return database_health_.problem(); }

  std::vector<kafka::TopicPartitionOffset> on_assigned(
      const std::vector<kafka::TopicPartition>& partitions) override;
  void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) override;

 private:
  // Streams parked by a batch: the new ones, and the events stored for all.
  struct Parking {
    std::vector<pg::ParkedStream> streams;
    std::vector<pg::ParkedRecord> records;
    void append(Parking&& other);
  };
  // A batch's rows and positions, written on another thread while the next
  // batch is mapped. Its messages are kept until it commits: a batch refused
  // for its data is re-applied from them, stream by stream.
  struct WriteJob {
    projections::RowBatch batch;
    Parking parking;
    std::vector<pg::Checkpoint> from;
    std::vector<pg::Checkpoint> to;
    std::vector<kafka::MessagePtr> messages;
    int64_t accepted = 0;
    int64_t ignored = 0;
    int64_t unknown_skipped = 0;
  };
  using ParkedSet = std::unordered_set<std::string>;  // pg::parked_key(tenant, stream)
  struct PartitionState {
    std::vector<pg::Checkpoint> checkpoints;  // one per projection, in projections_ order
    std::vector<ParkedSet> parked;            // one per projection, in projections_ order
  };
  // Why PostgreSQL refused rows for their data.
  struct DataFailure {
    std::string reason;
    std::string sqlstate;  // "" when not from PostgreSQL (a patch finding no row)
  };
  // A record of a refused batch, decoded again.
  struct Redecoded {
    const rd_kafka_message_t* message = nullptr;
    std::optional<DecodedRecord> record;  // none: it was dead-lettered
    bool all_known = true;                // projections::all_events_known
  };

  static int64_t start_offset(const PartitionState& state);
  // A batch's write failed because the database did: forget the connection.
  void database_failed(const std::exception& error);
  // When idle: is the database still there? (so /healthz knows)
  void probe_database();
  void check_versions();
  void recheck_versions();
  int projection_version(const std::string& name) const;
  std::map<int32_t, PartitionState> load_positions(const std::vector<int32_t>& partitions);
  void write_batch(std::vector<kafka::MessagePtr>& messages);
  // Maps an accepted record for one projection through the feed
  // (projections/feed.hpp): events of parked streams and unknown events
  // parked by policy go to `parking` (parking their stream in `parked`),
  // unknown events skipped by policy are counted in `checkpoint`. With
  // `only_key`, only that stream's events are considered. `all_known`:
  // projections::all_events_known(record), when already asked.
  void map_with_parking(std::size_t projection, const projections::RecordAt& at,
                        std::string_view value, ParkedSet& parked, pg::Checkpoint& checkpoint,
                        const std::string* only_key, projections::RowBatch& batch, Parking& parking,
                        std::optional<bool> all_known = std::nullopt) const;
  // A batch PostgreSQL refused for its data: re-applies it projection by
  // projection in savepoints, narrowing down to the streams whose events
  // fail, parks those and commits the rest (positions first, as always).
  void isolate(const WriteJob& job);
  void isolate_range(pqxx::work& work, std::size_t projection,
                     const std::vector<const Redecoded*>& records, std::size_t begin,
                     std::size_t end, ParkedSet& parked, Parking& parking);
  void isolate_record(pqxx::work& work, std::size_t projection, const Redecoded& record,
                      ParkedSet& parked, Parking& parking);
  // Maps and writes records [begin, end) (only `only_key`'s events, when set)
  // in a savepoint; the data error that refused them, if any.
  std::optional<DataFailure> try_apply(pqxx::work& work, std::size_t projection,
                                       const std::vector<const Redecoded*>& records,
                                       std::size_t begin, std::size_t end,
                                       const std::string* only_key, ParkedSet& parked,
                                       Parking& parking);
  // Logs the streams parked by a committed batch and counts them.
  void account_parked(const Parking& parking);
  void dead_letter(const rd_kafka_message_t& message, const Error& error);
  void recover_positions(const std::vector<int32_t>& partitions);
  void start_write(WriteJob job);
  // True while a batch's write has not finished (without waiting for it).
  bool write_under_way() const;
  // Waits for the write under way; false (positions re-read) if it failed.
  bool finish_write();
  void publish_stats();

  Options options_;
  std::vector<std::unique_ptr<projections::Projection>> projections_;
  std::vector<std::string> projection_names_;
  std::vector<std::optional<projections::UnknownEventPolicy>> unknown_overrides_;  // per projection
  // Set by run(): waiting for the database gives up when it is.
  const std::atomic<bool>* stop_ = nullptr;
  pg::DatabaseHealth database_health_;
  // Used by one thread at a time: the write thread while a batch is under
  // way, else the consuming thread.
  std::unique_ptr<pg::Reconnecting> database_;
  std::chrono::steady_clock::time_point last_database_contact_;
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
