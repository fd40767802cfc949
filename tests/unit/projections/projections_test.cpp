// The pure projections: real commit records from the partition core in, row
// changes out; and RowBatch's merging.
#include <gtest/gtest.h>

#include "engine/partition.hpp"
#include "events/time.hpp"
#include "projections/credit_balances/projection.hpp"
#include "projections/credit_ledger/projection.hpp"
#include "projections/credit_reservations/projection.hpp"
#include "projections/event_log/projection.hpp"
#include "tests/unit/projections/partition_records.hpp"

namespace lf::projections {
namespace {

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
const int64_t kNow = *parse_rfc3339_ms("2026-11-10T12:00:00Z");

// The partition core's records of the commands run.
class Records : public testing::PartitionRecords {
 public:
  Records() : PartitionRecords(kTenant, kNow, 9) {}
};

const char* kAllocate =
    "{\"credits_monthly\":1000,\"period_start\":\"2026-11-01T00:00:00Z\",\"period_end\":\"2026-12-"
    "01T00:00:00Z\"}";

std::vector<const RowOp*> ops_of(const RowBatch& batch, const TableSpec& table) {
  std::vector<const RowOp*> ops;
  for (const auto& group : batch.tables()) {
    if (group.table != &table) continue;
    for (const RowOp& op : group.ops) ops.push_back(&op);
  }
  return ops;
}

int64_t int_at(const RowOp& op, const TableSpec& table, const char* column) {
  return std::get<int64_t>(op.values[table.column_index(column)]);
}
std::string text_at(const RowOp& op, const TableSpec& table, const char* column) {
  return std::get<std::string>(op.values[table.column_index(column)]);
}

TEST(Projections, LedgerRowsAreSignedChangesWhoseSumIsEffectiveAvailable) {
  Records records;
  records.run("credits.allocate", kAllocate);
  records.run("credits.reserve", "{\"reservation_id\":\"r1\",\"credits\":300}");
  records.run("credits.consume", "{\"reservation_id\":\"r1\",\"credits\":200}");
  const TableSpec& table = CreditLedger::table();
  const RowBatch batch = records.project(CreditLedger{});
  std::vector<const RowOp*> rows = ops_of(batch, table);
  ASSERT_EQ(rows.size(), 4u);  // allocated, reserved, released, consumed
  EXPECT_EQ(text_at(*rows[1], table, "type"), "reserved");
  EXPECT_EQ(int_at(*rows[1], table, "credits"), -300);
  EXPECT_EQ(int_at(*rows[1], table, "balance_after"), 700);
  EXPECT_EQ(text_at(*rows[2], table, "type"), "released");
  EXPECT_EQ(int_at(*rows[2], table, "credits"), 300);
  EXPECT_EQ(int_at(*rows[2], table, "balance_after"), 1000);
  EXPECT_EQ(text_at(*rows[3], table, "type"), "consumed");
  EXPECT_EQ(int_at(*rows[3], table, "credits"), -200);
  EXPECT_EQ(int_at(*rows[3], table, "balance_after"), 800);
  int64_t sum = 0;
  for (const RowOp* row : rows) sum += int_at(*row, table, "credits");
  EXPECT_EQ(sum, int_at(*rows.back(), table, "balance_after"));
}

TEST(Projections, BalancesHoldThePeriodAsDatesAndItsNextReset) {
  Records records;
  records.run("credits.allocate",
              R"({"credits_monthly":1000,"period_start":"2026-11-01","period_end":"2026-11-30"})");
  const TableSpec& table = CreditBalances::table();
  const RowBatch batch = records.project(CreditBalances{});
  std::vector<const RowOp*> rows = ops_of(batch, table);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(table.columns[table.column_index("period_start")].type, SqlType::date);
  EXPECT_EQ(table.columns[table.column_index("period_end")].type, SqlType::date);
  EXPECT_EQ(std::get<Date>(rows[0]->values[table.column_index("period_start")]).days,
            *parse_date_days("2026-11-01"));
  EXPECT_EQ(std::get<Date>(rows[0]->values[table.column_index("period_end")]).days,
            *parse_date_days("2026-11-30"));
  EXPECT_EQ(std::get<Timestamp>(rows[0]->values[table.column_index("next_reset_at")]).unix_ms,
            *parse_rfc3339_ms("2026-12-01T00:00:00Z"));
}

// A record an old binary wrote (credits.allocated v1, a period of instants)
// projects through its upcast: the UTC dates, next_reset_at the old end.
TEST(Projections, BalancesOfAV1RecordHoldItsUpcastDates) {
  UlidGenerator ids(5);
  CommitRecordHeader header;
  header.tenant_id = kTenant;
  header.command_id = "c-old";
  header.seq = 1;
  header.record_id = ids.next(kNow);
  header.writer = "old-engine";
  OutgoingEvent allocated;
  allocated.header = EventHeader{
      ids.next(kNow), "credits.allocated", 1,        kTenant, std::string("credits/") + kTenant, 1,
      "c-old",        std::nullopt,        "system", kNow};
  allocated.payload_json =
      R"({"credits":1000,"credits_monthly":1000,"period_start":"2026-11-01T06:00:00.000Z",)"
      R"("period_end":"2026-12-01T06:00:00.000Z","reason":"allocate","carried_over":0,)"
      R"("balance":{"credits_monthly":1000,"credits_available":1000,"credits_reserved":0,"credits_consumed":0,)"
      R"("credits_topup":0,"effective_available":1000,"period_start":"2026-11-01T06:00:00.000Z",)"
      R"("period_end":"2026-12-01T06:00:00.000Z"}})";
  const std::vector<OutgoingEvent> events = {allocated};
  Result<DecodedRecord> record = decode_commit_record(
      encode_commit_record(header, events), JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  ASSERT_TRUE(record.ok()) << record.error().message;
  RowBatch batch;
  CreditBalances{}.apply(RecordAt{0, 0, &*record}, batch);
  const TableSpec& table = CreditBalances::table();
  std::vector<const RowOp*> rows = ops_of(batch, table);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<Date>(rows[0]->values[table.column_index("period_start")]).days,
            *parse_date_days("2026-11-01"));
  EXPECT_EQ(std::get<Date>(rows[0]->values[table.column_index("period_end")]).days,
            *parse_date_days("2026-12-01"));  // the day of its last millisecond
  EXPECT_EQ(std::get<Timestamp>(rows[0]->values[table.column_index("next_reset_at")]).unix_ms,
            *parse_rfc3339_ms("2026-12-01T06:00:00Z"));
}

TEST(Projections, BalancesKeepOnlyTheLastFiguresPerTenantInABatch) {
  Records records;
  records.run("credits.allocate", kAllocate);
  records.run("credits.reserve", "{\"reservation_id\":\"r1\",\"credits\":300}");
  const TableSpec& table = CreditBalances::table();
  const RowBatch batch = records.project(CreditBalances{});
  std::vector<const RowOp*> rows = ops_of(batch, table);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]->kind, RowOpKind::upsert);
  EXPECT_EQ(int_at(*rows[0], table, "credits_available"), 1000);
  EXPECT_EQ(int_at(*rows[0], table, "credits_reserved"), 300);
  EXPECT_EQ(int_at(*rows[0], table, "effective_available"), 700);
  EXPECT_EQ(int_at(*rows[0], table, "credits_monthly"), 1000);
}

