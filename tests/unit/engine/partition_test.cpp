// The partition core: chain, de-duplication, rejections, replay equivalence,
// stale writers, snapshots, timers.
#include "engine/partition.hpp"

#include <gtest/gtest.h>

#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tests/support/built_command.hpp"
#include "tests/support/payloads.hpp"

namespace lf::engine {
namespace {

using lf::testing::allocate_payload;
using lf::testing::build_command;
using lf::testing::reserve_payload;

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
const int64_t kNow = *parse_rfc3339_ms("2026-11-10T12:00:00Z");

SourcePosition at(int64_t offset) {
  return SourcePosition{"ledgerflow.commands", 0, offset};
}

PartitionCore make_core(const std::string& writer, uint64_t seed = 1) {
  return PartitionCore(0, writer, PartitionOptions{}, UlidGenerator(seed));
}

DecodedRecord decode(const Decided& decided) {
  Result<DecodedRecord> record =
      decode_commit_record(decided.json, JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  EXPECT_TRUE(record.ok());
  return std::move(record).value();
}

TEST(Partition, RecordsAreChainedFromSeqOne) {
  PartitionCore core = make_core("engine-a");
  auto first =
      core.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(1000)).envelope,
                  at(0), kNow);
  auto second = core.decide(
      build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 300)).envelope, at(1),
      kNow);
  ASSERT_EQ(first.records.size(), 1u);
  ASSERT_EQ(second.records.size(), 1u);
  EXPECT_EQ(first.records[0].header.seq, 1);
  EXPECT_EQ(first.records[0].header.prev_record_id, "");
  EXPECT_EQ(second.records[0].header.seq, 2);
  EXPECT_EQ(second.records[0].header.prev_record_id, first.records[0].header.record_id);
  EXPECT_EQ(core.chain().last_seq, 2);
  EXPECT_EQ(core.next_command_offset(), 2);
  EXPECT_EQ(second.result.status, ResultStatus::accepted);
  EXPECT_EQ(second.result.event_ids, second.records[0].event_ids);
}

TEST(Partition, DecisionsFindTimeZonesInThePartitionsZoneDatabase) {
  const std::string kolkata =
      R"({"credits_monthly":10,"period_start":"2026-11-01","period_end":"2026-11-30","timezone":"Asia/Kolkata"})";
  // The system's tzdata by default.
  PartitionCore system = make_core("engine-a");
  auto accepted = system.decide(build_command("credits.allocate", kTenant, "c1", kolkata).envelope,
                                at(0), kNow);
  EXPECT_EQ(accepted.result.status, ResultStatus::accepted) << accepted.result.message;
  // A database without that zone: the decision cannot resolve it.
  const TimeZoneDb empty("/nonexistent-zoneinfo");
  PartitionOptions options;
  options.time_zones = &empty;
  PartitionCore without(0, "engine-b", options, UlidGenerator(2));
  auto rejected = without.decide(build_command("credits.allocate", kTenant, "c1", kolkata).envelope,
                                 at(0), kNow);
  EXPECT_EQ(rejected.result.status, ResultStatus::rejected);
  EXPECT_EQ(rejected.result.reason, "invalid_timezone");
}

TEST(Partition, RepeatedCommandIdIsAnsweredAsDuplicateWithoutARecord) {
  PartitionCore core = make_core("engine-a");
  core.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(1000)).envelope,
              at(0), kNow);
  auto original = core.decide(
      build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 300)).envelope, at(1),
      kNow);
  auto again = core.decide(
      build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 300)).envelope, at(2),
      kNow);
  EXPECT_TRUE(again.records.empty());
  EXPECT_EQ(again.result.status, ResultStatus::duplicate);
  EXPECT_EQ(again.result.reason, "duplicate_command");
  EXPECT_EQ(again.result.event_ids, original.result.event_ids);
  EXPECT_EQ(again.result.seq, original.result.seq);
  EXPECT_EQ(core.chain().last_seq, 2);
  EXPECT_EQ(core.tenant(kTenant)->credits.reserved_total(), 300);
}

