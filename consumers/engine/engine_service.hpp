// The command-processing service: ledgerflow.commands -> decide ->
// ledgerflow.events (one commit record per decision) -> results.
//
// Exactly once without broker transactions (docs/exactly-once.md):
// - decisions are made on a speculative state and written as chained commit
//   records; the service reads its own partitions of ledgerflow.events back
//   and a decision counts only when the chain rule accepts the very record it
//   wrote. A record of another writer accepted first means this engine's view
//   was stale: it recovers the partition and decides the rest again.
// - outputs (results, dead letters, re-routed commands) leave in command
//   order, each only after every decision before it is confirmed; the
//   consumer-group offset is committed only below the first output not yet
//   delivered.
// - per-partition state is snapshotted to PostgreSQL (with the seq and
//   offsets it covers) when the partition is quiet, and recovered on
//   assignment from the snapshot plus the log after it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/engine/snapshot_writer.hpp"
#include "consumers/kafka/kafka.hpp"
#include "consumers/pg/connection.hpp"
#include "engine/intake.hpp"
#include "engine/partition.hpp"
#include "events/chain.hpp"
#include "events/json.hpp"

namespace lf::engine_service {

struct Options {
  kafka::Settings kafka;
  kafka::Topics topics;
  std::string database_url;
  std::string group_id = "ledgerflow-engine";
  std::string client_id = "ledgerflow-engine";
  // Names this engine in the commit records it writes; default client_id + a ULID.
  std::string writer_id;
  // Manual assignment of these partitions instead of joining the group (a
  // test can so make two engines own one partition).
  std::optional<std::vector<int32_t>> partitions;
  engine::PartitionOptions partition;
  // Untrusted commands are bounded before they are parsed.
  JsonLimits command_limits = engine::kCommandLimits;
  // The engine's clock (milliseconds since the epoch); default: system clock.
  std::function<int64_t()> clock;
  bool snapshots = true;
  // A partition is snapshotted after this many commit records, or this many
  // bytes of them, or this long. The mock cluster keeps only ~5 MiB of
  // (lz4-compressed) batches per partition and a recovery must never need
  // records the broker dropped: 4 MiB uncompressed stays under that even for
  // one-record batches.
  int64_t snapshot_every_records = 10'000;
  int64_t snapshot_every_bytes = 4 << 20;
  int64_t snapshot_every_ms = 30'000;
  int64_t commit_every_ms = 1000;
  int64_t timer_check_every_ms = 100;
  std::size_t poll_batch_max = 2000;
};

struct Stats {
  int64_t commands = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t duplicates = 0;
  int64_t deadlettered = 0;
  int64_t rerouted = 0;
  int64_t timer_records = 0;
  int64_t records_written = 0;
  int64_t records_confirmed = 0;
  int64_t conflicts = 0;  // partitions recovered because another writer won a seq
  int64_t snapshots = 0;
};

// An owned partition's backlog on the commands topic.
struct CommandBacklog {
  int32_t partition = 0;
  // The partition's end as of the commands consumer's last fetch, minus the
  // next command to decide; nullopt until the first fetch has answered.
  std::optional<int64_t> commands_lag;
};

// What other threads may read (metrics): the counters and the owned
// partitions as of the end of the last step() or drain().
struct Report {
  Stats stats;
  std::vector<CommandBacklog> partitions;  // by partition number
};

class EngineService final : public kafka::RebalanceListener {
 public:
  explicit EngineService(Options options);
  ~EngineService() override;

  // Serves until `stop` is set, then hands its partitions over cleanly.
  void run(const std::atomic<bool>& stop);
  // One round of the loop (tests drive it directly).
  void step(int poll_timeout_ms);
  // Confirms, emits and commits everything under way (bounded by timeout).
  bool drain(int timeout_ms);

  Stats stats() const { return stats_; }
  // Safe to call from any thread (stats() is for the owning thread).
  Report report() const;
  // Partitions owned and recovered; safe to read from another thread.
  int assigned_partitions() const { return assigned_.load(std::memory_order_acquire); }
  const std::string& writer_id() const { return options_.writer_id; }
  // Empty while the database answers; else what is wrong and for how long
  // (/healthz). Safe to call from any thread. The engine keeps deciding
  // while the database is down: it needs it only to load a partition's
  // snapshot (which waits for it) and to save snapshots (which are retried).
  std::string database_problem() const { return database_health_.problem(); }

  std::vector<kafka::TopicPartitionOffset> on_assigned(
      const std::vector<kafka::TopicPartition>& partitions) override;
  void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) override;

