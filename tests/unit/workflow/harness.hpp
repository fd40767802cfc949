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
#include "tests/unit/engine/command_builder.hpp"

namespace lf::engine::workflow::testing {

inline constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
inline constexpr int64_t kHourMs = 3'600'000;

inline int64_t at(const char* rfc3339) {
  const std::optional<int64_t> unix_ms = parse_rfc3339_ms(rfc3339);
  EXPECT_TRUE(unix_ms.has_value()) << rfc3339;
  return unix_ms.value_or(0);
}

inline DecodedRecord decode(const Decided& decided) {
  Result<DecodedRecord> record = decode_commit_record(decided.json, JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  EXPECT_TRUE(record.ok()) << decided.json;
  return std::move(record).value();
}

// The event types of a record, in order.
inline std::vector<std::string> types_of(const Decided& decided) {
  std::vector<std::string> types;
  for (const DecodedEvent& event : decode(decided).events) types.push_back(event.header.type);
  return types;
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
    lf::testing::BuiltCommand built =
        lf::testing::build_command(type, kTenant, "c" + std::to_string(++count_), payload_json, actor, now_ms_);
    const std::optional<std::string> problem =
        SchemaRegistry::embedded().validate_command_payload(type, *built.envelope.payload);
    EXPECT_FALSE(problem.has_value()) << type << " " << brief(payload_json) << ": " << problem.value_or("");
    CommandOutcome outcome = core_.decide(built.envelope, SourcePosition{"ledgerflow.commands", 0, offset_++}, now_ms_);
    for (const Decided& record : outcome.records) log_.push_back(record);
    check_invariants();
    return outcome;
  }

  // Runs a command that must be accepted; returns the event types of its record.
  std::vector<std::string> accept(const std::string& type, const std::string& payload_json,
                                  const std::string& actor = "user:alice") {
    CommandOutcome outcome = run(type, payload_json, actor);
    EXPECT_EQ(outcome.result.status, ResultStatus::accepted)
        << type << " " << brief(payload_json) << ": " << outcome.result.reason << " " << outcome.result.message;
    if (outcome.records.empty()) return {};
    return types_of(outcome.records.back());
  }

  // Runs a command that must be rejected with `reason`; checks the record
  // holds only command.rejected.
  void refuse(const std::string& type, const std::string& payload_json, const std::string& reason,
              const std::string& actor = "user:alice") {
    CommandOutcome outcome = run(type, payload_json, actor);
    EXPECT_EQ(outcome.result.status, ResultStatus::rejected) << type << " " << brief(payload_json);
    EXPECT_EQ(outcome.result.reason, reason) << type << " " << brief(payload_json) << ": " << outcome.result.message;
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

// ---- payload builders --------------------------------------------------------

inline std::string quoted(const std::string& text) { return "\"" + text + "\""; }

inline std::string buy_payload(const std::string& id, bool requires_approval,
                               const std::string& start = "2026-12-01", const std::string& end = "2026-12-31",
                               const std::string& extra = "") {
  return "{\"media_buy_id\":" + quoted(id) +
         ",\"principal_id\":\"adv-1\",\"campaign_name\":\"Winter sale\",\"start_date\":" + quoted(start) +
         ",\"end_date\":" + quoted(end) +
         ",\"packages\":[{\"package_id\":\"p1\",\"product_id\":\"ctv-prime\",\"budget\":500000,"
         "\"pricing\":{\"model\":\"cpm\",\"rate_micros\":25000000},\"targeting\":{\"geo\":[\"US\"]}},"
         "{\"package_id\":\"p2\",\"product_id\":\"display\",\"budget\":250000}],"
         "\"requires_approval\":" +
         (requires_approval ? "true" : "false") + extra + "}";
}

inline std::string buy_move(const std::string& id) { return "{\"media_buy_id\":" + quoted(id) + "}"; }

inline std::string approval_decision(const std::string& id, const std::string& notes = "") {
  return "{\"approval_id\":" + quoted(id) + ",\"reviewed_by\":\"user:rita\"" +
         (notes.empty() ? "" : ",\"notes\":" + quoted(notes)) + "}";
}

inline std::string approval_request(const std::string& id, const std::string& kind, const std::string& subject,
                                    const std::string& extra = "") {
  return "{\"approval_id\":" + quoted(id) + ",\"subject\":{\"kind\":" + quoted(kind) + ",\"id\":" +
         quoted(subject) + "},\"type\":\"content_review\",\"risk_level\":\"high\",\"title\":\"Review\"" + extra + "}";
}

inline std::string activity_payload(const std::string& id, bool gate, const std::string& extra = "") {
  return "{\"activity_id\":" + quoted(id) +
         ",\"title\":\"Write banner copy\",\"type\":\"copywriting\",\"assignee_type\":\"agent\","
         "\"assignee_agent_role\":\"copywriter\",\"priority\":\"high\",\"is_approval_gate\":" +
         (gate ? "true" : "false") + extra + "}";
}

inline std::string activity_move(const std::string& id, const std::string& extra = "") {
  return "{\"activity_id\":" + quoted(id) + extra + "}";
}

inline std::string allocate_payload(int64_t monthly) {
  return "{\"credits_monthly\":" + std::to_string(monthly) +
         ",\"period_start\":\"2026-11-01T00:00:00Z\",\"period_end\":\"2026-12-01T00:00:00Z\"}";
}

inline std::string start_run(const std::string& activity, const std::string& run, int64_t estimated,
                             const std::string& extra = "") {
  return "{\"activity_id\":" + quoted(activity) + ",\"run_id\":" + quoted(run) +
         ",\"estimated_credits\":" + std::to_string(estimated) + extra + "}";
}

inline std::string finish_run(const std::string& run, const std::string& status, int64_t used) {
  return "{\"run_id\":" + quoted(run) + ",\"status\":" + quoted(status) + ",\"credits_used\":" +
         std::to_string(used) + ",\"input_tokens\":1200,\"output_tokens\":300,\"duration_ms\":4200}";
}

}  // namespace lf::engine::workflow::testing
