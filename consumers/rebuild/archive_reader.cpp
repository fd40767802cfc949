#include "consumers/rebuild/archive_reader.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "consumers/pg/snapshot_copy.hpp"
#include "consumers/rebuild/internal.hpp"

namespace lf::rebuild {

namespace {

// Runs `produce` on a second thread, which hands its batches over with the
// function it is given (false: stop producing), while this thread hands
// them, in order, to `consume` (false: stop). So the database sends the
// next rows while this thread maps the last ones: taking turns would leave
// each side idle half the time. At most 4 batches wait.
template <typename Batch>
void read_ahead(const std::function<void(const std::function<bool(Batch&&)>&)>& produce,
                const std::function<bool(Batch&)>& consume) {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Batch> ready;
  bool done = false;     // the producer has handed over its last batch (or failed)
  bool stopped = false;  // the consumer gave up: the producer stops
  std::exception_ptr failure;
  constexpr std::size_t kAhead = 4;
  std::thread producer([&] {
    try {
      produce([&](Batch&& batch) {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return ready.size() < kAhead || stopped; });
        if (stopped) return false;
        ready.push_back(std::move(batch));
        changed.notify_all();
        return true;
      });
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    changed.notify_all();
  });
  auto stop_producer = [&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopped = true;
      ready.clear();
      changed.notify_all();
    }
    producer.join();
  };
  bool consuming = true;
  try {
    while (consuming) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return !ready.empty() || done; });
        if (ready.empty()) break;
        batch = std::move(ready.front());
        ready.pop_front();
        changed.notify_all();
      }
      consuming = consume(batch);
    }
  } catch (...) {
    stop_producer();
    throw;
  }
  stop_producer();
  if (failure && consuming) std::rethrow_exception(failure);
}

// The open cursor lf_archive to its end, 5,000 rows at a time. `tx` belongs
// to the fetching thread until it ends.
void fetch_all(pqxx::transaction_base& tx, const std::function<void(const pqxx::row&)>& each) {
  read_ahead<pqxx::result>(
      [&](const std::function<bool(pqxx::result &&)>& hand_over) {
        while (true) {
          pqxx::result rows = tx.exec("FETCH FORWARD 5000 FROM lf_archive");
          if (rows.empty() || !hand_over(std::move(rows))) return;
        }
      },
      [&](pqxx::result& rows) {
        for (const pqxx::row& row : rows) each(row);
        return true;
      });
  tx.exec("CLOSE lf_archive");
}

// The lines of COPY (`query`) TO STDOUT in the snapshot `snapshot`, on a
// connection of its own, 2,000 at a time. `each` returning false stops the
// COPY: its connection is closed, the server sends no more.
void stream_all(const std::string& url, const std::string& snapshot, const std::string& query,
                const std::function<bool(std::string&)>& each) {
  constexpr std::size_t kBatchLines = 2000;
  read_ahead<std::vector<std::string>>(
      [&](const std::function<bool(std::vector<std::string> &&)>& hand_over) {
        pg::SnapshotCopy copy(url, snapshot, query);
        std::vector<std::string> batch(kBatchLines);
        std::size_t filled = 0;
        while (copy.next(batch[filled])) {
          if (++filled < kBatchLines) continue;
          if (!hand_over(std::move(batch))) return;
          batch.assign(kBatchLines, std::string());
          filled = 0;
        }
        batch.resize(filled);
        if (filled > 0) hand_over(std::move(batch));
      },
      [&](std::vector<std::string>& lines) {
        for (std::string& line : lines) {
          if (!each(line)) return false;
        }
        return true;
      });
}

}  // namespace

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
  fetch_all(tx, [&](const pqxx::row& row) { assembler.add(row); });
  assembler.finish();
  tx.exec("RESET enable_bitmapscan");
}

namespace {

// (seq, events) of every archived record with more than one event, in seq
// order, per partition: an index-only scan where the visibility map allows,
// else one scan of the heap without rendering any event.
std::map<int32_t, std::vector<std::pair<int64_t, int64_t>>> multi_event_records(
    pqxx::transaction_base& tx) {
  std::map<int32_t, std::vector<std::pair<int64_t, int64_t>>> counts;
  for (const pqxx::row& row :
       tx.exec("SELECT partition, seq, max(event_index) + 1 FROM event_log WHERE event_index > 0 "
               "GROUP BY partition, seq ORDER BY partition, seq")) {
    counts[row[0].as<int32_t>()].emplace_back(row[1].as<int64_t>(), row[2].as<int64_t>());
  }
  return counts;
}

// One partition's archived events put back in log order, whatever order
// they come in: an event whose turn has not come is kept until the events
// before it have come. The events of a record are known from `counts`, so a
// record is complete exactly when its last event is taken.
class PartitionInOrder {
 public:
  PartitionInOrder(int32_t partition, std::vector<std::pair<int64_t, int64_t>> counts,
                   const pg::RecordAssembler::Sink& sink)
      : counts_(std::move(counts)), assembler_(partition, sink) {
    events_ = events_of(seq_);
  }

