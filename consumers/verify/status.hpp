// Where each projection stands on each partition of the events topic: its
// stored position against the log's end, what it ignored, dead-lettered,
// skipped and parked. For `ledgerflow status`, the metrics and the tests'
// waits for the projectors to catch up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"

namespace lf::verify {

// One projection on one partition of `topic`: its stored position (no
// checkpoint yet: 0), the log's end, the lag between them, the records it
// ignored (stale or repeated seq) and dead-lettered, the unknown events it
// skipped by policy, and its parked streams and the events they hold.
struct PartitionStatus {
  std::string projection;
  int32_t partition = 0;
  int64_t next_offset = 0;
  int64_t last_seq = 0;
  int64_t log_end = 0;  // the partition's high watermark
  int64_t lag = 0;      // records not yet applied: log_end - next_offset
  int64_t ignored = 0;
  int64_t deadlettered = 0;
  int64_t unknown_skipped = 0;
  int64_t parked_streams = 0;
  int64_t parked_events = 0;
};

std::vector<PartitionStatus> projection_status(pqxx::work& work, kafka::Consumer& probe,
                                               const std::string& topic,
                                               const std::vector<std::string>& projections);

// How many records of `topic` the given projections have yet to apply,
// summed over partitions and projections (0: caught up with the log's end).
int64_t projection_lag(pqxx::work& work, kafka::Consumer& probe, const std::string& topic,
                       const std::vector<std::string>& projections);

}  // namespace lf::verify
