// media_buys, media_buy_packages and approvals from imported chunks: the
// partition core's real commit records of import.media_buys and
// import.approvals, then live commands on what was imported, in; row
// changes out (the imported status and original times, a live patch on
// top, a buy a pending imported approval decides).
#include <gtest/gtest.h>

#include "engine/partition.hpp"
#include "events/time.hpp"
#include "projections/approvals/projection.hpp"
#include "projections/media_buys/projection.hpp"
#include "tests/support/time.hpp"
#include "tests/unit/projections/partition_records.hpp"

namespace lf::projections {
namespace {

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6c";
const int64_t kNow = *parse_rfc3339_ms("2026-11-10T12:00:00Z");

// The partition core's records of the commands run, each accepted.
class Records : public testing::PartitionRecords {
 public:
  Records() : PartitionRecords(kTenant, kNow, 12) {}
  void run(const std::string& type, const std::string& payload) { run_accepted(type, payload); }
};

// The merged row of `table` whose column `key_column` is `key`.
const RowOp* row_of(const RowBatch& batch, const TableSpec& table, const char* key_column,
                    const std::string& key) {
  for (const auto& group : batch.tables()) {
    if (group.table != &table) continue;
    for (const RowOp& op : group.ops) {
      if (std::get<std::string>(op.values[table.column_index(key_column)]) == key) return &op;
    }
  }
  return nullptr;
}

const Value& column(const TableSpec& table, const RowOp& op, const char* name) {
  return op.values[table.column_index(name)];
}

using lf::testing::at;

const std::string kImport(64, 'e');

std::string buys_chunk() {
  auto buy = [](int line, const std::string& id, const std::string& status,
                const std::string& created_at) {
    return R"({"line":)" + std::to_string(line) + R"(,"package_lines":[)" + std::to_string(line) +
           R"(],"status":")" + status + R"(","created_at":")" + created_at +
           R"(","media_buy":{"media_buy_id":")" + id +
           R"(","principal_id":"pr-1","campaign_name":"Spring","start_date":"2026-12-01","end_date":"2026-12-31","packages":[{"package_id":"pk-)" +
           id +
           R"(","product_id":"prod-1","budget":"5000.5","pricing":{"cpm":12.5}}],"requires_approval":false}})";
  };
  return R"({"import_id":")" + kImport +
         R"(","chunk":0,"chunks":1,"source":{"file":"buys.csv","first_line":2,"last_line":3},"rows":[)" +
         buy(2, "b-active", "active", "2025-01-02T03:04:05.678Z") + "," +
         buy(3, "b-pending", "pending", "2026-11-09T08:00:00Z") + "]}";
}

TEST(WorkflowImportsProjection, ImportedBuysAreRowsInTheirStatusAtTheirTimesThenGoOnLive) {
  Records records;
  records.run("import.media_buys", buys_chunk());
  records.run("media_buy.pause", R"({"media_buy_id":"b-active"})");
  const RowBatch batch = records.project(MediaBuys{});
  const TableSpec& buys = MediaBuys::buys_table();
  const RowOp* active = row_of(batch, buys, "media_buy_id", "b-active");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->kind, RowOpKind::insert);
  EXPECT_EQ(std::get<std::string>(column(buys, *active, "status")), "paused");
  EXPECT_EQ(std::get<Timestamp>(column(buys, *active, "created_at")).unix_ms,
            at("2025-01-02T03:04:05.678Z"));
  EXPECT_EQ(std::get<Timestamp>(column(buys, *active, "updated_at")).unix_ms, kNow);
  EXPECT_EQ(std::get<int64_t>(column(buys, *active, "budget_total_minor")), 500050);
  EXPECT_EQ(std::get<std::string>(column(buys, *active, "budget_total")), "5000.50");
  EXPECT_FALSE(std::get<bool>(column(buys, *active, "requires_approval")));
  const RowOp* pending = row_of(batch, buys, "media_buy_id", "b-pending");
  ASSERT_NE(pending, nullptr);
  EXPECT_EQ(std::get<std::string>(column(buys, *pending, "status")), "pending");
  EXPECT_EQ(std::get<Timestamp>(column(buys, *pending, "updated_at")).unix_ms,
            at("2026-11-09T08:00:00Z"));
  const TableSpec& packages = MediaBuys::packages_table();
  const RowOp* package = row_of(batch, packages, "package_id", "pk-b-active");
  ASSERT_NE(package, nullptr);
  EXPECT_EQ(std::get<int64_t>(column(packages, *package, "budget_minor")), 500050);
  EXPECT_EQ(std::get<Json>(column(packages, *package, "pricing")).text, R"({"cpm":12.5})");
}

