// `ledgerflow import credit_ledger` as an operator runs it (the real binary)
// against a live pipeline (mock cluster, engine, projectors, PostgreSQL):
// a good tenant lands with its original times and the balances file's
// figures while bad ones are refused with file:line:reason and leave
// nothing; a mismatched balance says by how much; a re-run changes nothing;
// a run killed with -9 resumes to exactly the rows of the file; a tenant
// with live events needs --append; live commands work on imported
// balances; verify passes and a rebuild gives the same table.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "consumers/import/engine_state.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

const std::string kLedgerHeader =
    "id,tenant_id,type,credits,activity_run_id,deliverable_type,topup_order_id,balance_after,actor,"
    "note,created_at\n";
const std::string kBalancesHeader =
    "id,tenant_id,credits_monthly,credits_available,credits_reserved,credits_consumed,credits_"
    "topup,period_start,"
    "period_end,next_reset_at\n";

// The first day of this UTC month, and an instant `seconds` into it, as
// PostgreSQL writes a timestamptz.
std::string month_start_date() {
  return format_date_days(static_cast<int32_t>(system_now_ms() / kMillisPerDay)).substr(0, 8) +
         "01";
}
int64_t month_start_ms() {
  return static_cast<int64_t>(*parse_date_days(month_start_date())) * kMillisPerDay;
}
std::string month_end_date() {
  const int32_t start = *parse_date_days(month_start_date());
  const int32_t next = *parse_date_days(format_date_days(start + 32).substr(0, 8) + "01");
  return format_date_days(next - 1);
}
std::string pg_time(int64_t seconds) {
  std::string text =
      format_rfc3339_ms(month_start_ms() + seconds * 1000);  // YYYY-MM-DDTHH:MM:SS.mmmZ
  text[10] = ' ';
  return text.substr(0, 23) + "+00";
}

// One tenant's ledger as the seed writes it, with its running balance.
class Ledger {
 public:
  explicit Ledger(std::string tenant) : tenant_(std::move(tenant)) {}
  Ledger& add(const std::string& type, int64_t credits, const std::string& run = "",
              const std::string& order = "", const std::string& note = "",
              std::optional<int64_t> balance_after = std::nullopt) {
    balance_ += credits;
    const int64_t seconds = static_cast<int64_t>(rows_.size()) * 60;
    rows_.push_back(random_tenant() + "," + tenant_ + "," + type + "," + std::to_string(credits) +
                    "," + run + ",," + order + "," +
                    std::to_string(balance_after.value_or(balance_)) + ",system," + note + "," +
                    pg_time(seconds) + "\n");
    times_.push_back(month_start_ms() + seconds * 1000);
    return *this;
  }
  // allocated, a top-up, runs reserving and consuming (released first), one
  // hold left open: `runs` runs.
  Ledger& typical(int runs) {
    add("allocated", 100'000).add("topup", 5000, "", "order-" + tenant_.substr(0, 8));
    for (int i = 0; i < runs; ++i) {
      const std::string run = "run-" + std::to_string(i) + "-" + tenant_.substr(0, 8);
      add("reserved", -30, run).add("released", 30, run).add("consumed", -(10 + i % 20), run);
    }
    return add("reserved", -70, "open-" + tenant_.substr(0, 8));
  }
  std::string csv() const {
    std::string text;
    for (const std::string& row : rows_) text += row;
    return text;
  }
  std::size_t size() const { return rows_.size(); }
  int64_t balance() const { return balance_; }
  const std::vector<int64_t>& times() const { return times_; }
  const std::string& tenant() const { return tenant_; }

 private:
  std::string tenant_;
  std::vector<std::string> rows_;
  std::vector<int64_t> times_;
  int64_t balance_ = 0;
};

// The tenant's credit_balances row: what the typical ledger ends at.
std::string balances_row(const std::string& tenant, int64_t available, int64_t reserved,
                         int64_t consumed, int64_t topup) {
  return random_tenant() + "," + tenant + ",100000," + std::to_string(available) + "," +
         std::to_string(reserved) + "," + std::to_string(consumed) + "," + std::to_string(topup) +
         "," + month_start_date() + "," + month_end_date() + ",\n";
}

// Consumed and top-up left over by Ledger::typical(runs).
int64_t typical_consumed(int runs) {
  int64_t consumed = 0;
  for (int i = 0; i < runs; ++i) consumed += 10 + i % 20;
  return consumed;
}
std::string typical_balances_row(const std::string& tenant, int runs) {
  const int64_t consumed = typical_consumed(runs);
  const int64_t topup = std::max<int64_t>(0, 5000 - consumed);
  return balances_row(tenant, 105'000 - consumed, 70, consumed, topup);
}

class ImportTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "/" + random_tenant().substr(0, 8) + "-" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::map<std::string, std::string> environment() {
    return {{"KAFKA_BOOTSTRAP", pipeline_.kafka().settings().bootstrap},
            {"DATABASE_URL", pipeline_.database_url()},
            {"LEDGERFLOW_TOPIC_PREFIX", pipeline_.topics().prefix},
            {"LEDGERFLOW_LOG_LEVEL", "info"}};
  }
  // Runs `ledgerflow <args>`: exit code, standard output, standard error.
  std::tuple<int, std::string, std::string> ledgerflow(std::vector<std::string> args) {
    std::vector<std::string> argv{ledgerflow_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string errors = ::testing::TempDir() + "/" + random_tenant() + ".stderr";
    ChildProcess child(argv, environment(), errors);
    std::string output = child.read_all(300s);
    const std::optional<int> code = child.wait(60s);
    std::ifstream in(errors);
    std::stringstream err;
    err << in.rdbuf();
    return {code.value_or(-1), output, err.str()};
  }
  std::vector<std::vector<std::string>> rows(const std::string& sql, const std::string& tenant) {
    pqxx::work work(pipeline_.db());
    std::vector<std::vector<std::string>> out;
    for (const pqxx::row& row : work.exec_params(sql, tenant)) {
      std::vector<std::string> values;
      for (const pqxx::field& field : row)
        values.push_back(field.is_null() ? "NULL" : field.c_str());
      out.push_back(std::move(values));
    }
    return out;
  }
  int64_t count(const std::string& table, const std::string& tenant) {
    pqxx::work work(pipeline_.db());
    return work.exec_params1("SELECT count(*) FROM " + table + " WHERE tenant_id = $1", tenant)[0]
        .as<int64_t>();
  }
  // Every read table of the tenant (their key columns aside where they are ULIDs).
  std::string tables_of(const std::string& tenant) {
    std::string text;
    for (const auto& row :
         rows("SELECT event_id, type, credits, reservation_id, activity_run_id, topup_order_id, "
              "balance_after, actor, note, command_id, (extract(epoch FROM "
              "created_at)*1000)::bigint "
              "FROM credit_ledger WHERE tenant_id = $1 ORDER BY event_id",
              tenant)) {
      for (const std::string& value : row) text += value + "|";
      text += "\n";
    }
    for (const auto& row : rows("SELECT * FROM credit_balances WHERE tenant_id = $1", tenant)) {
      for (const std::string& value : row) text += value + "|";
      text += "\n";
    }
    for (const auto& row :
         rows("SELECT * FROM credit_reservations WHERE tenant_id = $1 ORDER BY reservation_id",
              tenant)) {
      for (const std::string& value : row) text += value + "|";
      text += "\n";
    }
    return text;
  }
  // The credit_ledger rows equal the file's, in order, each once, at its original time.
  void expect_ledger_is(const Ledger& ledger) {
    const auto found = rows(
        "SELECT type, credits, balance_after, (extract(epoch FROM created_at)*1000)::bigint "
        "FROM credit_ledger WHERE tenant_id = $1 ORDER BY event_id",
        ledger.tenant());
    ASSERT_EQ(found.size(), ledger.size());
    int64_t balance = 0;
    for (std::size_t i = 0; i < found.size(); ++i) {
      balance += std::stoll(found[i][1]);
      EXPECT_EQ(std::stoll(found[i][2]), balance) << i;
      EXPECT_EQ(std::stoll(found[i][3]), ledger.times()[i]) << i;
    }
    EXPECT_EQ(balance, ledger.balance());
  }
  void expect_balance(const std::string& tenant, int64_t available, int64_t reserved,
                      int64_t consumed, int64_t topup) {
    const auto found = rows(
        "SELECT credits_monthly, credits_available, credits_reserved, credits_consumed, "
        "credits_topup, period_start::text, period_end::text FROM credit_balances WHERE tenant_id "
        "= $1",
        tenant);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0], (std::vector<std::string>{"100000", std::to_string(available),
                                                  std::to_string(reserved),
                                                  std::to_string(consumed), std::to_string(topup),
                                                  month_start_date(), month_end_date()}));
  }
  void expect_verified() {
    auto [code, output, errors] = ledgerflow({"verify"});
    EXPECT_EQ(code, 0) << output << errors;
    EXPECT_EQ(output, "");
  }

  Pipeline pipeline_;
};

