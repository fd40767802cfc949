// Runs tied to credits, timers across a partition changing hands, snapshot
// round trips, and seeded random workflows that try to break the invariants.
#include <random>

#include <gtest/gtest.h>

#include "engine/credits/state.hpp"
#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

int64_t effective(const Harness& h) { return credits::effective_available(h.credits().book); }

// A tenant with 1,000 credits and an agent activity in progress.
void working_tenant(Harness& h) {
  h.accept("credits.allocate", allocate_payload(1000));
  h.accept("activity.create", activity_payload("act", false));
  h.accept("activity.start", activity_move("act"));
}

TEST(Runs, StartReservesInTheSameRecord) {
  Harness h(kNow);
  working_tenant(h);
  CommandOutcome outcome = h.run("activity.start_run", start_run("act", "run-1", 300, ",\"deliverable_type\":\"banner_set\""));
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
  h.refuse("activity.start_run", start_run("act", "run-2", 10, ",\"expires_at\":\"2026-11-20T08:00:00Z\""),
           "invalid_expiry");
  h.accept("credits.reserve", "{\"reservation_id\":\"run:run-3\",\"credits\":5}");
  h.refuse("activity.start_run", start_run("act", "run-3", 10), "duplicate_reservation");
}

TEST(Runs, CompletedRunConsumesTheCostAndReleasesTheRest) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("activity.start_run", start_run("act", "run-1", 300));
  EXPECT_EQ(h.accept("activity.finish_run", finish_run("run-1", "completed", 200)),
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
  h.refuse("credits.consume", "{\"reservation_id\":\"run:run-1\",\"credits\":10}", "reservation_owned_by_run");
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

// ---- a partition changing hands ------------------------------------------------

TEST(Timers, ANewOwnerFoldingTheLogFiresEachTimerOnce) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("approval.request", approval_request("a-1", "creative", "cr"));
  h.accept("approval.request", approval_request("a-2", "creative", "cr", ",\"expires_at\":\"2026-11-25T09:00:00Z\""));
  h.accept("activity.start_run", start_run("act", "run-1", 100, ",\"expires_at\":\"2026-11-21T09:00:00Z\""));
  // a-1 (72 h) and run-1 fire on the old owner, a-2 is still ahead.
  h.advance_to(kNow + 72 * kHourMs);
  ASSERT_EQ(h.tick().size(), 1u);
  PartitionCore next = h.fold_into_new_core();
  EXPECT_EQ(next.tenant(kTenant)->workflow, h.workflow());
  EXPECT_EQ(next.tenant(kTenant)->credits, h.credits());
  EXPECT_TRUE(next.fire_timers(h.now(), 1000).empty());  // nothing fires twice
  ASSERT_EQ(next.next_timer_ms(), at("2026-11-25T09:00:00Z"));
  std::vector<Decided> fired = next.fire_timers(at("2026-11-25T09:00:00Z"), 1000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(types_of(fired[0]), (std::vector<std::string>{"approval.expired", "approval.escalated"}));
  EXPECT_TRUE(next.fire_timers(at("2026-11-26T09:00:00Z"), 1000).empty());
}

TEST(Timers, ASnapshotCarriesEveryPendingDeadline) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.accept("activity.create", activity_payload("gate", true));
  h.accept("activity.start", activity_move("gate"));
  h.accept("activity.submit_for_approval", activity_move("gate"));
  h.accept("activity.start_run", start_run("act", "run-1", 100));
  PartitionImage image;
  image.seq = h.core().chain().last_seq;
  image.record_id = h.core().chain().last_record_id;
  image.tenants.emplace_back(kTenant, h.core().tenant_state_json(kTenant));
  PartitionCore restored = Harness::make_core(5);
  ASSERT_TRUE(restored.restore(image).ok());
  EXPECT_EQ(restored.tenant(kTenant)->workflow, h.workflow());
  EXPECT_EQ(restored.next_timer_ms(), h.core().next_timer_ms());
  const int64_t later = kNow + 73 * kHourMs;
  std::vector<Decided> fired = restored.fire_timers(later, 1000);
  ASSERT_EQ(fired.size(), 1u);
  // The run's hold (1 h) first, then both approvals (72 h).
  EXPECT_EQ(types_of(fired[0]), (std::vector<std::string>{"credits.released", "activity.run_finished",
                                                         "approval.expired", "approval.escalated",
                                                         "approval.expired", "approval.escalated"}));
  EXPECT_TRUE(restored.fire_timers(later, 1000).empty());
}

