// import.credit_ledger through the engine's pure path (intake checks,
// engine::decide, the event schema, engine::evolve): rows checked as they
// would be live, each refusal with its line, the end state against
// credit_balances, chunk order, re-runs, conflicts, live events and
// --append; the state evolve reaches is the one the decision saw.
#include <gtest/gtest.h>

#include "engine/credits/decider.hpp"
#include "engine/credits/import.hpp"
#include "engine/credits/ledger.hpp"
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

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
const std::string kImportA(64, 'a');
const std::string kImportB(64, 'b');

using testing::at;
using testing::expect_refused;

// The tenant as the engine holds it, driven command by command.
class Tenant : public testing::TenantDriver {
 public:
  explicit Tenant(int64_t now_ms) : TenantDriver(kTenant, now_ms) {}
  Decision import(const LedgerChunk& chunk) {
    return run("import.credit_ledger", credits::encode_ledger_chunk(chunk));
  }
};

LedgerEntry entry(int64_t line, EntryType type, int64_t credits, int64_t balance_after,
                  const char* created_at, std::optional<std::string> run = std::nullopt,
                  std::optional<std::string> order = std::nullopt) {
  LedgerEntry e;
  e.line = line;
  e.source_id = "row-" + std::to_string(line);
  e.type = type;
  e.credits = credits;
  e.balance_after = balance_after;
  e.created_at_ms = at(created_at);
  e.activity_run_id = std::move(run);
  e.topup_order_id = std::move(order);
  return e;
}

LedgerChunk chunk_of(std::vector<LedgerEntry> rows, int64_t chunk = 0, int64_t chunks = 1,
                     const std::string& import_id = kImportA) {
  LedgerChunk c;
  c.import_id = import_id;
  c.chunk = chunk;
  c.chunks = chunks;
  c.source = credits::ImportSource{"ledger.csv", rows.front().line, rows.back().line};
  c.rows = std::move(rows);
  return c;
}

// allocated 5000, a 1000 top-up, a run reserving 300 and using 200 (the
// release first, as ledgerflow writes it), a run still holding 100.
std::vector<LedgerEntry> history() {
  return {entry(2, EntryType::allocated, 5000, 5000, "2026-04-01T00:00:00Z"),
          entry(3, EntryType::topup, 1000, 6000, "2026-04-02T10:00:00Z", std::nullopt, "order_1"),
          entry(4, EntryType::reserved, -300, 5700, "2026-04-03T10:00:00Z", "run-1"),
          entry(5, EntryType::released, 300, 6000, "2026-04-03T10:05:00Z", "run-1"),
          entry(6, EntryType::consumed, -200, 5800, "2026-04-03T10:05:00Z", "run-1"),
          entry(7, EntryType::reserved, -100, 5700, "2026-04-04T10:00:00Z", "run-2")};
}

credits::ExpectedBalance expected_for_history() {
  return credits::ExpectedBalance{
      5000, 5800, 100, 200, 800, *parse_date_days("2026-04-01"), *parse_date_days("2026-04-30")};
}

const int64_t kNow = at("2026-04-20T12:00:00Z");

TEST(Import, AGoodLedgerBecomesOneEventAndTheStateItDescribes) {
  Tenant tenant(kNow);
  LedgerChunk chunk = chunk_of(history());
  chunk.expected_balance = expected_for_history();
  const Decision decision = tenant.import(chunk);
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  ASSERT_EQ(decision.events().size(), 1u);
  EXPECT_EQ(decision.events()[0].type, "credits.ledger_imported");
  const credits_ns::Balance balance = credits_ns::balance_of(tenant.credits().book);
  EXPECT_EQ(balance.credits_available, 5800);
  EXPECT_EQ(balance.credits_reserved, 100);
  EXPECT_EQ(balance.credits_consumed, 200);
  EXPECT_EQ(balance.credits_topup, 800);  // top-ups are consumed first
  EXPECT_EQ(balance.effective_available, 5700);
  EXPECT_EQ(balance.period_start_day, parse_date_days("2026-04-01"));
  EXPECT_EQ(balance.next_reset_at_ms, at("2026-05-01T00:00:00Z"));
  // The open hold is a reservation named after its run, expiring a day after now.
  const auto& reservations = tenant.credits().reservations;
  ASSERT_EQ(reservations.size(), 1u);
  EXPECT_EQ(reservations.begin()->first, "import:run-2");
  EXPECT_EQ(reservations.begin()->second.expires_at_ms, kNow + credits::kImportedReservationTtlMs);
  // The event keeps the rows' original times and ids; its credits are the sum.
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads()[0]);
  const rapidjson::Value& entries = (*payload)["entries"];
  ASSERT_EQ(entries.Size(), 6u);
  EXPECT_EQ(json_string(entries[0], "created_at"), "2026-04-01T00:00:00.000Z");
  EXPECT_EQ(json_string(entries[4], "id"), "row-6");
  EXPECT_EQ(json_string(entries[4], "hold_status"), "consumed");
  EXPECT_EQ(json_int64(entries[4], "hold_consumed"), 200);
  EXPECT_EQ(credits_ns::effective_delta("credits.ledger_imported", *payload), 5700);
}

