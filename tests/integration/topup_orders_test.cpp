// Top-up orders end to end, through the mock cluster and a real PostgreSQL
// (docs/domains/credits.md "Top-up orders"): an order created, paid by the
// payment webhook (delivered twice), partly consumed and refunded shows in
// credit_topup_orders with the seed's columns, and in credit_ledger and
// credit_balances as the credits granted and taken back; a failed order; a
// refund meeting an open hold, whose held rest lapses once the hold ends.
// `ledgerflow verify` passes and `ledgerflow rebuild credit_topup_orders`
// (from Kafka and from the archive) gives the same table.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/time.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

// One credit_topup_orders row, every column as PostgreSQL prints it
// (timestamps as Unix milliseconds); nullopt for NULL.
using Row = std::map<std::string, std::optional<std::string>>;

Row order_row(pqxx::connection& db, const std::string& tenant, const std::string& order_id) {
  pqxx::work work(db);
  const pqxx::result rows = work.exec_params(
      "SELECT razorpay_order_id, credits::text, amount_inr::text, amount_minor::text, currency, "
      "status, "
      "failure_reason, (extract(epoch FROM paid_at) * 1000)::bigint::text AS paid_at, "
      "(extract(epoch FROM expires_at) * 1000)::bigint::text AS expires_at, "
      "(extract(epoch FROM refunded_at) * 1000)::bigint::text AS refunded_at, "
      "credits_consumed::text, "
      "credits_expired::text, credits_taken_back::text, credits_held_over::text, "
      "(extract(epoch FROM created_at) * 1000)::bigint::text AS created_at, "
      "(extract(epoch FROM updated_at) * 1000)::bigint::text AS updated_at "
      "FROM credit_topup_orders WHERE tenant_id = $1 AND topup_order_id = $2",
      tenant, order_id);
  EXPECT_EQ(rows.size(), 1u) << "no credit_topup_orders row for " << order_id;
  Row row;
  if (rows.size() != 1) return row;
  for (const pqxx::field& field : rows[0]) {
    row[field.name()] = field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str());
  }
  return row;
}

std::optional<std::string> ms(const char* rfc3339) {
  return std::to_string(at(rfc3339));
}

struct Balance {
  int64_t available = 0;
  int64_t reserved = 0;
  int64_t topup = 0;
  int64_t consumed = 0;
  int64_t effective = 0;
};

Balance balance(pqxx::connection& db, const std::string& tenant) {
  pqxx::work work(db);
  const pqxx::row row = work.exec_params1(
      "SELECT credits_available, credits_reserved, credits_topup, credits_consumed, "
      "effective_available "
      "FROM credit_balances WHERE tenant_id = $1",
      tenant);
  return Balance{row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int64_t>(),
                 row[3].as<int64_t>(), row[4].as<int64_t>()};
}

// The tenant's ledger entries of `type`: "credits topup_order_id note".
std::vector<std::string> ledger_entries(pqxx::connection& db, const std::string& tenant,
                                        const std::string& type) {
  pqxx::work work(db);
  std::vector<std::string> entries;
  for (const pqxx::row& row : work.exec_params(
           "SELECT credits::text || ' ' || coalesce(topup_order_id, '-') || ' ' || coalesce(note, "
           "'-') "
           "FROM credit_ledger WHERE tenant_id = $1 AND type = $2 ORDER BY created_at, event_id",
           tenant, type)) {
    entries.push_back(row[0].as<std::string>());
  }
  return entries;
}

class Tenant {
 public:
  Tenant(Pipeline& pipeline, std::string id) : pipeline_(pipeline), id_(std::move(id)) {}
  const std::string& id() const { return id_; }

  ResultEnvelope send(const std::string& type, const std::string& payload,
                      const std::string& actor = "system") {
    return pipeline_.submit_one(
        id_, command_json(type, id_, "c" + std::to_string(++count_), payload, actor));
  }
  void accepted(const std::string& type, const std::string& payload,
                const std::string& actor = "system") {
    const ResultEnvelope result = send(type, payload, actor);
    EXPECT_EQ(result.status, ResultStatus::accepted)
        << type << " " << payload << ": " << result.reason << ": " << result.message;
  }

