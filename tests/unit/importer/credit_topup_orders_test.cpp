// The credit_topup_orders kind from CSV: the seed's columns read into the
// command's rows (paise, times to the millisecond, refunded_at else
// updated_at), bad rows refused with their line, and the CLI's pre-check
// refusing what the engine would refuse without the tenant's ledger.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/credits/import_orders.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "22222222-2222-4222-8222-222222222222";
const std::string kHeader =
    "id,tenant_id,razorpay_order_id,credits,amount_inr,status,paid_at,expires_at,created_at,"
    "updated_at\n";

std::string order(const std::string& id, const std::string& status, const std::string& paid_at,
                  const std::string& credits = "500", const std::string& updated_at = "") {
  return "o-" + id + "," + kTenant + "," + id + "," + credits + ",49900," + status + "," + paid_at +
         ",2026-04-30 23:59:59+05:30,2026-04-02 10:00:00.123456+05:30," + updated_at + "\n";
}

LoadedRows load(const std::string& text) {
  RowLoader loader(*find_kind("credit_topup_orders"));
  std::istringstream in(text);
  Result<bool> added = loader.add("orders.csv", in);
  EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  return loader.take();
}

std::vector<engine::credits::OrdersChunk> chunks_of(const TenantPlan& plan) {
  std::vector<engine::credits::OrdersChunk> chunks;
  for (const std::string& payload : plan.payloads) {
    Result<std::unique_ptr<rapidjson::Document>> document =
        parse_json_bounded(payload, JsonLimits{});
    EXPECT_TRUE(document.ok()) << payload;
    Result<engine::credits::OrdersChunk> chunk =
        engine::credits::parse_orders_chunk(document->get());
    EXPECT_TRUE(chunk.ok()) << chunk.error().message;
    chunks.push_back(*chunk);
  }
  return chunks;
}

std::optional<engine::Rejection> precheck(const LoadedRows& loaded) {
  const KindSpec& kind = *find_kind("credit_topup_orders");
  const TenantPlan plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
  return kind.precheck(PrecheckInput{kTenant, plan.payloads, false, 0});
}

TEST(ImportOrders, SeedColumnsBecomeTheCommandsRows) {
  const LoadedRows loaded =
      load(kHeader + order("order_A", "paid", "2026-04-02 10:05:00+05:30") +
           order("order_B", "pending", "") +
           order("order_C", "refunded", "2026-04-03 09:00:00+00", "200", "2026-04-05 12:00:00+00"));
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  const KindSpec& kind = *find_kind("credit_topup_orders");
  const TenantPlan plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
  const std::vector<engine::credits::OrdersChunk> chunks = chunks_of(plan);
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_EQ(chunks[0].rows.size(), 3u);
  const engine::credits::OrderRow& paid = chunks[0].rows[0];
  EXPECT_EQ(paid.line, 2);
  EXPECT_EQ(paid.topup_order_id, "order_A");
  EXPECT_EQ(paid.status, engine::credits::TopupOrderStatus::paid);
  EXPECT_EQ(paid.credits, 500);
  EXPECT_EQ(paid.amount_minor, 49900);
  EXPECT_EQ(paid.currency, "INR");
  EXPECT_EQ(paid.created_at_ms, *parse_rfc3339_ms("2026-04-02T04:30:00.123Z"));
  EXPECT_EQ(paid.paid_at_ms, parse_rfc3339_ms("2026-04-02T04:35:00Z"));
  EXPECT_EQ(paid.expires_at_ms, parse_rfc3339_ms("2026-04-30T18:29:59Z"));
  EXPECT_EQ(paid.refunded_at_ms, std::nullopt);
  EXPECT_EQ(chunks[0].rows[1].paid_at_ms, std::nullopt);
  // No refunded_at column: a refunded order's time is its updated_at.
  EXPECT_EQ(chunks[0].rows[2].refunded_at_ms, parse_rfc3339_ms("2026-04-05T12:00:00Z"));
  // Nothing the engine could tell without the ledger is wrong here.
  EXPECT_EQ(kind.precheck(PrecheckInput{kTenant, plan.payloads, false, 0}), std::nullopt);
}

TEST(ImportOrders, BadRowsAreRefusedWithTheirLine) {
  const LoadedRows loaded =
      load(kHeader + order("order_A", "captured", "") +
           order("order_B", "paid", "2026-04-02 10:05:00+05:30", "0") + order("", "pending", "") +
           order("order_D", "paid", "2026-04-02 10:05:00") + order("order_E", "pending", ""));
  ASSERT_EQ(loaded.refused.size(), 4u);
  EXPECT_EQ(loaded.refused[0].line, 2);
  EXPECT_EQ(loaded.refused[0].tenant_id, kTenant);
  EXPECT_EQ(loaded.refused[0].message,
            "column status: 'captured' is none of pending, paid, failed, refunded");
  EXPECT_EQ(loaded.refused[1].message, "column credits: not an integer from 1 to 10^15");
  EXPECT_EQ(loaded.refused[2].message, "column razorpay_order_id: empty (NULL or \"\")");
  EXPECT_EQ(loaded.refused[3].line, 5);
  EXPECT_EQ(loaded.refused[3].message, "column paid_at: not a timestamp with a time zone");
  EXPECT_EQ(loaded.by_tenant.at(kTenant).size(), 1u);
}

TEST(ImportOrders, PrecheckRefusesABrokenLifecycleOrADuplicateNamingFileAndLine) {
  // Paid without paid_at.
  std::optional<engine::Rejection> refused = precheck(load(kHeader + order("order_A", "paid", "")));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "invalid_row");
  EXPECT_EQ(refused->message, "orders.csv:2: top-up order order_A (paid) has no paid_at");
  // Pending with a paid_at.
  refused = precheck(load(kHeader + order("order_A", "failed", "2026-04-02 10:05:00+00")));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->message, "orders.csv:2: top-up order order_A (failed) has a paid_at");
  // Paid before it was created.
  refused = precheck(load(kHeader + order("order_A", "paid", "2026-04-01 10:05:00+00")));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "invalid_row");
  EXPECT_NE(refused->message.find("was paid at 2026-04-01T10:05:00.000Z, before it was created"),
            std::string::npos)
      << refused->message;
  // Refunded with no time for it.
  refused = precheck(load(kHeader + order("order_A", "refunded", "2026-04-03 10:05:00+00")));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "invalid_row");
  // The same order twice.
  refused = precheck(load(kHeader + order("order_A", "pending", "") +
                          order("order_A", "paid", "2026-04-03 10:05:00+00")));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "duplicate_topup_order");
  EXPECT_EQ(refused->message, "orders.csv:3: top-up order order_A exists (pending)");
}

}  // namespace
}  // namespace lf::importer
