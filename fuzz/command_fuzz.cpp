// command_fuzz: the engine's whole intake on untrusted bytes, as
// consumers/engine/command_intake.cpp runs it, without Kafka: the bounded
// parse with the engine's limits and the envelope (engine::read_command), the
// key, type and payload-schema checks (engine::check_command), then a real
// engine::PartitionCore, whose deciders parse the typed commands of both
// domains (engine/credits, engine/workflow) and decide them against the
// state the earlier commands built; a refused command that names its tenant
// and command id is rejected through PartitionCore::refuse, as the engine
// does.
//
// The input is a sequence of messages, one per line, as kcat -K '\t' reads
// them: "key<TAB>value", or just "value" for a message without a key. The
// partition has no other; its clock follows the latest issued_at seen (40
// days at a time at most), so a command from later makes the timers
// (expiry, renewals, escalation) fire:
// every tenant's first (PartitionCore::fire_timers, the engine's tick), then
// the commanding tenant's as part of its decision.
//
// Checked beyond "no crash, no sanitizer report": a readable envelope
// re-encodes to the same command; every refusal and rejection has a reason
// and a sentence; no decider emits an event its schema refuses
// (validate_events); every commit record decodes, chains and replays on a
// second core (a reader) to the very same tenant states, and every
// projection maps it (one batch for the whole input, as a projector's batch
// spans records, so no row is inserted twice); a repeated command
// is a duplicate with the original's events and no record; a tick leaves no
// timer due; and the state survives the snapshot form (write_state,
// read_state).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/intake.hpp"
#include "engine/partition.hpp"
#include "events/envelope.hpp"
#include "events/ulid.hpp"
#include "fuzz/batch_check.hpp"
#include "fuzz/check.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace {

using lf::engine::CommandOutcome;
using lf::engine::PartitionCore;
using lf::fuzz::as_text;

constexpr int32_t kPartition = 0;
constexpr std::size_t kMessagesMax = 64;
// How far one command moves the clock at most. The engine's clock is its
// own, not the producer's issued_at: a command from the year 9999 must not
// make the harness renew credits periods for millennia (which it does
// correctly, 120 renewals a record, but for tens of seconds).
constexpr int64_t kClockStepMaxMs = 40LL * 86'400'000;
// Timer records one clock tick fires at most (as the engine service's tick).
constexpr std::size_t kTimerRecordsMax = 100;
// The engine's clock before the first command names a time (2026-11-10).
constexpr int64_t kClockStartMs = 1'794'268'800'000;

lf::engine::PartitionOptions options() {
  lf::engine::PartitionOptions partition_options;
  partition_options.validate_events = true;
  return partition_options;
}

// LF_FUZZ_TRACE=1 prints each message's result (or dead letter) to stderr:
// for checking what a seed does, never while fuzzing.
bool tracing() {
  static const bool trace = std::getenv("LF_FUZZ_TRACE") != nullptr;
  return trace;
}

struct Message {
  std::optional<std::string_view> key;
  std::string_view value;
};

Message split_message(std::string_view line) {
  const std::size_t tab = line.find('\t');
  if (tab == std::string_view::npos) return Message{std::nullopt, line};
  return Message{line.substr(0, tab), line.substr(tab + 1)};
}

// A tenant state's JSON with every object's members sorted by name: the
// stream versions live in an unordered map, whose order says nothing.
void sort_members(rapidjson::Value& value) {
  if (value.IsArray()) {
    for (rapidjson::Value& element : value.GetArray()) sort_members(element);
    return;
  }
  if (!value.IsObject()) return;
  for (auto& member : value.GetObject()) sort_members(member.value);
  std::sort(value.MemberBegin(), value.MemberEnd(), [](const auto& a, const auto& b) {
    return lf::json_view(a.name) < lf::json_view(b.name);
  });
}

std::string canonical_state(const PartitionCore& core, const std::string& tenant_id) {
  const std::string json = core.tenant_state_json(tenant_id);
  lf::Result<std::unique_ptr<rapidjson::Document>> document = lf::parse_json_trusted(json);
  LF_FUZZ_CHECK(document.ok(), json);
  sort_members(**document);
  return lf::json_to_string(**document);
}

bool same_envelope(const lf::CommandEnvelope& a, const lf::CommandEnvelope& b) {
  return a.command_id == b.command_id && a.type == b.type && a.tenant_id == b.tenant_id &&
         a.actor == b.actor && a.issued_at_ms == b.issued_at_ms &&
         a.correlation_id == b.correlation_id && a.expected_version == b.expected_version &&
         lf::json_to_string(*a.payload) == lf::json_to_string(*b.payload);
}