TEST_F(ImportTest, GoodTenantsLandBadOnesAreRefusedWithFileLineAndReason) {
  Ledger good(random_tenant());
  good.typical(40);
  Ledger negative(random_tenant());
  negative.add("allocated", 100)
      .add("reserved", -80, "r-1")
      .add("consumed", -80, "r-1", "", "", -60);
  Ledger unknown(random_tenant());
  unknown.add("allocated", 100).add("consumed", -10, "never-reserved");
  Ledger mismatch(random_tenant());
  mismatch.typical(3);
  const std::string ledger = write(
      "ledger.csv", kLedgerHeader + good.csv() + negative.csv() + unknown.csv() + mismatch.csv());
  const int64_t mismatch_consumed = typical_consumed(3);
  const std::string balances =
      write("balances.csv", kBalancesHeader + typical_balances_row(good.tenant(), 40) +
                                balances_row(negative.tenant(), 100, 0, 80, 0) +
                                balances_row(unknown.tenant(), 90, 0, 10, 0) +
                                balances_row(mismatch.tenant(), 105'000 - mismatch_consumed + 25,
                                             70, mismatch_consumed, 5000 - mismatch_consumed));
  auto [code, output, errors] =
      ledgerflow({"import", "credit_ledger", ledger, "--balances", balances});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(
      output.find("imported " + std::to_string(good.size()) + " rows of 1 tenants; 3 refused"),
      std::string::npos)
      << output;
  // One line per refused tenant, naming the file, the line and the reason.
  const std::size_t negative_line = 2 + good.size() + 2;  // the header is line 1
  EXPECT_NE(
      errors.find("tenant " + negative.tenant() + " refused: negative_balance: " + ledger + ":" +
                  std::to_string(negative_line) + ": the running balance would go negative: -60"),
      std::string::npos)
      << errors;
  EXPECT_NE(errors.find("tenant " + unknown.tenant() + " refused: unknown_reservation: " + ledger +
                        ":" + std::to_string(negative_line + 2) +
                        ": consumed 10 credits for activity_run_id never-reserved"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("tenant " + mismatch.tenant() +
                        " refused: balance_mismatch: the tenant's credit_balances row: "
                        "credits_available is " +
                        std::to_string(105'000 - mismatch_consumed) + " after the ledger, " +
                        std::to_string(105'000 - mismatch_consumed + 25) +
                        " in credit_balances (off by -25)"),
            std::string::npos)
      << errors;
  for (const Ledger* refused : {&negative, &unknown, &mismatch}) {
    for (const char* table :
         {"credit_ledger", "credit_balances", "credit_reservations", "event_log"}) {
      EXPECT_EQ(count(table, refused->tenant()), 0) << table;
    }
  }
  expect_ledger_is(good);
  const int64_t consumed = typical_consumed(40);
  expect_balance(good.tenant(), 105'000 - consumed, 70, consumed, 5000 - consumed);
  EXPECT_EQ(count("credit_reservations", good.tenant()), 41);
  expect_verified();

  // A rebuild of credit_ledger from the log gives the same table.
  const std::string before = tables_of(good.tenant());
  auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", "credit_ledger"});
  EXPECT_EQ(rebuilt, 0) << rebuild_errors;
  EXPECT_EQ(tables_of(good.tenant()), before);

  // A re-run changes nothing and says the rows were imported already.
  auto [again, again_output, again_errors] =
      ledgerflow({"import", "credit_ledger", ledger, "--balances", balances});
  EXPECT_EQ(again, 1);  // the bad tenants are still bad
  EXPECT_NE(again_output.find("imported 0 rows of 1 tenants"), std::string::npos) << again_output;
  EXPECT_NE(again_output.find(std::to_string(good.size()) + " rows already imported"),
            std::string::npos)
      << again_output;
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(tables_of(good.tenant()), before);
  expect_verified();

  // Live commands work on the imported balance; the open hold is closed by its name.
  const int64_t effective = 105'000 - consumed - 70;
  const std::string tenant = good.tenant();
  EXPECT_EQ(pipeline_
                .submit_one(tenant, command_json("credits.reserve", tenant, "live-1",
                                                 R"({"reservation_id":"live-r","credits":)" +
                                                     std::to_string(effective + 1) + "}"))
                .reason,
            "insufficient_credits");
  EXPECT_EQ(pipeline_
                .submit_one(tenant, command_json("credits.reserve", tenant, "live-2",
                                                 R"({"reservation_id":"live-r","credits":)" +
                                                     std::to_string(effective) + "}"))
                .status,
            ResultStatus::accepted);
  EXPECT_EQ(pipeline_
                .submit_one(tenant, command_json("credits.consume", tenant, "live-3",
                                                 R"({"reservation_id":"open-)" +
                                                     tenant.substr(0, 8) + R"(","credits":1})"))
                .reason,
            "unknown_reservation");
  EXPECT_EQ(pipeline_
                .submit_one(tenant, command_json("credits.consume", tenant, "live-4",
                                                 R"({"reservation_id":"import:open-)" +
                                                     tenant.substr(0, 8) + R"(","credits":50})"))
                .status,
            ResultStatus::accepted);
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(
      rows(
          "SELECT status, credits_consumed::text FROM credit_reservations WHERE tenant_id = $1 AND "
          "reservation_id LIKE 'import:open-%'",
          tenant),
      (std::vector<std::vector<std::string>>{{"consumed", "50"}}));
  expect_verified();
}

TEST_F(ImportTest, AnInterruptedRunResumesToExactlyTheFilesRows) {
  Ledger big(random_tenant());
  big.typical(400);  // 1,203 rows: 121 chunks of 10
  Ledger small(random_tenant());
  small.typical(2);
  const std::string ledger = write("ledger.csv", kLedgerHeader + big.csv() + small.csv());
  const std::string balances =
      write("balances.csv", kBalancesHeader + typical_balances_row(big.tenant(), 400) +
                                typical_balances_row(small.tenant(), 2));
  std::vector<std::string> argv{ledgerflow_binary(), "import", "credit_ledger", ledger,
                                "--balances",        balances, "--chunk-rows",  "10",
                                "--in-flight",       "1"};
  {
    ChildProcess child(argv, environment(), ::testing::TempDir() + "/interrupted.stderr");
    // Killed once some of the big tenant's chunks are in the table, before all.
    ASSERT_TRUE(wait_until([&] { return count("credit_ledger", big.tenant()) >= 200; }, 120s, 5ms));
    child.signal(SIGKILL);
    ASSERT_EQ(child.wait(30s), 128 + SIGKILL);
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  const int64_t partial = count("credit_ledger", big.tenant());
  ASSERT_LT(partial, static_cast<int64_t>(big.size())) << "the run ended before it was killed";
  EXPECT_EQ(count("credit_balances", big.tenant()), 1);
  // Unfinished: the tenant's credits wait for the rest (no timer fired).
  auto [code, output, errors] =
      ledgerflow({"import", "credit_ledger", ledger, "--balances", balances, "--chunk-rows", "10"});
  EXPECT_EQ(code, 0) << output << errors;
  // Every row is answered once: imported now, or already (at least what was in the table).
  std::smatch figures;
  ASSERT_TRUE(std::regex_search(
      output, figures,
      std::regex("imported ([0-9]+) rows of 2 tenants.* ([0-9]+) rows already imported")))
      << output;
  const int64_t now_imported = std::stoll(figures[1]);
  const int64_t already = std::stoll(figures[2]);
  EXPECT_EQ(now_imported + already, static_cast<int64_t>(big.size() + small.size()));
  EXPECT_GE(already, partial);
  EXPECT_GT(now_imported, 0);
  expect_ledger_is(big);
  expect_ledger_is(small);
  const int64_t consumed = typical_consumed(400);
  expect_balance(big.tenant(), 105'000 - consumed, 70, consumed, 0);
  expect_verified();
}

TEST_F(ImportTest, ATenantWithLiveEventsNeedsAppend) {
  const std::string tenant = random_tenant();
  ASSERT_EQ(pipeline_
                .submit_one(tenant, command_json("credits.adjust", tenant, "live-adjust",
                                                 R"({"credits":500,"note":"before the import"})",
                                                 "admin:ops"))
                .status,
            ResultStatus::accepted);
  // The seed's rows, its running balance from 0; the tenant's goes on from
  // its live 500.
  Ledger appended(tenant);
  appended.add("adjusted", 100).add("reserved", -50, "run-a");
  const std::string ledger = write("tail.csv", kLedgerHeader + appended.csv());
  auto [code, output, errors] = ledgerflow({"import", "credit_ledger", ledger});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(errors.find("tenant " + tenant +
                        " refused: tenant_has_live_events: the tenant already has 1 live credits "
                        "event(s); to import its history beside them, use --append"),
            std::string::npos)
      << errors;
  auto [appended_code, appended_output, appended_errors] =
      ledgerflow({"import", "credit_ledger", ledger, "--append"});
  EXPECT_EQ(appended_code, 0) << appended_output << appended_errors;
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT effective_available::text, credits_reserved::text FROM credit_balances "
                 "WHERE tenant_id = $1",
                 tenant),
            (std::vector<std::vector<std::string>>{{"550", "50"}}));
  EXPECT_EQ(count("credit_ledger", tenant), 3);
  EXPECT_EQ(
      rows("SELECT balance_after::text FROM credit_ledger WHERE tenant_id = $1 ORDER BY event_id",
           tenant),
      (std::vector<std::vector<std::string>>{{"500"}, {"600"}, {"550"}}));
  expect_verified();
}

// ---- credit_topup_orders ----------------------------------------------------------

const std::string kOrdersHeader =
    "id,tenant_id,razorpay_order_id,credits,amount_inr,status,paid_at,expires_at,created_at,"
    "updated_at\n";

std::string order_row(const std::string& tenant, const std::string& order_id, int64_t credits,
                      const std::string& status, const std::string& paid_at,
                      int64_t created_second) {
  return random_tenant() + "," + tenant + "," + order_id + "," + std::to_string(credits) + "," +
         std::to_string(credits * 100) + "," + status + "," + paid_at + "," + month_end_date() +
         " 23:59:59+00," + pg_time(created_second) + "," + pg_time(created_second + 3600) + "\n";
}

TEST_F(ImportTest, TopupOrdersLandBesideTheirLedgerAndLaterWebhooksAreAnsweredRight) {
  Ledger good(random_tenant());
  good.typical(2);  // order-<good> tops up 5000 at second 60; 21 of it consumed
  Ledger other(random_tenant());
  other.typical(2);
  const std::string ledger = write("ledger.csv", kLedgerHeader + good.csv() + other.csv());
  const std::string balances =
      write("balances.csv", kBalancesHeader + typical_balances_row(good.tenant(), 2) +
                                typical_balances_row(other.tenant(), 2));
  {
    auto [code, output, errors] =
        ledgerflow({"import", "credit_ledger", ledger, "--balances", balances});
    ASSERT_EQ(code, 0) << output << errors;
  }
  const std::string good_order = "order-" + good.tenant().substr(0, 8);
  const std::string pending_order = "pending-" + good.tenant().substr(0, 8);
  const std::string bad_tenant = random_tenant();
  const std::string orders = write(
      "orders.csv",
      kOrdersHeader + order_row(good.tenant(), good_order, 5000, "paid", pg_time(60), 30) +
          order_row(good.tenant(), pending_order, 300, "pending", "", 120) +
          order_row(good.tenant(), "failed-" + good.tenant().substr(0, 8), 300, "failed", "", 180) +
          order_row(other.tenant(), "order-" + other.tenant().substr(0, 8), 5000, "paid",
                    pg_time(60), 30) +
          order_row(other.tenant(), "ghost-" + other.tenant().substr(0, 8), 100, "paid",
                    pg_time(200), 190) +
          order_row(bad_tenant, "nopay-" + bad_tenant.substr(0, 8), 100, "paid", "", 10));
  const std::string before_orders = tables_of(good.tenant());
  {
    // --balances belongs to credit_ledger: a usage error, nothing sent.
    auto [usage_code, usage_output, usage_errors] =
        ledgerflow({"import", "credit_topup_orders", orders, "--balances", balances});
    EXPECT_EQ(usage_code, 2) << usage_output << usage_errors;
    EXPECT_NE(usage_errors.find("--balances belongs to credit_ledger"), std::string::npos)
        << usage_errors;
  }
  auto [code, output, errors] = ledgerflow({"import", "credit_topup_orders", orders});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(output.find("imported 3 rows of 1 tenants; 2 refused"), std::string::npos) << output;
  // The engine refuses an order no topup entry of the ledger credited; the
  // CLI a paid order without paid_at, before sending anything of its tenant.
  EXPECT_NE(errors.find("tenant " + other.tenant() + " refused: order_not_credited: " + orders +
                        ":6: top-up order ghost-" + other.tenant().substr(0, 8) +
                        " (paid): no topup entry of the tenant's ledger credited it"),
            std::string::npos)
      << errors;
  EXPECT_NE(
      errors.find("tenant " + bad_tenant + " refused: invalid_row: " + orders +
                  ":7: top-up order nopay-" + bad_tenant.substr(0, 8) + " (paid) has no paid_at"),
      std::string::npos)
      << errors;
  for (const std::string& refused : {other.tenant(), bad_tenant}) {
    EXPECT_EQ(count("credit_topup_orders", refused), 0);
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  // The orders at their original times; no credits moved.
  const std::string order_sql =
      "SELECT razorpay_order_id, status, credits::text, amount_inr::text, currency, "
      "(extract(epoch FROM paid_at)*1000)::bigint::text, (extract(epoch FROM "
      "created_at)*1000)::bigint::text, (extract(epoch FROM updated_at)*1000)::bigint::text "
      "FROM credit_topup_orders WHERE tenant_id = $1 ORDER BY created_at";
  const auto found = rows(order_sql, good.tenant());
  auto ms = [](int64_t seconds) { return std::to_string(month_start_ms() + seconds * 1000); };
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0], (std::vector<std::string>{good_order, "paid", "5000", "500000", "INR", ms(60),
                                                ms(30), ms(60)}));
  EXPECT_EQ(found[1], (std::vector<std::string>{pending_order, "pending", "300", "30000", "INR",
                                                "NULL", ms(120), ms(120)}));
  EXPECT_EQ(found[2][1], "failed");
  EXPECT_EQ(tables_of(good.tenant()), before_orders);
  const int64_t consumed = typical_consumed(2);
  expect_balance(good.tenant(), 105'000 - consumed, 70, consumed, 5000 - consumed);
  expect_verified();

  // A rebuild of credit_topup_orders from the log gives the same rows.
  const auto imported = rows(
      "SELECT * FROM credit_topup_orders WHERE tenant_id = $1 ORDER BY "
      "topup_order_id",
      good.tenant());
  {
    auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", "credit_topup_orders"});
    EXPECT_EQ(rebuilt, 0) << rebuild_errors;
  }
  EXPECT_EQ(rows("SELECT * FROM credit_topup_orders WHERE tenant_id = $1 ORDER BY topup_order_id",
                 good.tenant()),
            imported);

  // A re-run changes nothing.
  {
    auto [again, again_output, again_errors] =
        ledgerflow({"import", "credit_topup_orders", orders});
    EXPECT_EQ(again, 1);
    EXPECT_NE(again_output.find("imported 0 rows of 1 tenants"), std::string::npos) << again_output;
    EXPECT_NE(again_output.find("3 rows already imported"), std::string::npos) << again_output;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT * FROM credit_topup_orders WHERE tenant_id = $1 ORDER BY topup_order_id",
                 good.tenant()),
            imported);

  // The paid order's webhook again: already paid, no credits twice. Its
  // refund takes back what is left of the ledger's top-up. The pending one
  // paid live grants its credits.
  const std::string tenant = good.tenant();
  EXPECT_EQ(pipeline_
                .submit_one(tenant, command_json("topup_order.pay", tenant, "live-pay-1",
                                                 R"({"topup_order_id":")" + good_order + "\"}"))
                .reason,
            "already_paid");
  EXPECT_EQ(pipeline_
                .submit_one(tenant, command_json("topup_order.refund", tenant, "live-refund-1",
                                                 R"({"topup_order_id":")" + good_order +
                                                     R"(","note":"chargeback"})"))
                .status,
            ResultStatus::accepted);
  EXPECT_EQ(pipeline_
                .submit_one(tenant, command_json("topup_order.pay", tenant, "live-pay-2",
                                                 R"({"topup_order_id":")" + pending_order + "\"}"))
                .status,
            ResultStatus::accepted);
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  pqxx::work work(pipeline_.db());
  const pqxx::row refunded = work.exec_params1(
      "SELECT status, credits_consumed, credits_taken_back FROM credit_topup_orders WHERE "
      "tenant_id = $1 AND topup_order_id = $2",
      tenant, good_order);
  work.commit();
  EXPECT_EQ(refunded[0].as<std::string>(), "refunded");
  EXPECT_EQ(refunded[1].as<int64_t>(), consumed);
  EXPECT_EQ(refunded[2].as<int64_t>(), 5000 - consumed);
  expect_balance(good.tenant(), 100'000 + 300, 70, consumed, 300);
  expect_verified();
}