TEST(Partition, SameCommandIdOfAnotherTenantIsNotADuplicate) {
  PartitionCore core = make_core("engine-a");
  const std::string other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  core.decide(build_command("credits.allocate", kTenant, "same", allocate_payload(1000)).envelope,
              at(0), kNow);
  auto outcome =
      core.decide(build_command("credits.allocate", other, "same", allocate_payload(500)).envelope,
                  at(1), kNow);
  EXPECT_EQ(outcome.result.status, ResultStatus::accepted);
}

TEST(Partition, RejectionIsACommandRejectedEventInTheAuditStream) {
  PartitionCore core = make_core("engine-a");
  auto outcome = core.decide(
      build_command("credits.reserve", kTenant, "c1", reserve_payload("r1", 300)).envelope, at(0),
      kNow);
  ASSERT_EQ(outcome.records.size(), 1u);
  DecodedRecord record = decode(outcome.records[0]);
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(record.events[0].header.type, "command.rejected");
  EXPECT_EQ(record.events[0].header.stream, std::string("audit/") + kTenant);
  EXPECT_EQ(outcome.result.status, ResultStatus::rejected);
  EXPECT_EQ(outcome.result.reason, "insufficient_credits");
  EXPECT_FALSE(outcome.result.message.empty());
}

CommandIdentity refused_identity(const std::string& command_id,
                                 const std::string& type = "credits.reserve") {
  return CommandIdentity{command_id, kTenant, type, "system", std::string("corr-1")};
}

TEST(Partition, ARefusedCommandIsAChainedCommandRejectedRecord) {
  PartitionCore core = make_core("engine-a");
  core.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(1000)).envelope,
              at(0), kNow);
  auto outcome =
      core.refuse(refused_identity("bad-1"),
                  Rejection{"invalid_envelope", "command actor must be ..."}, at(1), kNow);
  ASSERT_EQ(outcome.records.size(), 1u);
  EXPECT_EQ(outcome.records[0].header.seq, 2);
  EXPECT_EQ(core.chain().last_seq, 2);
  EXPECT_EQ(core.next_command_offset(), 2);
  DecodedRecord record = decode(outcome.records[0]);
  ASSERT_EQ(record.events.size(), 1u);
  const DecodedEvent& event = record.events[0];
  EXPECT_EQ(event.header.type, "command.rejected");
  EXPECT_EQ(event.header.stream, std::string("audit/") + kTenant);
  EXPECT_EQ(event.header.actor, "system");
  EXPECT_EQ(event.header.command_id, "bad-1");
  EXPECT_EQ(event.header.correlation_id, "corr-1");
  EXPECT_EQ(json_string(*event.payload, "command_type"), "credits.reserve");
  EXPECT_EQ(json_string(*event.payload, "reason"), "invalid_envelope");
  EXPECT_EQ(json_member(*event.payload, "target_stream"), nullptr);
  EXPECT_FALSE(
      SchemaRegistry::embedded().validate_event_payload("command.rejected", 1, *event.payload));
  EXPECT_EQ(outcome.result.status, ResultStatus::rejected);
  EXPECT_EQ(outcome.result.reason, "invalid_envelope");
  EXPECT_EQ(outcome.result.type, "credits.reserve");
  EXPECT_EQ(outcome.result.event_ids, outcome.records[0].event_ids);
  // A reader folding the log derives the same result.
  EXPECT_EQ(encode_result(PartitionCore::result_of(record, "credits.reserve")),
            outcome.result_json);
}

