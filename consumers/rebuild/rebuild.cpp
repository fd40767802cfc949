// Rebuilding a projection: into shadow tables and swapped in, or one tenant
// in place. See rebuild.hpp for the protocol.
#include "consumers/rebuild/rebuild.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "consumers/pg/archive.hpp"
#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/copy.hpp"
#include "consumers/pg/positions.hpp"
#include "consumers/rebuild/shadow.hpp"
#include "consumers/verify/fold.hpp"
#include "events/chain.hpp"
#include "events/envelope.hpp"
#include "projections/feed.hpp"
#include "projections/projection.hpp"

namespace lf::rebuild {

namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("rebuild");
    return existing ? existing : spdlog::default_logger()->clone("rebuild");
  }();
  return instance;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A rebuild's position in one partition: what the live checkpoint will say
// once the rebuilt tables are in place.
struct Position {
  int64_t next_offset = 0;
  ChainPosition chain;
  int64_t ignored = 0;
  int64_t deadlettered = 0;
};

// Reports progress at most every 200 ms, and at each phase's end.
class Reporter {
 public:
  Reporter(const std::function<void(const Progress&)>& sink, Clock::time_point start)
      : sink_(sink), start_(start) {}

  void update(std::string_view phase, int64_t done, int64_t total, int64_t events,
              bool finished = false) {
    if (!sink_) return;
    const Clock::time_point now = Clock::now();
    if (!finished && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    Progress progress;
    progress.phase = phase;
    progress.done = done;
    progress.total = total;
    progress.events = events;
    progress.seconds = std::chrono::duration<double>(now - start_).count();
    progress.finished = finished;
    sink_(progress);
  }

 private:
  const std::function<void(const Progress&)>& sink_;
  Clock::time_point start_;
  Clock::time_point last_{};
};

// Distinct keys the log produced, per table: the row counts a rebuilt table
// must have when the fold is too large to keep. 64-bit hashes of the keys.
class KeyCounts {
 public:
  void add(const projections::RowBatch& batch) {
    for (const projections::RowBatch::TableOps& group : batch.tables()) {
      std::vector<uint64_t>& keys = keys_[group.table->name];
      for (const projections::RowOp& op : group.ops) {
        if (op.kind == projections::RowOpKind::patch) continue;  // a patch creates no row
        keys.push_back(std::hash<std::string>{}(projections::encode_key(*group.table, op.values)));
      }
      if (keys.size() > 2 * compacted_[group.table->name] + 1'000'000) compact(group.table->name);
    }
  }

  int64_t count(const std::string& table) {
    compact(table);
    return static_cast<int64_t>(keys_[table].size());
  }

 private:
  void compact(const std::string& table) {
    std::vector<uint64_t>& keys = keys_[table];
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    compacted_[table] = keys.size();
  }

  std::unordered_map<std::string, std::vector<uint64_t>> keys_;
  std::unordered_map<std::string, std::size_t> compacted_;
};

// Maps records through one projection into a RowBatch, keeping positions per
// partition and the log-derived totals the result is verified against.
class Builder {
 public:
  Builder(std::string_view projection, const Options& options)
      : projection_(projections::make_projection(projection)),
        tenant_(options.tenant_id),
        limits_(options.record_limits),
        verify_rows_max_(options.verify_rows_max),
        fold_(std::make_unique<verify::Fold>(make_projections(projection))) {}

  const projections::Projection& projection() const { return *projection_; }

  // A message from ledgerflow.events: the chain rule decides.
  void offer_message(int32_t partition, int64_t offset, std::string_view value) {
    Position& position = positions_[partition];
    position.next_offset = offset + 1;
    Result<DecodedRecord> record = decode_commit_record(value, limits_);
    if (!record) {
      ++position.deadlettered;
      ++undecodable_;
      return;
    }
    if (admit(position.chain, record->header) != RecordVerdict::accepted) {
      ++position.ignored;
      ++ignored_;
      return;
    }
    map(partition, offset, *record);
  }

  // A record the live chain accepted (the archive holds only those).
  void offer_accepted(int32_t partition, int64_t offset, const DecodedRecord& record) {
    Position& position = positions_[partition];
    position.next_offset = offset + 1;
    position.chain = ChainPosition{record.header.seq, record.header.record_id};
    map(partition, offset, record);
  }

