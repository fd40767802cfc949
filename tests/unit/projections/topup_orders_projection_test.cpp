// credit_topup_orders and the ledger's topup_refunded entry: the partition
// core's real commit records of an order's life in, row changes out.
#include <gtest/gtest.h>

#include "engine/partition.hpp"
#include "events/time.hpp"
#include "projections/credit_ledger/projection.hpp"
#include "projections/credit_topup_orders/projection.hpp"
#include "projections/registry.hpp"
#include "tests/unit/projections/partition_records.hpp"

namespace lf::projections {
namespace {

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
const int64_t kNow = *parse_rfc3339_ms("2026-11-10T12:00:00Z");

// The partition core's records of the commands run, each accepted.
class Records : public testing::PartitionRecords {
 public:
  Records() : PartitionRecords(kTenant, kNow, 11) {}
  void run(const std::string& type, const std::string& payload) { run_accepted(type, payload); }
};

// The merged row of `order_id` (an insert with every later patch folded in).
const RowOp* order_row(const RowBatch& batch, const std::string& order_id) {
  const TableSpec& table = CreditTopupOrders::table();
  for (const auto& group : batch.tables()) {
    if (group.table != &table) continue;
    for (const RowOp& op : group.ops) {
      if (std::get<std::string>(op.values[table.column_index("topup_order_id")]) == order_id)
        return &op;
    }
  }
  return nullptr;
}

const Value& column(const RowOp& op, const char* name) {
  return op.values[CreditTopupOrders::table().column_index(name)];
}

TEST(TopupOrdersProjection, AnOrdersLifeIsOneRowInTheSeedsShape) {
  Records records;
  records.run("credits.allocate",
              R"({"credits_monthly":1000,"period_start":"2026-11-01","period_end":"2026-11-30"})");
  records.run("topup_order.create",
              R"({"topup_order_id":"order_A","credits":500,"amount":"499.00"})");
  records.run("topup_order.pay",
              R"({"topup_order_id":"order_A","paid_at":"2026-11-10T11:59:00Z"})");
  records.run("credits.reserve", R"({"reservation_id":"r1","credits":300})");
  records.run("credits.consume", R"({"reservation_id":"r1","credits":200})");
  records.run("topup_order.refund", R"({"topup_order_id":"order_A","note":"chargeback"})");
  records.run("topup_order.create",
              R"({"topup_order_id":"order_B","credits":10,"amount":4.99,"currency":"USD"})");
  records.run("topup_order.fail", R"({"topup_order_id":"order_B","reason":"declined"})");
  const RowBatch batch = records.project(CreditTopupOrders{});

  const RowOp* a = order_row(batch, "order_A");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->kind, RowOpKind::insert);  // created, then patched within the batch
  EXPECT_EQ(std::get<std::string>(column(*a, "razorpay_order_id")), "order_A");
  EXPECT_EQ(std::get<std::string>(column(*a, "status")), "refunded");
  EXPECT_EQ(std::get<int64_t>(column(*a, "amount_inr")), 49900);
  EXPECT_EQ(std::get<int64_t>(column(*a, "amount_minor")), 49900);
  EXPECT_EQ(std::get<Timestamp>(column(*a, "paid_at")).unix_ms,
            *parse_rfc3339_ms("2026-11-10T11:59:00Z"));
  EXPECT_EQ(std::get<Timestamp>(column(*a, "expires_at")).unix_ms,
            *parse_rfc3339_ms("2026-12-01T00:00:00Z"));
  EXPECT_EQ(std::get<Timestamp>(column(*a, "refunded_at")).unix_ms, kNow);
  EXPECT_EQ(std::get<int64_t>(column(*a, "credits_consumed")), 200);
  EXPECT_EQ(std::get<int64_t>(column(*a, "credits_taken_back")), 300);
  EXPECT_EQ(std::get<int64_t>(column(*a, "credits_held_over")), 0);
  EXPECT_EQ(std::get<int64_t>(column(*a, "credits_expired")), 0);

  const RowOp* b = order_row(batch, "order_B");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(std::get<std::string>(column(*b, "status")), "failed");
  EXPECT_EQ(std::get<std::string>(column(*b, "failure_reason")), "declined");
  EXPECT_TRUE(std::holds_alternative<Null>(column(*b, "amount_inr")));  // not INR
  EXPECT_EQ(std::get<int64_t>(column(*b, "amount_minor")), 499);
  EXPECT_EQ(std::get<std::string>(column(*b, "currency")), "USD");
  EXPECT_TRUE(std::holds_alternative<Null>(column(*b, "paid_at")));

  // The ledger: the grant as topup, the take-back as topup_refunded.
  const TableSpec& ledger = CreditLedger::table();
  std::vector<std::pair<std::string, int64_t>> entries;
  int64_t sum = 0;
  const RowBatch ledger_batch = records.project(CreditLedger{});
  for (const auto& group : ledger_batch.tables()) {
    for (const RowOp& op : group.ops) {
      const int64_t credits = std::get<int64_t>(op.values[ledger.column_index("credits")]);
      sum += credits;
      entries.emplace_back(std::get<std::string>(op.values[ledger.column_index("type")]), credits);
      if (entries.back().first == "topup_refunded") {
        EXPECT_EQ(std::get<std::string>(op.values[ledger.column_index("note")]), "chargeback");
        EXPECT_EQ(std::get<std::string>(op.values[ledger.column_index("topup_order_id")]),
                  "order_A");
        EXPECT_EQ(std::get<int64_t>(op.values[ledger.column_index("balance_after")]), sum);
      }
    }
  }
  EXPECT_EQ(entries, (std::vector<std::pair<std::string, int64_t>>{{"allocated", 1000},
                                                                   {"topup", 500},
                                                                   {"reserved", -300},
                                                                   {"released", 300},
                                                                   {"consumed", -200},
                                                                   {"topup_refunded", -300}}));
  EXPECT_EQ(ledger_entry_type("credits.topup_refunded"), "topup_refunded");
  EXPECT_LE(std::string("topup_refunded").size(), 20u);  // the seed's varchar(20)
}

TEST(TopupOrdersProjection, ParksTheUnknownEventsOfOrdersOnly) {
  const CreditTopupOrders projection;
  EXPECT_EQ(projection.unknown_event_policy("topup_order.chargeback_opened"),
            UnknownEventPolicy::park);
  EXPECT_EQ(projection.unknown_event_policy("credits.something_new"), UnknownEventPolicy::skip);
  ASSERT_NE(make_projection("credit_topup_orders"), nullptr);
}

}  // namespace
}  // namespace lf::projections