TEST(Partition, ARefusedCommandIdIsDecidedOnce) {
  PartitionCore core = make_core("engine-a");
  auto first =
      core.refuse(refused_identity("bad-1"), Rejection{"schema_violation", "no"}, at(0), kNow);
  auto again =
      core.refuse(refused_identity("bad-1"), Rejection{"schema_violation", "no"}, at(1), kNow);
  EXPECT_TRUE(again.records.empty());
  EXPECT_EQ(again.result.status, ResultStatus::duplicate);
  EXPECT_EQ(again.result.event_ids, first.result.event_ids);
  // ... and a valid command sent later under the same id is that duplicate too.
  auto valid = core.decide(
      build_command("credits.allocate", kTenant, "bad-1", allocate_payload(1000)).envelope, at(2),
      kNow);
  EXPECT_TRUE(valid.records.empty());
  EXPECT_EQ(valid.result.status, ResultStatus::duplicate);
  // A command_id already accepted is not rejected after the fact either.
  core.decide(build_command("credits.allocate", kTenant, "good-1", allocate_payload(1000)).envelope,
              at(3), kNow);
  auto late = core.refuse(refused_identity("good-1"), Rejection{"key_mismatch", "no"}, at(4), kNow);
  EXPECT_TRUE(late.records.empty());
  EXPECT_EQ(late.result.status, ResultStatus::duplicate);
  EXPECT_EQ(core.chain().last_seq, 2);
}

TEST(Partition, ARefusalWithoutAReadableTypeUsesThePlaceholderAndABoundedMessage) {
  PartitionCore core = make_core("engine-a");
  const std::string long_message = "the message key '" + std::string(5000, 'k') + "\x01' is wrong";
  auto outcome = core.refuse(refused_identity("bad-1", std::string(kUnreadableCommandType)),
                             Rejection{"invalid_envelope", long_message}, at(0), kNow);
  ASSERT_EQ(outcome.records.size(), 1u);
  DecodedRecord record = decode(outcome.records[0]);
  const rapidjson::Value& payload = *record.events[0].payload;
  EXPECT_EQ(json_string(payload, "command_type"), kUnreadableCommandType);
  EXPECT_LE(json_string(payload, "message")->size(), kRefusalMessageBytesMax + 3);
  EXPECT_EQ(outcome.result.type, "");  // the result names no type it could not read
  EXPECT_EQ(PartitionCore::result_of(record, "").type, "");
  EXPECT_EQ(outcome.result.message, *json_string(payload, "message"));
}

TEST(Partition, ExpectedVersionMismatchIsAVersionConflict) {
  PartitionCore core = make_core("engine-a");
  core.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(1000)).envelope,
              at(0), kNow);
  auto stale = core.decide(build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 1),
                                         "system", kNow, int64_t{0})
                               .envelope,
                           at(1), kNow);
  EXPECT_EQ(stale.result.reason, "version_conflict");
  auto current = core.decide(build_command("credits.reserve", kTenant, "c3",
                                           reserve_payload("r1", 1), "system", kNow, int64_t{1})
                                 .envelope,
                             at(2), kNow);
  EXPECT_EQ(current.result.status, ResultStatus::accepted);
}

TEST(Partition, AReaderReplayingTheRecordsReachesTheSameState) {
  PartitionCore writer = make_core("engine-a");
  PartitionCore reader = make_core("reader", 2);
  std::vector<std::string> commands = {
      build_command("credits.allocate", kTenant, "c1", allocate_payload(5000)).json};
  int64_t offset = 0;
  std::vector<Decided> written;
  auto run = [&](const std::string& type, const std::string& id, const std::string& payload) {
    auto outcome =
        writer.decide(build_command(type, kTenant, id, payload).envelope, at(offset++), kNow);
    for (Decided& record : outcome.records) written.push_back(std::move(record));
  };
  run("credits.allocate", "c1", allocate_payload(5000));
  run("credits.reserve", "c2", reserve_payload("r1", 700));
  run("credits.consume", "c3", "{\"reservation_id\":\"r1\",\"credits\":650}");
  run("credits.reserve", "c4", reserve_payload("r2", 90000));  // rejected
  for (const Decided& record : written)
    EXPECT_EQ(reader.replay(decode(record)), RecordVerdict::accepted);
  EXPECT_EQ(reader.chain().last_seq, writer.chain().last_seq);
  EXPECT_EQ(reader.chain().last_record_id, writer.chain().last_record_id);
  EXPECT_EQ(reader.tenant_state_json(kTenant), writer.tenant_state_json(kTenant));
  EXPECT_EQ(reader.next_command_offset(), writer.next_command_offset());
  // The reader's de-duplication window answers the writer's commands too.
  auto again = reader.decide(
      build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 700)).envelope,
      at(offset), kNow);
  EXPECT_EQ(again.result.status, ResultStatus::duplicate);
}