// ---- seeded random workflows ------------------------------------------------------

// Random commands over a few buys, approvals, activities and runs, with time
// moving on: every decision keeps the invariants (workflow indexes, credits
// ledger), and a reader folding the log reaches the same state.
TEST(RandomWorkflows, InvariantsHoldAndTheFoldAgrees) {
  const uint64_t base_seed = [] {
    const char* env = std::getenv("LEDGERFLOW_SEED");
    return env != nullptr ? std::strtoull(env, nullptr, 10) : 20261123ULL;
  }();
  const int kSeeds = 200;
  const int kSteps = 150;
  for (int i = 0; i < kSeeds; ++i) {
    const uint64_t seed = base_seed + static_cast<uint64_t>(i);
    SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(seed));
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<uint64_t>(n)); };
    Harness h(kNow);
    h.accept("credits.allocate", allocate_payload(5000));
    int64_t accepted = 0;
    for (int step = 0; step < kSteps; ++step) {
      const std::string buy = "mb-" + std::to_string(pick(4));
      const std::string activity = "act-" + std::to_string(pick(4));
      const std::string run = "run-" + std::to_string(pick(6));
      const std::string approval = pick(2) == 0 ? buy + ":approval" : activity + ":approval:" + std::to_string(1 + pick(3));
      std::string type;
      std::string payload;
      switch (pick(16)) {
        case 0: type = "media_buy.create"; payload = buy_payload(buy, pick(2) == 0); break;
        case 1: {
          static const char* moves[] = {"media_buy.approve", "media_buy.activate", "media_buy.pause",
                                        "media_buy.resume", "media_buy.complete", "media_buy.fail"};
          type = moves[pick(6)];
          payload = buy_move(buy);
          break;
        }
        case 2: type = "activity.create"; payload = activity_payload(activity, pick(2) == 0); break;
        case 3: case 4: {
          static const char* moves[] = {"activity.start", "activity.submit_for_approval", "activity.complete",
                                        "activity.fail", "activity.cancel"};
          type = moves[pick(5)];
          payload = activity_move(activity);
          break;
        }
        case 5: case 6: {
          static const char* outcomes[] = {"approval.approve", "approval.reject", "approval.request_revision"};
          type = outcomes[pick(3)];
          payload = approval_decision(approval, "note");
          break;
        }
        case 7: type = "approval.request"; payload = approval_request("x-" + std::to_string(pick(5)),
                                                                      pick(2) == 0 ? "media_buy" : "activity",
                                                                      pick(2) == 0 ? buy : activity);
          break;
        case 8: case 9: type = "activity.start_run"; payload = start_run(activity, run, 1 + pick(3000)); break;
        case 10: case 11: {
          static const char* statuses[] = {"completed", "completed", "failed", "timed_out"};
          type = "activity.finish_run";
          payload = finish_run(run, statuses[pick(4)], pick(3200));
          break;
        }
        case 12: type = "credits.release"; payload = "{\"reservation_id\":\"run:" + run + "\"}"; break;
        case 13: type = "credits.topup"; payload = "{\"topup_order_id\":\"o-" + std::to_string(step) + "\",\"credits\":" + std::to_string(1 + pick(800)) + "}"; break;
        case 14: h.advance(pick(4) * 20 * 60'000LL); h.tick(); continue;
        default: h.advance(pick(2) * 30 * kHourMs); h.tick(); continue;
      }
      CommandOutcome outcome = h.run(type, payload);
      if (outcome.result.status == ResultStatus::accepted) ++accepted;
      ASSERT_GE(effective(h), 0);
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_GT(accepted, 10);
    PartitionCore folded = h.fold_into_new_core();
    EXPECT_EQ(folded.tenant(kTenant)->workflow, h.workflow());
    EXPECT_EQ(folded.tenant(kTenant)->credits, h.credits());
    // Every running run holds exactly its open reservation.
    for (const auto& [id, run] : h.workflow().runs) {
      const bool open = h.credits().reservations.contains(run.reservation_id);
      EXPECT_EQ(open, run.status == RunStatus::running) << id;
      if (open) {
        EXPECT_EQ(h.credits().reservations.at(run.reservation_id).credits, run.estimated_credits);
      }
    }
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace lf::engine::workflow::testing