// ---- llm_calls -------------------------------------------------------------------

const std::string kLlmCallsHeader =
    "id,tenant_id,activity_run_id,adapter_type,model_id,prompt_hash,response_hash,input_tokens,"
    "output_tokens,cost_usd,duration_ms,created_on\n";

std::string llm_call_row(const std::string& tenant, const std::string& id, const std::string& cost,
                         int64_t created_second) {
  return id + "," + tenant + ",run-" + id + ",claude,claude-sonnet-4-6," + std::string(64, 'a') +
         ",,1200,300," + cost + ",2400," + pg_time(created_second) + "\n";
}

TEST_F(ImportTest, LlmCallsLandAtTheirTimesAndOnlyThisPeriodsCountIntoItsSpend) {
  const std::string good = random_tenant();
  const std::string bad = random_tenant();
  constexpr int64_t kDay = 86'400;
  const std::string calls = write(
      "llm_calls.csv", kLlmCallsHeader + llm_call_row(good, "old-1", "0.031250", -20 * kDay) +
                           llm_call_row(good, "old-2", "1.5", -kDay) +
                           llm_call_row(good, "new-1", "0.25", 60) +
                           llm_call_row(good, "new-2", "0.000001", 120) +
                           llm_call_row(bad, "b-1", "1", 30) + llm_call_row(bad, "b-1", "1", 90));
  auto [code, output, errors] = ledgerflow({"import", "llm_calls", calls});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(output.find("imported 4 rows of 1 tenants; 1 refused"), std::string::npos) << output;
  EXPECT_NE(errors.find("tenant " + bad + " refused: duplicate_usage: " + calls +
                        ":7: LLM call b-1 is already recorded for this tenant"),
            std::string::npos)
      << errors;
  for (const char* table : {"llm_calls", "tenant_spend", "event_log"}) {
    EXPECT_EQ(count(table, bad), 0) << table;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  auto ms = [](int64_t seconds) { return std::to_string(month_start_ms() + seconds * 1000); };
  // The UTC month holding an instant `seconds` from this month's start: the
  // spend period a call outside the one in force counted into.
  auto month_of = [](int64_t seconds) {
    const int64_t at_ms = month_start_ms() + seconds * 1000;
    const std::string day = format_date_days(static_cast<int32_t>(at_ms / kMillisPerDay));
    return std::to_string(static_cast<int64_t>(*parse_date_days(day.substr(0, 8) + "01")) *
                          kMillisPerDay);
  };
  const std::string calls_sql =
      "SELECT llm_call_id, cost_usd::text, (extract(epoch FROM created_on)*1000)::bigint::text, "
      "(extract(epoch FROM spend_period_start)*1000)::bigint::text FROM llm_calls WHERE tenant_id "
      "= $1 ORDER BY created_on";
  const auto found = rows(calls_sql, good);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0],
            (std::vector<std::string>{"old-1", "0.031250", ms(-20 * kDay), month_of(-20 * kDay)}));
  EXPECT_EQ(found[1], (std::vector<std::string>{"old-2", "1.500000", ms(-kDay), month_of(-kDay)}));
  EXPECT_EQ(found[2], (std::vector<std::string>{"new-1", "0.250000", ms(60), ms(0)}));
  EXPECT_EQ(found[3], (std::vector<std::string>{"new-2", "0.000001", ms(120), ms(0)}));
  // The month in force (the tenant has no billing period: the UTC month)
  // counts only its own calls.
  const std::string spend_sql =
      "SELECT current_month_spend_usd::text, (extract(epoch FROM period_start)*1000)::bigint::text "
      "FROM tenant_spend WHERE tenant_id = $1";
  EXPECT_EQ(rows(spend_sql, good), (std::vector<std::vector<std::string>>{{"0.250001", ms(0)}}));
  // The seed's cost aggregation over the month agrees with it.
  EXPECT_EQ(rows("SELECT sum(cost_usd)::text FROM llm_calls WHERE tenant_id = $1 AND created_on "
                 ">= (SELECT period_start FROM tenant_spend WHERE tenant_id = $1)",
                 good),
            (std::vector<std::vector<std::string>>{{"0.250001"}}));
  expect_verified();

  // Rebuilds of llm_calls and tenant_spend from the log give the same rows.
  const auto calls_before =
      rows("SELECT * FROM llm_calls WHERE tenant_id = $1 ORDER BY created_on", good);
  const auto spend_before = rows("SELECT * FROM tenant_spend WHERE tenant_id = $1", good);
  for (const char* projection : {"llm_calls", "tenant_spend"}) {
    auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", projection});
    EXPECT_EQ(rebuilt, 0) << projection << rebuild_errors;
  }
  EXPECT_EQ(rows("SELECT * FROM llm_calls WHERE tenant_id = $1 ORDER BY created_on", good),
            calls_before);
  EXPECT_EQ(rows("SELECT * FROM tenant_spend WHERE tenant_id = $1", good), spend_before);

  // A re-run changes nothing.
  {
    auto [again, again_output, again_errors] = ledgerflow({"import", "llm_calls", calls});
    EXPECT_EQ(again, 1);
    EXPECT_NE(again_output.find("imported 0 rows of 1 tenants"), std::string::npos) << again_output;
    EXPECT_NE(again_output.find("4 rows already imported"), std::string::npos) << again_output;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT * FROM llm_calls WHERE tenant_id = $1 ORDER BY created_on", good),
            calls_before);
  EXPECT_EQ(rows(spend_sql, good), (std::vector<std::vector<std::string>>{{"0.250001", ms(0)}}));
  expect_verified();
}