 private:
  Pipeline& pipeline_;
  std::string id_;
  int count_ = 0;
};

void expect_verified(Pipeline& pipeline) {
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  auto [code, output] = run_ledgerflow(pipeline, {"verify"}, "warn");
  EXPECT_EQ(code, 0) << output;
}

TEST(TopupOrders, CreatedPaidTwiceConsumedRefundedAndFailedAsTheSeedKeepsThem) {
  ManualClock clock(at("2026-11-10T12:00:00Z"));
  PipelineOptions options;
  options.clock = clock.function();
  Pipeline pipeline(options);
  Tenant tenant(pipeline, random_tenant());
  tenant.accepted(
      "credits.allocate",
      R"({"credits_monthly":1000,"period_start":"2026-11-01","period_end":"2026-11-30"})");
  // The platform's backend creates the order when the user picks a bundle.
  tenant.accepted("topup_order.create",
                  R"({"topup_order_id":"order_NxA1","credits":500,"amount":"499.00"})",
                  "user:u-17");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  Row row = order_row(pipeline.db(), tenant.id(), "order_NxA1");
  EXPECT_EQ(row["razorpay_order_id"], "order_NxA1");
  EXPECT_EQ(row["status"], "pending");
  EXPECT_EQ(row["credits"], "500");
  EXPECT_EQ(row["amount_inr"], "49900");  // paise
  EXPECT_EQ(row["amount_minor"], "49900");
  EXPECT_EQ(row["currency"], "INR");
  EXPECT_EQ(row["paid_at"], std::nullopt);
  EXPECT_EQ(row["expires_at"], std::nullopt);
  EXPECT_EQ(balance(pipeline.db(), tenant.id()).available, 1000);

  // payment.captured: paid and credited in one commit record.
  const ResultEnvelope paid = tenant.send(
      "topup_order.pay", R"({"topup_order_id":"order_NxA1","paid_at":"2026-11-10T11:59:58Z"})");
  ASSERT_EQ(paid.status, ResultStatus::accepted) << paid.reason << ": " << paid.message;
  EXPECT_EQ(paid.event_ids.size(), 2u);
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  row = order_row(pipeline.db(), tenant.id(), "order_NxA1");
  EXPECT_EQ(row["status"], "paid");
  EXPECT_EQ(row["paid_at"], ms("2026-11-10T11:59:58Z"));
  EXPECT_EQ(row["expires_at"], ms("2026-12-01T00:00:00Z"));  // the end of the billing month
  EXPECT_EQ(ledger_entries(pipeline.db(), tenant.id(), "topup"),
            std::vector<std::string>{"500 order_NxA1 -"});
  Balance after_pay = balance(pipeline.db(), tenant.id());
  EXPECT_EQ(after_pay.available, 1500);
  EXPECT_EQ(after_pay.topup, 500);

  // The webhook delivered again, as a new command: nothing changes.
  const std::vector<std::string> orders_before =
      table_contents(pipeline.db(), "credit_topup_orders");
  const std::vector<std::string> ledger_before = table_contents(pipeline.db(), "credit_ledger");
  const ResultEnvelope again = tenant.send("topup_order.pay", R"({"topup_order_id":"order_NxA1"})");
  EXPECT_EQ(again.status, ResultStatus::rejected);
  EXPECT_EQ(again.reason, "already_paid");
  EXPECT_NE(again.message.find("2026-11-10T11:59:58.000Z"), std::string::npos) << again.message;
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  EXPECT_EQ(table_contents(pipeline.db(), "credit_topup_orders"), orders_before);
  EXPECT_EQ(table_contents(pipeline.db(), "credit_ledger"), ledger_before);

  // Work consumes 200, drawn from the top-up first.
  tenant.accepted("credits.reserve", R"({"reservation_id":"r1","credits":300})", "agent:writer");
  tenant.accepted("credits.consume", R"({"reservation_id":"r1","credits":200})", "agent:writer");
  clock.advance(60'000);
  tenant.accepted("topup_order.refund",
                  R"({"topup_order_id":"order_NxA1","note":"customer asked"})", "support:desk");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  row = order_row(pipeline.db(), tenant.id(), "order_NxA1");
  EXPECT_EQ(row["status"], "refunded");
  EXPECT_EQ(row["refunded_at"], ms("2026-11-10T12:01:00Z"));
  EXPECT_EQ(row["paid_at"], ms("2026-11-10T11:59:58Z"));
  EXPECT_EQ(row["credits_consumed"], "200");
  EXPECT_EQ(row["credits_taken_back"], "300");
  EXPECT_EQ(row["credits_held_over"], "0");
  EXPECT_EQ(row["credits_expired"], "0");
  EXPECT_EQ(ledger_entries(pipeline.db(), tenant.id(), "topup_refunded"),
            std::vector<std::string>{"-300 order_NxA1 customer asked"});
  const Balance after_refund = balance(pipeline.db(), tenant.id());
  EXPECT_EQ(after_refund.available, after_pay.available - 200 - 300);
  EXPECT_EQ(after_refund.topup, 0);
  EXPECT_EQ(after_refund.consumed, 200);  // consumed stays consumed
  EXPECT_EQ(ledger_sum(pipeline.db(), tenant.id()), after_refund.effective);
  const ResultEnvelope refunded_again =
      tenant.send("topup_order.refund", R"({"topup_order_id":"order_NxA1"})");
  EXPECT_EQ(refunded_again.reason, "already_refunded");

  // A USD order whose payment fails: no amount_inr, the provider's reason kept.
  tenant.accepted("topup_order.create",
                  R"({"topup_order_id":"order_NxB2","credits":100,"amount":4.99,"currency":"USD"})",
                  "user:u-17");
  const ResultEnvelope forbidden =
      tenant.send("topup_order.fail", R"({"topup_order_id":"order_NxB2"})", "user:u-17");
  EXPECT_EQ(forbidden.reason, "forbidden");
  tenant.accepted("topup_order.fail",
                  R"({"topup_order_id":"order_NxB2","reason":"BAD_REQUEST_ERROR"})");
  const ResultEnvelope unknown =
      tenant.send("topup_order.pay", R"({"topup_order_id":"order_none"})");
  EXPECT_EQ(unknown.reason, "unknown_topup_order");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  row = order_row(pipeline.db(), tenant.id(), "order_NxB2");
  EXPECT_EQ(row["status"], "failed");
  EXPECT_EQ(row["failure_reason"], "BAD_REQUEST_ERROR");
  EXPECT_EQ(row["amount_inr"], std::nullopt);
  EXPECT_EQ(row["amount_minor"], "499");
  EXPECT_EQ(row["currency"], "USD");

  // Only this tenant's reader sees its orders.
  {
    pqxx::work work(pipeline.db());
    work.exec("SET LOCAL ROLE ledgerflow_reader");
    work.exec_params("SELECT set_config('ledgerflow.tenant_id', $1, true)", tenant.id());
    EXPECT_EQ(work.exec1("SELECT count(*) FROM credit_topup_orders")[0].as<int64_t>(), 2);
    work.exec_params("SELECT set_config('ledgerflow.tenant_id', $1, true)", random_tenant());
    EXPECT_EQ(work.exec1("SELECT count(*) FROM credit_topup_orders")[0].as<int64_t>(), 0);
  }

  expect_verified(pipeline);
  // verify reads the new table: a changed row is named. (Its CHECKs refuse
  // a refund whose figures do not add up to the order's credits.)
  const std::vector<std::string> live = table_contents(pipeline.db(), "credit_topup_orders");
  ASSERT_EQ(live.size(), 2u);
  {
    pqxx::work work(pipeline.db());
    work.exec(
        "UPDATE credit_topup_orders SET failure_reason = 'edited' WHERE topup_order_id = "
        "'order_NxB2'");
    work.commit();
  }
  auto [tampered_code, tampered_output] = run_ledgerflow(pipeline, {"verify"}, "warn");
  EXPECT_EQ(tampered_code, 1) << tampered_output;
  EXPECT_NE(tampered_output.find(
                "credit_topup_orders [tenant_id=" + tenant.id() +
                ", topup_order_id=order_NxB2] .failure_reason: expected BAD_REQUEST_ERROR, "
                "found edited"),
            std::string::npos)
      << tampered_output;
  // Rebuilt from the log, from Kafka and from the archive: the same table.
  for (const char* source : {"kafka", "archive"}) {
    {
      pqxx::work work(pipeline.db());
      work.exec("DELETE FROM credit_topup_orders WHERE topup_order_id = 'order_NxB2'");
      work.commit();
    }
    auto [code, output] =
        run_ledgerflow(pipeline, {"rebuild", "credit_topup_orders", "--from", source}, "warn");
    ASSERT_EQ(code, 0) << source << ": " << output;
    EXPECT_EQ(table_contents(pipeline.db(), "credit_topup_orders"), live) << source;
  }
  // The ledger's topup_refunded entries rebuild too.
  const std::vector<std::string> ledger = table_contents(pipeline.db(), "credit_ledger");
  auto [ledger_code, ledger_output] =
      run_ledgerflow(pipeline, {"rebuild", "credit_ledger"}, "warn");
  EXPECT_EQ(ledger_code, 0) << ledger_output;
  EXPECT_EQ(table_contents(pipeline.db(), "credit_ledger"), ledger);
  expect_verified(pipeline);
}

TEST(TopupOrders, ARefundMeetingAHoldLeavesItWholeAndTheRestLapsesWhenItEnds) {
  ManualClock clock(at("2026-11-10T12:00:00Z"));
  PipelineOptions options;
  options.clock = clock.function();
  Pipeline pipeline(options);
  Tenant tenant(pipeline, random_tenant());
  tenant.accepted("credits.allocate",
                  R"({"credits_monthly":0,"period_start":"2026-11-01","period_end":"2026-11-30"})");
  tenant.accepted("topup_order.create",
                  R"({"topup_order_id":"order_H1","credits":500,"amount_minor":49900})",
                  "user:u-1");
  tenant.accepted("topup_order.pay", R"({"topup_order_id":"order_H1"})");
  tenant.accepted("credits.reserve", R"({"reservation_id":"r1","credits":400})", "agent:writer");
  tenant.accepted("topup_order.refund", R"({"topup_order_id":"order_H1"})", "admin:ops");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  Row row = order_row(pipeline.db(), tenant.id(), "order_H1");
  EXPECT_EQ(row["credits_taken_back"], "100");
  EXPECT_EQ(row["credits_held_over"], "400");
  Balance held = balance(pipeline.db(), tenant.id());
  EXPECT_EQ(held.available, 400);
  EXPECT_EQ(held.reserved, 400);
  EXPECT_EQ(held.effective, 0);

  // The running work uses 250 of its hold; the 150 it did not use lapse.
  tenant.accepted("credits.consume", R"({"reservation_id":"r1","credits":250})", "agent:writer");
  // The engine checks its timers as its clock moves on (every 100 ms).
  clock.advance(1'000);
  ASSERT_TRUE(wait_until(
      [&] { return !ledger_entries(pipeline.db(), tenant.id(), "expired").empty(); }, 30s))
      << pipeline.service_failures();
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  EXPECT_EQ(ledger_entries(pipeline.db(), tenant.id(), "expired"),
            std::vector<std::string>{"-150 order_H1 -"});
  const Balance after = balance(pipeline.db(), tenant.id());
  EXPECT_EQ(after.available, 0);
  EXPECT_EQ(after.effective, 0);
  EXPECT_EQ(after.consumed, 250);
  EXPECT_EQ(ledger_sum(pipeline.db(), tenant.id()), 0);
  expect_verified(pipeline);
}

}  // namespace
}  // namespace lf::testing