  projections::RowBatch& batch() { return batch_; }
  int64_t pending_records() const { return pending_records_; }

  // The batch has been written: count it into the totals and start a new one.
  void written() {
    key_counts_.add(batch_);
    if (fold_) {
      fold_->add(batch_);
      if (fold_->row_count() > verify_rows_max_) {
        logger()->info("the fold of {} passed {} rows; the shadow will be verified by row counts",
                       projection_->name(), verify_rows_max_);
        fold_.reset();
      }
    }
    batch_.clear();
    pending_records_ = 0;
  }

  std::map<int32_t, Position>& positions() { return positions_; }
  verify::Fold* fold() { return fold_.get(); }
  KeyCounts& key_counts() { return key_counts_; }
  int64_t records() const { return records_; }
  int64_t events() const { return events_; }
  int64_t ignored() const { return ignored_; }
  int64_t undecodable() const { return undecodable_; }

 private:
  static std::vector<std::unique_ptr<projections::Projection>> make_projections(
      std::string_view name) {
    std::vector<std::unique_ptr<projections::Projection>> list;
    list.push_back(projections::make_projection(name));
    return list;
  }

  void map(int32_t partition, int64_t offset, const DecodedRecord& record) {
    if (tenant_ && record.header.tenant_id != *tenant_) return;
    projections::feed_accepted(*projection_, projections::RecordAt{partition, offset, &record},
                               refuse_parks_, batch_);
    count(record);
  }

  // Events this binary does not know follow the projection's policy, as in
  // the projector; a rebuild cannot park, so a stream that would be parked
  // stops it before anything is swapped in.
  class RefuseParks final : public projections::HeldStreams {
   public:
    explicit RefuseParks(std::string_view projection) : projection_(projection) {}
    bool none() const override { return true; }
    bool holds(const EventHeader&) const override { return false; }
    void park(const EventHeader& header, const projections::RecordAt& at) override {
      throw RebuildError(
          "partition " + std::to_string(at.partition) + " offset " + std::to_string(at.offset) +
          ": stream " + header.stream + " of tenant " + header.tenant_id + " holds " + header.type +
          " v" + std::to_string(header.schema_version) + ", which this binary does not know and " +
          projection_ + " parks; rebuild with a binary that knows it");
    }

   private:
    std::string projection_;
  };

  void count(const DecodedRecord& record) {
    ++records_;
    ++pending_records_;
    events_ += static_cast<int64_t>(record.events.size());
  }

  std::unique_ptr<projections::Projection> projection_;
  RefuseParks refuse_parks_{projection_->name()};
  std::optional<std::string> tenant_;
  JsonLimits limits_;
  std::size_t verify_rows_max_;
  std::map<int32_t, Position> positions_;
  projections::RowBatch batch_;
  int64_t pending_records_ = 0;
  std::unique_ptr<verify::Fold> fold_;
  KeyCounts key_counts_;
  int64_t records_ = 0;
  int64_t events_ = 0;
  int64_t ignored_ = 0;
  int64_t undecodable_ = 0;
};

// ---- reading the archive -------------------------------------------------

constexpr const char* kSelectPositions =
    "SELECT partition, next_offset, last_seq, last_record_id, ignored_count, deadlettered_count "
    "FROM projection_checkpoints ";

std::map<int32_t, Position> positions_of(const pqxx::result& rows) {
  std::map<int32_t, Position> positions;
  for (const pqxx::row& row : rows) {
    Position& position = positions[row[0].as<int32_t>()];
    position.next_offset = row[1].as<int64_t>();
    position.chain = ChainPosition{row[2].as<int64_t>(), row[3].as<std::string>()};
    position.ignored = row[4].as<int64_t>();
    position.deadlettered = row[5].as<int64_t>();
  }
  return positions;
}

// The positions of the event_log projection: how far the archive reaches.
std::map<int32_t, Position> archive_positions(pqxx::transaction_base& tx) {
  return positions_of(tx.exec(std::string(kSelectPositions) + "WHERE projection = 'event_log'"));
}

// Fetches the open cursor lf_archive to its end, 5,000 rows at a time, on a
// second thread, so PostgreSQL renders the next rows while this one maps
// the last ones (fetching and mapping in turn would leave each side idle
// half the time). `tx` belongs to the fetching thread until it ends.
void fetch_all(pqxx::transaction_base& tx, const std::function<void(const pqxx::row&)>& each) {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<pqxx::result> ready;
  bool done = false;     // the fetcher has pushed its last result (or failed)
  bool stopped = false;  // the consumer gave up: the fetcher stops
  std::exception_ptr failure;
  constexpr std::size_t kAhead = 4;
  std::thread fetcher([&] {
    try {
      while (true) {
        pqxx::result rows = tx.exec("FETCH FORWARD 5000 FROM lf_archive");
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return ready.size() < kAhead || stopped; });
        if (stopped || rows.empty()) break;
        ready.push_back(std::move(rows));
        changed.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    changed.notify_all();
  });
  auto stop_fetcher = [&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopped = true;
      changed.notify_all();
    }
    fetcher.join();
  };
  try {
    while (true) {
      pqxx::result rows;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return !ready.empty() || done; });
        if (ready.empty()) break;
        rows = std::move(ready.front());
        ready.pop_front();
        changed.notify_all();
      }
      for (const pqxx::row& row : rows) each(row);
    }
  } catch (...) {
    stop_fetcher();
    throw;
  }
  stop_fetcher();
  if (failure) std::rethrow_exception(failure);
  tx.exec("CLOSE lf_archive");
}