// ---- audit_logs ------------------------------------------------------------------

TEST_F(ImportTest, AuditRowsOfTheSeedsShapesLandAtTheirOriginalTimes) {
  const std::string good = random_tenant();
  const std::string bad = random_tenant();
  // Two shapes in two files (Prebid's, then a platform's with its request
  // and changes), a year back: beyond a live record's 7 days.
  const std::string prebid =
      write("prebid_audit.csv",
            "id,tenant_id,operation,principal_name,principal_id,adapter_id,success,error_message,"
            "details,timestamp\n"
            "1," +
                good + ",create_media_buy,Acme,p-1,gam,f,timeout,\"{\"\"buy\"\": \"\"b-1\"\"}\"," +
                pg_time(-365 * 86'400) + "\n" + "2," + bad +
                ",create_media_buy,Acme,p-1,gam,maybe,,," + pg_time(-10) + "\n");
  const std::string platform =
      write("platform_audit.csv",
            "id,tenant_id,user_id,action,resource_type,resource_id,old_value,new_value,changed_"
            "fields,ip_address,user_agent,request_id,endpoint,http_method,created_at\n"
            "7," +
                good +
                ",42,update,rule,7,\"{\"\"on\"\": false}\",\"{\"\"on\"\": true}\","
                "\"[\"\"on\"\"]\",10.0.0.1,curl,r-1,/rules/7,PATCH," +
                pg_time(-30 * 86'400) + "\n");
  auto [code, output, errors] = ledgerflow({"import", "audit_logs", prebid, platform});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(output.find("imported 2 rows of 1 tenants; 1 refused"), std::string::npos) << output;
  EXPECT_NE(errors.find("tenant " + bad + " refused: " + prebid +
                        ":3: invalid_row: column success: not a boolean (t, f)"),
            std::string::npos)
      << errors;
  EXPECT_EQ(count("audit_log", bad), 0);
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  // Each row at its own time, keyed after its chunk's event; beside them one
  // row per chunk (the import itself).
  const std::string rows_sql =
      "SELECT operation, principal_id, success::text, (extract(epoch FROM "
      "occurred_at)*1000)::bigint::text, coalesce(details::text, ''), coalesce(host(ip_address), "
      "''), coalesce(changed_fields::text, ''), event_id LIKE '%:0000' FROM audit_log WHERE "
      "tenant_id = $1 AND operation <> 'audit.logs_imported' ORDER BY occurred_at";
  auto ms = [](int64_t seconds) { return std::to_string(month_start_ms() + seconds * 1000); };
  EXPECT_EQ(
      rows(rows_sql, good),
      (std::vector<std::vector<std::string>>{
          {"create_media_buy", "p-1", "false", ms(-365 * 86'400), R"({"buy": "b-1"})", "", "", "t"},
          {"update", "42", "true", ms(-30 * 86'400), "", "10.0.0.1", R"(["on"])", "t"}}));
  EXPECT_EQ(rows("SELECT count(*)::text, min(details->>'rows_count') FROM audit_log WHERE "
                 "tenant_id = $1 AND operation = 'audit.logs_imported'",
                 good),
            (std::vector<std::vector<std::string>>{{"2", "1"}}));
  expect_verified();

  // A rebuild of audit_log gives the same rows; a re-run changes nothing.
  const std::string all_sql = "SELECT * FROM audit_log WHERE tenant_id = $1 ORDER BY event_id";
  const auto before = rows(all_sql, good);
  {
    auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", "audit_log"});
    EXPECT_EQ(rebuilt, 0) << rebuild_errors;
  }
  EXPECT_EQ(rows(all_sql, good), before);
  {
    auto [again, again_output, again_errors] =
        ledgerflow({"import", "audit_logs", prebid, platform});
    EXPECT_EQ(again, 1);
    EXPECT_NE(again_output.find("imported 0 rows of 1 tenants"), std::string::npos) << again_output;
    EXPECT_NE(again_output.find("2 rows already imported"), std::string::npos) << again_output;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows(all_sql, good), before);
  expect_verified();
}

// ---- media_buys ---------------------------------------------------------------------

const std::string kBuysHeader =
    "id,tenant_id,principal_id,campaign_name,buyer_ref,status,start_date,end_date,created_at\n";
const std::string kPackagesHeader = "id,media_buy_id,product_id,budget,targeting,pricing\n";

TEST_F(ImportTest, MediaBuysLandWithTheirPackagesInTheirStatusAndGoOnLive) {
  const std::string good = random_tenant();
  const std::string bad = random_tenant();
  const std::string buys =
      write("media_buys.csv",
            kBuysHeader + "b-active," + good + ",pr-1,Spring,ref-1,active,2025-06-01,2025-07-31," +
                pg_time(-400 * 86'400) + "\n" + "b-done," + good +
                ",pr-1,Winter,,completed,2025-01-01,2025-01-31," + pg_time(-500 * 86'400) + "\n" +
                "b-ok," + bad + ",pr-2,Fine,,pending,2025-06-01,2025-06-30," + pg_time(-10) + "\n" +
                "b-dates," + bad + ",pr-2,Backwards,,pending,2025-06-30,2025-06-01," + pg_time(-5) +
                "\n" + "b-pending," + good + ",pr-1,Autumn,,pending,2026-09-01,2026-09-30," +
                pg_time(-60) + "\n");
  const std::string packages =
      write("packages.csv", kPackagesHeader +
                                "pk-1,b-active,prod-1,5000.5,\"{\"\"geo\"\": [\"\"IN\"\"]}\","
                                "\"{\"\"cpm\"\": 12.5}\"\n"
                                "pk-2,b-active,prod-2,0.25,,\n"
                                "pk-3,b-done,prod-1,100,,\n"
                                "pk-4,b-ok,prod-1,1,,\n"
                                "pk-5,b-dates,prod-1,1,,\n"
                                "pk-6,b-pending,prod-3,2500,,\n");
  {
    // A buy comes with its packages: without them the kind is a usage error.
    auto [code, output, errors] = ledgerflow({"import", "media_buys", buys});
    EXPECT_EQ(code, 2) << output << errors;
    EXPECT_NE(errors.find("media_buys needs --packages FILE"), std::string::npos) << errors;
  }
  auto [code, output, errors] = ledgerflow({"import", "media_buys", buys, "--packages", packages});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(output.find("imported 3 rows of 1 tenants; 1 refused"), std::string::npos) << output;
  EXPECT_NE(errors.find("tenant " + bad + " refused: invalid_dates: " + buys +
                        ":5 (packages at lines 6): end_date 2025-06-01 is before start_date "
                        "2025-06-30"),
            std::string::npos)
      << errors;
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(count("media_buys", bad), 0);
  EXPECT_EQ(count("media_buy_packages", bad), 0);
  // Each buy in the status the platform left it in, at its created_at.
  auto ms = [](int64_t seconds) { return std::to_string(month_start_ms() + seconds * 1000); };
  const std::string buys_sql =
      "SELECT media_buy_id, status, coalesce(buyer_ref, ''), budget_total::text, "
      "budget_total_minor::text, (extract(epoch FROM created_at)*1000)::bigint::text, "
      "(extract(epoch FROM updated_at)*1000)::bigint::text FROM media_buys WHERE tenant_id = $1 "
      "ORDER BY created_at";
  EXPECT_EQ(
      rows(buys_sql, good),
      (std::vector<std::vector<std::string>>{
          {"b-done", "completed", "", "100.00", "10000", ms(-500 * 86'400), ms(-500 * 86'400)},
          {"b-active", "active", "ref-1", "5000.75", "500075", ms(-400 * 86'400),
           ms(-400 * 86'400)},
          {"b-pending", "pending", "", "2500.00", "250000", ms(-60), ms(-60)}}));
  EXPECT_EQ(rows("SELECT media_buy_id, package_id, product_id, budget::text, "
                 "coalesce(pricing::text, ''), coalesce(targeting::text, '') FROM "
                 "media_buy_packages WHERE tenant_id = $1 ORDER BY package_id",
                 good),
            (std::vector<std::vector<std::string>>{
                {"b-active", "pk-1", "prod-1", "5000.50", R"({"cpm": 12.5})", R"({"geo": ["IN"]})"},
                {"b-active", "pk-2", "prod-2", "0.25", "", ""},
                {"b-done", "pk-3", "prod-1", "100.00", "", ""},
                {"b-pending", "pk-6", "prod-3", "2500.00", "", ""}}));
  expect_verified();

  // Live commands go on from the imported statuses; a completed buy is history.
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("media_buy.pause", good, "live-pause",
                                               R"({"media_buy_id":"b-active"})"))
                .status,
            ResultStatus::accepted);
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("media_buy.approve", good, "live-approve",
                                               R"({"media_buy_id":"b-pending"})"))
                .status,
            ResultStatus::accepted);
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("media_buy.resume", good, "live-resume",
                                               R"({"media_buy_id":"b-done"})"))
                .status,
            ResultStatus::rejected);
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT media_buy_id, status FROM media_buys WHERE tenant_id = $1 ORDER BY "
                 "media_buy_id",
                 good),
            (std::vector<std::vector<std::string>>{
                {"b-active", "paused"}, {"b-done", "completed"}, {"b-pending", "approved"}}));
  expect_verified();

  // A rebuild of media_buys gives the same rows; a re-run changes nothing.
  const std::string all_buys =
      "SELECT * FROM media_buys WHERE tenant_id = $1 ORDER BY media_buy_id";
  const std::string all_packages =
      "SELECT * FROM media_buy_packages WHERE tenant_id = $1 ORDER BY media_buy_id, package_id";
  const auto buys_before = rows(all_buys, good);
  const auto packages_before = rows(all_packages, good);
  {
    auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", "media_buys"});
    EXPECT_EQ(rebuilt, 0) << rebuild_errors;
  }
  EXPECT_EQ(rows(all_buys, good), buys_before);
  EXPECT_EQ(rows(all_packages, good), packages_before);
  {
    auto [again, again_output, again_errors] =
        ledgerflow({"import", "media_buys", buys, "--packages", packages});
    EXPECT_EQ(again, 1);
    EXPECT_NE(again_output.find("imported 0 rows of 1 tenants"), std::string::npos) << again_output;
    EXPECT_NE(again_output.find("3 rows already imported"), std::string::npos) << again_output;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows(all_buys, good), buys_before);
  expect_verified();
}

// ---- approvals ----------------------------------------------------------------------

const std::string kApprovalsHeader =
    "id,tenant_id,activity_id,subject_kind,subject_id,type,risk_level,status,title,reviewer_id,"
    "reviewed_by,reviewer_notes,chosen_option,expires_at,resolved_at,sent_to_client_at,created_"
    "on\n";

TEST_F(ImportTest, ApprovalsLandInTheirStatusAndAPendingOneIsDecidedLive) {
  const std::string good = random_tenant();
  const std::string bad = random_tenant();
  // A pending buy, whose pending approval is imported next; a live activity
  // (activity events are not approval events) whose approval was rejected.
  const std::string buys = write("media_buys.csv", kBuysHeader + "b-1," + good +
                                                       ",pr-1,Spring,,pending,2026-09-01,"
                                                       "2026-09-30," +
                                                       pg_time(-7200) + "\n");
  const std::string packages = write("packages.csv", kPackagesHeader + "pk-1,b-1,prod-1,10,,\n");
  {
    auto [code, output, errors] =
        ledgerflow({"import", "media_buys", buys, "--packages", packages});
    ASSERT_EQ(code, 0) << output << errors;
  }
  EXPECT_EQ(
      pipeline_
          .submit_one(
              good,
              command_json(
                  "activity.create", good, "live-activity",
                  R"({"activity_id":"a-1","title":"Write","type":"write","assignee_type":"agent","assignee_agent_role":"writer","priority":"normal","is_approval_gate":false})"))
          .status,
      ResultStatus::accepted);
  // The far future stays pending; the past is history.
  const std::string later = "2099-01-01 00:00:00+00";
  const std::string approvals =
      write("approvals.csv",
            kApprovalsHeader + "t-1," + good +
                ",,media_buy,b-1,media_buy,medium,pending,Approve b-1,u-1,,,," + later + ",,," +
                pg_time(-3600) + "\n" + "ap-2," + good +
                ",,creative,cr-9,creative,low,approved,Banner,u-1,u-2,\"fine, ship\",B," +
                pg_time(-86'400 * 300 + 72 * 3600) + "," + pg_time(-86'400 * 300 + 3600) + "," +
                pg_time(-86'400 * 300 + 1800) + "," + pg_time(-86'400 * 300) + "\n" + "ap-3," +
                good + ",a-1,,,content_review,high,rejected,Draft,u-1,u-2,no,," + later + "," +
                pg_time(-1800) + ",," + pg_time(-3000) + "\n" + "ap-4," + bad +
                ",,media_buy,b-404,media_buy,medium,approved,Lost,u-1,u-2,,," + later + "," +
                pg_time(-1800) + ",," + pg_time(-3000) + "\n");
  auto [code, output, errors] = ledgerflow({"import", "approvals", approvals});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(output.find("imported 3 rows of 1 tenants; 1 refused"), std::string::npos) << output;
  EXPECT_NE(errors.find("tenant " + bad + " refused: unknown_subject: " + approvals +
                        ":5: approval ap-4: no media buy b-404"),
            std::string::npos)
      << errors;
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(count("approvals", bad), 0);
  auto ms = [](int64_t seconds) { return std::to_string(month_start_ms() + seconds * 1000); };
  auto epoch = [](const std::string& column) {
    return "coalesce((extract(epoch FROM " + column + ")*1000)::bigint::text, '')";
  };
  const std::string approvals_sql =
      "SELECT approval_id, subject_kind, subject_id, coalesce(activity_id, ''), status, "
      "coalesce(reviewed_by, ''), coalesce(reviewer_notes, ''), coalesce(chosen_option, ''), " +
      epoch("created_on") + ", " + epoch("resolved_at") + ", " + epoch("sent_to_client_at") + ", " +
      epoch("updated_at") + " FROM approvals WHERE tenant_id = $1 ORDER BY approval_id";
  EXPECT_EQ(
      rows(approvals_sql, good),
      (std::vector<std::vector<std::string>>{
          {"ap-2", "creative", "cr-9", "", "approved", "u-2", "fine, ship", "B", ms(-86'400 * 300),
           ms(-86'400 * 300 + 3600), ms(-86'400 * 300 + 1800), ms(-86'400 * 300 + 3600)},
          {"ap-3", "activity", "a-1", "", "rejected", "u-2", "no", "", ms(-3000), ms(-1800), "",
           ms(-1800)},
          {"t-1", "media_buy", "b-1", "", "pending", "", "", "", ms(-3600), "", "", ms(-3600)}}));
  // The pending approval decides its buy now.
  EXPECT_EQ(rows("SELECT requires_approval::text, approval_id FROM media_buys WHERE tenant_id = "
                 "$1",
                 good),
            (std::vector<std::vector<std::string>>{{"true", "t-1"}}));
  expect_verified();

  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("media_buy.approve", good, "live-buy-approve",
                                               R"({"media_buy_id":"b-1"})"))
                .status,
            ResultStatus::rejected);
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("approval.approve", good, "live-approve",
                                               R"({"approval_id":"t-1","reviewed_by":"u-1"})"))
                .status,
            ResultStatus::accepted);
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT status FROM media_buys WHERE tenant_id = $1", good),
            (std::vector<std::vector<std::string>>{{"approved"}}));
  EXPECT_EQ(rows("SELECT status, reviewed_by FROM approvals WHERE tenant_id = $1 AND approval_id "
                 "= 't-1'",
                 good),
            (std::vector<std::vector<std::string>>{{"approved", "u-1"}}));
  expect_verified();

  // Rebuilds give the same rows; a re-run changes nothing.
  const std::string all_approvals =
      "SELECT * FROM approvals WHERE tenant_id = $1 ORDER BY approval_id";
  const std::string all_buys =
      "SELECT * FROM media_buys WHERE tenant_id = $1 ORDER BY media_buy_id";
  const auto approvals_before = rows(all_approvals, good);
  const auto buys_before = rows(all_buys, good);
  for (const char* projection : {"approvals", "media_buys"}) {
    auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", projection});
    EXPECT_EQ(rebuilt, 0) << projection << rebuild_errors;
  }
  EXPECT_EQ(rows(all_approvals, good), approvals_before);
  EXPECT_EQ(rows(all_buys, good), buys_before);
  {
    auto [again, again_output, again_errors] = ledgerflow({"import", "approvals", approvals});
    EXPECT_EQ(again, 1);
    EXPECT_NE(again_output.find("imported 0 rows of 1 tenants"), std::string::npos) << again_output;
    EXPECT_NE(again_output.find("3 rows already imported"), std::string::npos) << again_output;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows(all_approvals, good), approvals_before);
  expect_verified();
}

// ---- activities ------------------------------------------------------------------

TEST_F(ImportTest, ActivitiesLandAsThePlatformLeftThemJoinTheQueuesAndGoOnLive) {
  const std::string good = random_tenant();
  const std::string bad = random_tenant();
  const int64_t year = 365 * 86'400;
  const std::string header =
      "id,tenant_id,parent_activity_id,title,type,assignee_type,assignee_agent_role,assignee_"
      "user_id,status,priority,is_approval_gate,input_data,output_summary,output_ref,due_date,"
      "started_on,completed_on,created_on,updated_on\n";
  auto line = [](const std::string& tenant, const std::string& fields) {
    return fields.substr(0, fields.find(',')) + "," + tenant + fields.substr(fields.find(',')) +
           "\n";
  };
  // Work in progress, an agent's to-do, its review step in a reviewer's
  // queue, finished work; the bad tenant's second row names no parent.
  const std::string file = write(
      "activities.csv",
      header +
          line(good,
               "w-1,,Write blog post,write,agent,copywriter,,in_progress,normal,f,"
               "\"{\"\"topic\"\": \"\"b2b\"\"}\",,,," +
                   pg_time(-year + 3600) + ",," + pg_time(-year) + "," + pg_time(-year + 3600)) +
          line(good,
               "w-2,,Research keywords,research,agent,seo,,assigned,urgent,f,,,,2030-01-31,"
               ",," +
                   pg_time(-year + 60) + ",") +
          line(good, "r-1,w-1,Review blog post,review,human,,user-rita,created,high,t,,,,,,," +
                         pg_time(-year + 7200) + ",") +
          line(good,
               "w-3,,Publish,publish,agent,publisher,,completed,low,f,,\"{\"\"url\"\": "
               "\"\"/b\"\"}\",64b0,," +
                   pg_time(-year + 100) + "," + pg_time(-year + 200) + "," + pg_time(-year + 50) +
                   "," + pg_time(-year + 300)) +
          line(bad,
               "x-1,,Fine,write,agent,copywriter,,created,normal,f,,,,,,," + pg_time(-60) + ",") +
          line(bad, "x-2,nope,Orphan,write,agent,copywriter,,created,normal,f,,,,,,," +
                        pg_time(-30) + ","));
  auto [code, output, errors] = ledgerflow({"import", "activities", file});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(output.find("imported 4 rows of 1 tenants; 1 refused"), std::string::npos) << output;
  EXPECT_NE(errors.find("tenant " + bad + " refused: unknown_parent: " + file +
                        ":7: activity x-2: no parent activity nope"),
            std::string::npos)
      << errors;
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(count("activities", bad), 0);

  // Each row as the platform left it, at its original times.
  auto ms = [](int64_t seconds) { return std::to_string(month_start_ms() + seconds * 1000); };
  const std::string epoch = "coalesce((extract(epoch FROM %)*1000)::bigint::text, '')";
  auto at = [&](const std::string& column) {
    return std::regex_replace(epoch, std::regex("%"), column);
  };
  const std::string rows_sql =
      "SELECT activity_id, status, priority::text, is_approval_gate::text, "
      "coalesce(parent_activity_id, ''), coalesce(output_summary::text, ''), " +
      at("created_at") + ", " + at("updated_at") + ", " + at("started_on") + ", " +
      at("completed_on") + " FROM activities WHERE tenant_id = $1 ORDER BY activity_id";
  EXPECT_EQ(
      rows(rows_sql, good),
      (std::vector<std::vector<std::string>>{
          {"r-1", "created", "high", "true", "w-1", "", ms(-year + 7200), ms(-year + 7200), "", ""},
          {"w-1", "in_progress", "normal", "false", "", "", ms(-year), ms(-year + 3600),
           ms(-year + 3600), ""},
          {"w-2", "assigned", "urgent", "false", "", "", ms(-year + 60), ms(-year + 60), "", ""},
          {"w-3", "completed", "low", "false", "", R"({"url": "/b"})", ms(-year + 50),
           ms(-year + 300), ms(-year + 100), ms(-year + 200)}}));
  // In the queues as live rows are.
  EXPECT_EQ(
      rows("SELECT assignee_agent_role, activity_id FROM agent_queue WHERE tenant_id = $1", good),
      (std::vector<std::vector<std::string>>{{"seo", "w-2"}}));
  EXPECT_EQ(rows("SELECT assignee_user_id, activity_id, is_approval_gate::text FROM human_queue "
                 "WHERE tenant_id = $1",
                 good),
            (std::vector<std::vector<std::string>>{{"user-rita", "r-1", "true"}}));
  expect_verified();

  // A re-run changes nothing.
  const std::string all_sql = "SELECT * FROM activities WHERE tenant_id = $1 ORDER BY activity_id";
  const auto imported = rows(all_sql, good);
  {
    auto [again, again_output, again_errors] = ledgerflow({"import", "activities", file});
    EXPECT_EQ(again, 1);
    EXPECT_NE(again_output.find("imported 0 rows of 1 tenants"), std::string::npos) << again_output;
    EXPECT_NE(again_output.find("4 rows already imported"), std::string::npos) << again_output;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows(all_sql, good), imported);

  // Live commands go on from the imported statuses; finished work is history.
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("activity.start", good, "live-start-w2",
                                               R"({"activity_id":"w-2"})"))
                .status,
            ResultStatus::accepted);
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("activity.complete", good, "live-complete-w1",
                                               R"({"activity_id":"w-1"})"))
                .status,
            ResultStatus::accepted);
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("activity.start", good, "live-start-w3",
                                               R"({"activity_id":"w-3"})"))
                .reason,
            "invalid_transition");
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT activity_id, status FROM activities WHERE tenant_id = $1 AND "
                 "activity_id IN ('w-1', 'w-2') ORDER BY activity_id",
                 good),
            (std::vector<std::vector<std::string>>{{"w-1", "completed"}, {"w-2", "in_progress"}}));
  EXPECT_EQ(count("agent_queue", good), 0);
  // The tail (rows the platform wrote since the export, here a child of
  // imported work) needs --append.
  {
    const std::string tail =
        write("activities_tail.csv",
              header + line(good, "w-4,w-1,Tail,write,agent,copywriter,,created,normal,f,,,,,,," +
                                      pg_time(-10) + ","));
    auto [refused, refused_output, refused_errors] = ledgerflow({"import", "activities", tail});
    EXPECT_EQ(refused, 1);
    // Without --append the pre-check sees the file alone: its parent is unknown.
    EXPECT_NE(refused_errors.find("unknown_parent: " + tail + ":2: activity w-4"),
              std::string::npos)
        << refused_errors;
    auto [appended, appended_output, appended_errors] =
        ledgerflow({"import", "activities", tail, "--append"});
    EXPECT_EQ(appended, 0) << appended_output << appended_errors;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(count("activities", good), 5);
  expect_verified();

  // A rebuild of activities gives the same rows.
  const auto before = rows(all_sql, good);
  {
    auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", "activities"});
    EXPECT_EQ(rebuilt, 0) << rebuild_errors;
  }
  EXPECT_EQ(rows(all_sql, good), before);
}