TEST(Import, ConsumptionBeforeReleaseIsReadToo) {
  Tenant tenant(kNow);
  LedgerChunk chunk =
      chunk_of({entry(2, EntryType::allocated, 1000, 1000, "2026-04-01T00:00:00Z"),
                entry(3, EntryType::reserved, -300, 700, "2026-04-02T00:00:00Z", "run-1"),
                entry(4, EntryType::consumed, -200, 500, "2026-04-02T00:01:00Z", "run-1"),
                entry(5, EntryType::released, 300, 800, "2026-04-02T00:01:00Z", "run-1")});
  ASSERT_TRUE(tenant.import(chunk).accepted());
  EXPECT_EQ(credits_ns::effective_available(tenant.credits().book), 800);
  EXPECT_TRUE(tenant.credits().reservations.empty());
  EXPECT_EQ(tenant.credits().book.consumed_lifetime_credits, 200);
}

TEST(Import, EachRowIsCheckedAsItWouldBeLive) {
  struct Case {
    std::vector<LedgerEntry> rows;
    std::string reason;
    std::string message;
  };
  const std::vector<Case> cases{
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::adjusted, -50, 60, "2026-04-02T00:00:00Z")},
       "running_balance_mismatch",
       "ledger.csv:3: balance_after is 60, but the balance before, 100, plus credits, -50, is 50"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::adjusted, -150, -50, "2026-04-02T00:00:00Z")},
       "negative_balance",
       "ledger.csv:3: the running balance would go negative: -50"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-02T00:00:00Z"),
        entry(3, EntryType::adjusted, 1, 101, "2026-04-01T00:00:00Z")},
       "timestamps_out_of_order",
       "ledger.csv:3: created_at 2026-04-01T00:00:00.000Z is before"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::consumed, -10, 90, "2026-04-02T00:00:00Z", "run-x")},
       "unknown_reservation",
       "ledger.csv:3: consumed 10 credits for activity_run_id run-x, which has no hold"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::released, 10, 110, "2026-04-02T00:00:00Z", "run-x")},
       "unknown_reservation",
       "ledger.csv:3: released 10 credits for activity_run_id run-x, which holds none"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::reserved, -30, 70, "2026-04-02T00:00:00Z", "run-1"),
        entry(4, EntryType::released, 40, 110, "2026-04-02T00:00:00Z", "run-1")},
       "exceeds_reservation",
       "ledger.csv:4: released 40 credits, more than the 30 held"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::reserved, -30, 70, "2026-04-02T00:00:00Z", "run-1"),
        entry(4, EntryType::released, 30, 100, "2026-04-02T00:00:00Z", "run-1"),
        entry(5, EntryType::consumed, -31, 69, "2026-04-02T00:00:00Z", "run-1")},
       "exceeds_reservation",
       "ledger.csv:5: consumed 31 credits for activity_run_id run-1: with the 0 consumed before, "
       "more than the 30 reserved"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::reserved, -30, 70, "2026-04-02T00:00:00Z", "run-1"),
        entry(4, EntryType::reserved, -30, 40, "2026-04-02T00:00:00Z", "run-1")},
       "duplicate_reservation",
       "ledger.csv:4: activity_run_id run-1 already has a hold"},
      {{entry(2, EntryType::topup, 100, 100, "2026-04-01T00:00:00Z", std::nullopt, "o-1"),
        entry(3, EntryType::topup, 100, 200, "2026-04-02T00:00:00Z", std::nullopt, "o-1")},
       "duplicate_topup_order",
       "ledger.csv:3: top-up order o-1 was already credited"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::refunded, 10, 110, "2026-04-02T00:00:00Z")},
       "exceeds_consumed",
       "ledger.csv:3: refunded 10 credits, more than the 0 consumed and not yet refunded"},
      {{entry(2, EntryType::allocated, -100, -100, "2026-04-01T00:00:00Z")},
       "invalid_row",
       "ledger.csv:2: an allocated entry's credits are >= 0"},
      {{entry(2, EntryType::allocated, 100, 100, "2026-04-01T00:00:00Z"),
        entry(3, EntryType::reserved, -10, 90, "2026-04-02T00:00:00Z")},
       "invalid_row",
       "ledger.csv:3: a reserved entry names its hold by activity_run_id, which is empty"},
      {{entry(2, EntryType::topup, 100, 100, "2026-04-01T00:00:00Z")},
       "invalid_row",
       "ledger.csv:2: a topup entry needs its topup_order_id"},
  };
  for (const Case& each : cases) {
    Tenant tenant(kNow);
    SCOPED_TRACE(each.reason);
    expect_refused(tenant.import(chunk_of(each.rows)), each.reason, each.message);
    EXPECT_EQ(tenant.state().stream_version(credits::stream_name(kTenant)),
              0);  // nothing of it applied
    EXPECT_TRUE(tenant.credits().imports.by_kind.empty());
  }
}

