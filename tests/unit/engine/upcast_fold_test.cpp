// A partition folded from a log an old binary wrote (activity.run_finished,
// activity.run_started and activity.created at schema_version 1, the credits
// events at version 1 with billing periods as instants) reaches the same
// state as one folded from the same decisions written today (their current
// versions): decoding upcasts, evolve sees the current versions only.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/credits/state.hpp"
#include "engine/partition.hpp"
#include "events/time.hpp"
#include "tests/support/built_command.hpp"
#include "tests/support/old_records.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::engine {
namespace {

using lf::testing::build_command;
namespace matrix = lf::testing::workflow_matrix;

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
const int64_t kNow = *parse_rfc3339_ms("2026-11-20T09:00:00Z");
constexpr int64_t kHourMs = 3'600'000;

PartitionCore make_core(const std::string& writer) {
  PartitionOptions options;
  options.validate_events = true;
  return PartitionCore(0, writer, options, UlidGenerator(11));
}

// Today's engine decides a tenant's day of runs: one completed with every
// meter, one failed without meters, one timed out by the engine's timer.
std::vector<std::string> decide_runs(PartitionCore& core) {
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"credits.allocate", matrix::allocate_payload(1000)},
      {"activity.create",
       R"({"activity_id":"act","title":"t","type":"copy","assignee_type":"agent",)"
       R"("assignee_agent_role":"writer","priority":"normal","input_data":{"k":1}})"},
      {"activity.start", matrix::activity_move("act")},
      {"activity.start_run",
       matrix::start_run("act", "run-1", 300, R"(,"adapter_type":"claude","model_id":"m")")},
      {"activity.finish_run", matrix::finish_run("run-1", "completed", 180)},
      {"activity.start_run", matrix::start_run("act", "run-2", 100)},
      {"activity.finish_run", R"({"run_id":"run-2","status":"failed","credits_used":0})"},
      {"activity.start_run", matrix::start_run("act", "run-3", 50)},
  };
  std::vector<std::string> records;
  int64_t offset = 0;
  for (const auto& [type, payload] : commands) {
    const std::string id = "c" + std::to_string(offset + 1);
    CommandOutcome outcome = core.decide(build_command(type, kTenant, id, payload).envelope,
                                         SourcePosition{"ledgerflow.commands", 0, offset++}, kNow);
    EXPECT_EQ(outcome.result.status, ResultStatus::accepted)
        << type << ": " << outcome.result.message;
    for (const Decided& decided : outcome.records) records.push_back(decided.json);
  }
  // run-3's hold expires after an hour: the timer ends the run (timed_out).
  for (const Decided& decided : core.fire_timers(kNow + 2 * kHourMs, 10))
    records.push_back(decided.json);
  return records;
}

PartitionCore fold(const std::vector<std::string>& records) {
  PartitionCore core = make_core("reader");
  for (const std::string& json : records) {
    Result<DecodedRecord> record = decode_commit_record(json, lf::testing::kOldRecordLimits);
    EXPECT_TRUE(record.ok()) << json;
    if (record.ok()) {
      EXPECT_EQ(core.replay(*record), RecordVerdict::accepted);
    }
  }
  return core;
}

