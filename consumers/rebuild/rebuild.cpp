// Rebuilding a projection: into shadow tables and swapped in, or one tenant
// in place. See rebuild.hpp for the protocol.
#include "consumers/rebuild/rebuild.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "consumers/pg/archive.hpp"
#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/copy.hpp"
#include "consumers/pg/positions.hpp"
#include "consumers/rebuild/archive_reader.hpp"
#include "consumers/rebuild/builder.hpp"
#include "consumers/rebuild/checkpoints.hpp"
#include "consumers/rebuild/internal.hpp"
#include "consumers/rebuild/rebuild_lock.hpp"
#include "consumers/rebuild/shadow.hpp"
#include "consumers/verify/fold.hpp"
#include "events/chain.hpp"
#include "events/envelope.hpp"
#include "projections/feed.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace lf::rebuild {

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("rebuild");
    return existing ? existing : spdlog::default_logger()->clone("rebuild");
  }();
  return instance;
}

namespace {

std::string describe(const std::vector<verify::Difference>& differences) {
  std::string text;
  for (const verify::Difference& difference : differences)
    text += "\n  " + verify::to_string(difference);
  return text;
}

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
          if (builder_->pending_rows() >= options_.batch_rows) flush();
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
    if (builder_->pending_rows() >= options_.batch_rows) maybe_flush();
    reporter_.update(phase, done, total, builder_->events());
  }

  // Every archived record up to the archive's positions, read in one
  // repeatable-read snapshot with those positions: in one sequential scan
  // when the table lies close enough to log order, else partition by
  // partition through the index (the shadow is started again).
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
    const std::optional<ArchiveScan> scan =
        read_archive_in_heap_order(tx, options_.database_url, offer);
    if (scan) {
      logger()->info(
          "read event_log in one scan: {} rows, {} of them out of place and held back (at most {} "
          "KiB at once)",
          scan->rows, scan->held_back, scan->most_kept_bytes / 1024);
      outcome_.archive_held_back = scan->held_back;
    } else {
      logger()->info(
          "event_log is too far out of log order (updated or reorganised) to read in one scan; "
          "reading it through its index");
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