// Archived records of `partition` at offsets [0, to), in order (one tenant's
// only, when `tenant` is set), through the (partition, seq) index.
void read_archive(pqxx::transaction_base& tx, int32_t partition, int64_t to,
                  const std::optional<std::string>& tenant, const pg::RecordAssembler::Sink& each) {
  // The index gives the order; a bitmap scan would sort every event's JSON.
  tx.exec("SET LOCAL enable_bitmapscan = off");
  if (tenant) {
    tx.exec_params(std::string("DECLARE lf_archive NO SCROLL CURSOR FOR ") + pg::kArchiveColumns +
                       "WHERE partition = $1 AND kafka_offset < $2 AND tenant_id = $3::uuid ORDER "
                       "BY seq, event_index",
                   partition, to, *tenant);
  } else {
    tx.exec_params(std::string("DECLARE lf_archive NO SCROLL CURSOR FOR ") + pg::kArchiveColumns +
                       "WHERE partition = $1 AND kafka_offset < $2 ORDER BY seq, event_index",
                   partition, to);
  }
  pg::RecordAssembler assembler(partition, each);
  fetch_all(tx, [&](const pqxx::row& row) { assembler.add(row, false); });
  assembler.finish();
  tx.exec("RESET enable_bitmapscan");
}

// The rows of a table only appended to lie in the order they were written,
// and the event_log projector writes each partition's records in log order:
// one sequential scan then reads every partition in order, at a fraction of
// the cost of one index walk per partition, whose rows are spread over the
// whole table. The order is checked row by row; false (after `each` may have
// seen a prefix) when it does not hold, e.g. after an UPDATE or a CLUSTER.
bool read_archive_in_heap_order(
    pqxx::transaction_base& tx,
    const std::function<void(int32_t, int64_t, const DecodedRecord&)>& each) {
  tx.exec(
      "SET LOCAL synchronize_seqscans = off");  // from the first block, not where another scan is
  tx.exec(std::string("DECLARE lf_archive NO SCROLL CURSOR FOR ") + pg::kArchiveColumns);
  std::map<int32_t, std::unique_ptr<pg::RecordAssembler>> assemblers;
  std::map<int32_t, pg::RecordAssembler::Sink> sinks;
  struct OutOfOrder {};
  try {
    fetch_all(tx, [&](const pqxx::row& row) {
      const int32_t partition = row[7].as<int32_t>();
      auto found = assemblers.find(partition);
      if (found == assemblers.end()) {
        sinks[partition] = [&each, partition](int64_t offset, const DecodedRecord& record) {
          each(partition, offset, record);
        };
        found = assemblers
                    .emplace(partition,
                             std::make_unique<pg::RecordAssembler>(partition, sinks[partition]))
                    .first;
      }
      if (!found->second->add(row, true)) throw OutOfOrder{};
    });
  } catch (const OutOfOrder&) {
    tx.exec("CLOSE lf_archive");
    return false;
  }
  for (auto& [partition, assembler] : assemblers) assembler->finish();
  return true;
}