TEST(Import, AMismatchedEndBalanceSaysByHowMuchPerFigure) {
  Tenant tenant(kNow);
  LedgerChunk chunk = chunk_of(history());
  credits::ExpectedBalance expected = expected_for_history();
  expected.credits_available = 5850;
  expected.credits_topup = 700;
  chunk.expected_balance = expected;
  expect_refused(
      tenant.import(chunk), "balance_mismatch",
      "the tenant's credit_balances row: credits_available is 5800 after the ledger, 5850 in "
      "credit_balances (off by -50); credits_topup is 800 after the ledger, 700 in credit_balances "
      "(off by +100)");
  EXPECT_EQ(tenant.credits(), credits_ns::State{});
  expected = expected_for_history();
  expected.period_end_day = *parse_date_days("2026-03-01");
  chunk.expected_balance = expected;
  expect_refused(tenant.import(chunk), "invalid_period", "cannot be a billing period");
}

TEST(Import, ChunksGoInOrderAndARerunChangesNothing) {
  std::vector<LedgerEntry> rows = history();
  LedgerChunk first = chunk_of({rows[0], rows[1], rows[2]}, 0, 2);
  LedgerChunk second = chunk_of({rows[3], rows[4], rows[5]}, 1, 2);
  second.expected_balance = expected_for_history();
  Tenant tenant(kNow);
  expect_refused(tenant.import(second), "chunk_out_of_order",
                 "a new import starts with chunk 0, not 1");
  ASSERT_TRUE(tenant.import(first).accepted());
  // While chunks are to come, timers wait: the top-up's expiry has passed.
  tenant.advance(40LL * 24 * 3'600'000);
  EXPECT_EQ(next_due_ms(tenant.state()), std::nullopt);
  expect_refused(tenant.import(first), "already_imported",
                 "chunk 0 of 2 of import aaaaaaaaaaaa is already imported (1 committed)");
  ASSERT_TRUE(tenant.import(second).accepted()) << "resumed at chunk 1";
  const credits_ns::State after = tenant.credits();
  expect_refused(tenant.import(first), "already_imported", "(2 committed)");
  expect_refused(tenant.import(second), "already_imported", "chunk 1 of 2");
  EXPECT_EQ(tenant.credits(), after);
  EXPECT_EQ(after.imports.by_kind.at("credit_ledger"),
            (credits_ns::ImportProgress{kImportA, 2, 2}));
  // Finished: the timers run again.
  EXPECT_NE(next_due_ms(tenant.state()), std::nullopt);
}

TEST(Import, ADifferentImportConflictsUnlessAppended) {
  Tenant tenant(kNow);
  std::vector<LedgerEntry> rows = history();
  ASSERT_TRUE(tenant.import(chunk_of({rows[0], rows[1]}, 0, 2)).accepted());
  expect_refused(
      tenant.import(chunk_of({rows[0]}, 0, 1, kImportB)), "import_conflict",
      "import aaaaaaaaaaaa of this tenant's credit_ledger is unfinished (1 of 2 chunks)");
  ASSERT_TRUE(tenant.import(chunk_of({rows[2]}, 1, 2)).accepted());
  LedgerChunk tail = chunk_of({rows[3], rows[4], rows[5]}, 0, 1, kImportB);
  expect_refused(tenant.import(tail), "import_conflict", "import more rows with --append");
  tail.append = true;
  const Decision appended = tenant.import(tail);
  ASSERT_TRUE(appended.accepted()) << appended.rejection().message;
  EXPECT_EQ(credits_ns::effective_available(tenant.credits().book), 5700);
  EXPECT_EQ(tenant.credits().imports.by_kind.at("credit_ledger").import_id, kImportB);
}

