// Billing periods end to end, against the mock cluster and a real
// PostgreSQL: an allocation with the seed's dates in a non-UTC zone goes
// through Kafka and the engine, credit_balances holds it as dates with the
// real next_reset_at, the engine's own clock passing next_reset_at renews
// it as the next calendar month in that zone, and the read tables equal the
// fold of the log. Also: the deprecated RFC 3339 form beside it, and
// migration 005 converting rows of the previous column types.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/time.hpp"
#include "schemas/resources.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/time.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

// A tenant's period as credit_balances holds it.
struct PeriodRow {
  std::string period_start;  // date, as PostgreSQL prints it
  std::string period_end;    // date
  int64_t next_reset_at_ms = 0;
  std::string next_reset_local;  // next_reset_at in the tenant's zone
  int64_t credits_available = 0;
  int64_t credits_topup = 0;
};

PeriodRow period_row(pqxx::connection& db, const std::string& tenant, const std::string& zone) {
  pqxx::work work(db);
  const pqxx::result rows = work.exec_params(
      "SELECT period_start::text, period_end::text, (extract(epoch FROM next_reset_at) * "
      "1000)::bigint, "
      "(next_reset_at AT TIME ZONE $2)::text, credits_available, credits_topup "
      "FROM credit_balances WHERE tenant_id = $1",
      tenant, zone);
  EXPECT_EQ(rows.size(), 1u) << "no balance row for " << tenant;
  if (rows.size() != 1) return {};
  return PeriodRow{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                   rows[0][2].as<int64_t>(),     rows[0][3].as<std::string>(),
                   rows[0][4].as<int64_t>(),     rows[0][5].as<int64_t>()};
}

std::string column_type(pqxx::connection& db, const std::string& column) {
  pqxx::work work(db);
  return work
      .exec_params1(
          "SELECT data_type FROM information_schema.columns "
          "WHERE table_name = 'credit_balances' AND column_name = $1",
          column)[0]
      .as<std::string>();
}

void expect_read_tables_equal_the_log(Pipeline& pipeline) {
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);
}

TEST(BillingPeriods, SeedDatesInKolkataAreProjectedAsDatesAndRenewAsTheNextCalendarMonth) {
  ManualClock clock(at("2026-12-10T12:00:00Z"));
  PipelineOptions options;
  options.clock = clock.function();
  Pipeline pipeline(options);
  const std::string tenant = random_tenant();
  // The seed's credit_balances row (Leadmetrics 001), in India.
  const ResultEnvelope allocated = pipeline.submit_one(
      tenant,
      command_json(
          "credits.allocate", tenant, "a1",
          R"({"credits_monthly":5000,"period_start":"2026-12-01","period_end":"2026-12-31",)"
          R"("timezone":"Asia/Kolkata"})"));
  ASSERT_EQ(allocated.status, ResultStatus::accepted)
      << allocated.reason << ": " << allocated.message;
  const ResultEnvelope topped_up = pipeline.submit_one(
      tenant, command_json("credits.topup", tenant, "t1",
                           R"({"topup_order_id":"order-1","credits":700})", "user:billing"));
  ASSERT_EQ(topped_up.status, ResultStatus::accepted) << topped_up.message;
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();

  EXPECT_EQ(column_type(pipeline.db(), "period_start"), "date");
  EXPECT_EQ(column_type(pipeline.db(), "period_end"), "date");
  EXPECT_EQ(column_type(pipeline.db(), "next_reset_at"), "timestamp with time zone");
  PeriodRow row = period_row(pipeline.db(), tenant, "Asia/Kolkata");
  EXPECT_EQ(row.period_start, "2026-12-01");
  EXPECT_EQ(row.period_end, "2026-12-31");  // the whole last day is in the period
  EXPECT_EQ(row.next_reset_at_ms, at("2026-12-31T18:30:00Z"));
  EXPECT_EQ(row.next_reset_local, "2027-01-01 00:00:00");
  EXPECT_EQ(row.credits_available, 5700);
  // The top-up expires at the end of the billing month.
  {
    pqxx::work work(pipeline.db());
    EXPECT_EQ(work.exec_params1(
                      "SELECT (extract(epoch FROM (event->'payload'->>'expires_at')::timestamptz) "
                      "* 1000)::bigint FROM event_log WHERE tenant_id = $1 AND type = "
                      "'credits.topped_up'",
                      tenant)[0]
                  .as<int64_t>(),
              at("2026-12-31T18:30:00Z"));
  }

  // At the new year in Kolkata the engine renews by itself.
  clock.advance(at("2026-12-31T18:30:00Z") - clock.now());
  ASSERT_TRUE(wait_until(
      [&] {
        return period_row(pipeline.db(), tenant, "Asia/Kolkata").period_start == "2027-01-01";
      },
      30s))
      << pipeline.service_failures();
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  row = period_row(pipeline.db(), tenant, "Asia/Kolkata");
  EXPECT_EQ(row.period_end, "2027-01-31");
  EXPECT_EQ(row.next_reset_at_ms, at("2027-01-31T18:30:00Z"));
  EXPECT_EQ(row.next_reset_local, "2027-02-01 00:00:00");
  EXPECT_EQ(row.credits_available, 5000);  // December's lot and the top-up lapsed
  EXPECT_EQ(row.credits_topup, 0);
  {
    pqxx::work work(pipeline.db());
    EXPECT_EQ(
        work.exec_params1(
                "SELECT count(*) FROM credit_ledger WHERE tenant_id = $1 AND type = 'allocated' "
                "AND reason = 'renewal'",
                tenant)[0]
            .as<int64_t>(),
        1);
    EXPECT_EQ(work.exec_params1(
                      "SELECT coalesce(sum(credits), 0) FROM credit_ledger WHERE tenant_id = $1",
                      tenant)[0]
                  .as<int64_t>(),
              5000);
  }
  expect_read_tables_equal_the_log(pipeline);
}

