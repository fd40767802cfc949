// A producer's view of ledgerflow: send commands to ledgerflow.commands
// (keyed by tenant_id, murmur2 partitioning like every Kafka client) and
// collect their results from ledgerflow.results. Used by `ledgerflow
// produce`, the demo workload, the tests and the benchmarks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "consumers/kafka/kafka.hpp"
#include "events/envelope.hpp"

namespace lf::client {

class CommandClient {
 public:
  // Listens to results produced from now on.
  CommandClient(const kafka::Settings& settings, kafka::Topics topics, std::string client_id);
  ~CommandClient();

  // Sends one message to the commands topic. `partition` -1: by key. A
  // nullopt key or value is sent as null, an empty one as empty.
  void send(std::optional<std::string_view> key, std::optional<std::string_view> value,
            int32_t partition = -1,
            const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Waits for every delivery; throws if one failed.
  void flush(int timeout_ms = 30'000);

  // Reads results until one has arrived for each id or `timeout_ms` passed.
  // Returns the first result of each id that arrived.
  std::map<std::string, ResultEnvelope> await(const std::vector<std::string>& command_ids,
                                              int timeout_ms);
  // As await, without copying the results out: returns how many of the ids
  // have one (results() has them).
  std::size_t wait_for(const std::vector<std::string>& command_ids, int timeout_ms);
  // Reads whatever results are available within `timeout_ms`.
  void poll_results(int timeout_ms);
  // Every result received so far, in arrival order (duplicates included).
  const std::vector<ResultEnvelope>& results() const { return results_; }

  const kafka::Topics& topics() const { return topics_; }
  int32_t partition_count() { return producer_.partition_count(topics_.commands()); }

 private:
  kafka::Topics topics_;
  kafka::Producer producer_;
  kafka::Consumer results_consumer_;
  std::vector<ResultEnvelope> results_;
  std::unordered_map<std::string, std::size_t> first_result_;  // command_id -> index in results_
  int64_t failed_deliveries_ = 0;
  std::string last_delivery_error_;
};

}  // namespace lf::client
