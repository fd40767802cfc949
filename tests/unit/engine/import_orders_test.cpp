// import.credit_topup_orders through the engine's pure path (intake checks,
// engine::decide, the event schema, engine::evolve, the state's
// invariants after every event): orders recorded without moving credits,
// checked against the tenant's imported ledger, and a later live webhook
// answered as the platform would have (already_paid, a refund taking back
// what is left of the ledger's top-up lot, a pending order paid).
#include <gtest/gtest.h>

#include "engine/credits/decider.hpp"
#include "engine/credits/import.hpp"
#include "engine/credits/import_orders.hpp"
#include "engine/intake.hpp"
#include "engine/tenant.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tests/support/json.hpp"
#include "tests/unit/engine/tenant_driver.hpp"

namespace lf::engine {
namespace {

namespace credits_ns = credits;
using credits::EntryType;
using credits::LedgerChunk;
using credits::LedgerEntry;
using credits::OrderRow;
using credits::OrdersChunk;
using credits::TopupOrderStatus;

constexpr const char* kTenant = "7a1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6c";
const std::string kImportA(64, 'a');
const std::string kImportB(64, 'b');

using testing::at;
using testing::expect_refused;

// The tenant as the engine holds it, driven command by command.
class Tenant : public testing::TenantDriver {
 public:
  explicit Tenant(int64_t now_ms) : TenantDriver(kTenant, now_ms) {}
  Decision import_orders(const OrdersChunk& chunk) {
    return run("import.credit_topup_orders", credits::encode_orders_chunk(chunk));
  }
  Decision import(const LedgerChunk& chunk) {
    return run("import.credit_ledger", credits::encode_ledger_chunk(chunk));
  }
};

LedgerEntry entry(int64_t line, EntryType type, int64_t credits, int64_t balance_after,
                  const char* created_at, std::optional<std::string> order = std::nullopt) {
  LedgerEntry e;
  e.line = line;
  e.type = type;
  e.credits = credits;
  e.balance_after = balance_after;
  e.created_at_ms = at(created_at);
  e.topup_order_id = std::move(order);
  return e;
}

// allocated 5000, order_1's 1000 credits topped up, 600 adjusted away
// (top-ups are drawn first: 400 of order_1's lot left).
LedgerChunk ledger() {
  LedgerChunk c;
  c.import_id = kImportA;
  c.chunk = 0;
  c.chunks = 1;
  c.source = credits::ImportSource{"ledger.csv", 2, 4};
  c.rows = {entry(2, EntryType::allocated, 5000, 5000, "2026-04-01T00:00:00Z"),
            entry(3, EntryType::topup, 1000, 6000, "2026-04-02T10:00:00Z", "order_1"),
            entry(4, EntryType::adjusted, -600, 5400, "2026-04-03T10:00:00Z")};
  c.expected_balance = credits::ExpectedBalance{
      5000, 5400, 0, 0, 400, *parse_date_days("2026-04-01"), *parse_date_days("2026-04-30")};
  return c;
}

OrderRow order(int64_t line, const std::string& id, TopupOrderStatus status, int64_t credits) {
  OrderRow row;
  row.line = line;
  row.topup_order_id = id;
  row.status = status;
  row.credits = credits;
  row.amount_minor = credits * 100;
  row.currency = "INR";
  row.created_at_ms = at("2026-04-02T09:55:00Z");
  row.expires_at_ms = at("2026-04-30T23:59:59Z");
  if (status == TopupOrderStatus::paid || status == TopupOrderStatus::refunded)
    row.paid_at_ms = at("2026-04-02T10:00:00Z");
  if (status == TopupOrderStatus::refunded) row.refunded_at_ms = at("2026-04-05T10:00:00Z");
  return row;
}

OrdersChunk orders_of(std::vector<OrderRow> rows, const std::string& import_id = kImportB,
                      bool append = false) {
  OrdersChunk c;
  c.import_id = import_id;
  c.chunk = 0;
  c.chunks = 1;
  c.append = append;
  c.source = credits::ImportSource{"orders.csv", rows.front().line, rows.back().line};
  c.rows = std::move(rows);
  return c;
}

const int64_t kNow = at("2026-04-20T12:00:00Z");

Tenant with_ledger() {
  Tenant tenant(kNow);
  const Decision imported = tenant.import(ledger());
  EXPECT_TRUE(imported.accepted()) << imported.rejection().message;
  return tenant;
}

TEST(ImportOrders, OrdersAreRecordedWithoutGrantingCreditsAgain) {
  Tenant tenant = with_ledger();
  const credits_ns::Balance before = credits_ns::balance_of(tenant.credits().book);
  const Decision decision =
      tenant.import_orders(orders_of({order(2, "order_1", TopupOrderStatus::paid, 1000),
                                      order(3, "order_2", TopupOrderStatus::pending, 300),
                                      order(4, "order_3", TopupOrderStatus::failed, 300)}));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  ASSERT_EQ(decision.events().size(), 1u);
  EXPECT_EQ(decision.events()[0].type, "topup_order.imported");
  EXPECT_EQ(credits_ns::balance_of(tenant.credits().book), before);
  const auto& orders = tenant.credits().topup_orders;
  ASSERT_EQ(orders.size(), 3u);
  EXPECT_EQ(orders.at("order_1").status, TopupOrderStatus::paid);
  EXPECT_EQ(orders.at("order_1").paid_at_ms, at("2026-04-02T10:00:00Z"));
  EXPECT_EQ(orders.at("order_2").status, TopupOrderStatus::pending);
  EXPECT_EQ(orders.at("order_3").status, TopupOrderStatus::failed);
  // The event keeps the original times.
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads().back());
  const rapidjson::Value& rows = (*payload)["orders"];
  ASSERT_EQ(rows.Size(), 3u);
  EXPECT_EQ(json_string(rows[0], "created_at"), "2026-04-02T09:55:00.000Z");
  EXPECT_EQ(json_string(rows[0], "paid_at"), "2026-04-02T10:00:00.000Z");
  EXPECT_EQ(json_int64(rows[0], "line"), 2);
}

TEST(ImportOrders, LiveWebhooksAfterTheImportAreAnsweredAsOnThePlatform) {
  Tenant tenant = with_ledger();
  ASSERT_TRUE(tenant
                  .import_orders(orders_of({order(2, "order_1", TopupOrderStatus::paid, 1000),
                                            order(3, "order_2", TopupOrderStatus::pending, 300)}))
                  .accepted());
  // The payment webhook of the imported paid order, delivered again.
  expect_refused(tenant.run("topup_order.pay", R"({"topup_order_id":"order_1"})"), "already_paid",
                 "order_1");
  // A pending order paid live grants its credits once.
  const int64_t effective_before = credits_ns::effective_available(tenant.credits().book);
  const Decision paid = tenant.run("topup_order.pay", R"({"topup_order_id":"order_2"})");
  ASSERT_TRUE(paid.accepted()) << paid.rejection().message;
  EXPECT_EQ(credits_ns::effective_available(tenant.credits().book), effective_before + 300);
  // A refund of the imported order takes back what is left of the ledger's
  // lot (400 of 1000) and says the rest was consumed.
  const Decision refunded =
      tenant.run("topup_order.refund", R"({"topup_order_id":"order_1","note":"chargeback"})");
  ASSERT_TRUE(refunded.accepted()) << refunded.rejection().message;
  std::unique_ptr<rapidjson::Document> payload =
      testing::parse_json(refunded.events()[0].payload_json);
  EXPECT_EQ(json_int64(*payload, "credits_taken_back"), 400);
  EXPECT_EQ(json_int64(*payload, "credits_consumed"), 600);
  EXPECT_EQ(credits_ns::effective_available(tenant.credits().book), effective_before + 300 - 400);
}

TEST(ImportOrders, OrdersThatDisagreeWithTheLedgerAreRefusedWithTheirLine) {
  Tenant tenant = with_ledger();
  expect_refused(tenant.import_orders(orders_of({order(2, "order_1", TopupOrderStatus::paid, 1000),
                                                 order(3, "order_9", TopupOrderStatus::paid, 50)})),
                 "order_not_credited", "orders.csv:3: top-up order order_9 (paid): no topup entry");
  expect_refused(
      tenant.import_orders(orders_of({order(5, "order_1", TopupOrderStatus::pending, 1000)})),
      "order_mismatch",
      "orders.csv:5: top-up order order_1 (pending): the tenant's "
      "ledger credited this order");
  expect_refused(
      tenant.import_orders(orders_of({order(2, "order_1", TopupOrderStatus::paid, 300)})),
      "order_mismatch", "is for 300 credits, but its top-up lot still has 400");
  expect_refused(
      tenant.import_orders(orders_of({order(2, "order_1", TopupOrderStatus::refunded, 1000)})),
      "order_mismatch", "its top-up lot still has 400 credits");
  // Nothing of the refused chunks was recorded.
  EXPECT_TRUE(tenant.credits().topup_orders.empty());
  EXPECT_EQ(tenant.credits().imports.by_kind.count("credit_topup_orders"), 0u);
}

TEST(ImportOrders, ReRunsConflictsAndLiveEvents) {
  Tenant tenant = with_ledger();
  const OrdersChunk chunk = orders_of({order(2, "order_1", TopupOrderStatus::paid, 1000)});
  ASSERT_TRUE(tenant.import_orders(chunk).accepted());
  expect_refused(tenant.import_orders(chunk), "already_imported", "chunk 0 of 1");
  expect_refused(tenant.import_orders(orders_of({order(2, "order_2", TopupOrderStatus::failed, 10)},
                                                std::string(64, 'c'))),
                 "import_conflict", "credit_topup_orders was imported from other rows");
  // With --append, more orders; an order already known is a duplicate.
  expect_refused(tenant.import_orders(orders_of({order(2, "order_1", TopupOrderStatus::paid, 1000)},
                                                std::string(64, 'c'), true)),
                 "duplicate_topup_order", "top-up order order_1 exists (paid)");
  ASSERT_TRUE(tenant
                  .import_orders(orders_of({order(2, "order_2", TopupOrderStatus::failed, 10)},
                                           std::string(64, 'd'), true))
                  .accepted());

  // A tenant with live credits events needs --append.
  Tenant live(kNow);
  ASSERT_TRUE(
      live.run("credits.allocate",
               R"({"credits_monthly":100,"period_start":"2026-04-01","period_end":"2026-04-30"})")
          .accepted());
  expect_refused(
      live.import_orders(orders_of({order(2, "order_5", TopupOrderStatus::pending, 10)})),
      "tenant_has_live_events", "--append");
  EXPECT_TRUE(live.import_orders(orders_of({order(2, "order_5", TopupOrderStatus::pending, 10)},
                                           kImportB, true))
                  .accepted());
}

TEST(ImportOrders, ALedgerTopupOfAnImportedOrderIsRefused) {
  // Orders first (a pending order), then a ledger crediting it: the order's
  // credits would come twice once it is paid.
  Tenant tenant(kNow);
  ASSERT_TRUE(
      tenant.import_orders(orders_of({order(2, "order_1", TopupOrderStatus::pending, 1000)}))
          .accepted());
  expect_refused(tenant.import(ledger()), "duplicate_topup_order",
                 "ledger.csv:3: top-up order order_1 is an order of this tenant (pending)");
}

}  // namespace
}  // namespace lf::engine