// Two engines decide for one partition from the same view: whichever record
// lands first wins its seq, and the loser's later records, chained on its own
// ignored decision, are ignored too, however they interleave.
TEST(Partition, AStaleWritersChainedDecisionsAreNeverAccepted) {
  PartitionCore live = make_core("engine-live", 1);
  PartitionCore stale = make_core("engine-stale", 2);
  auto base =
      live.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(100)).envelope,
                  at(0), kNow);
  stale.replay(decode(base.records[0]));

  auto live_reserve = live.decide(
      build_command("credits.reserve", kTenant, "c2", reserve_payload("a", 80)).envelope, at(1),
      kNow);
  auto stale_reserve = stale.decide(
      build_command("credits.reserve", kTenant, "c3", reserve_payload("b", 80)).envelope, at(2),
      kNow);
  auto stale_next = stale.decide(
      build_command("credits.reserve", kTenant, "c4", reserve_payload("c", 20)).envelope, at(3),
      kNow);
  ASSERT_EQ(stale_reserve.records[0].header.seq, 2);
  ASSERT_EQ(stale_next.records[0].header.seq, 3);

  PartitionCore reader = make_core("reader", 3);
  EXPECT_EQ(reader.replay(decode(base.records[0])), RecordVerdict::accepted);
  EXPECT_EQ(reader.replay(decode(live_reserve.records[0])), RecordVerdict::accepted);
  EXPECT_EQ(reader.replay(decode(stale_reserve.records[0])), RecordVerdict::stale);
  // seq 3 is next, but it builds on the stale engine's ignored seq 2.
  EXPECT_EQ(reader.replay(decode(stale_next.records[0])), RecordVerdict::broken_chain);
  EXPECT_EQ(reader.tenant(kTenant)->credits.reserved_total(), 80);
  // The same record delivered twice (a producer retry) is a duplicate.
  EXPECT_EQ(reader.replay(decode(live_reserve.records[0])), RecordVerdict::duplicate);
}

TEST(Partition, SnapshotImageRestoresAnEquivalentCore) {
  PartitionCore original = make_core("engine-a");
  original.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(1000)).envelope,
                  at(0), kNow);
  original.decide(
      build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 400)).envelope, at(1),
      kNow);
  PartitionImage image;
  image.seq = original.chain().last_seq;
  image.record_id = original.chain().last_record_id;
  image.commands_next_offset = original.next_command_offset();
  for (const std::string& tenant : original.take_dirty_tenants()) {
    image.tenants.emplace_back(tenant, original.tenant_state_json(tenant));
  }
  image.dedup = original.dedup().since(0);
  PartitionCore restored = make_core("engine-b", 7);
  ASSERT_TRUE(restored.restore(image).ok());
  EXPECT_EQ(restored.tenant_state_json(kTenant), original.tenant_state_json(kTenant));
  auto a = original.decide(
      build_command("credits.reserve", kTenant, "c3", reserve_payload("r2", 700)).envelope, at(2),
      kNow);
  auto b = restored.decide(
      build_command("credits.reserve", kTenant, "c3", reserve_payload("r2", 700)).envelope, at(2),
      kNow);
  EXPECT_EQ(a.result.status, b.result.status);
  EXPECT_EQ(a.result.reason, b.result.reason);
  EXPECT_EQ(b.records[0].header.prev_record_id, image.record_id);
  auto duplicate = restored.decide(
      build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 400)).envelope, at(3),
      kNow);
  EXPECT_EQ(duplicate.result.status, ResultStatus::duplicate);
}

