// Mapping the log into one projection's rows for a rebuild: records go
// through the one feed (projections/feed.hpp), positions are kept per
// partition, and the totals the rebuilt tables are verified against (the
// fold, or distinct key counts when the fold grows too large) are kept as
// the batches are written. Internal to consumers/rebuild.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "consumers/rebuild/checkpoints.hpp"
#include "consumers/rebuild/internal.hpp"
#include "consumers/rebuild/rebuild.hpp"
#include "consumers/verify/fold.hpp"
#include "events/chain.hpp"
#include "events/envelope.hpp"
#include "projections/feed.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace lf::rebuild {

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
  std::size_t pending_rows() const { return batch_.op_count(); }

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
    events_ += static_cast<int64_t>(record.events.size());
  }

  std::unique_ptr<projections::Projection> projection_;
  RefuseParks refuse_parks_{projection_->name()};
  std::optional<std::string> tenant_;
  JsonLimits limits_;
  std::size_t verify_rows_max_;
  std::map<int32_t, Position> positions_;
  projections::RowBatch batch_;
  std::unique_ptr<verify::Fold> fold_;
  KeyCounts key_counts_;
  int64_t records_ = 0;
  int64_t events_ = 0;
  int64_t ignored_ = 0;
  int64_t undecodable_ = 0;
};

}  // namespace lf::rebuild