// The chain position after the last archived record of `partition` below
// offset `to`.
ChainPosition archived_chain_before(pqxx::transaction_base& tx, int32_t partition, int64_t to) {
  const pqxx::result last = tx.exec_params(
      "SELECT seq, record_id FROM event_log WHERE partition = $1 AND kafka_offset < $2 "
      "ORDER BY seq DESC, event_index DESC LIMIT 1",
      partition, to);
  if (last.empty()) return ChainPosition{};
  return ChainPosition{last[0][0].as<int64_t>(), last[0][1].as<std::string>()};
}

// ---- positions --------------------------------------------------------------

// The live checkpoint rows of `projection`, locked until the transaction
// ends: a projector's next commit for the projection waits for it.
std::map<int32_t, Position> lock_checkpoints(pqxx::work& work, const std::string& projection,
                                             const std::vector<int32_t>& partitions) {
  std::vector<std::string> names{projection};
  pg::load_checkpoints(work, names, partitions);  // creates missing rows, so all can be locked
  return positions_of(work.exec_params(
      std::string(kSelectPositions) + "WHERE projection = $1 ORDER BY partition FOR UPDATE",
      projection));
}

// The live checkpoints of `projection` take the rebuild's positions; the
// generation moves, so a projector holding a batch for the old tables fails
// its compare-and-set and reloads positions and parked streams.
void store_positions(pqxx::work& work, const std::string& projection,
                     const std::map<int32_t, Position>& positions) {
  std::vector<std::pair<int32_t, Position>> rows(positions.begin(), positions.end());
  using Row = std::pair<int32_t, Position>;
  const auto partitions =
      pg::array_of(rows, [](const Row& row) { return static_cast<int64_t>(row.first); });
  const auto next_offsets =
      pg::array_of(rows, [](const Row& row) { return row.second.next_offset; });
  const auto seqs = pg::array_of(rows, [](const Row& row) { return row.second.chain.last_seq; });
  const auto record_ids =
      pg::array_of(rows, [](const Row& row) { return row.second.chain.last_record_id; });
  const auto ignored = pg::array_of(rows, [](const Row& row) { return row.second.ignored; });
  const auto deadlettered =
      pg::array_of(rows, [](const Row& row) { return row.second.deadlettered; });
  work.exec_params(
      "INSERT INTO projection_checkpoints AS c (projection, partition, next_offset, last_seq, "
      "last_record_id, "
      "ignored_count, deadlettered_count, updated_at) "
      "SELECT $1, v.* , now() FROM unnest($2::integer[], $3::bigint[], $4::bigint[], $5::text[], "
      "$6::bigint[], "
      "$7::bigint[]) AS v "
      "ON CONFLICT (projection, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, "
      "last_seq = EXCLUDED.last_seq, last_record_id = EXCLUDED.last_record_id, "
      "ignored_count = EXCLUDED.ignored_count, deadlettered_count = EXCLUDED.deadlettered_count, "
      "generation = c.generation + 1, updated_at = now()",
      projection, partitions, next_offsets, seqs, record_ids, ignored, deadlettered);
}

// Why a failed swap may be tried again, or nullopt: a reader held a lock
// too long (lock_timeout, 55P03, an sql_error), or the server rolled the
// transaction back for a deadlock with a reader (40P01) or a serialization
// failure (40001). libpqxx 6 throws those two as transaction_rollback, which
// is no sql_error: catching sql_error alone never retried them.
std::optional<std::string> retry_reason(const pqxx::failure& error) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
      sql != nullptr && sql->sqlstate() == "55P03") {
    return "a lock wait timed out";
  }
  if (dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr)
    return "a deadlock with a reader";
  if (dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr)
    return "a serialization failure";
  return std::nullopt;
}

std::string describe(const std::vector<verify::Difference>& differences) {
  std::string text;
  for (const verify::Difference& difference : differences)
    text += "\n  " + verify::to_string(difference);
  return text;
}

// Holds a session-level advisory lock naming the projection: one rebuild of
// a projection at a time.
class RebuildLock {
 public:
  RebuildLock(pqxx::connection& connection, const std::string& projection)
      : connection_(connection), projection_(projection) {
    pqxx::nontransaction work(connection_);
    if (!work.exec_params1(
                 "SELECT pg_try_advisory_lock(hashtext('ledgerflow.rebuild'), hashtext($1))",
                 projection_)[0]
             .as<bool>()) {
      throw RebuildBusy("another rebuild of " + projection_ + " is running");
    }
  }
  ~RebuildLock() {
    try {
      pqxx::nontransaction work(connection_);
      work.exec_params("SELECT pg_advisory_unlock(hashtext('ledgerflow.rebuild'), hashtext($1))",
                       projection_);
    } catch (const std::exception& error) {
      logger()->warn("releasing the rebuild lock of {}: {}", projection_, error.what());
    }
  }
  RebuildLock(const RebuildLock&) = delete;
  RebuildLock& operator=(const RebuildLock&) = delete;