// ---- activity_runs ---------------------------------------------------------------

TEST_F(ImportTest, RunsLandAfterTheirActivitiesAndARunningOneFinishesLiveOnItsImportedHold) {
  const std::string good = random_tenant();
  const std::string bad = random_tenant();
  const std::string open_run = "run-open-" + good.substr(0, 8);
  // The ledger first: an allocation and the running run's open hold.
  Ledger ledger(good);
  ledger.add("allocated", 100'000).add("reserved", -300, open_run);
  {
    auto [code, output, errors] =
        ledgerflow({"import", "credit_ledger", write("ledger.csv", kLedgerHeader + ledger.csv())});
    ASSERT_EQ(code, 0) << output << errors;
  }
  const std::string activities = write(
      "activities.csv",
      "id,tenant_id,title,type,assignee_type,assignee_agent_role,status,started_on,created_on\n"
      "w-1," +
          good + ",Write,write,agent,copywriter,in_progress," + pg_time(-3600) + "," +
          pg_time(-7200) + "\n" + "x-1," + bad + ",Write,write,agent,copywriter,created,," +
          pg_time(-7200) + "\n");
  {
    auto [code, output, errors] = ledgerflow({"import", "activities", activities});
    ASSERT_EQ(code, 0) << output << errors;
  }
  // The seed's columns; the bad tenant's second run names no activity.
  const std::string runs = write(
      "activity_runs.csv",
      "id,activity_id,tenant_id,adapter_type,model_id,session_id,status,error,input_tokens,"
      "output_tokens,cost_usd,duration_ms,started_on,ended_on,created_on\n"
      "run-done,w-1," +
          good + ",claude,claude-sonnet,s-1,failed,rate limited,1200,0,0.042318,900," +
          pg_time(-3000) + "," + pg_time(-2900) + "," + pg_time(-3000) + "\n" + open_run + ",w-1," +
          good + ",claude,claude-sonnet,s-2,running,,,,,," + pg_time(-600) + ",," + pg_time(-600) +
          "\n" + "run-x1,x-1," + bad + ",openai,gpt-4o,,completed,,1,1,0.01,5," + pg_time(-900) +
          "," + pg_time(-800) + "," + pg_time(-900) + "\n" + "run-x2,nope," + bad +
          ",openai,gpt-4o,,completed,,1,1,0.01,5," + pg_time(-700) + "," + pg_time(-600) + "," +
          pg_time(-700) + "\n");
  auto [code, output, errors] = ledgerflow({"import", "activity_runs", runs});
  EXPECT_EQ(code, 1) << output << errors;
  EXPECT_NE(output.find("imported 2 rows of 1 tenants; 1 refused"), std::string::npos) << output;
  EXPECT_NE(errors.find("unknown_activity: " + runs + ":5: run run-x2: no activity nope"),
            std::string::npos)
      << errors;
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(count("activity_runs", bad), 0);

  auto ms = [](int64_t seconds) { return std::to_string(month_start_ms() + seconds * 1000); };
  const std::string runs_sql =
      "SELECT run_id, status, coalesce(adapter_type, ''), coalesce(error, ''), "
      "coalesce(cost_usd::text, ''), coalesce(input_tokens::text, ''), coalesce(reservation_id, "
      "''), coalesce(credits_reserved::text, ''), coalesce(credits_used::text, ''), "
      "(extract(epoch FROM started_on)*1000)::bigint::text, coalesce((extract(epoch FROM "
      "ended_on)*1000)::bigint::text, '') FROM activity_runs WHERE tenant_id = $1 ORDER BY "
      "started_on";
  EXPECT_EQ(rows(runs_sql, good), (std::vector<std::vector<std::string>>{
                                      {"run-done", "failed", "claude", "rate limited", "0.042318",
                                       "1200", "", "", "", ms(-3000), ms(-2900)},
                                      {open_run, "running", "claude", "", "", "",
                                       "import:" + open_run, "300", "", ms(-600), ""}}));
  expect_verified();

  // A re-run changes nothing.
  const std::string all_sql = "SELECT * FROM activity_runs WHERE tenant_id = $1 ORDER BY run_id";
  const auto imported = rows(all_sql, good);
  {
    auto [again, again_output, again_errors] = ledgerflow({"import", "activity_runs", runs});
    EXPECT_EQ(again, 1);
    EXPECT_NE(again_output.find("2 rows already imported"), std::string::npos) << again_output;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows(all_sql, good), imported);

  // The running run's hold is the run's: it finishes live and is charged.
  EXPECT_EQ(pipeline_
                .submit_one(good, command_json("credits.release", good, "live-release",
                                               R"({"reservation_id":"import:)" + open_run + "\"}"))
                .reason,
            "reservation_owned_by_run");
  EXPECT_EQ(pipeline_
                .submit_one(
                    good, command_json(
                              "activity.finish_run", good, "live-finish",
                              R"({"run_id":")" + open_run +
                                  R"(","status":"completed","credits_used":200,"cost_usd":"0.5"})"))
                .status,
            ResultStatus::accepted);
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT status, credits_used::text, credits_charged::text, cost_usd::text FROM "
                 "activity_runs WHERE tenant_id = $1 AND run_id = '" +
                     open_run + "'",
                 good),
            (std::vector<std::vector<std::string>>{{"completed", "200", "200", "0.500000"}}));
  EXPECT_EQ(rows("SELECT status, credits_consumed::text FROM credit_reservations WHERE tenant_id "
                 "= $1 AND reservation_id = 'import:" +
                     open_run + "'",
                 good),
            (std::vector<std::vector<std::string>>{{"consumed", "200"}}));
  expect_verified();

  // A rebuild of activity_runs gives the same rows.
  const auto before = rows(all_sql, good);
  {
    auto [rebuilt, rebuild_output, rebuild_errors] = ledgerflow({"rebuild", "activity_runs"});
    EXPECT_EQ(rebuilt, 0) << rebuild_errors;
  }
  EXPECT_EQ(rows(all_sql, good), before);
}