class Intake {
 public:
  void take(const Message& message) {
    const lf::SourcePosition source{"ledgerflow.commands", kPartition, next_offset_++};
    std::variant<lf::engine::ReadCommand, lf::engine::RefusedCommand> read =
        lf::engine::read_command(message.value, lf::engine::kCommandLimits);
    if (auto* refused = std::get_if<lf::engine::RefusedCommand>(&read)) {
      return refuse(refused->error, refused->identity, source);
    }
    const lf::CommandEnvelope& command = std::get<lf::engine::ReadCommand>(read).envelope;
    check_reencoding(command);
    advance_clock(command.issued_at_ms);
    if (std::optional<lf::Error> problem = lf::engine::check_command(command, message.key)) {
      return refuse(*problem, lf::identity_of(command), source);
    }
    CommandOutcome outcome = core_.decide(command, source, now_ms_);
    check_outcome(outcome, command.command_id, command.tenant_id, std::nullopt);
    // The same command again is answered from the de-duplication window.
    CommandOutcome again = core_.decide(command, source, now_ms_);
    check_duplicate(again, outcome);
  }

  // The reader, fed every record, holds the same tenants as the decider;
  // so does a core restored from the decider's snapshot form.
  void finish() {
    LF_FUZZ_CHECK(reader_.tenant_count() == core_.tenant_count(),
                  std::to_string(reader_.tenant_count()) + " tenants read back, " +
                      std::to_string(core_.tenant_count()) + " decided");
    lf::engine::PartitionImage image;
    image.seq = core_.chain().last_seq;
    image.record_id = core_.chain().last_record_id;
    image.commands_next_offset = core_.next_command_offset();
    image.dedup = core_.dedup().since(0);
    for (const std::string& tenant_id : tenants_) {
      const std::string decided = canonical_state(core_, tenant_id);
      LF_FUZZ_CHECK(reader_.tenant(tenant_id) != nullptr, tenant_id);
      const std::string read_back = canonical_state(reader_, tenant_id);
      LF_FUZZ_CHECK(read_back == decided,
                    tenant_id + ": decided " + decided + "\nread back " + read_back);
      image.tenants.emplace_back(tenant_id, core_.tenant_state_json(tenant_id));
    }
    PartitionCore restored(kPartition, "engine-restored", options(), lf::UlidGenerator(3));
    lf::Result<bool> done = restored.restore(image);
    LF_FUZZ_CHECK(done.ok(), done.error().message);
    for (const std::string& tenant_id : tenants_) {
      const std::string decided = canonical_state(core_, tenant_id);
      const std::string from_snapshot = canonical_state(restored, tenant_id);
      LF_FUZZ_CHECK(from_snapshot == decided,
                    tenant_id + ": decided " + decided + "\nrestored " + from_snapshot);
    }
  }

 private:
  void refuse(const lf::Error& error, const std::optional<lf::CommandIdentity>& identity,
              const lf::SourcePosition& source) {
    LF_FUZZ_CHECK(!error.code.empty() && !error.message.empty(), error.code + ": " + error.message);
    if (!identity) {  // a dead letter only
      if (tracing())
        std::fprintf(stderr, "dead letter: %s: %s\n", error.code.c_str(), error.message.c_str());
      return;
    }
    LF_FUZZ_CHECK(lf::is_uuid(identity->tenant_id), identity->tenant_id);
    LF_FUZZ_CHECK(
        !identity->command_id.empty() && identity->command_id.size() <= lf::kCommandIdLengthMax,
        identity->command_id);
    const lf::engine::Rejection rejection{error.code, error.message};
    CommandOutcome outcome = core_.refuse(*identity, rejection, source, now_ms_);
    check_outcome(outcome, identity->command_id, identity->tenant_id, error.code);
    CommandOutcome again = core_.refuse(*identity, rejection, source, now_ms_);
    check_duplicate(again, outcome);
  }

  // The engine's clock moves on towards `at_ms` (never back, at most
  // kClockStepMaxMs at a time), and its timer tick fires what fell due for
  // any tenant, as the service's loop does.
  void advance_clock(int64_t at_ms) {
    if (at_ms <= now_ms_) return;
    now_ms_ = std::min(at_ms, now_ms_ + kClockStepMaxMs);
    const std::vector<lf::engine::Decided> fired = core_.fire_timers(now_ms_, kTimerRecordsMax);
    for (const lf::engine::Decided& record : fired) {
      // A timer record answers no command: it names no source.
      LF_FUZZ_CHECK(!record.header.source.has_value(), record.json);
      read_back(record, false);
    }
    if (fired.size() < kTimerRecordsMax) {
      // Everything due has fired: what is left falls due later.
      const std::optional<int64_t> next_ms = core_.next_timer_ms();
      LF_FUZZ_CHECK(!next_ms || *next_ms > now_ms_, "a timer due at " + std::to_string(*next_ms) +
                                                        " did not fire at " +
                                                        std::to_string(now_ms_));
    }
  }