 private:
  pqxx::connection& connection_;
  std::string projection_;
};

// ---- the two kinds of rebuild ----------------------------------------------

class Rebuild {
 public:
  explicit Rebuild(const Options& options)
      : options_(options),
        start_(Clock::now()),
        reporter_(options.progress, start_),
        builder_(std::make_unique<Builder>(options.projection, options)),
        reader_(options.kafka, "ledgerflow-rebuild", ""),
        topic_(options.topics.events()),
        connection_(options.database_url) {
    for (const projections::TableSpec* table : builder_->projection().tables())
      tables_.push_back(table->name);
    const int32_t count = reader_.partition_count(topic_);
    for (int32_t partition = 0; partition < count; ++partition) partitions_.push_back(partition);
  }

  Outcome whole() {
    RebuildLock lock(connection_, options_.projection);
    {
      pqxx::work work(connection_);
      create_shadow_tables(work, tables_);
      work.commit();
    }
    pg::BatchWriter writer(kShadowSuffix);
    auto flush = [&] {
      if (builder_->batch().empty()) {
        builder_->written();
        return;
      }
      pqxx::work work(connection_);
      writer.write(work, builder_->batch());
      work.commit();
      builder_->written();
    };
    try {
      if (options_.source == Source::archive) {
        build_from_archive(flush);
      } else {
        build_from_kafka(flush);
      }
      flush();
      outcome_.build_seconds = seconds_since(start_);

      // Catch up with what was written meanwhile, until little remains.
      for (int round = 0; round < 10; ++round) {
        const int64_t lag = read_to_end("catch-up", [&] {
          if (builder_->pending_records() >= static_cast<int64_t>(options_.batch_records)) flush();
        });
        flush();
        if (lag <= options_.swap_lag_max) break;
      }

      verify_shadow();
      swap(writer);
    } catch (const std::exception& error) {
      logger()->error("rebuild of {} failed, the live tables are untouched: {}",
                      options_.projection, error.what());
      drop_shadows();
      throw;
    }
    return finish();
  }

  Outcome tenant() {
    if (!is_uuid(*options_.tenant_id))
      throw RebuildError("--tenant must be a UUID, got " + *options_.tenant_id);
    RebuildLock lock(connection_, options_.projection);
    std::map<int32_t, Position> live;
    {
      pqxx::work work(connection_);
      live = lock_checkpoints(work, options_.projection, partitions_);
      work.commit();  // only a snapshot of where the projector is
    }
    if (options_.source == Source::archive) {
      tenant_from_archive(live);
    } else {
      build_from_kafka([] {}, &live);
    }
    outcome_.build_seconds = seconds_since(start_);

    pg::BatchWriter writer;
    for (int attempt = 1;; ++attempt) {
      const std::map<int32_t, Position> saved = builder_->positions();
      const projections::RowBatch saved_batch = builder_->batch();
      try {
        pqxx::work work(connection_);
        work.exec("SET LOCAL lock_timeout = " + std::to_string(options_.lock_timeout_ms));
        const std::map<int32_t, Position> locked =
            lock_checkpoints(work, options_.projection, partitions_);
        for (const auto& [partition, position] : locked) {
          Position& mine = builder_->positions()[partition];
          if (position.next_offset < mine.next_offset) {
            throw RebuildError("the stored position of " + options_.projection + " on partition " +
                               std::to_string(partition) +
                               " moved back (another rebuild?); run again");
          }
          kafka::read_range(reader_, topic_, partition, mine.next_offset, position.next_offset,
                            [&](int64_t offset, std::string_view value) {
                              builder_->offer_message(partition, offset, value);
                            });
          if (builder_->positions()[partition].chain.last_record_id !=
              position.chain.last_record_id) {
            throw RebuildError("partition " + std::to_string(partition) +
                               ": the fold reached record " +
                               builder_->positions()[partition].chain.last_record_id +
                               " but the projector stored " + position.chain.last_record_id);
          }
        }
        reporter_.update("swap", 0, 0, builder_->events(), true);
        for (auto table = tables_.rbegin(); table != tables_.rend(); ++table) {
          work.exec_params("DELETE FROM \"" + *table + "\" WHERE tenant_id = $1::uuid",
                           *options_.tenant_id);
        }
        writer.write(work, builder_->batch());
        verify::Fold fold(make_list());
        fold.add(builder_->batch());
        const std::vector<verify::Difference> differences =
            verify::diff(work, fold, 20, options_.tenant_id);
        if (!differences.empty()) {
          throw RebuildError(
              "tenant " + *options_.tenant_id + " of " + options_.projection +
              " differs from the fold after writing; nothing changed:" + describe(differences));
        }
        for (const auto& [table, rows] : fold.tables())
          outcome_.rows[table] = static_cast<int64_t>(rows.size());
        outcome_.compared_rows = true;
        work.commit();
        outcome_.swap_attempts = attempt;
        break;
      } catch (const pqxx::failure& error) {
        const std::optional<std::string> reason = retry_reason(error);
        if (!reason || attempt >= options_.swap_attempts) throw;
        logger()->info("rebuild of tenant {} in {}: attempt {} failed on {}; retrying",
                       *options_.tenant_id, options_.projection, attempt, *reason);
        builder_->positions() = saved;
        builder_->batch() = saved_batch;
        std::this_thread::sleep_for(
            std::chrono::milliseconds(100 * attempt));  // back off from the readers
      }
    }
    return finish();
  }