TEST(BillingPeriods, TheDeprecatedRfc3339FormStaysAcceptedBesideDates) {
  ManualClock clock(at("2026-11-10T12:00:00Z"));
  PipelineOptions options;
  options.clock = clock.function();
  Pipeline pipeline(options);
  const std::string midnights = random_tenant();
  const std::string instants = random_tenant();
  const std::string mixed = random_tenant();
  const ResultEnvelope first = pipeline.submit_one(
      midnights,
      command_json("credits.allocate", midnights, "m1",
                   R"({"credits_monthly":100,"period_start":"2026-11-01T00:00:00-05:00",)"
                   R"("period_end":"2026-12-01T00:00:00-05:00","timezone":"America/New_York"})"));
  EXPECT_EQ(first.status, ResultStatus::accepted) << first.message;
  const ResultEnvelope second = pipeline.submit_one(
      instants, command_json("credits.allocate", instants, "i1",
                             R"({"credits_monthly":100,"period_start":"2026-11-01T10:00:00Z",)"
                             R"("period_end":"2026-12-01T10:00:00Z"})"));
  EXPECT_EQ(second.status, ResultStatus::accepted) << second.message;
  const ResultEnvelope third = pipeline.submit_one(
      mixed,
      command_json(
          "credits.allocate", mixed, "x1",
          R"({"credits_monthly":100,"period_start":"2026-11-01","period_end":"2026-12-01T00:00:00Z"})"));
  EXPECT_EQ(third.status, ResultStatus::rejected);
  EXPECT_EQ(third.reason, "invalid_period");
  const ResultEnvelope fourth = pipeline.submit_one(
      mixed, command_json(
                 "credits.allocate", mixed, "x2",
                 R"({"credits_monthly":100,"period_start":"2026-11-01","period_end":"2026-11-30",)"
                 R"("timezone":"Mars/Olympus_Mons"})"));
  EXPECT_EQ(fourth.status, ResultStatus::rejected);
  EXPECT_EQ(fourth.reason, "invalid_timezone");
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  // Local midnights are dates; other instants keep their exact period.
  PeriodRow row = period_row(pipeline.db(), midnights, "America/New_York");
  EXPECT_EQ(row.period_start, "2026-11-01");
  EXPECT_EQ(row.period_end, "2026-11-30");
  EXPECT_EQ(row.next_reset_at_ms, at("2026-12-01T05:00:00Z"));
  row = period_row(pipeline.db(), instants, "UTC");
  EXPECT_EQ(row.period_start, "2026-11-01");
  EXPECT_EQ(row.period_end, "2026-12-01");
  EXPECT_EQ(row.next_reset_at_ms, at("2026-12-01T10:00:00Z"));
  // Both renew: the month in New York, the instants as v1 did.
  clock.advance(at("2026-12-01T10:00:00Z") - clock.now());
  ASSERT_TRUE(wait_until(
      [&] {
        return period_row(pipeline.db(), midnights, "UTC").period_start == "2026-12-01" &&
               period_row(pipeline.db(), instants, "UTC").next_reset_at_ms ==
                   at("2027-01-01T10:00:00Z");
      },
      30s))
      << pipeline.service_failures();
  EXPECT_EQ(period_row(pipeline.db(), midnights, "UTC").next_reset_at_ms,
            at("2027-01-01T05:00:00Z"));
  expect_read_tables_equal_the_log(pipeline);
}

