// Intake of one command message: bounded parse, envelope, routing to the
// tenant's partition, key, type and schema checks, then the decision.
// Input the intake refuses goes to the dead-letter topic unchanged (key and
// value exactly as they came, null or empty alike), with its origin and the
// error in headers. When its tenant_id and command_id can be read (even from
// JSON with a duplicate key or an inexact number, re-parsed without those
// checks), it is also rejected like any command: in its tenant's partition,
// with a command.rejected record (chained, de-duplicated by command_id, in
// the audit trail) and a `rejected` result with the reason and a sentence.
#include <variant>

#include "consumers/engine/engine_service.hpp"
#include "consumers/engine/logger.hpp"
#include "engine/intake.hpp"
#include "events/dead_letter.hpp"
#include "events/partitioner.hpp"

namespace lf::engine_service {

namespace {

constexpr std::string_view kReroutedFromHeader = "ledgerflow.rerouted_from";

std::optional<std::string> owned(std::optional<std::string_view> bytes) {
  if (!bytes) return std::nullopt;
  return std::string(*bytes);
}

}  // namespace

void EngineService::handle_command(kafka::MessagePtr message) {
  auto found = partitions_.find(message->partition);
  if (found == partitions_.end()) return;
  if (found->second.snapshot_wanted && !found->second.stale) {
    found->second.held.push_back(std::move(message));
    return;
  }
  decide_command(*message);
}

void EngineService::decide_command(const rd_kafka_message_t& message) {
  auto found = partitions_.find(message.partition);
  if (found == partitions_.end()) return;
  Partition& partition = found->second;
  // A stale partition is recovered after this batch and re-reads from its
  // first undecided command; what arrives meanwhile is read again then.
  if (partition.stale || message.offset < partition.next_consume_offset) return;
  partition.next_consume_offset = message.offset + 1;
  ++stats_.commands;

  // The checks are pure (engine/intake.hpp); routing is this service's.
  std::variant<engine::ReadCommand, engine::RefusedCommand> read = engine::read_command(
      kafka::message_value(message), options_.command_limits, command_document_);
  if (const auto* refused = std::get_if<engine::RefusedCommand>(&read))
    return refuse(partition, message, refused->error, refused->identity);
  const CommandEnvelope& command = std::get<engine::ReadCommand>(read).envelope;

  // Everything about a command, its rejection included, is decided in its
  // tenant's partition: elsewhere it is only passed on.
  const int32_t home = partition_for_key(command.tenant_id, partition_count_);
  if (home != message.partition)
    return reroute(partition, message, home, command.tenant_id, command.command_id);

  if (std::optional<Error> problem = engine::check_command(command, kafka::nullable_key(message)))
    return refuse(partition, message, *problem, identity_of(command));
  engine::CommandOutcome outcome = partition.core->decide(
      command, SourcePosition{options_.topics.commands(), message.partition, message.offset},
      now_ms());
  decided(partition, message.partition, std::move(outcome), message.offset);
}

void EngineService::reroute(Partition& partition, const rd_kafka_message_t& message, int32_t home,
                            std::string_view tenant_id, std::string_view command_id) {
  // Key and value unchanged: the tenant's partition checks them as if the
  // command had been sent there.
  Output output{options_.topics.commands(), home, owned(kafka::nullable_key(message)),
                owned(kafka::nullable_value(message)), kafka::message_headers(message)};
  output.headers.emplace_back(std::string(kReroutedFromHeader),
                              kafka::message_topic(message) + "/" +
                                  std::to_string(message.partition) + "/" +
                                  std::to_string(message.offset));
  logger()->info(
      "partition {} offset {}: command {} of tenant {} belongs to partition {}; re-routed",
      message.partition, message.offset, command_id, tenant_id, home);
  ++stats_.rerouted;
  queue_outcome(partition,
                Outcome{message.offset, partition.core->chain().last_seq, {std::move(output)}});
  emit_confirmed(partition, message.partition);
}

EngineService::Output EngineService::dead_letter(const rd_kafka_message_t& message,
                                                 const Error& error) const {
  const DeadLetterOrigin origin{kafka::message_topic(message), message.partition, message.offset};
  Output letter{options_.topics.deadletter(), -1, owned(kafka::nullable_key(message)),
                owned(kafka::nullable_value(message)), kafka::message_headers(message)};
  for (auto& header : dead_letter_headers(origin, "engine", error.code, error.message)) {
    letter.headers.push_back(std::move(header));
  }
  return letter;
}

void EngineService::refuse(Partition& partition, const rd_kafka_message_t& message,
                           const Error& error, const std::optional<CommandIdentity>& command) {
  if (command) {
    const int32_t home = partition_for_key(command->tenant_id, partition_count_);
    if (home != message.partition)
      return reroute(partition, message, home, command->tenant_id, command->command_id);
  }
  logger()->warn("partition {} offset {}: dead-lettered{}{}: {}: {}", message.partition,
                 message.offset, command ? ", tenant " + command->tenant_id : std::string(),
                 command ? ", command " + command->command_id : std::string(), error.code,
                 error.message);
  ++stats_.deadlettered;
  std::vector<Output> letter;
  letter.push_back(dead_letter(message, error));
  if (!command) {
    // Nothing to address a result to: the dead letter is all there is.
    queue_outcome(partition,
                  Outcome{message.offset, partition.core->chain().last_seq, std::move(letter)});
    emit_confirmed(partition, message.partition);
    return;
  }
  engine::CommandOutcome outcome = partition.core->refuse(
      *command, engine::Rejection{error.code, error.message},
      SourcePosition{options_.topics.commands(), message.partition, message.offset}, now_ms());
  decided(partition, message.partition, std::move(outcome), message.offset, std::move(letter));
}

void EngineService::decided(Partition& partition, int32_t number, engine::CommandOutcome outcome,
                            int64_t command_offset, std::vector<Output> first) {
  write_records(partition, number, outcome.records);
  switch (outcome.result.status) {
    case ResultStatus::accepted:
      ++stats_.accepted;
      break;
    case ResultStatus::rejected:
      ++stats_.rejected;
      break;
    case ResultStatus::duplicate:
      ++stats_.duplicates;
      break;
  }
  logger()->debug("partition {} offset {}: tenant {} command {} {} {}", number, command_offset,
                  outcome.result.tenant_id, outcome.result.command_id,
                  to_string(outcome.result.status), outcome.result.reason);
  first.push_back(Output{
      options_.topics.results(), -1, outcome.result.tenant_id, std::move(outcome.result_json), {}});
  queue_outcome(partition,
                Outcome{command_offset, partition.core->chain().last_seq, std::move(first)});
  emit_confirmed(partition, number);
}

void EngineService::write_records(Partition& partition, int32_t number,
                                  std::vector<engine::Decided>& records) {
  for (engine::Decided& record : records) {
    const uint64_t token = next_token_++;
    Delivery& delivery = deliveries_[token];
    delivery.kind = Delivery::Kind::record;
    delivery.partition = number;
    delivery.epoch = partition.epoch;
    producer_->produce(options_.topics.events(), number, record.header.tenant_id, record.json, {},
                       token);
    CommitRecordHeader links;
    links.seq = record.header.seq;
    links.record_id = std::move(record.header.record_id);
    links.prev_record_id = std::move(record.header.prev_record_id);
    partition.unconfirmed.push_back(Unconfirmed{std::move(links), std::move(record.json)});
    ++partition.records_since_snapshot;
    partition.bytes_since_snapshot +=
        static_cast<int64_t>(partition.unconfirmed.back().json.size());
    ++stats_.records_written;
  }
}

}  // namespace lf::engine_service