TEST(Import, LiveEventsRefuseAnImportUnlessAppendedWhichContinuesFromTheBalance) {
  Tenant tenant(kNow);
  ASSERT_TRUE(
      tenant.run("credits.adjust", R"({"credits":500,"note":"live"})", "admin:ops").accepted());
  LedgerChunk chunk = chunk_of({entry(2, EntryType::adjusted, 100, 100, "2026-04-01T00:00:00Z")});
  expect_refused(tenant.import(chunk), "tenant_has_live_events",
                 "the tenant already has 1 live credits event(s)");
  // Appended, the seed's running balance goes on from the seed's (0 here),
  // the tenant's from its own: the entry shows the tenant's, and the seed's.
  chunk.append = true;
  chunk.rows[0].balance_after = 600;
  expect_refused(tenant.import(chunk), "running_balance_mismatch",
                 "balance_after is 600, but the balance before, 0,");
  chunk.rows[0].balance_after = 100;
  ASSERT_TRUE(tenant.import(chunk).accepted());
  EXPECT_EQ(credits_ns::effective_available(tenant.credits().book), 600);
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads().back());
  EXPECT_EQ(json_int64((*payload)["entries"][0], "balance_after"), 600);
  EXPECT_EQ(json_int64((*payload)["entries"][0], "source_balance_after"), 100);
}

TEST(Import, AChangeBetweenChunksOfAnImportRefusesTheRest) {
  Tenant tenant(kNow);
  std::vector<LedgerEntry> rows = history();
  ASSERT_TRUE(tenant.import(chunk_of({rows[0], rows[1]}, 0, 2)).accepted());
  ASSERT_TRUE(
      tenant.run("credits.adjust", R"({"credits":10,"note":"live, mid-import"})", "admin:ops")
          .accepted());
  expect_refused(tenant.import(chunk_of({rows[2], rows[3], rows[4], rows[5]}, 1, 2)),
                 "running_balance_mismatch",
                 "ledger.csv:4: the tenant's effective available is 6010, not the ledger's 6000: "
                 "something else "
                 "changed the tenant since the import began");
}

TEST(Import, LiveCommandsWorkOnTheImportedState) {
  Tenant tenant(kNow);
  LedgerChunk chunk = chunk_of(history());
  chunk.expected_balance = expected_for_history();
  ASSERT_TRUE(tenant.import(chunk).accepted());
  // The open imported hold is consumed by its name; new holds against the balance.
  ASSERT_TRUE(tenant.run("credits.consume", R"({"reservation_id":"import:run-2","credits":60})")
                  .accepted());
  expect_refused(tenant.run("credits.reserve", R"({"reservation_id":"r","credits":5741})"),
                 "insufficient_credits", "5740");
  ASSERT_TRUE(tenant.run("credits.reserve", R"({"reservation_id":"r","credits":5740})").accepted());
  // An imported hold nobody closes expires a day after the import.
  Tenant other(kNow);
  ASSERT_TRUE(other.import(chunk).accepted());
  other.advance(credits::kImportedReservationTtlMs);
  other.fire_timers();
  EXPECT_TRUE(other.credits().reservations.empty());
}

TEST(Import, TheStateSurvivesASnapshot) {
  Tenant tenant(kNow);
  std::vector<LedgerEntry> rows = history();
  ASSERT_TRUE(tenant.import(chunk_of({rows[0], rows[1], rows[2], rows[3]}, 0, 2)).accepted());
  JsonWriter writer;
  write_tenant_state(writer, tenant.state());
  std::unique_ptr<rapidjson::Document> document = testing::parse_json(writer.str());
  Result<TenantState> read = read_tenant_state(*document);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->credits, tenant.credits());
  EXPECT_EQ(read->credits.imports.runs.at("run-1").held_credits, 0);
  EXPECT_TRUE(read->credits.imports.in_progress());
}

TEST(Import, PrecheckRefusesWhatTheEngineRefuses) {
  std::vector<LedgerEntry> rows = history();
  LedgerChunk first = chunk_of({rows[0], rows[1], rows[2]}, 0, 2);
  LedgerChunk second = chunk_of({rows[3], rows[4], rows[5]}, 1, 2);
  second.expected_balance = expected_for_history();
  EXPECT_EQ(
      credits::precheck_ledger_chunks(credits_ns::State{}, 0, {first, second}, "credits/x", kNow),
      std::nullopt);
  second.rows[2].balance_after = 5600;
  const std::optional<Rejection> refused =
      credits::precheck_ledger_chunks(credits_ns::State{}, 0, {first, second}, "credits/x", kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "running_balance_mismatch");
  EXPECT_NE(refused->message.find("ledger.csv:7:"), std::string::npos) << refused->message;
}

}  // namespace
}  // namespace lf::engine