 private:
  std::vector<std::unique_ptr<projections::Projection>> make_list() const {
    std::vector<std::unique_ptr<projections::Projection>> list;
    list.push_back(projections::make_projection(options_.projection));
    return list;
  }

  // Whole partitions from offset 0 to their current end (or to `limits`).
  void build_from_kafka(const std::function<void()>& maybe_flush,
                        const std::map<int32_t, Position>* limits = nullptr) {
    std::map<int32_t, int64_t> ends;
    int64_t total = 0;
    for (int32_t partition : partitions_) {
      const kafka::Watermarks marks = reader_.watermarks(topic_, partition);
      const int64_t end = limits ? limits->at(partition).next_offset : marks.high;
      if (marks.low > 0 && end > 0) {
        throw RebuildError(
            topic_ + " partition " + std::to_string(partition) + " starts at offset " +
            std::to_string(marks.low) +
            ": the broker no longer holds the start of the log; rebuild --from archive");
      }
      ends[partition] = end;
      total += end;
    }
    int64_t done = 0;
    for (int32_t partition : partitions_) {
      builder_->positions()[partition];
      kafka::read_range(reader_, topic_, partition, 0, ends[partition],
                        [&](int64_t offset, std::string_view value) {
                          builder_->offer_message(partition, offset, value);
                          ++done;
                          maybe_flush_and_report(maybe_flush, "build", done, total);
                        });
    }
    reporter_.update("build", done, total, builder_->events(), true);
  }

  void maybe_flush_and_report(const std::function<void()>& maybe_flush, std::string_view phase,
                              int64_t done, int64_t total) {
    if (builder_->pending_records() >= static_cast<int64_t>(options_.batch_records)) maybe_flush();
    reporter_.update(phase, done, total, builder_->events());
  }

  // Every archived record up to the archive's positions, read in one
  // repeatable-read snapshot with those positions: in one sequential scan
  // when the table lies in log order, else partition by partition through
  // the index (the shadow is started again).
  void build_from_archive(const std::function<void()>& maybe_flush) {
    pqxx::connection archive(options_.database_url);
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(
        archive);
    const std::map<int32_t, Position> reach = archive_positions(tx);
    int64_t total = 0;
    for (const auto& [partition, position] : reach) total += position.next_offset;
    std::map<int32_t, int64_t> done_in;
    int64_t done = 0;
    auto offer = [&](int32_t partition, int64_t offset, const DecodedRecord& record) {
      builder_->offer_accepted(partition, offset, record);
      int64_t& mine = done_in[partition];
      done += offset + 1 - mine;
      mine = offset + 1;
      maybe_flush_and_report(maybe_flush, "build", done, total);
    };
    if (!read_archive_in_heap_order(tx, offer)) {
      logger()->info(
          "event_log is not stored in log order (updated or reorganised); reading it through its "
          "index");
      builder_ = std::make_unique<Builder>(options_.projection, options_);
      {
        pqxx::work work(connection_);
        create_shadow_tables(work, tables_);
        work.commit();
      }
      done_in.clear();
      done = 0;
      for (const auto& [partition, position] : reach) {
        read_archive(
            tx, partition, position.next_offset, std::nullopt,
            [&](int64_t offset, const DecodedRecord& record) { offer(partition, offset, record); });
      }
    }
    for (int32_t partition : partitions_) {
      auto found = reach.find(partition);
      // Includes its ignored and dead-lettered counts.
      builder_->positions()[partition] = found == reach.end() ? Position{} : found->second;
    }
    tx.commit();
    reporter_.update("build", total, total, builder_->events(), true);
  }