TEST(UpcastFold, LogOfV1RunsFoldsToTheStateOfTheCurrentLog) {
  PartitionCore writer = make_core("engine-today");
  const std::vector<std::string> today = decide_runs(writer);
  std::vector<std::string> old;
  int downgraded = 0;
  for (const std::string& json : today) {
    lf::testing::OldRecord record = lf::testing::as_written_before_run_finished_v2(json, true);
    downgraded += record.events_downgraded;
    old.push_back(std::move(record.json));
  }
  ASSERT_EQ(downgraded, 3 + 3 + 1) << "the log must hold v1 events for the fold to mean anything";
  ASSERT_NE(old, today);

  PartitionCore from_v1 = fold(old);
  PartitionCore from_v2 = fold(today);
  EXPECT_EQ(from_v1.chain().last_seq, writer.chain().last_seq);
  EXPECT_EQ(from_v1.chain().last_record_id, writer.chain().last_record_id);
  EXPECT_EQ(from_v1.next_command_offset(), from_v2.next_command_offset());
  EXPECT_EQ(from_v1.tenant_state_json(kTenant), from_v2.tenant_state_json(kTenant));
  EXPECT_EQ(from_v2.tenant_state_json(kTenant), writer.tenant_state_json(kTenant));
  EXPECT_EQ(from_v1.next_timer_ms(), from_v2.next_timer_ms());
  EXPECT_EQ(from_v1.dedup().size(), from_v2.dedup().size());

  // Both go on deciding alike: the runs they folded are finished.
  const auto again = build_command("activity.finish_run", kTenant, "c-late",
                                   R"({"run_id":"run-1","status":"completed","credits_used":1})");
  CommandOutcome a = from_v1.decide(again.envelope, SourcePosition{"ledgerflow.commands", 0, 100},
                                    kNow + 3 * kHourMs);
  CommandOutcome b = from_v2.decide(again.envelope, SourcePosition{"ledgerflow.commands", 0, 100},
                                    kNow + 3 * kHourMs);
  EXPECT_EQ(a.result.status, ResultStatus::rejected);
  EXPECT_EQ(a.result.reason, b.result.reason);
}

// The credits events of timer records, type and payload.
std::vector<std::string> credits_events(const std::vector<Decided>& records) {
  std::vector<std::string> events;
  for (const Decided& decided : records) {
    Result<DecodedRecord> record =
        decode_commit_record(decided.json, lf::testing::kOldRecordLimits);
    EXPECT_TRUE(record.ok());
    if (!record.ok()) continue;
    for (const DecodedEvent& event : record->events) {
      if (!event.header.type.starts_with("credits.")) continue;
      events.push_back(event.header.type + " " + json_to_string(*event.payload));
    }
  }
  return events;
}

TEST(UpcastFold, LogOfV1CreditsEventsFoldsToTheStateOfTheV2Log) {
  PartitionCore writer = make_core("engine-today");
  const std::vector<std::string> today = decide_runs(writer);
  std::vector<std::string> old;
  int downgraded = 0;
  for (const std::string& json : today) {
    lf::testing::OldRecord record = lf::testing::as_written_before_credits_v2(json);
    downgraded += record.events_downgraded;
    old.push_back(std::move(record.json));
  }
  ASSERT_GE(downgraded, 8) << "the log must hold v1 credits events for the fold to mean anything";

  PartitionCore from_v1 = fold(old);
  PartitionCore from_v2 = fold(today);
  EXPECT_EQ(from_v1.chain().last_seq, writer.chain().last_seq);
  // A v1 period of UTC midnights reads as the dates today's engine makes of it.
  EXPECT_EQ(from_v1.tenant_state_json(kTenant), from_v2.tenant_state_json(kTenant));
  const credits::State& v1 = from_v1.tenant(kTenant)->credits;
  ASSERT_TRUE(v1.book.period.has_value());
  EXPECT_EQ(v1.book.period->span.series, credits::PeriodSeries::calendar);
  EXPECT_EQ(v1.book.period->span.end_day, *parse_date_days("2026-11-30"));
  EXPECT_EQ(from_v1.next_timer_ms(), from_v2.next_timer_ms());

  // And both go on renewing alike, months on.
  const int64_t later = *parse_rfc3339_ms("2027-02-15T00:00:00Z");
  const std::vector<std::string> renewed_v1 = credits_events(from_v1.fire_timers(later, 10));
  const std::vector<std::string> renewed_v2 = credits_events(from_v2.fire_timers(later, 10));
  EXPECT_EQ(renewed_v1, renewed_v2);
  EXPECT_GE(renewed_v1.size(), 3u);  // December, January, February
}

}  // namespace
}  // namespace lf::engine