TEST(Partition, ReservationDeadlineFiresOnceAsATimerRecord) {
  PartitionCore core = make_core("engine-a");
  core.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(1000)).envelope,
              at(0), kNow);
  core.decide(build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 400)).envelope,
              at(1), kNow);
  EXPECT_TRUE(core.fire_timers(kNow + kMillisPerHour - 1, 10).empty());
  ASSERT_TRUE(core.next_timer_ms().has_value());
  EXPECT_EQ(*core.next_timer_ms(), kNow + kMillisPerHour);
  std::vector<Decided> fired = core.fire_timers(kNow + kMillisPerHour, 10);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_FALSE(fired[0].header.source.has_value());
  // It answers no command (a timer record has no result): its command_id is
  // the engine's own.
  EXPECT_TRUE(fired[0].header.command_id.starts_with("timer/")) << fired[0].header.command_id;
  DecodedRecord record = decode(fired[0]);
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(record.events[0].header.type, "credits.released");
  EXPECT_EQ(json_string(*record.events[0].payload, "reason"), "expired");
  EXPECT_EQ(core.tenant(kTenant)->credits.reserved_total(), 0);
  EXPECT_TRUE(core.fire_timers(kNow + 2 * kMillisPerHour, 10).empty());
}

TEST(Partition, ACommandAfterADeadlineSeesTheTimerFirst) {
  PartitionCore core = make_core("engine-a");
  core.decide(build_command("credits.allocate", kTenant, "c1", allocate_payload(1000)).envelope,
              at(0), kNow);
  core.decide(build_command("credits.reserve", kTenant, "c2", reserve_payload("r1", 400)).envelope,
              at(1), kNow);
  auto late = core.decide(
      build_command("credits.consume", kTenant, "c3", "{\"reservation_id\":\"r1\",\"credits\":100}")
          .envelope,
      at(2), kNow + 2 * kMillisPerHour);
  ASSERT_EQ(late.records.size(), 2u);
  EXPECT_FALSE(late.records[0].header.source.has_value());
  EXPECT_EQ(late.result.status, ResultStatus::rejected);
  EXPECT_EQ(late.result.reason, "reservation_closed");
}

TEST(Dedup, WindowKeepsTheLastCapacityEntries) {
  DedupWindow window(3);
  for (int i = 1; i <= 5; ++i) window.add("t", "c" + std::to_string(i), i, "{}");
  EXPECT_EQ(window.size(), 3u);
  EXPECT_EQ(window.find("t", "c1"), nullptr);
  EXPECT_EQ(window.find("t", "c2"), nullptr);
  ASSERT_NE(window.find("t", "c5"), nullptr);
  EXPECT_EQ(window.find("t", "c5")->seq, 5);
  EXPECT_EQ(window.oldest_seq(), 3);
  std::vector<DedupWindow::Row> rows = window.since(3);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].command_id, "c4");
  EXPECT_EQ(rows[1].tenant_id, "t");
}

// Keys longer than the lookup's buffer on the stack, a repeated command id
// (the first decision stays), and a window that was moved: entries and
// evictions still find their keys.
TEST(Dedup, LongKeysRepeatsAndAMovedWindow) {
  const std::string tenant(300, 't');
  DedupWindow original(2);
  original.add(tenant, "c1", 1, "{\"first\":true}");
  original.add(tenant, "c1", 2, "{\"first\":false}");
  EXPECT_EQ(original.size(), 1u);
  ASSERT_NE(original.find(tenant, "c1"), nullptr);
  EXPECT_EQ(original.find(tenant, "c1")->result_json, "{\"first\":true}");
  EXPECT_EQ(original.find(tenant.substr(1), "c1"), nullptr);

  DedupWindow window(1);
  window = std::move(original);
  window.add(tenant, std::string(300, 'c'), 3, "{}");
  window.add("t", "c4", 4, "{}");  // evicts the first entry, through the moved order
  EXPECT_EQ(window.size(), 2u);
  EXPECT_EQ(window.find(tenant, "c1"), nullptr);
  ASSERT_NE(window.find(tenant, std::string(300, 'c')), nullptr);
  std::vector<DedupWindow::Row> rows = window.since(0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].tenant_id, tenant);
  EXPECT_EQ(rows[0].command_id, std::string(300, 'c'));
  EXPECT_EQ(rows[1].command_id, "c4");
}

}  // namespace
}  // namespace lf::engine