// ---- activities, then their approvals ------------------------------------------------

TEST_F(ImportTest, AReviewStepImportedAwaitingItsApprovalIsDecidedLiveOnceTheApprovalIsImported) {
  const std::string tenant = random_tenant();
  // Leadmetrics: a review step awaiting approval, then its pending approval.
  const std::string activities = write(
      "activities.csv",
      "id,tenant_id,parent_activity_id,title,type,assignee_type,assignee_agent_role,assignee_"
      "user_id,status,priority,is_approval_gate,input_data,output_summary,output_ref,due_date,"
      "started_on,completed_on,created_on,updated_on\n"
      "r-1," +
          tenant + ",,Review post,review,human,,user-rita,awaiting_approval,high,t,,,,," +
          pg_time(-3000) + ",," + pg_time(-3600) + ",\n");
  {
    auto [code, output, errors] = ledgerflow({"import", "activities", activities});
    ASSERT_EQ(code, 0) << output << errors;
  }
  const std::string approvals =
      write("approvals.csv", kApprovalsHeader + "ap-1," + tenant +
                                 ",r-1,,,content_review,high,pending,Review post,user-rita,,,,"
                                 "2099-01-01 00:00:00+00,,," +
                                 pg_time(-2900) + "\n");
  {
    auto [code, output, errors] = ledgerflow({"import", "approvals", approvals});
    ASSERT_EQ(code, 0) << output << errors;
  }
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT approval_id, subject_kind, subject_id, activity_id, status FROM "
                 "approvals WHERE tenant_id = $1",
                 tenant),
            (std::vector<std::vector<std::string>>{{"ap-1", "activity", "r-1", "r-1", "pending"}}));
  EXPECT_EQ(pipeline_
                .submit_one(
                    tenant,
                    command_json(
                        "approval.approve", tenant, "live-approve",
                        R"({"approval_id":"ap-1","reviewed_by":"user-rita","chosen_option":"A"})"))
                .status,
            ResultStatus::accepted);
  ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
  EXPECT_EQ(rows("SELECT status FROM activities WHERE tenant_id = $1", tenant),
            (std::vector<std::vector<std::string>>{{"approved"}}));
  EXPECT_EQ(
      rows("SELECT status, reviewed_by, chosen_option FROM approvals WHERE tenant_id = $1", tenant),
      (std::vector<std::vector<std::string>>{{"approved", "user-rita", "A"}}));
  expect_verified();
}

