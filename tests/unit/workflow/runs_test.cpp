// Runs tied to credits: a start and its hold, an end and the hold's close,
// in one record each; what a run reports (adapter, model, session, cost,
// error); the hold's deadline ending the run.
#include <gtest/gtest.h>

#include "engine/credits/state.hpp"
#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

int64_t effective(const Harness& h) {
  return credits::effective_available(h.credits().book);
}

// A tenant with 1,000 credits and an agent activity in progress.
void working_tenant(Harness& h) {
  h.accept("credits.allocate", allocate_payload(1000));
  h.accept("activity.create", activity_payload("act", false));
  h.accept("activity.start", activity_move("act"));
}

TEST(Runs, StartReservesInTheSameRecord) {
  Harness h(kNow);
  working_tenant(h);
  CommandOutcome outcome = h.run(
      "activity.start_run", start_run("act", "run-1", 300, ",\"deliverable_type\":\"banner_set\""));
  ASSERT_EQ(outcome.result.status, ResultStatus::accepted) << outcome.result.message;
  DecodedRecord record = decode(outcome.records.back());
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[0].header.type, "activity.run_started");
  EXPECT_EQ(record.events[0].header.stream, "activity/act");
  EXPECT_EQ(record.events[1].header.type, "credits.reserved");
  EXPECT_EQ(record.events[1].header.stream, std::string("credits/") + kTenant);
  EXPECT_EQ(json_string(*record.events[1].payload, "reservation_id"), "run:run-1");
  EXPECT_EQ(json_string(*record.events[1].payload, "activity_run_id"), "run-1");
  EXPECT_EQ(h.credits().book.reserved_credits, 300);
  EXPECT_EQ(effective(h), 700);
}

TEST(Runs, InsufficientCreditsLeavesNothing) {
  Harness h(kNow);
  working_tenant(h);
  h.refuse("activity.start_run", start_run("act", "run-1", 1001), "insufficient_credits");
  EXPECT_TRUE(h.workflow().runs.empty());
  EXPECT_EQ(h.credits().book.reserved_credits, 0);
  EXPECT_TRUE(h.credits().reservations.empty());
  // The id is not taken by the refused start.
  h.accept("activity.start_run", start_run("act", "run-1", 1000));
}

TEST(Runs, StartRefusals) {
  Harness h(kNow);
  working_tenant(h);
  h.refuse("activity.start_run", start_run("missing", "run-1", 10), "unknown_activity");
  h.accept("activity.create", activity_payload("idle", false));
  h.refuse("activity.start_run", start_run("idle", "run-1", 10), "invalid_transition");
  h.accept("activity.start_run", start_run("act", "run-1", 10));
  h.refuse("activity.start_run", start_run("act", "run-1", 10), "duplicate_run");
  h.refuse("activity.start_run",
           start_run("act", "run-2", 10, ",\"expires_at\":\"2026-11-20T08:00:00Z\""),
           "invalid_expiry");
  h.accept("credits.reserve", "{\"reservation_id\":\"run:run-3\",\"credits\":5}");
  h.refuse("activity.start_run", start_run("act", "run-3", 10), "duplicate_reservation");
}

TEST(Runs, CompletedRunConsumesTheCostAndReleasesTheRest) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("activity.start_run", start_run("act", "run-1", 300));
  EXPECT_EQ(
      h.accept("activity.finish_run", finish_run("run-1", "completed", 200)),
      (std::vector<std::string>{"activity.run_finished", "credits.released", "credits.consumed"}));
  EXPECT_EQ(h.credits().book.reserved_credits, 0);
  EXPECT_EQ(effective(h), 800);
  EXPECT_EQ(h.workflow().runs.at("run-1").status, RunStatus::completed);
  h.refuse("activity.finish_run", finish_run("run-1", "completed", 1), "invalid_transition");
  h.refuse("activity.finish_run", finish_run("run-9", "completed", 1), "unknown_run");
}

TEST(Runs, CompletedWithNothingUsedOnlyReleases) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("activity.start_run", start_run("act", "run-1", 300));
  EXPECT_EQ(h.accept("activity.finish_run", finish_run("run-1", "completed", 0)),
            (std::vector<std::string>{"activity.run_finished", "credits.released"}));
  EXPECT_EQ(effective(h), 1000);
}

TEST(Runs, UsingMoreThanReservedIsRefused) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("activity.start_run", start_run("act", "run-1", 300));
  h.refuse("activity.finish_run", finish_run("run-1", "completed", 301), "exceeds_reservation");
  EXPECT_EQ(h.credits().book.reserved_credits, 300);
}

TEST(Runs, FailedAndTimedOutRunsReleaseEverything) {
  for (const char* status : {"failed", "timed_out"}) {
    Harness h(kNow);
    working_tenant(h);
    h.accept("activity.start_run", start_run("act", "run-1", 300));
    CommandOutcome outcome = h.run("activity.finish_run", finish_run("run-1", status, 250));
    ASSERT_EQ(outcome.result.status, ResultStatus::accepted);
    DecodedRecord record = decode(outcome.records.back());
    ASSERT_EQ(record.events.size(), 2u) << status;
    EXPECT_EQ(json_int64(*record.events[0].payload, "credits_used"), 250);
    EXPECT_EQ(json_int64(*record.events[0].payload, "credits_charged"), 0);
    EXPECT_EQ(json_int64(*record.events[0].payload, "credits_released"), 300);
    EXPECT_EQ(record.events[1].header.type, "credits.released");
    EXPECT_EQ(effective(h), 1000) << status;
  }
}

