#include "consumers/rebuild/archive_reader.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace lf::rebuild {

namespace {

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

ChainPosition archived_chain_before(pqxx::transaction_base& tx, int32_t partition, int64_t to) {
  const pqxx::result last = tx.exec_params(
      "SELECT seq, record_id FROM event_log WHERE partition = $1 AND kafka_offset < $2 "
      "ORDER BY seq DESC, event_index DESC LIMIT 1",
      partition, to);
  if (last.empty()) return ChainPosition{};
  return ChainPosition{last[0][0].as<int64_t>(), last[0][1].as<std::string>()};
}

}  // namespace lf::rebuild
