// The command client.
#include "consumers/client/command_client.hpp"

#include <chrono>
#include <stdexcept>
#include <unordered_set>

namespace lf::client {

CommandClient::CommandClient(const kafka::Settings& settings, kafka::Topics topics,
                             std::string client_id)
    : topics_(std::move(topics)),
      producer_(settings, client_id),
      results_consumer_(settings, client_id + "-results", "") {
  producer_.on_delivery([this](const kafka::DeliveryReport& report) {
    if (report.error == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    ++failed_deliveries_;
    last_delivery_error_ = rd_kafka_err2str(report.error);
  });
  const int32_t partitions = results_consumer_.partition_count(topics_.results());
  std::vector<kafka::TopicPartitionOffset> from_end;
  for (int32_t partition = 0; partition < partitions; ++partition) {
    const kafka::Watermarks marks = results_consumer_.watermarks(topics_.results(), partition);
    from_end.push_back(kafka::TopicPartitionOffset{topics_.results(), partition, marks.high});
  }
  results_consumer_.assign(from_end);
}

CommandClient::~CommandClient() {
  try {
    producer_.flush(10'000);
    results_consumer_.close();
  } catch (...) {
    // Nothing to do at teardown.
  }
}

void CommandClient::send(std::optional<std::string_view> key, std::optional<std::string_view> value,
                         int32_t partition,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  producer_.produce(topics_.commands(), partition, key, value, headers);
}

void CommandClient::flush(int timeout_ms) {
  if (!producer_.flush(timeout_ms)) throw std::runtime_error("commands not delivered in time");
  if (failed_deliveries_ > 0) {
    throw std::runtime_error(std::to_string(failed_deliveries_) +
                             " command(s) not delivered: " + last_delivery_error_);
  }
}

void CommandClient::poll_results(int timeout_ms) {
  std::vector<kafka::MessagePtr> messages;
  results_consumer_.poll_batch(messages, 10'000, timeout_ms);
  for (const kafka::MessagePtr& message : messages) {
    Result<ResultEnvelope> result = decode_result(kafka::message_value(*message));
    if (!result) continue;
    first_result_.try_emplace(result->command_id, results_.size());
    results_.push_back(std::move(result).value());
  }
  producer_.poll(0);
}

std::size_t CommandClient::wait_for(const std::vector<std::string>& command_ids, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Only results that arrive are checked against what is still awaited.
  std::unordered_set<std::string> pending;
  for (const std::string& id : command_ids) {
    if (first_result_.count(id) == 0) pending.insert(id);
  }
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    const std::size_t before = results_.size();
    poll_results(20);
    for (std::size_t i = before; i < results_.size(); ++i) pending.erase(results_[i].command_id);
  }
  std::size_t arrived = 0;
  for (const std::string& id : command_ids) arrived += first_result_.count(id);
  return arrived;
}

std::map<std::string, ResultEnvelope> CommandClient::await(
    const std::vector<std::string>& command_ids, int timeout_ms) {
  wait_for(command_ids, timeout_ms);
  std::map<std::string, ResultEnvelope> found;
  for (const std::string& id : command_ids) {
    auto index = first_result_.find(id);
    if (index != first_result_.end()) found.emplace(id, results_[index->second]);
  }
  return found;
}

}  // namespace lf::client
