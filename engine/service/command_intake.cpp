// Intake of one command message: bounded parse, envelope, key and partition
// checks, schema, then the decision. Input that cannot be parsed or validated
// goes to the dead-letter topic unchanged, with its origin and the error in
// headers; when it names a tenant and a command_id, a `rejected` result tells
// the producer why.
#include <algorithm>
#include <cctype>

#include "engine/service/engine_service.hpp"
#include "engine/service/logger.hpp"
#include "engine/tenant.hpp"
#include "events/dead_letter.hpp"
#include "events/partitioner.hpp"
#include "events/schema_registry.hpp"

namespace lf::engine_service {

namespace {

constexpr std::string_view kReroutedFromHeader = "ledgerflow.rerouted_from";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
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
  // A stale partition is rebuilt after this batch and re-reads from its
  // first undecided command; what arrives meanwhile is read again then.
  if (partition.stale || message.offset < partition.next_consume_offset) return;
  partition.next_consume_offset = message.offset + 1;
  ++stats_.commands;

  const std::string_view value = kafka::message_value(message);
  Result<std::unique_ptr<rapidjson::Document>> document =
      parse_json_bounded(value, options_.command_limits);
  if (!document) return dead_letter(partition, message, document.error(), nullptr);
  Result<CommandEnvelope> command = decode_command(**document);
  if (!command) return dead_letter(partition, message, command.error(), nullptr);

  const std::string_view key = kafka::message_key(message);
  if (!key.empty() && lower(key) != command->tenant_id) {
    return dead_letter(partition, message,
                       make_error("key_mismatch", "the message key '" + std::string(key) +
                                                      "' is not the command's tenant_id " +
                                                      command->tenant_id),
                       &*command);
  }
  const int32_t home = partition_for_key(command->tenant_id, partition_count_);
  if (home != message.partition) {
    // Never decided outside the tenant's partition: sent where it belongs.
    Output output{options_.topics.commands(), home, command->tenant_id, std::string(value),
                  kafka::message_headers(message)};
    output.headers.emplace_back(std::string(kReroutedFromHeader),
                                kafka::message_topic(message) + "/" + std::to_string(message.partition) +
                                    "/" + std::to_string(message.offset));
    logger()->info("partition {} offset {}: command {} of tenant {} belongs to partition {}; re-routed",
                   message.partition, message.offset, command->command_id, command->tenant_id, home);
    ++stats_.rerouted;
    queue_outcome(partition, Outcome{message.offset, partition.core->chain().last_seq, {std::move(output)}});
    emit_confirmed(partition, message.partition);
    return;
  }
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  if (!schemas.knows_command(command->type) || !engine::knows_command(command->type)) {
    return dead_letter(partition, message,
                       make_error("unknown_command_type", "no command type " + command->type), &*command);
  }
  if (std::optional<std::string> problem = schemas.validate_command_payload(command->type, *command->payload)) {
    return dead_letter(partition, message,
                       make_error("schema_violation", command->type + " payload: " + *problem), &*command);
  }
  engine::CommandOutcome outcome = partition.core->decide(
      *command, SourcePosition{options_.topics.commands(), message.partition, message.offset}, now_ms());
  decided(partition, message.partition, std::move(outcome), message.offset);
}

void EngineService::dead_letter(Partition& partition, const rd_kafka_message_t& message,
                                const Error& error, const CommandEnvelope* command) {
  const DeadLetterOrigin origin{kafka::message_topic(message), message.partition, message.offset};
  Output letter{options_.topics.deadletter(), -1, std::string(kafka::message_key(message)),
                std::string(kafka::message_value(message)), kafka::message_headers(message)};
  for (auto& header : dead_letter_headers(origin, "engine", error.code, error.message)) {
    letter.headers.push_back(std::move(header));
  }
  Outcome outcome{message.offset, partition.core->chain().last_seq, {std::move(letter)}};
  if (command != nullptr) {
    CommandResult result;
    result.command_id = command->command_id;
    result.tenant_id = command->tenant_id;
    result.type = command->type;
    result.status = ResultStatus::rejected;
    result.reason = error.code;
    result.message = error.message;
    result.correlation_id = command->correlation_id;
    outcome.outputs.push_back(Output{options_.topics.results(), -1, command->tenant_id,
                                     encode_result(result), {}});
  }
  logger()->warn("partition {} offset {}: dead-lettered{}{}: {}: {}", message.partition, message.offset,
                 command ? ", tenant " + command->tenant_id : std::string(),
                 command ? ", command " + command->command_id : std::string(), error.code, error.message);
  ++stats_.deadlettered;
  queue_outcome(partition, std::move(outcome));
  emit_confirmed(partition, message.partition);
}

void EngineService::decided(Partition& partition, int32_t number, engine::CommandOutcome outcome,
                            int64_t command_offset) {
  write_records(partition, number, outcome.records);
  switch (outcome.result.status) {
    case ResultStatus::accepted: ++stats_.accepted; break;
    case ResultStatus::rejected: ++stats_.rejected; break;
    case ResultStatus::duplicate: ++stats_.duplicates; break;
  }
  logger()->debug("partition {} offset {}: tenant {} command {} {} {}", number, command_offset,
                  outcome.result.tenant_id, outcome.result.command_id, to_string(outcome.result.status),
                  outcome.result.reason);
  Output result{options_.topics.results(), -1, outcome.result.tenant_id, std::move(outcome.result_json), {}};
  queue_outcome(partition, Outcome{command_offset, partition.core->chain().last_seq, {std::move(result)}});
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
    producer_->produce(options_.topics.events(), number, record.header.tenant_id, record.json, {}, token);
    CommitRecordHeader links;
    links.seq = record.header.seq;
    links.record_id = std::move(record.header.record_id);
    links.prev_record_id = std::move(record.header.prev_record_id);
    partition.unconfirmed.push_back(Unconfirmed{std::move(links), std::move(record.json)});
    ++partition.records_since_snapshot;
    partition.bytes_since_snapshot += static_cast<int64_t>(partition.unconfirmed.back().json.size());
    ++stats_.records_written;
  }
}

}  // namespace lf::engine_service