  // One tenant's records: the archive up to the projector's positions (or
  // as far as it reaches), then Kafka for the rest.
  void tenant_from_archive(const std::map<int32_t, Position>& live) {
    {
      pqxx::connection archive(options_.database_url);
      pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>
          tx(archive);
      const std::map<int32_t, Position> reach = archive_positions(tx);
      for (int32_t partition : partitions_) {
        auto found = reach.find(partition);
        const int64_t archived = found == reach.end() ? 0 : found->second.next_offset;
        const int64_t limit = std::min(archived, live.at(partition).next_offset);
        read_archive(tx, partition, limit, options_.tenant_id,
                     [&](int64_t offset, const DecodedRecord& record) {
                       builder_->offer_accepted(partition, offset, record);
                       reporter_.update("build", builder_->records(), 0, builder_->events());
                     });
        Position& position = builder_->positions()[partition];
        position.next_offset = limit;
        position.chain = archived_chain_before(tx, partition, limit);
      }
      tx.commit();
    }
    for (int32_t partition : partitions_) {
      Position& position = builder_->positions()[partition];
      kafka::read_range(reader_, topic_, partition, position.next_offset,
                        live.at(partition).next_offset,
                        [&](int64_t offset, std::string_view value) {
                          builder_->offer_message(partition, offset, value);
                        });
    }
    reporter_.update("build", builder_->records(), 0, builder_->events(), true);
  }

  // Reads every partition from the rebuild's position to the current end;
  // returns how many records that was.
  int64_t read_to_end(std::string_view phase, const std::function<void()>& maybe_flush) {
    std::map<int32_t, int64_t> ends;
    int64_t total = 0;
    for (int32_t partition : partitions_) {
      ends[partition] = reader_.watermarks(topic_, partition).high;
      total += std::max<int64_t>(0, ends[partition] - builder_->positions()[partition].next_offset);
    }
    int64_t done = 0;
    for (int32_t partition : partitions_) {
      kafka::read_range(reader_, topic_, partition, builder_->positions()[partition].next_offset,
                        ends[partition], [&](int64_t offset, std::string_view value) {
                          builder_->offer_message(partition, offset, value);
                          ++done;
                          maybe_flush_and_report(maybe_flush, phase, done, total);
                        });
    }
    reporter_.update(phase, done, total, builder_->events(), true);
    return total;
  }

  // The shadow against the log-derived totals: row by row while the fold is
  // kept, else the number of rows of every table.
  void verify_shadow() {
    pqxx::work work(connection_);
    for (const std::string& table : tables_) work.exec("ANALYZE \"" + table + kShadowSuffix + "\"");
    if (verify::Fold* fold = builder_->fold()) {
      const std::vector<verify::Difference> differences =
          verify::diff(work, *fold, 20, std::nullopt, kShadowSuffix);
      if (!differences.empty()) {
        throw RebuildError("the rebuilt " + options_.projection +
                           " differs from the fold of the log; the live tables are untouched:" +
                           describe(differences));
      }
      outcome_.compared_rows = true;
    } else {
      for (const std::string& table : tables_) {
        const int64_t expected = builder_->key_counts().count(table);
        const int64_t found =
            work.exec1("SELECT count(*) FROM \"" + table + kShadowSuffix + "\"")[0].as<int64_t>();
        if (expected != found) {
          throw RebuildError("the rebuilt " + table + " has " + std::to_string(found) +
                             " rows but the log implies " + std::to_string(expected) +
                             "; the live tables are untouched");
        }
      }
    }
    work.commit();
    reporter_.update("verify", 1, 1, builder_->events(), true);
  }

