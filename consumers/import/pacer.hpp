// Pacing an import by the projectors: how far each partition of the events
// topic is ahead of the slowest projection (projection_checkpoints), so the
// sender can hold back while the read tables catch up.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/import/import_run.hpp"
#include "consumers/import/internal.hpp"
#include "consumers/kafka/kafka.hpp"

namespace lf::import_run {

// How far each partition of the events topic is ahead of the slowest
// projector (projection_checkpoints).
class Pacer {
 public:
  // `partitions`: the events topic's (0: ask the cluster).
  Pacer(const Options& options, int32_t partitions)
      : db_(options.database_url),
        probe_(options.kafka, options.client_id + "-pacer", ""),
        topic_(options.topics.events()),
        lag_(static_cast<std::size_t>(partitions > 0 ? partitions : probe_.partition_count(topic_)),
             0) {}

  void refresh() {
    std::map<int32_t, int64_t> positions;
    {
      pqxx::read_transaction work(db_);
      for (const pqxx::row& row : work.exec("SELECT partition, min(next_offset) FROM "
                                            "projection_checkpoints GROUP BY partition")) {
        positions[row[0].as<int32_t>()] = row[1].as<int64_t>();
      }
    }
    for (std::size_t partition = 0; partition < lag_.size(); ++partition) {
      const int32_t p = static_cast<int32_t>(partition);
      const int64_t high = probe_.watermarks(topic_, p).high;
      auto found = positions.find(p);
      lag_[partition] = std::max<int64_t>(0, high - (found == positions.end() ? 0 : found->second));
    }
    refreshed_ = Clock::now();
  }
  void refresh_if_due() {
    if (Clock::now() - refreshed_ >= std::chrono::milliseconds(kPacingRefreshMs)) refresh();
  }
  int64_t lag(int32_t partition) const { return lag_[static_cast<std::size_t>(partition)]; }
  int64_t total_lag() const {
    int64_t total = 0;
    for (const int64_t lag : lag_) total += lag;
    return total;
  }

 private:
  pqxx::connection db_;
  kafka::Consumer probe_;
  std::string topic_;
  std::vector<int64_t> lag_;
  Clock::time_point refreshed_{};
};

// Waits until every projection has read the events topic to its end;
// `waiting` runs between looks. Throws after options.catch_up_timeout_ms.
void wait_caught_up(Pacer& pacer, const Options& options, const std::function<void()>& waiting);

}  // namespace lf::import_run