TEST(WorkflowImportsProjection, ImportedApprovalsKeepTheirOutcomeAndAPendingOneDecidesItsBuy) {
  Records records;
  records.run("import.media_buys", buys_chunk());
  records.run(
      "import.approvals",
      R"({"import_id":")" + kImport +
          R"(","chunk":0,"chunks":1,"source":{"file":"approvals.csv","first_line":2,"last_line":3},"rows":[)"
          R"({"line":2,"status":"pending","created_on":"2026-11-09T09:00:00Z","request":{"approval_id":"ap-1","subject":{"kind":"media_buy","id":"b-pending"},"type":"media_buy","risk_level":"medium","title":"Approve","expires_at":"2026-11-12T09:00:00Z"}},)"
          R"({"line":3,"status":"rejected","created_on":"2025-03-01T09:00:00Z","resolved_at":"2025-03-02T09:00:00Z","sent_to_client_at":"2025-03-01T12:00:00Z","reviewed_by":"u-2","reviewer_notes":"no","request":{"approval_id":"ap-2","subject":{"kind":"creative","id":"cr-1"},"type":"creative","risk_level":"low","title":"Banner","expires_at":"2025-03-04T09:00:00Z"}}]})");
  const RowBatch approvals_batch = records.project(Approvals{});
  const TableSpec& table = Approvals::table();
  const RowOp* pending = row_of(approvals_batch, table, "approval_id", "ap-1");
  ASSERT_NE(pending, nullptr);
  EXPECT_EQ(std::get<std::string>(column(table, *pending, "status")), "pending");
  EXPECT_EQ(std::get<std::string>(column(table, *pending, "subject_id")), "b-pending");
  EXPECT_TRUE(std::holds_alternative<Null>(column(table, *pending, "resolved_at")));
  EXPECT_EQ(std::get<Timestamp>(column(table, *pending, "created_on")).unix_ms,
            at("2026-11-09T09:00:00Z"));
  const RowOp* rejected = row_of(approvals_batch, table, "approval_id", "ap-2");
  ASSERT_NE(rejected, nullptr);
  EXPECT_EQ(std::get<std::string>(column(table, *rejected, "status")), "rejected");
  EXPECT_EQ(std::get<std::string>(column(table, *rejected, "reviewed_by")), "u-2");
  EXPECT_EQ(std::get<std::string>(column(table, *rejected, "reviewer_notes")), "no");
  EXPECT_EQ(std::get<Timestamp>(column(table, *rejected, "resolved_at")).unix_ms,
            at("2025-03-02T09:00:00Z"));
  EXPECT_EQ(std::get<Timestamp>(column(table, *rejected, "sent_to_client_at")).unix_ms,
            at("2025-03-01T12:00:00Z"));
  EXPECT_EQ(std::get<Timestamp>(column(table, *rejected, "updated_at")).unix_ms,
            at("2025-03-02T09:00:00Z"));

  const RowBatch buys_batch = records.project(MediaBuys{});
  const TableSpec& buys = MediaBuys::buys_table();
  const RowOp* buy = row_of(buys_batch, buys, "media_buy_id", "b-pending");
  ASSERT_NE(buy, nullptr);
  EXPECT_TRUE(std::get<bool>(column(buys, *buy, "requires_approval")));
  EXPECT_EQ(std::get<std::string>(column(buys, *buy, "approval_id")), "ap-1");
  const RowOp* other = row_of(buys_batch, buys, "media_buy_id", "b-active");
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(std::get<bool>(column(buys, *other, "requires_approval")));
}

}  // namespace
}  // namespace lf::projections