  // False when the event's place in the log was passed already (or it is
  // there twice). `kept_bytes` follows the events held back.
  bool add(const pg::ArchivedEvent& event, std::size_t& kept_bytes) {
    const Place place{event.seq, event.event_index};
    if (place == next()) {
      take(event);
      while (!kept_.empty() && kept_.begin()->first == next()) {
        const auto first = kept_.begin();
        take(first->second.view());
        kept_bytes -= first->second.bytes();
        kept_.erase(first);
      }
      return true;
    }
    if (place < next()) return false;
    const auto [kept, added] = kept_.try_emplace(place, event);
    if (!added) return false;
    kept_bytes += kept->second.bytes();
    ++held_back_;
    return true;
  }

  // False when events are still held back: the rows before them are not in
  // the table.
  bool finish() {
    if (!kept_.empty()) return false;
    assembler_.finish();
    return true;
  }
  int64_t held_back() const { return held_back_; }

 private:
  using Place = std::pair<int64_t, int64_t>;  // seq, event_index
  Place next() const { return {seq_, index_}; }
  void take(const pg::ArchivedEvent& event) {
    assembler_.add(event);
    if (++index_ == events_) {
      ++seq_;
      index_ = 0;
      events_ = events_of(seq_);
    }
  }
  // Called with seq rising: the counts are walked once.
  int64_t events_of(int64_t seq) {
    while (next_count_ < counts_.size() && counts_[next_count_].first < seq) ++next_count_;
    if (next_count_ < counts_.size() && counts_[next_count_].first == seq)
      return counts_[next_count_].second;
    return 1;
  }

  std::vector<std::pair<int64_t, int64_t>> counts_;
  std::size_t next_count_ = 0;
  pg::RecordAssembler assembler_;
  int64_t seq_ = 1;  // the first record has seq 1
  int64_t index_ = 0;
  int64_t events_ = 1;
  std::map<Place, pg::KeptEvent> kept_;
  int64_t held_back_ = 0;
};

}  // namespace

// A table only appended to holds its rows nearly in the order they were
// written, and the event_log projector writes each partition's records in
// log order: one sequential scan reads every partition at a fraction of the
// cost of one index walk per partition, whose rows are spread over the whole
// table. Not exactly in order: PostgreSQL puts a new row wherever its
// free-space map finds room, often in an earlier page, so such rows come
// early and are held back until their turn. An updated row comes late: its
// partition's later rows are held back until it comes, and past
// `max_kept_bytes` the scan gives up.
std::optional<ArchiveScan> read_archive_in_heap_order(
    pqxx::transaction_base& tx, const std::string& database_url,
    const std::function<void(int32_t, int64_t, const DecodedRecord&)>& each,
    std::size_t max_kept_bytes) {
  const auto counting = std::chrono::steady_clock::now();
  std::map<int32_t, std::vector<std::pair<int64_t, int64_t>>> counts = multi_event_records(tx);
  std::size_t several = 0;
  for (const auto& [partition, records] : counts) several += records.size();
  logger()->info(
      "read the event counts of {} archived records of several events in {:.1f} s", several,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - counting).count());
  const std::string snapshot = tx.exec1("SELECT pg_export_snapshot()")[0].as<std::string>();
  std::map<int32_t, std::unique_ptr<PartitionInOrder>> partitions;
  std::map<int32_t, pg::RecordAssembler::Sink> sinks;
  std::size_t kept_bytes = 0;
  ArchiveScan scan;
  bool in_order = true;
  stream_all(database_url, snapshot, pg::kArchiveColumns, [&](std::string& line) {
    const pg::ArchivedEvent event = pg::parse_archive_copy_line(line);
    auto found = partitions.find(event.partition);
    if (found == partitions.end()) {
      const int32_t partition = event.partition;
      sinks[partition] = [&each, partition](int64_t offset, const DecodedRecord& record) {
        each(partition, offset, record);
      };
      found =
          partitions
              .emplace(partition, std::make_unique<PartitionInOrder>(
                                      partition, std::move(counts[partition]), sinks[partition]))
              .first;
    }
    in_order = found->second->add(event, kept_bytes) && kept_bytes <= max_kept_bytes;
    scan.most_kept_bytes = std::max(scan.most_kept_bytes, kept_bytes);
    ++scan.rows;
    return in_order;
  });
  if (!in_order) return std::nullopt;
  for (auto& [partition, reordered] : partitions) {
    if (!reordered->finish()) return std::nullopt;
    scan.held_back += reordered->held_back();
  }
  return scan;
}

ChainPosition archived_chain_before(pqxx::transaction_base& tx, int32_t partition, int64_t to) {
  const pqxx::result last = tx.exec_params(
      "SELECT seq, record_id FROM event_log WHERE partition = $1 AND kafka_offset < $2 "
      "ORDER BY seq DESC, event_index DESC LIMIT 1",
      partition, to);
  if (last.empty()) return ChainPosition{};
  return ChainPosition{last[0][0].as<int64_t>(), last[0][1].as<std::string>()};
}

}  // namespace lf::rebuild
