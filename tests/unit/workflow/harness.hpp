// One partition's engine core driven with workflow commands at an injected
// time, every event checked against its schema (validate_events), every
// command payload checked against its schema before it is decided.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/credits/state.hpp"
#include "engine/partition.hpp"
#include "engine/workflow/state.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tests/support/built_command.hpp"
#include "tests/support/time.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::engine::workflow::testing {

using namespace lf::testing::workflow_matrix;

inline constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
inline constexpr int64_t kHourMs = 3'600'000;

using lf::testing::at;

inline DecodedRecord decode(const Decided& decided) {
  Result<DecodedRecord> record =
      decode_commit_record(decided.json, JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  EXPECT_TRUE(record.ok()) << decided.json;
  return std::move(record).value();
}

// The event types of a record, in order.
inline std::vector<std::string> types_of(const Decided& decided) {
  std::vector<std::string> types;
  for (const DecodedEvent& event : decode(decided).events) types.push_back(event.header.type);
  return types;
}

inline std::vector<std::string> types_of(const DecodedRecord& record) {
  std::vector<std::string> types;
  for (const DecodedEvent& event : record.events) types.push_back(event.header.type);
  return types;
}

// The `nth` event of `type` in a record (an empty payload, and a failure,
// when there is none).
inline const DecodedEvent& event_of(const DecodedRecord& record, const std::string& type,
                                    int nth = 0) {
  for (const DecodedEvent& event : record.events) {
    if (event.header.type == type && nth-- == 0) return event;
  }
  ADD_FAILURE() << "no " << type << " in the record";
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  static const DecodedEvent kNone = [] {
    DecodedEvent none;
    none.payload = &kEmpty;
    return none;
  }();
  return kNone;
}

// A payload for failure messages: the first 200 characters.
inline std::string brief(const std::string& payload) {
  return payload.size() <= 200 ? payload : payload.substr(0, 200) + "...";
}

class Harness {
 public:
  explicit Harness(int64_t now_ms) : now_ms_(now_ms), core_(make_core()) {}

  static PartitionCore make_core(uint64_t seed = 7) {
    PartitionOptions options;
    options.validate_events = true;
    return PartitionCore(0, "engine-test", options, UlidGenerator(seed));
  }

  // Decides one command now; returns its outcome (timer records first).
  CommandOutcome run(const std::string& type, const std::string& payload_json,
                     const std::string& actor = "user:alice") {
    lf::testing::BuiltCommand built = lf::testing::build_command(
        type, kTenant, "c" + std::to_string(++count_), payload_json, actor, now_ms_);
    const std::optional<std::string> problem =
        SchemaRegistry::embedded().validate_command_payload(type, *built.envelope.payload);
    EXPECT_FALSE(problem.has_value())
        << type << " " << brief(payload_json) << ": " << problem.value_or("");
    CommandOutcome outcome =
        core_.decide(built.envelope, SourcePosition{"ledgerflow.commands", 0, offset_++}, now_ms_);
    for (const Decided& record : outcome.records) log_.push_back(record);
    check_invariants();
    return outcome;
  }

  // Runs a command that must be accepted; returns its record decoded.
  DecodedRecord accept_record(const std::string& type, const std::string& payload_json,
                              const std::string& actor = "user:alice") {
    CommandOutcome outcome = run(type, payload_json, actor);
    EXPECT_EQ(outcome.result.status, ResultStatus::accepted)
        << type << " " << brief(payload_json) << ": " << outcome.result.reason << " "
        << outcome.result.message;
    if (outcome.records.empty()) return {};
    return decode(outcome.records.back());
  }

  // Runs a command that must be accepted; returns the event types of its record.
  std::vector<std::string> accept(const std::string& type, const std::string& payload_json,
                                  const std::string& actor = "user:alice") {
    CommandOutcome outcome = run(type, payload_json, actor);
    EXPECT_EQ(outcome.result.status, ResultStatus::accepted)
        << type << " " << brief(payload_json) << ": " << outcome.result.reason << " "
        << outcome.result.message;
    if (outcome.records.empty()) return {};
    return types_of(outcome.records.back());
  }

  // Runs a command that must be rejected with `reason`; checks the record
  // holds only command.rejected.
  void refuse(const std::string& type, const std::string& payload_json, const std::string& reason,
              const std::string& actor = "user:alice") {
    CommandOutcome outcome = run(type, payload_json, actor);
    EXPECT_EQ(outcome.result.status, ResultStatus::rejected) << type << " " << brief(payload_json);
    EXPECT_EQ(outcome.result.reason, reason)
        << type << " " << brief(payload_json) << ": " << outcome.result.message;
    ASSERT_FALSE(outcome.records.empty());
    EXPECT_EQ(types_of(outcome.records.back()), std::vector<std::string>{"command.rejected"});
  }

  // Fires the timers due now; returns their records.
  std::vector<Decided> tick() {
    std::vector<Decided> records = core_.fire_timers(now_ms_, 1000);
    for (const Decided& record : records) log_.push_back(record);
    check_invariants();
    return records;
  }

  void advance_to(int64_t now_ms) { now_ms_ = now_ms; }
  void advance(int64_t delta_ms) { now_ms_ += delta_ms; }
  int64_t now() const { return now_ms_; }

  PartitionCore& core() { return core_; }
  const State& workflow() const { return core_.tenant(kTenant)->workflow; }
  ActivityStatus status_of(const std::string& activity_id) const {
    return workflow().activities.at(activity_id).status;
  }
  const Approval& approval(const std::string& approval_id) const {
    return workflow().approvals.at(approval_id);
  }
  const credits::State& credits() const { return core_.tenant(kTenant)->credits; }
  const std::vector<Decided>& log() const { return log_; }

  // A second engine that takes the partition over by folding the log.
  PartitionCore fold_into_new_core(uint64_t seed = 99) const {
    PartitionCore other = make_core(seed);
    for (const Decided& record : log_) {
      EXPECT_EQ(other.replay(decode(record)), RecordVerdict::accepted);
    }
    return other;
  }

  void check_invariants() const {
    const TenantState* tenant = core_.tenant(kTenant);
    if (tenant == nullptr) return;
    EXPECT_EQ(state_invariant_violation(tenant->workflow), std::nullopt);
    EXPECT_EQ(credits::state_invariant_violation(tenant->credits), std::nullopt);
  }

 private:
  int64_t now_ms_;
  PartitionCore core_;
  int count_ = 0;
  int64_t offset_ = 0;
  std::vector<Decided> log_;
};

}  // namespace lf::engine::workflow::testing
