// The decision core of one partition: every tenant's state, the chain
// position, the de-duplication window, the timers. It turns a command into a
// commit record and applies records — its own and those read back from the
// log. A record is always encoded and admitted by the chain rule before its
// events are applied. Events read back are decoded from their payloads; the
// engine's own are applied from the typed form their decider gave them
// (credits events, which decode to that very form) or else from their
// payloads parsed back, so the state is what every reader folds.
// Pure: no Kafka, no PostgreSQL, no clock (time comes in as now_ms).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/dedup.hpp"
#include "engine/tenant.hpp"
#include "events/chain.hpp"
#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/result.hpp"
#include "events/string_hash.hpp"
#include "events/timezone.hpp"
#include "events/ulid.hpp"

namespace lf::engine {

// The longest message a command.rejected event of a refused command carries
// (refusal sentences quote what was sent: a key, a literal, a schema path).
inline constexpr std::size_t kRefusalMessageBytesMax = 1024;

struct PartitionOptions {
  std::size_t dedup_capacity = 100'000;
  // Commit records are read back with these limits; a record the engine
  // writes must fit them (and a Kafka message).
  JsonLimits record_limits{.max_bytes = 900 * 1024, .max_depth = 64};
  // Check every event payload against its JSON Schema before writing it
  // (about a fifth of the engine's time). Off by default: the deciders' tests
  // validate every event they can emit; on in the integration tests and in
  // `ledgerflow dev`, and with `ledgerflow engine --validate-events`.
  bool validate_events = false;
  // Where decisions find IANA time zones (Context::time_zones); null:
  // TimeZoneDb::system(). The engine service sets it.
  const TimeZoneDb* time_zones = nullptr;
};

// A commit record ready to produce.
struct Decided {
  CommitRecordHeader header;
  std::string json;
  std::vector<std::string> event_ids;
};

struct CommandOutcome {
  // Timer firings due for the tenant before the command (zero or one), then
  // the command's own record (absent when it is a duplicate).
  std::vector<Decided> records;
  ResultEnvelope result;
  std::string result_json;  // `result`, encoded once
};

// A restorable image of the partition (engine snapshots).
struct PartitionImage {
  int64_t seq = 0;
  std::string record_id;
  int64_t commands_next_offset = 0;
  std::vector<std::pair<std::string, std::string>> tenants;  // tenant_id, state JSON
  std::vector<DedupWindow::Row> dedup;
};

// The command.rejected event a refused command gets (in the tenant's audit
// stream, naming the stream the command was for); `state` null for a tenant
// with no state yet.
NewEvent rejection_event(const TenantState* state, const CommandEnvelope& command,
                         const Rejection& rejection);

class PartitionCore {
 public:
  PartitionCore(int32_t partition, std::string writer, PartitionOptions options, UlidGenerator ids);

  int32_t partition() const { return partition_; }
  const ChainPosition& chain() const { return chain_; }
  // One past the highest command offset that accepted records came from.
  int64_t next_command_offset() const { return next_command_offset_; }

  // Replaces all state with `image`. Error when a tenant state is unreadable.
  Result<bool> restore(const PartitionImage& image);

  // Offers a record from the log (recovery, or a record another writer
  // made). Accepted records are applied; the verdict says what happened.
  RecordVerdict replay(const DecodedRecord& record);

  // Decides `command` (envelope valid, payload valid against its schema)
  // read at `source`, at time `now_ms`; applies the records it returns.
  CommandOutcome decide(const CommandEnvelope& command, const SourcePosition& source,
                        int64_t now_ms);

  // Rejects a command the intake refused before any decider saw it (its
  // JSON, envelope, key, type or payload breaks the contract) but whose
  // tenant and command id could be read: like any rejected command it gets
  // one command.rejected record (chained, in its tenant's audit stream) and
  // is de-duplicated by command_id (one already decided gets a duplicate
  // result and no record). The event's message is bounded to
  // kRefusalMessageBytesMax; it names no target stream.
  CommandOutcome refuse(const CommandIdentity& command, const Rejection& rejection,
                        const SourcePosition& source, int64_t now_ms);

  // Timer records for tenants whose timers fell due at `now_ms`, at most
  // `max_records`; applied before they are returned.
  std::vector<Decided> fire_timers(int64_t now_ms, std::size_t max_records);
  // The earliest due time of any tenant's timer, if any.
  std::optional<int64_t> next_timer_ms();

  // Snapshot support: tenants changed since the last call, and their state.
  std::vector<std::string> take_dirty_tenants();
  // Puts tenants back into the changed set (a snapshot that was not saved).
  void mark_dirty(const std::vector<std::string>& tenant_ids);
  std::string tenant_state_json(const std::string& tenant_id) const;
  const DedupWindow& dedup() const { return dedup_; }

  const TenantState* tenant(std::string_view tenant_id) const;
  std::size_t tenant_count() const { return tenants_.size(); }

  // The result a reader derives from an accepted record of a command.
  static ResultEnvelope result_of(const DecodedRecord& record, std::string_view command_type);

 private:
  // Writes and applies a record of `events`. For a command's record,
  // `answer` is its outcome and gets the result (a timer record: null).
  Decided write_record(const std::string& tenant_id, const std::string& command_id,
                       const std::optional<std::string>& correlation_id, const std::string& actor,
                       const std::optional<SourcePosition>& source, std::vector<NewEvent> events,
                       int64_t now_ms, std::string_view command_type, CommandOutcome* answer);
  // The tenant's timer record if its timers are due at `now_ms`.
  std::optional<Decided> fire_due_timers(const std::string& tenant_id, int64_t now_ms);
  // The tenant's timer record for what is due at `now_ms` (none if nothing).
  std::optional<Decided> fire_tenant_timers(const std::string& tenant_id, int64_t now_ms);
  // The answer to a command_id this partition already decided, if it did.
  std::optional<CommandOutcome> duplicate_outcome(const std::string& tenant_id,
                                                  const std::string& command_id,
                                                  std::string_view command_type) const;
  std::optional<Rejection> invalid_event(const std::vector<NewEvent>& events) const;
  // Applies an accepted record. For a command's record, returns its result
  // and puts it, encoded, into `result_json` (if given) and the
  // de-duplication window; a timer record has none.
  // `typed` (the engine's own record, when every event came in typed form):
  // the decided events, one per record event, applied from their typed form
  // instead of their payloads.
  std::optional<ResultEnvelope> apply(const DecodedRecord& record, std::string_view command_type,
                                      std::string* result_json = nullptr,
                                      const std::vector<NewEvent>* typed = nullptr);
  void schedule(const std::string& tenant_id);

  int32_t partition_;
  std::string writer_;
  PartitionOptions options_;
  UlidGenerator ids_;

  ChainPosition chain_;
  int64_t next_command_offset_ = 0;
  StringMap<TenantState> tenants_;
  StringSet dirty_;
  DedupWindow dedup_;

  // Timers: a min-heap of (due, tenant) with lazy deletion against scheduled_.
  using TimerEntry = std::pair<int64_t, std::string>;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  StringMap<int64_t> scheduled_;

  // Where write_record parses its own payloads back when they are not all
  // typed (a heap cell: the core stays movable).
  std::unique_ptr<ReusableDocument> own_payloads_;
  std::string own_payloads_text_;  // the JSON array of them
};

}  // namespace lf::engine