// ---- checked against the engine's state before anything is sent --------------------

TEST_F(ImportTest, ARowOnlyTheEnginesStateRefusesRefusesItsTenantBeforeAnyOfItIsSent) {
  // The tenant's ledger (its top-up order order-<t>) and its activity w-1.
  Ledger ledger(random_tenant());
  ledger.typical(1);
  const std::string tenant = ledger.tenant();
  const std::string order = "order-" + tenant.substr(0, 8);
  {
    auto [code, output, errors] =
        ledgerflow({"import", "credit_ledger", write("ledger.csv", kLedgerHeader + ledger.csv())});
    ASSERT_EQ(code, 0) << output << errors;
  }
  {
    auto [code, output, errors] = ledgerflow(
        {"import", "activities",
         write("activities.csv",
               "id,tenant_id,title,type,assignee_type,assignee_agent_role,status,started_on,"
               "created_on\nw-1," +
                   tenant + ",Write,write,agent,copywriter,in_progress," + pg_time(-3600) + "," +
                   pg_time(-7200) + "\n")});
    ASSERT_EQ(code, 0) << output << errors;
  }
  // One row per chunk: each file's second row, in the tenant's second chunk,
  // names what the engine does not hold. The file alone cannot show it.
  const std::string runs_header =
      "id,activity_id,tenant_id,adapter_type,model_id,session_id,status,error,input_tokens,"
      "output_tokens,cost_usd,duration_ms,started_on,ended_on,created_on\n";
  auto run_row = [&](const std::string& id, const std::string& activity) {
    return id + "," + activity + "," + tenant + ",openai,gpt-4o,,completed,,1,1,0.01,5," +
           pg_time(-900) + "," + pg_time(-800) + "," + pg_time(-900) + "\n";
  };
  auto approval_row = [&](const std::string& id, const std::string& activity) {
    return id + "," + tenant + "," + activity +
           ",,,content_review,high,approved,Draft,u-1,u-2,ok,,2099-01-01 00:00:00+00," +
           pg_time(-1800) + ",," + pg_time(-3000) + "\n";
  };
  struct Case {
    std::string kind;
    std::string file;
    std::string refusal;  // after "tenant <t> refused: "
    std::string table;
    std::string fixed;  // the file with its bad row mended
    int64_t rows;
  };
  const std::string runs =
      write("runs.csv", runs_header + run_row("run-a", "w-1") + run_row("run-b", "nope"));
  const std::string approvals =
      write("approvals.csv",
            kApprovalsHeader + approval_row("ap-1", "w-1") + approval_row("ap-2", "nope"));
  const std::string orders =
      write("orders.csv",
            kOrdersHeader + order_row(tenant, order, 5000, "paid", pg_time(60), 30) +
                order_row(tenant, "ghost-" + tenant.substr(0, 8), 100, "paid", pg_time(200), 190));
  const std::vector<Case> cases{
      {"activity_runs", runs, "unknown_activity: " + runs + ":3: run run-b: no activity nope",
       "activity_runs",
       write("runs-fixed.csv", runs_header + run_row("run-a", "w-1") + run_row("run-b", "w-1")), 2},
      {"approvals", approvals,
       "unknown_subject: " + approvals + ":3: approval ap-2: no activity nope", "approvals",
       write("approvals-fixed.csv",
             kApprovalsHeader + approval_row("ap-1", "w-1") + approval_row("ap-2", "w-1")),
       2},
      {"credit_topup_orders", orders,
       "order_not_credited: " + orders + ":3: top-up order ghost-" + tenant.substr(0, 8) +
           " (paid): no topup entry of the tenant's ledger credited it",
       "credit_topup_orders",
       write("orders-fixed.csv",
             kOrdersHeader + order_row(tenant, order, 5000, "paid", pg_time(60), 30) +
                 order_row(tenant, "later-" + tenant.substr(0, 8), 100, "pending", "", 190)),
       2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kind);
    {
      // A dry run says so too, and sends nothing.
      auto [code, output, errors] = ledgerflow({"import", c.kind, c.file, "--dry-run"});
      EXPECT_EQ(code, 1) << output << errors;
      EXPECT_NE(errors.find("tenant " + tenant + " refused: " + c.refusal), std::string::npos)
          << errors;
    }
    auto [code, output, errors] = ledgerflow({"import", c.kind, c.file, "--chunk-rows", "1"});
    EXPECT_EQ(code, 1) << output << errors;
    EXPECT_NE(output.find("imported 0 rows of 0 tenants; 1 refused, 0 incomplete"),
              std::string::npos)
        << output;
    EXPECT_NE(errors.find("tenant " + tenant + " refused: " + c.refusal), std::string::npos)
        << errors;
    ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
    EXPECT_EQ(count(c.table, tenant), 0);
    // Not even its first chunk was sent: no command of the import is in the log.
    EXPECT_EQ(rows("SELECT count(*) FROM event_log WHERE tenant_id = $1 AND command_id LIKE "
                   "'import:" +
                       c.kind + ":%'",
                   tenant),
              (std::vector<std::vector<std::string>>{{"0"}}));
    // Mended, the file imports whole: nothing of the refused one is in its way.
    auto [fixed, fixed_output, fixed_errors] =
        ledgerflow({"import", c.kind, c.fixed, "--chunk-rows", "1"});
    EXPECT_EQ(fixed, 0) << fixed_output << fixed_errors;
    ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
    EXPECT_EQ(count(c.table, tenant), c.rows);
  }
  expect_verified();
}