TEST(Runs, OnlyTheRunMayCloseItsHold) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("activity.start_run", start_run("act", "run-1", 300));
  h.refuse("credits.release", "{\"reservation_id\":\"run:run-1\"}", "reservation_owned_by_run");
  h.refuse("credits.consume", "{\"reservation_id\":\"run:run-1\",\"credits\":10}",
           "reservation_owned_by_run");
  EXPECT_EQ(h.credits().book.reserved_credits, 300);
}

TEST(Runs, AHoldReachingItsDeadlineEndsTheRunInTheSameRecord) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("activity.start_run", start_run("act", "run-1", 300));
  h.advance(kHourMs);  // the default deadline
  std::vector<Decided> fired = h.tick();
  ASSERT_EQ(fired.size(), 1u);
  DecodedRecord record = decode(fired[0]);
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[0].header.type, "credits.released");
  EXPECT_EQ(json_string(*record.events[0].payload, "reason"), "expired");
  EXPECT_EQ(record.events[1].header.type, "activity.run_finished");
  EXPECT_EQ(json_string(*record.events[1].payload, "status"), "timed_out");
  EXPECT_EQ(h.workflow().runs.at("run-1").status, RunStatus::timed_out);
  EXPECT_EQ(effective(h), 1000);
  h.refuse("activity.finish_run", finish_run("run-1", "completed", 100), "invalid_transition");
  EXPECT_TRUE(h.tick().empty());
}

// ---- what a run reports ------------------------------------------------------------

TEST(Runs, StartCarriesTheAdapterModelAndSession) {
  Harness h(kNow);
  working_tenant(h);
  const DecodedRecord record = h.accept_record(
      "activity.start_run",
      start_run(
          "act", "run-1", 300,
          ",\"adapter_type\":\"claude\",\"model_id\":\"claude-sonnet-4\",\"session_id\":\"s-9\""));
  const DecodedEvent& started = event_of(record, "activity.run_started");
  EXPECT_EQ(started.header.schema_version, 2);
  EXPECT_EQ(json_string(*started.payload, "adapter_type"), "claude");
  EXPECT_EQ(json_string(*started.payload, "model_id"), "claude-sonnet-4");
  EXPECT_EQ(json_string(*started.payload, "session_id"), "s-9");
}

// finish_run for run-1 with `extra` members.
std::string finish_with(const std::string& status, int64_t used, const std::string& extra) {
  return "{\"run_id\":\"run-1\",\"status\":" + quoted(status) +
         ",\"credits_used\":" + std::to_string(used) + extra + "}";
}

TEST(Runs, CostIsHeldAsExactMicroDollars) {
  struct Case {
    std::string cost;  // JSON
    int64_t micros;
  };
  for (const Case& c : std::vector<Case>{{"0.042", 42'000},
                                         {"\"0.042\"", 42'000},
                                         {"\"1.5\"", 1'500'000},
                                         {"12", 12'000'000},
                                         {"\"9999.999999\"", 9'999'999'999},
                                         {"0", 0},
                                         {"\"0.000001\"", 1}}) {
    SCOPED_TRACE(c.cost);
    Harness h(kNow);
    working_tenant(h);
    h.accept("activity.start_run", start_run("act", "run-1", 300));
    const DecodedRecord record = h.accept_record(
        "activity.finish_run", finish_with("completed", 10, ",\"cost_usd\":" + c.cost));
    const DecodedEvent& finished = event_of(record, "activity.run_finished");
    EXPECT_EQ(finished.header.schema_version, 3);
    EXPECT_EQ(json_int64(*json_member(*finished.payload, "usage"), "cost_usd_micros"), c.micros);
  }
}

TEST(Runs, ACostOutOfRangeOrTooPreciseIsRefused) {
  for (const char* cost : {"\"0.0000001\"", "\"10000\"", "-1", "\"-0.5\"", "\"abc\"", "\"1e-7\""}) {
    SCOPED_TRACE(cost);
    Harness h(kNow);
    working_tenant(h);
    h.accept("activity.start_run", start_run("act", "run-1", 300));
    h.refuse("activity.finish_run",
             finish_with("completed", 10, std::string(",\"cost_usd\":") + cost), "invalid_amount");
    EXPECT_EQ(h.workflow().runs.at("run-1").status, RunStatus::running);
  }
}

TEST(Runs, AFailedRunKeepsItsError) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("activity.start_run", start_run("act", "run-1", 300));
  const DecodedRecord record =
      h.accept_record("activity.finish_run",
                      finish_with("failed", 40, ",\"error\":\"rate limited by the provider\""));
  const rapidjson::Value& finished = *event_of(record, "activity.run_finished").payload;
  EXPECT_EQ(json_string(finished, "error"), "rate limited by the provider");
  EXPECT_EQ(json_int64(finished, "credits_charged"), 0);
  EXPECT_EQ(json_to_string(*json_member(finished, "usage")), "{}");
}

}  // namespace
}  // namespace lf::engine::workflow::testing
