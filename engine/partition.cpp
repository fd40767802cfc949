// The decision core of one partition.
#include "engine/partition.hpp"

#include <algorithm>
#include <utility>

#include "events/assert.hpp"
#include "events/schema_registry.hpp"

namespace lf::engine {

namespace {

constexpr std::string_view kRejectedEventType = "command.rejected";
constexpr std::string_view kTimerActor = "system";

std::string rejection_payload(std::string_view command_type, const Rejection& rejection,
                              const std::optional<std::string>& target) {
  JsonWriter writer;
  writer.begin_object();
  writer.field("command_type", command_type);
  writer.field("reason", rejection.reason);
  writer.field("message", rejection.message);
  writer.field("target_stream", target);
  writer.end_object();
  return writer.str();
}

// Room a commit record needs besides its payloads: the record's fields and,
// per event, its envelope (ids, stream, provenance; ids are bounded by the
// command schemas).
constexpr std::size_t kRecordOverheadBytes = 4096;
constexpr std::size_t kEventOverheadBytes = 2048;

// The buffer write_record keeps for its own payloads' text, at most.
constexpr std::size_t kOwnPayloadsTextKeptMax = 64 * 1024;

std::size_t record_size_bound(const std::vector<NewEvent>& events) {
  std::size_t size = kRecordOverheadBytes;
  for (const NewEvent& event : events) size += kEventOverheadBytes + event.payload_json.size();
  return size;
}

}  // namespace

PartitionCore::PartitionCore(int32_t partition, std::string writer, PartitionOptions options,
                             UlidGenerator ids)
    : partition_(partition),
      writer_(std::move(writer)),
      options_(options),
      ids_(std::move(ids)),
      dedup_(options.dedup_capacity),
      own_payloads_(std::make_unique<ReusableDocument>()) {
  LF_ASSERT(partition_ >= 0);
}

Result<bool> PartitionCore::restore(const PartitionImage& image) {
  StringMap<TenantState> tenants;
  for (const auto& [tenant_id, state_json] : image.tenants) {
    Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(
        state_json, without_input_checks(JsonLimits{.max_bytes = 256 << 20, .max_depth = 64}));
    if (!document) return document.error();
    Result<TenantState> state = read_tenant_state(**document);
    if (!state) return state.error();
    tenants.emplace(tenant_id, std::move(state).value());
  }
  tenants_ = std::move(tenants);
  dirty_.clear();
  chain_ = ChainPosition{image.seq, image.record_id};
  next_command_offset_ = image.commands_next_offset;
  dedup_ = DedupWindow(options_.dedup_capacity);
  for (const DedupWindow::Row& row : image.dedup) {
    dedup_.add(row.tenant_id, row.command_id, row.seq, row.result_json);
  }
  timers_ = {};
  scheduled_.clear();
  for (const auto& [tenant_id, state] : tenants_) schedule(tenant_id);
  return true;
}

RecordVerdict PartitionCore::replay(const DecodedRecord& record) {
  const RecordVerdict verdict = admit(chain_, record.header);
  if (verdict == RecordVerdict::accepted) apply(record, "");
  return verdict;
}

std::optional<ResultEnvelope> PartitionCore::apply(const DecodedRecord& record,
                                                   std::string_view command_type,
                                                   std::string* result_json,
                                                   const std::vector<NewEvent>* typed) {
  const CommitRecordHeader& header = record.header;
  TenantState& state = tenants_[header.tenant_id];
  LF_ASSERT(typed == nullptr || typed->size() == record.events.size());
  for (std::size_t i = 0; i < record.events.size(); ++i) {
    const DecodedEvent& event = record.events[i];
    LF_ASSERT(event.header.tenant_id == header.tenant_id);
    if (typed != nullptr) {
      evolve_typed(state, event.header, *(*typed)[i].typed, event.payload);
    } else {
      evolve(state, event.header, *event.payload);
    }
  }
  dirty_.insert(header.tenant_id);
  std::optional<ResultEnvelope> result;
  if (header.source) {
    LF_ASSERT_MSG(header.source->partition == partition_,
                  "a commit record's command comes from the same partition");
    next_command_offset_ = std::max(next_command_offset_, header.source->offset + 1);
    result = result_of(record, command_type);
    std::string encoded = encode_result(*result);
    if (result_json != nullptr) *result_json = encoded;
    dedup_.add(header.tenant_id, header.command_id, header.seq, std::move(encoded));
  }
  schedule(header.tenant_id);
  return result;
}

ResultEnvelope PartitionCore::result_of(const DecodedRecord& record,
                                        std::string_view command_type) {
  ResultEnvelope result;
  result.command_id = record.header.command_id;
  result.tenant_id = record.header.tenant_id;
  result.type = std::string(command_type);
  result.seq = record.header.seq;
  for (const DecodedEvent& event : record.events) result.event_ids.push_back(event.header.event_id);
  const DecodedEvent& first = record.events.front();
  result.correlation_id = first.header.correlation_id;
  if (record.events.size() == 1 && first.header.type == kRejectedEventType) {
    LF_ASSERT(first.payload != nullptr);
    result.status = ResultStatus::rejected;
    result.reason = std::string(json_string(*first.payload, "reason").value_or("rejected"));
    result.message = std::string(json_string(*first.payload, "message").value_or(""));
    if (result.type.empty()) {
      const std::string_view type = json_string(*first.payload, "command_type").value_or("");
      if (type != kUnreadableCommandType) result.type = std::string(type);
    }
  } else {
    result.status = ResultStatus::accepted;
    result.message = "accepted: " + std::to_string(record.events.size()) + " event(s)";
  }
  return result;
}

CommandOutcome PartitionCore::decide(const CommandEnvelope& command, const SourcePosition& source,
                                     int64_t now_ms) {
  LF_ASSERT(source.partition == partition_);
  if (std::optional<CommandOutcome> duplicate =
          duplicate_outcome(command.tenant_id, command.command_id, command.type)) {
    return std::move(*duplicate);
  }
  CommandOutcome outcome;
  if (std::optional<Decided> timers = fire_due_timers(command.tenant_id, now_ms)) {
    outcome.records.push_back(std::move(*timers));
  }
  const TenantState& state = tenants_[command.tenant_id];
  Decision decision = engine::decide(state, command, Context{now_ms, options_.time_zones});
  std::vector<NewEvent> events;
  if (decision.accepted() &&
      record_size_bound(decision.events()) > options_.record_limits.max_bytes) {
    decision = Decision::reject("limit_exceeded",
                                "the command's events would exceed the commit record limit of " +
                                    std::to_string(options_.record_limits.max_bytes) + " bytes");
  }
  if (decision.accepted()) {
    if (std::optional<Rejection> invalid = invalid_event(decision.events())) {
      events.push_back(rejection_event(tenant(command.tenant_id), command, *invalid));
    } else {
      events = std::move(decision.events());
    }
  } else {
    events.push_back(rejection_event(tenant(command.tenant_id), command, decision.rejection()));
  }
  outcome.records.push_back(write_record(command.tenant_id, command.command_id,
                                         command.correlation_id, command.actor, source,
                                         std::move(events), now_ms, command.type, &outcome));
  return outcome;
}

std::optional<CommandOutcome> PartitionCore::duplicate_outcome(
    const std::string& tenant_id, const std::string& command_id,
    std::string_view command_type) const {
  const DedupWindow::Entry* original = dedup_.find(tenant_id, command_id);
  if (original == nullptr) return std::nullopt;
  CommandOutcome outcome;
  Result<ResultEnvelope> first = decode_result(original->result_json);
  LF_ASSERT(first.ok());
  outcome.result = std::move(first).value();
  outcome.result.type = std::string(command_type);
  outcome.result.reason = "duplicate_command";
  outcome.result.message = "command " + command_id + " was already decided (" +
                           std::string(to_string(outcome.result.status)) + ") at seq " +
                           std::to_string(original->seq);
  outcome.result.status = ResultStatus::duplicate;
  outcome.result_json = encode_result(outcome.result);
  return outcome;
}

CommandOutcome PartitionCore::refuse(const CommandIdentity& command, const Rejection& rejection,
                                     const SourcePosition& source, int64_t now_ms) {
  LF_ASSERT(source.partition == partition_);
  LF_ASSERT(!rejection.reason.empty() && !command.type.empty());
  // The result names the type only when one was readable.
  const std::string_view result_type =
      command.type == kUnreadableCommandType ? std::string_view() : std::string_view(command.type);
  if (std::optional<CommandOutcome> duplicate =
          duplicate_outcome(command.tenant_id, command.command_id, result_type)) {
    return std::move(*duplicate);
  }
  CommandOutcome outcome;
  if (std::optional<Decided> timers = fire_due_timers(command.tenant_id, now_ms)) {
    outcome.records.push_back(std::move(*timers));
  }
  // What was sent is quoted only in part, and only as printable text.
  const Rejection bounded{rejection.reason,
                          printable_excerpt(rejection.message, kRefusalMessageBytesMax)};
  std::vector<NewEvent> events;
  events.push_back(NewEvent{std::string(kRejectedEventType), 1, audit_stream(command.tenant_id),
                            rejection_payload(command.type, bounded, std::nullopt), nullptr});
  outcome.records.push_back(write_record(command.tenant_id, command.command_id,
                                         command.correlation_id, command.actor, source,
                                         std::move(events), now_ms, result_type, &outcome));
  LF_ASSERT(outcome.result.status == ResultStatus::rejected);
  return outcome;
}

NewEvent rejection_event(const TenantState* state, const CommandEnvelope& command,
                         const Rejection& rejection) {
  std::optional<std::string> target;
  if (knows_command(command.type) && command.payload != nullptr) {
    static const TenantState kNoState;
    target = target_stream(state != nullptr ? *state : kNoState, command);
  }
  return NewEvent{std::string(kRejectedEventType), 1, audit_stream(command.tenant_id),
                  rejection_payload(command.type, rejection, target), nullptr};
}

// A decider that emits an event its schema refuses has a defect; the command
// is rejected (and the operator sees why) rather than a bad event written.
std::optional<Rejection> PartitionCore::invalid_event(const std::vector<NewEvent>& events) const {
  if (!options_.validate_events) return std::nullopt;
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  for (const NewEvent& event : events) {
    Result<std::unique_ptr<rapidjson::Document>> payload =
        parse_json_bounded(event.payload_json, without_input_checks(options_.record_limits));
    std::optional<std::string> problem;
    if (!payload) {
      problem = payload.error().message;
    } else {
      problem = schemas.validate_event_payload(event.type, event.schema_version, **payload);
    }
    if (problem) {
      return Rejection{"internal_error",
                       "the engine produced an invalid " + event.type + " event: " + *problem};
    }
  }
  return std::nullopt;
}

Decided PartitionCore::write_record(const std::string& tenant_id, const std::string& command_id,
                                    const std::optional<std::string>& correlation_id,
                                    const std::string& actor,
                                    const std::optional<SourcePosition>& source,
                                    std::vector<NewEvent> events, int64_t now_ms,
                                    std::string_view command_type, CommandOutcome* answer) {
  LF_ASSERT(!events.empty());
  const TenantState& state = tenants_[tenant_id];
  std::unordered_map<std::string, int64_t> versions;
  std::vector<OutgoingEvent> outgoing;
  outgoing.reserve(events.size());
  for (NewEvent& event : events) {
    auto [slot, inserted] = versions.try_emplace(event.stream, state.stream_version(event.stream));
    ++slot->second;
    EventHeader header;
    header.event_id = ids_.next(now_ms);
    header.type = std::move(event.type);
    header.schema_version = event.schema_version;
    header.tenant_id = tenant_id;
    header.stream = std::move(event.stream);
    header.stream_version = slot->second;
    header.command_id = command_id;
    header.correlation_id = correlation_id;
    header.actor = actor;
    header.occurred_at_ms = now_ms;
    outgoing.push_back(OutgoingEvent{std::move(header), std::move(event.payload_json)});
  }
  Decided decided;
  decided.header.tenant_id = tenant_id;
  decided.header.command_id = command_id;
  decided.header.seq = chain_.last_seq + 1;
  decided.header.record_id = ids_.next(now_ms);
  decided.header.prev_record_id = chain_.last_record_id;
  decided.header.writer = writer_;
  decided.header.source = source;
  decided.json = encode_commit_record(decided.header, outgoing);
  for (const OutgoingEvent& event : outgoing) decided.event_ids.push_back(event.header.event_id);

  LF_ASSERT_MSG(decided.json.size() <= options_.record_limits.max_bytes,
                "a commit record exceeds the record limit");
  // Our own events are applied as a reader applies them, but without reading
  // the record back. When the decider gave every event in typed form
  // (credits), it is applied as given: its payload decodes to it (checked in
  // deep-check builds and by the tests). Otherwise the payloads are parsed
  // back (one trusted parse of all of them). The tests pin that a reader
  // folding the records reaches exactly this state.
  // (`events` keeps its typed forms: only type, stream and payload were
  // moved into `outgoing`.)
  const bool all_typed = std::all_of(events.begin(), events.end(),
                                     [](const NewEvent& event) { return event.typed != nullptr; });
  bool parse_back = !all_typed;
#if LF_DEEP_CHECKS
  parse_back = true;
#endif
  const rapidjson::Value* parsed_payloads = nullptr;
  if (parse_back) {
    std::string& payloads = own_payloads_text_;  // its buffer kept from record to record
    payloads.assign(1, '[');
    for (const OutgoingEvent& event : outgoing) {
      if (payloads.size() > 1) payloads.push_back(',');
      payloads += event.payload_json;
    }
    payloads.push_back(']');
    Result<const rapidjson::Value*> parsed = own_payloads_->parse_trusted(payloads);
    LF_ASSERT_MSG(parsed.ok(), "a decider wrote a payload that is not JSON");
    // The document holds copies: a large record's text is not kept.
    if (payloads.capacity() > kOwnPayloadsTextKeptMax) payloads = std::string();
    parsed_payloads = *parsed;
  }
  DecodedRecord own;  // its payloads (if parsed) are in own_payloads_, until its next parse
  own.header = decided.header;
  own.events.reserve(outgoing.size());
  for (std::size_t i = 0; i < outgoing.size(); ++i) {
    // Deciders write current versions (engine::evolve checks it), so there
    // is nothing to upcast.
    DecodedEvent event;
    event.written_schema_version = outgoing[i].header.schema_version;
    event.header = std::move(outgoing[i].header);
    if (parsed_payloads != nullptr)
      event.payload = &(*parsed_payloads)[static_cast<rapidjson::SizeType>(i)];
    own.events.push_back(std::move(event));
  }
  LF_ASSERT(admit(chain_, own.header) == RecordVerdict::accepted);
  std::optional<ResultEnvelope> result =
      apply(own, command_type, answer != nullptr ? &answer->result_json : nullptr,
            all_typed ? &events : nullptr);
  LF_ASSERT(result.has_value() == (answer != nullptr));
  if (answer != nullptr) answer->result = std::move(*result);
  return decided;
}

std::optional<Decided> PartitionCore::fire_due_timers(const std::string& tenant_id,
                                                      int64_t now_ms) {
  // scheduled_ holds every tenant's next due time (schedule() runs after
  // each record), except a past one that fired nothing (fire_timers).
  auto scheduled = scheduled_.find(tenant_id);
  if (scheduled == scheduled_.end() || scheduled->second > now_ms) return std::nullopt;
  return fire_tenant_timers(tenant_id, now_ms);
}

std::optional<Decided> PartitionCore::fire_tenant_timers(const std::string& tenant_id,
                                                         int64_t now_ms) {
  auto found = tenants_.find(tenant_id);
  if (found == tenants_.end()) return std::nullopt;
  std::vector<NewEvent> events =
      due(found->second, tenant_id, Context{now_ms, options_.time_zones});
  if (events.empty()) return std::nullopt;
  if (std::optional<Rejection> invalid = invalid_event(events)) {
    // A timer cannot be rejected; an invalid one is a defect to stop on.
    LF_ASSERT_MSG(false, invalid->message.c_str());
  }
  const std::string command_id = "timer/" + ids_.next(now_ms);
  return write_record(tenant_id, command_id, std::nullopt, std::string(kTimerActor), std::nullopt,
                      std::move(events), now_ms, "", nullptr);
}

std::vector<Decided> PartitionCore::fire_timers(int64_t now_ms, std::size_t max_records) {
  std::vector<Decided> records;
  while (records.size() < max_records && !timers_.empty() && timers_.top().first <= now_ms) {
    TimerEntry entry = timers_.top();
    timers_.pop();
    auto scheduled = scheduled_.find(entry.second);
    if (scheduled == scheduled_.end() || scheduled->second != entry.first) continue;  // stale
    scheduled_.erase(scheduled);
    if (std::optional<Decided> record = fire_tenant_timers(entry.second, now_ms)) {
      records.push_back(std::move(*record));  // apply() rescheduled the tenant
      continue;
    }
    // Nothing fired: keep a future due time; a past one returns when the
    // tenant's state changes (apply() reschedules).
    std::optional<int64_t> next = next_due_ms(tenants_.at(entry.second));
    if (next && *next > now_ms) schedule(entry.second);
  }
  return records;
}

std::optional<int64_t> PartitionCore::next_timer_ms() {
  while (!timers_.empty()) {
    const TimerEntry& top = timers_.top();
    auto scheduled = scheduled_.find(top.second);
    if (scheduled != scheduled_.end() && scheduled->second == top.first) return top.first;
    timers_.pop();
  }
  return std::nullopt;
}

void PartitionCore::schedule(const std::string& tenant_id) {
  std::optional<int64_t> next = next_due_ms(tenants_.at(tenant_id));
  auto scheduled = scheduled_.find(tenant_id);
  if (!next) {
    if (scheduled != scheduled_.end()) scheduled_.erase(scheduled);
    return;
  }
  if (scheduled != scheduled_.end() && scheduled->second == *next) return;
  scheduled_[tenant_id] = *next;
  timers_.emplace(*next, tenant_id);
}

std::vector<std::string> PartitionCore::take_dirty_tenants() {
  std::vector<std::string> dirty(dirty_.begin(), dirty_.end());
  dirty_.clear();
  return dirty;
}

void PartitionCore::mark_dirty(const std::vector<std::string>& tenant_ids) {
  dirty_.insert(tenant_ids.begin(), tenant_ids.end());
}

std::string PartitionCore::tenant_state_json(const std::string& tenant_id) const {
  JsonWriter writer;
  write_tenant_state(writer, tenants_.at(tenant_id));
  return writer.str();
}

const TenantState* PartitionCore::tenant(std::string_view tenant_id) const {
  auto found = tenants_.find(tenant_id);
  return found == tenants_.end() ? nullptr : &found->second;
}

}  // namespace lf::engine