  // A readable command, encoded again, reads as the same command.
  static void check_reencoding(const lf::CommandEnvelope& command) {
    const std::string json = lf::encode_command(command, lf::json_to_string(*command.payload));
    std::variant<lf::engine::ReadCommand, lf::engine::RefusedCommand> again =
        lf::engine::read_command(json, lf::engine::kCommandLimits);
    const auto* reread = std::get_if<lf::engine::ReadCommand>(&again);
    LF_FUZZ_CHECK(reread != nullptr,
                  std::get<lf::engine::RefusedCommand>(again).error.message + " in " + json);
    LF_FUZZ_CHECK(same_envelope(command, reread->envelope), json);
  }

  void check_outcome(const CommandOutcome& outcome, const std::string& command_id,
                     const std::string& tenant_id, const std::optional<std::string>& refused) {
    const lf::ResultEnvelope& result = outcome.result;
    if (tracing()) std::fprintf(stderr, "%s\n", outcome.result_json.c_str());
    LF_FUZZ_CHECK(result.command_id == command_id && result.tenant_id == tenant_id,
                  outcome.result_json);
    if (result.status == lf::ResultStatus::duplicate) {
      LF_FUZZ_CHECK(outcome.records.empty(), outcome.result_json);
      return;
    }
    LF_FUZZ_CHECK(!outcome.records.empty(), outcome.result_json);
    const lf::engine::Decided& own = outcome.records.back();
    // The last record is the command's own (a timer record names no source).
    LF_FUZZ_CHECK(own.header.command_id == command_id && own.header.source.has_value() &&
                      own.event_ids == result.event_ids && !result.event_ids.empty(),
                  outcome.result_json);
    if (refused) {
      LF_FUZZ_CHECK(result.status == lf::ResultStatus::rejected && result.reason == *refused,
                    outcome.result_json);
    }
    if (result.status == lf::ResultStatus::rejected) {
      LF_FUZZ_CHECK(!result.reason.empty() && !result.message.empty(), outcome.result_json);
      // A decider that emits an invalid event is a defect, not a rejection.
      LF_FUZZ_CHECK(result.reason != "internal_error", outcome.result_json);
      LF_FUZZ_CHECK(own.event_ids.size() == 1, outcome.result_json);
    }
    for (std::size_t i = 0; i < outcome.records.size(); ++i) {
      read_back(outcome.records[i], i + 1 == outcome.records.size());
    }
  }

  // A reader decodes the record from its bytes, admits it by the chain rule
  // and applies it, as a rebuilding engine does.
  void read_back(const lf::engine::Decided& decided, bool commands_record) {
    lf::Result<lf::DecodedRecord> record =
        lf::decode_commit_record(decided.json, options().record_limits);
    LF_FUZZ_CHECK(record.ok(), record.error().message + " in " + decided.json);
    LF_FUZZ_CHECK(record->header.seq == decided.header.seq &&
                      record->header.record_id == decided.header.record_id &&
                      record->header.prev_record_id == decided.header.prev_record_id,
                  decided.json);
    LF_FUZZ_CHECK(record->header.source.has_value() == commands_record, decided.json);
    for (const lf::DecodedEvent& event : record->events) {
      LF_FUZZ_CHECK(event.schema == lf::UpcastOutcome::current, decided.json);
    }
    const lf::RecordVerdict verdict = reader_.replay(*record);
    LF_FUZZ_CHECK(verdict == lf::RecordVerdict::accepted, decided.json);
    tenants_.insert(record->header.tenant_id);
    // The projector maps it, into the batch of every record so far (one
    // projector batch spans many records).
    const lf::projections::RecordAt at{kPartition, records_read_++, &*record, nullptr};
    for (std::size_t i = 0; i < projections_.size(); ++i) {
      projections_[i]->apply(at, batches_[i]);
      lf::fuzz::check_batch(batches_[i], projections_[i]->name());
    }
  }

  static void check_duplicate(const CommandOutcome& again, const CommandOutcome& original) {
    LF_FUZZ_CHECK(again.result.status == lf::ResultStatus::duplicate && again.records.empty(),
                  again.result_json);
    LF_FUZZ_CHECK(again.result.event_ids == original.result.event_ids,
                  again.result_json + " after " + original.result_json);
  }

  PartitionCore core_{kPartition, "engine-fuzz", options(), lf::UlidGenerator(1)};
  PartitionCore reader_{kPartition, "engine-reader", options(), lf::UlidGenerator(2)};
  std::set<std::string> tenants_;
  std::vector<std::unique_ptr<lf::projections::Projection>> projections_ =
      lf::projections::all_projections();
  std::vector<lf::projections::RowBatch> batches_ =
      std::vector<lf::projections::RowBatch>(projections_.size());
  int64_t records_read_ = 0;
  int64_t next_offset_ = 0;
  int64_t now_ms_ = kClockStartMs;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view input = as_text(data, size);
  Intake intake;
  for (std::size_t count = 0; count < kMessagesMax && !input.empty(); ++count) {
    const std::size_t end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    intake.take(split_message(line));
  }
  intake.finish();
  return 0;
}