  // The last records and the swap, in one transaction holding the
  // projection's checkpoint rows.
  void swap(pg::BatchWriter& writer) {
    for (int attempt = 1;; ++attempt) {
      const std::map<int32_t, Position> saved = builder_->positions();
      try {
        pqxx::work work(connection_);
        work.exec("SET LOCAL lock_timeout = " + std::to_string(options_.lock_timeout_ms));
        lock_checkpoints(work, options_.projection, partitions_);
        const int64_t delta = read_to_end("swap", [] {});
        if (!builder_->batch().empty()) writer.write(work, builder_->batch());
        lock_tables(work, tables_, options_.lock_timeout_ms);
        swap_in(work, tables_);
        store_positions(work, options_.projection, builder_->positions());
        // Every parked event was applied again above (or the rebuild
        // stopped): nothing of this projection stays parked.
        const int64_t unparked =
            work.exec_params("DELETE FROM parked_streams WHERE projection = $1",
                             options_.projection)
                .affected_rows();
        if (unparked > 0)
          logger()->info("{}: {} parked stream(s) rebuilt and unparked", options_.projection,
                         unparked);
        work.exec_params(
            "INSERT INTO projections (name, version, updated_at) VALUES ($1, $2, now()) "
            "ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, updated_at = now()",
            options_.projection, builder_->projection().version());
        work.commit();
        builder_->written();
        outcome_.swap_attempts = attempt;
        logger()->info("{} swapped in after {} attempt(s), the last {} record(s) taken in the swap",
                       options_.projection, attempt, delta);
        break;
      } catch (const pqxx::failure& error) {
        const std::optional<std::string> reason = retry_reason(error);
        if (!reason || attempt >= options_.swap_attempts) throw;
        logger()->info("swap of {}: attempt {} failed on {}; retrying", options_.projection,
                       attempt, *reason);
        builder_->positions() = saved;
        builder_->batch().clear();
        std::this_thread::sleep_for(
            std::chrono::milliseconds(100 * attempt));  // back off from the readers
      }
    }
    for (const std::string& table : tables_)
      outcome_.rows[table] = builder_->key_counts().count(table);
  }

  void drop_shadows() {
    try {
      pqxx::connection connection(options_.database_url);
      pqxx::work work(connection);
      drop_shadow_tables(work, tables_);
      work.commit();
    } catch (const std::exception& error) {
      logger()->warn("dropping the shadow tables of {}: {}", options_.projection, error.what());
    }
  }

  Outcome finish() {
    outcome_.records = builder_->records();
    outcome_.events = builder_->events();
    outcome_.ignored = builder_->ignored();
    outcome_.undecodable = builder_->undecodable();
    outcome_.seconds = seconds_since(start_);
    logger()->info("rebuilt {}{} from {}: {} records, {} events in {:.1f} s", options_.projection,
                   options_.tenant_id ? " for tenant " + *options_.tenant_id : std::string(),
                   to_string(options_.source), outcome_.records, outcome_.events, outcome_.seconds);
    return outcome_;
  }

  const Options& options_;
  Clock::time_point start_;
  Reporter reporter_;
  std::unique_ptr<Builder> builder_;
  kafka::Consumer reader_;
  std::string topic_;
  pqxx::connection connection_;
  std::vector<std::string> tables_;
  std::vector<int32_t> partitions_;
  Outcome outcome_;
};

}  // namespace

std::optional<Source> parse_source(std::string_view text) {
  if (text == "kafka") return Source::kafka;
  if (text == "archive") return Source::archive;
  return std::nullopt;
}

std::string_view to_string(Source source) {
  return source == Source::kafka ? "kafka" : "archive";
}

Outcome run(const Options& options) {
  if (!projections::make_projection(options.projection)) {
    std::string known;
    for (const auto& projection : projections::all_projections()) {
      known += (known.empty() ? "" : ", ") + std::string(projection->name());
    }
    throw RebuildError("unknown projection " + options.projection + " (known: " + known + ")");
  }
  if (options.source == Source::archive && options.projection == "event_log") {
    throw RebuildError("event_log is the archive itself: rebuild it --from kafka");
  }
  Rebuild rebuild(options);
  return options.tenant_id ? rebuild.tenant() : rebuild.whole();
}

}  // namespace lf::rebuild