TEST(Projections, ReservationRowFollowsItsStatus) {
  Records records;
  records.run("credits.allocate", kAllocate);
  records.run("credits.reserve",
              "{\"reservation_id\":\"r1\",\"credits\":300,\"activity_run_id\":\"run-1\"}");
  records.run("credits.reserve", "{\"reservation_id\":\"r2\",\"credits\":100}");
  records.run("credits.consume", "{\"reservation_id\":\"r1\",\"credits\":120}");
  records.timers(kNow + 2 * kMillisPerHour);
  const TableSpec& table = CreditReservations::table();
  const RowBatch batch = records.project(CreditReservations{});
  std::vector<const RowOp*> rows = ops_of(batch, table);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]->kind, RowOpKind::insert);  // insert and patch merged
  EXPECT_EQ(text_at(*rows[0], table, "status"), "consumed");
  EXPECT_EQ(int_at(*rows[0], table, "credits_consumed"), 120);
  EXPECT_EQ(text_at(*rows[0], table, "activity_run_id"), "run-1");
  EXPECT_EQ(text_at(*rows[1], table, "status"), "expired");
}

TEST(Projections, EventLogHasEveryEventWithItsPlaceInTheLog) {
  Records records;
  records.run("credits.allocate", kAllocate);
  records.run("credits.reserve", "{\"reservation_id\":\"r1\",\"credits\":5000}");  // rejected
  const TableSpec& table = EventLog::table();
  const RowBatch batch = records.project(EventLog{});
  std::vector<const RowOp*> rows = ops_of(batch, table);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(text_at(*rows[1], table, "type"), "command.rejected");
  EXPECT_EQ(int_at(*rows[1], table, "seq"), 2);
  EXPECT_EQ(int_at(*rows[1], table, "kafka_offset"), 1);
  EXPECT_EQ(text_at(*rows[1], table, "event_id"), records.records()[1].events[0].header.event_id);
}

TEST(RowBatch, MergesChangesToOneKeyInOrder) {
  const TableSpec table{
      "t", {{"k", SqlType::text}, {"a", SqlType::int64}, {"b", SqlType::text}}, {0}};
  RowBatch batch;
  batch.patch(table, {std::string("x")}, {{"a", int64_t{1}}});
  batch.patch(table, {std::string("x")}, {{"b", std::string("late")}});
  batch.insert(table, {std::string("y"), int64_t{5}, std::string("new")});
  batch.patch(table, {std::string("y")}, {{"a", int64_t{6}}});
  batch.upsert(table, {std::string("z"), int64_t{7}, Null{}});
  batch.upsert(table, {std::string("z"), int64_t{8}, std::string("last")});
  ASSERT_EQ(batch.op_count(), 3u);
  const auto& ops = batch.tables().at(0).ops;
  EXPECT_EQ(ops[0].kind, RowOpKind::patch);
  EXPECT_EQ(std::get<int64_t>(ops[0].values[1]), 1);
  EXPECT_EQ(std::get<std::string>(ops[0].values[2]), "late");
  EXPECT_TRUE(ops[0].present[1] && ops[0].present[2]);
  EXPECT_EQ(ops[1].kind, RowOpKind::insert);
  EXPECT_EQ(std::get<int64_t>(ops[1].values[1]), 6);
  EXPECT_EQ(ops[2].kind, RowOpKind::upsert);
  EXPECT_EQ(std::get<std::string>(ops[2].values[2]), "last");
}

}  // namespace
}  // namespace lf::projections
