#include "consumers/verify/status.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace lf::verify {

std::vector<PartitionStatus> projection_status(pqxx::work& work, kafka::Consumer& probe,
                                               const std::string& topic,
                                               const std::vector<std::string>& projections) {
  // Every stored position in one round trip.
  std::map<std::pair<std::string, int32_t>, PartitionStatus> stored;
  for (const auto& row : work.exec("SELECT projection, partition, next_offset, last_seq, "
                                   "ignored_count, deadlettered_count, "
                                   "unknown_skipped_count FROM projection_checkpoints")) {
    PartitionStatus status;
    status.next_offset = row[2].as<int64_t>();
    status.last_seq = row[3].as<int64_t>();
    status.ignored = row[4].as<int64_t>();
    status.deadlettered = row[5].as<int64_t>();
    status.unknown_skipped = row[6].as<int64_t>();
    stored.emplace(std::make_pair(row[0].as<std::string>(), row[1].as<int32_t>()), status);
  }
  // Parked streams and events per projection and partition, in one query.
  std::map<std::pair<std::string, int32_t>, std::pair<int64_t, int64_t>> parked;
  for (const auto& row :
       work.exec("SELECT s.projection, s.partition, count(*), "
                 "coalesce(sum((SELECT coalesce(sum(cardinality(e.event_indexes)), 0) FROM "
                 "parked_events e "
                 "  WHERE e.projection = s.projection AND e.tenant_id = s.tenant_id AND e.stream = "
                 "s.stream)), 0) "
                 "FROM parked_streams s GROUP BY s.projection, s.partition")) {
    parked[{row[0].as<std::string>(), row[1].as<int32_t>()}] = {row[2].as<int64_t>(),
                                                                row[3].as<int64_t>()};
  }
  std::vector<PartitionStatus> rows;
  const int32_t partitions = probe.partition_count(topic);
  for (int32_t partition = 0; partition < partitions; ++partition) {
    const int64_t high = probe.watermarks(topic, partition).high;
    for (const std::string& projection : projections) {
      auto found = stored.find({projection, partition});
      PartitionStatus status = found == stored.end() ? PartitionStatus{} : found->second;
      status.projection = projection;
      status.partition = partition;
      status.log_end = high;
      status.lag = std::max<int64_t>(0, high - status.next_offset);
      if (auto held = parked.find({projection, partition}); held != parked.end()) {
        status.parked_streams = held->second.first;
        status.parked_events = held->second.second;
      }
      rows.push_back(std::move(status));
    }
  }
  return rows;
}

int64_t projection_lag(pqxx::work& work, kafka::Consumer& probe, const std::string& topic,
                       const std::vector<std::string>& projections) {
  int64_t lag = 0;
  for (const PartitionStatus& status : projection_status(work, probe, topic, projections))
    lag += status.lag;
  return lag;
}

}  // namespace lf::verify