// The engine's state the import checks against is the engine's own: a
// snapshot's state with the archive's records after it folded in equals the
// state the engine snapshots when it hands the partition over.
TEST(ImportEngineState, IsTheSnapshotWithTheArchiveAfterItFoldedIn) {
  PipelineOptions options;
  options.engine = false;
  Pipeline pipeline(options);
  engine_service::Options engine = pipeline.engine_options("engine-snapshots");
  engine.snapshot_every_records = 4;
  engine.snapshot_every_ms = 3'600'000;
  pipeline.start_engine(engine);
  const std::string tenant = random_tenant();
  int commands = 0;
  auto submit = [&](const std::string& type, const std::string& payload) {
    return pipeline.submit_one(
        tenant, command_json(type, tenant, "c" + std::to_string(++commands), payload));
  };
  auto sql = [&](const std::string& query) {
    pqxx::work work(pipeline.db());
    return work.exec_params1(query, tenant)[0].as<int64_t>(-1);
  };
  const std::string last_seq =
      "SELECT coalesce(max(seq), 0) FROM event_log WHERE tenant_id = $1::uuid";
  const std::string snapshot_seq =
      "SELECT coalesce(max(s.seq), 0) FROM engine_snapshots s JOIN engine_tenant_state t "
      "USING (partition) WHERE t.tenant_id = $1::uuid";
  ASSERT_EQ(
      submit(
          "credits.allocate",
          R"({"credits_monthly":1000,"period_start":"2026-01-01T00:00:00Z","period_end":"2099-01-01T00:00:00Z"})")
          .status,
      ResultStatus::accepted);
  for (int i = 0; i < 3; ++i) {
    submit("credits.reserve",
           R"({"reservation_id":"r)" + std::to_string(i) + R"(","credits":100})");
  }
  submit("credits.reserve", R"({"reservation_id":"too-much","credits":100000})");  // refused
  ASSERT_TRUE(wait_until([&] { return sql(snapshot_seq) >= 4; }, 30s));
  // Two records after the snapshot, too few for another.
  submit("credits.consume", R"({"reservation_id":"r0","credits":60})");
  submit(
      "activity.create",
      R"({"activity_id":"w-1","title":"Write","type":"write","assignee_type":"agent","assignee_agent_role":"copywriter"})");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  ASSERT_LT(sql(snapshot_seq), sql(last_seq));

  std::unordered_map<std::string, engine::TenantState> loaded =
      import_run::load_engine_states(pipeline.db(), {tenant});
  ASSERT_TRUE(loaded.contains(tenant));
  JsonWriter writer;
  engine::write_tenant_state(writer, loaded.at(tenant));

  pipeline.stop_engine("engine-snapshots");
  ASSERT_TRUE(wait_until([&] { return sql(snapshot_seq) == sql(last_seq); }, 30s));
  pqxx::work work(pipeline.db());
  EXPECT_EQ(work.exec_params1("SELECT state FROM engine_tenant_state WHERE tenant_id = $1::uuid",
                              tenant)[0]
                .as<std::string>(),
            writer.str());
}

}  // namespace
}  // namespace lf::testing