 private:
  // An output waiting for the decisions before it to be confirmed.
  struct Output {
    std::string topic;
    int32_t partition = -1;  // -1: by key
    // nullopt: null. A dead letter or a re-routed command keeps the key and
    // value exactly as they came, null or empty alike.
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  struct Outcome {
    int64_t command_offset = -1;
    int64_t wait_seq = 0;  // emitted once the confirmed seq reaches this
    std::vector<Output> outputs;
  };
  // A commit record this engine wrote: its chain links and its bytes, so the
  // read-back recognises it without parsing it again.
  struct Unconfirmed {
    CommitRecordHeader header;  // seq, record_id, prev_record_id (what admit() reads)
    std::string json;
  };
  struct Partition {
    std::unique_ptr<engine::PartitionCore> core;
    uint64_t epoch = 0;                   // new on every recovery
    uint64_t assignment = 0;              // new on every assignment
    bool stale = false;                   // another writer won a seq: recovery pending
    ChainPosition confirmed;              // what the log has accepted
    std::deque<Unconfirmed> unconfirmed;  // records written, not yet read back
    std::deque<Outcome> outcomes;         // in command order
    std::map<int64_t, int> in_flight;     // command offset -> outputs not yet delivered
    int64_t next_consume_offset = 0;
    int64_t committed_offset = -1;
    int64_t events_next_offset = 0;  // read-back position
    int64_t records_since_snapshot = 0;
    int64_t bytes_since_snapshot = 0;
    bool snapshot_in_flight = false;
    int64_t last_snapshot_ms = 0;
    int64_t last_snapshot_seq = 0;
    // Every command below this had its outputs delivered when the snapshot
    // was taken (0 without a snapshot).
    int64_t snapshot_commands_offset = 0;
    bool snapshot_wanted = false;
    // Commands polled while a snapshot waits for confirmations: decided
    // right after it is taken (no fetch pause, which would cost a round trip).
    std::deque<kafka::MessagePtr> held;
  };
  struct Delivery {
    enum class Kind { record, output } kind = Kind::record;
    int32_t partition = 0;
    uint64_t epoch = 0;       // records: the partition's epoch when written
    uint64_t assignment = 0;  // outputs: the assignment they belong to
    int64_t command_offset = -1;
    Output output;  // for outputs, kept to re-send
    int attempts = 0;
  };

  int64_t now_ms() const;
  // Intake of one command message: validate, route, decide.
  void handle_command(kafka::MessagePtr message);
  void decide_command(const rd_kafka_message_t& message);
  // Input the intake refuses: dead-lettered, and, when `command` names its
  // tenant and command id, rejected in that tenant's partition (re-routed
  // there first) with a command.rejected record and a result.
  void refuse(Partition& partition, const rd_kafka_message_t& message, const Error& error,
              const std::optional<CommandIdentity>& command);
  Output dead_letter(const rd_kafka_message_t& message, const Error& error) const;
  // Sends the command to its tenant's partition `home`, unchanged.
  void reroute(Partition& partition, const rd_kafka_message_t& message, int32_t home,
               std::string_view tenant_id, std::string_view command_id);
  // Writes the outcome's records; its result (after `first`, e.g. a dead
  // letter) leaves once they are confirmed.
  void decided(Partition& partition, int32_t number, engine::CommandOutcome outcome,
               int64_t command_offset, std::vector<Output> first = {});
  void write_records(Partition& partition, int32_t number, std::vector<engine::Decided>& records);
  void queue_outcome(Partition& partition, Outcome outcome);

  // Read-back of our own partitions of ledgerflow.events.
  void handle_readback(const rd_kafka_message_t& message);
  void emit_confirmed(Partition& partition, int32_t number);
  void produce_output(int32_t number, uint64_t assignment, int64_t command_offset, Output output,
                      int attempts);
  void on_delivery(const kafka::DeliveryReport& report);
  void output_delivered(int32_t number, uint64_t assignment, int64_t command_offset);

  // Rebuilding a partition from its snapshot and the log.
  void recover(int32_t number, Partition& partition);
  int64_t replay_log(int32_t number, engine::PartitionCore& core, int64_t from_offset);
  void reload_after_conflict(int32_t number);

  void fire_timers();
  void maybe_snapshot(int32_t number, Partition& partition);
  void submit_snapshot(int32_t number, Partition& partition);
  void collect_snapshots();
  void commit_offsets(bool sync);
  int64_t committable_offset(const Partition& partition) const;
  void release_partition(int32_t number);
  // Copies stats_ and the backlog into report_ (end of step() and drain()).
  void publish_report();

  Options options_;
  // Set by run(): waiting for the database gives up when it is.
  const std::atomic<bool>* stop_ = nullptr;
  pg::DatabaseHealth database_health_;
  std::unique_ptr<pg::Reconnecting> database_;
  std::unique_ptr<SnapshotWriter> snapshot_writer_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Consumer> commands_;
  std::unique_ptr<kafka::Consumer> readback_;
  int32_t partition_count_ = 0;
  std::map<int32_t, Partition> partitions_;
  std::unordered_map<uint64_t, Delivery> deliveries_;
  uint64_t next_token_ = 1;
  uint64_t next_epoch_ = 1;
  std::vector<kafka::MessagePtr> batch_;
  std::vector<int32_t> conflicted_;
  // Where decide_command parses each command (one at a time).
  ReusableDocument command_document_;
  std::atomic<int> assigned_{0};
  int64_t last_commit_ms_ = 0;
  int64_t last_timer_check_ms_ = 0;
  // Set when partitions were (re)built: their overdue timers fire at the next
  // step, whatever the clock did since the last check.
  bool timers_unchecked_ = true;
  Stats stats_;
  mutable std::mutex report_mutex_;
  Report report_;  // guarded by report_mutex_
};

}  // namespace lf::engine_service