// Migration 005 on a database of the previous schema with rows in it.
TEST(BillingPeriods, Migration005TurnsThePeriodColumnsIntoDatesKeepingAccess) {
  pg::TempServer& server = shared_postgres();
  const std::string database = "lf_billing_" + std::to_string(system_now_ms());
  server.create_database(database);
  pqxx::connection db(server.url_for(database));
  std::optional<std::string_view> migration_005;
  for (const resources::Resource& migration : resources::under("migrations/")) {
    if (migration.path.find("/005_") != std::string_view::npos) {
      migration_005 = migration.content;
      break;
    }
    pqxx::work work(db);
    work.exec(std::string(migration.content));
    work.commit();
  }
  ASSERT_TRUE(migration_005.has_value());
  const std::string midnight = "11111111-1111-4111-8111-111111111111";
  const std::string instants = "22222222-2222-4222-8222-222222222222";
  const std::string unallocated = "33333333-3333-4333-8333-333333333333";
  {
    pqxx::work work(db);
    const std::string insert =
        "INSERT INTO credit_balances (tenant_id, credits_monthly, credits_available, "
        "credits_reserved, "
        "credits_consumed, credits_topup, effective_available, period_start, period_end, "
        "next_reset_at, "
        "last_event_id, updated_at) VALUES ($1, 1, 1, 0, 0, 0, 1, $2::timestamptz, "
        "$3::timestamptz, $3::timestamptz, "
        "'e', now())";
    work.exec_params(insert, midnight, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
    work.exec_params(insert, instants, "2026-11-01T10:00:00Z", "2026-12-01T10:00:00Z");
    work.exec_params(
        "INSERT INTO credit_balances (tenant_id, credits_monthly, credits_available, "
        "credits_reserved, "
        "credits_consumed, credits_topup, effective_available, last_event_id, updated_at) "
        "VALUES ($1, 0, 5, 0, 0, 5, 5, 'e', now())",
        unallocated);
    work.commit();
  }
  {
    pqxx::work work(db);
    work.exec(std::string(*migration_005));
    work.commit();
  }
  EXPECT_EQ(column_type(db, "period_start"), "date");
  EXPECT_EQ(column_type(db, "period_end"), "date");
  pqxx::work work(db);
  auto dates_of = [&](const std::string& tenant) {
    const pqxx::row row = work.exec_params1(
        "SELECT coalesce(period_start::text, '-') || ' ' || coalesce(period_end::text, '-') || ' ' "
        "|| "
        "coalesce(to_char(next_reset_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-') "
        "FROM credit_balances WHERE tenant_id = $1",
        tenant);
    return row[0].as<std::string>();
  };
  // As the upcasters read a v1 period: the UTC dates of its first and last millisecond.
  EXPECT_EQ(dates_of(midnight), "2026-11-01 2026-11-30 2026-12-01 00:00");
  EXPECT_EQ(dates_of(instants), "2026-11-01 2026-12-01 2026-12-01 10:00");
  EXPECT_EQ(dates_of(unallocated), "- - -");
  // Row-level security, its policies and the grants of 003 are still there.
  EXPECT_TRUE(work.exec1("SELECT relrowsecurity FROM pg_class WHERE relname = 'credit_balances'")[0]
                  .as<bool>());
  EXPECT_EQ(
      work.exec1("SELECT count(*) FROM pg_policy WHERE polrelid = 'credit_balances'::regclass")[0]
          .as<int64_t>(),
      2);
  EXPECT_TRUE(
      work.exec1("SELECT has_table_privilege('ledgerflow_reader', 'credit_balances', 'SELECT')")[0]
          .as<bool>());
  EXPECT_TRUE(
      work.exec1(
              "SELECT has_table_privilege('ledgerflow_projector', 'credit_balances', 'UPDATE')")[0]
          .as<bool>());
  EXPECT_FALSE(
      work.exec1("SELECT col_description('credit_balances'::regclass, "
                 "(SELECT attnum FROM pg_attribute WHERE attrelid = 'credit_balances'::regclass "
                 "AND attname = 'period_end'))")[0]
          .is_null());
}

}  // namespace
}  // namespace lf::testing
