// Seeded random workflows that try to break the invariants: every decision
// keeps the workflow indexes and links and the credits ledger, no work or
// review step waits without a pending approval, and a reader folding the log
// (or a snapshot) reaches the same state. LEDGERFLOW_SEED replays a failure.
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "engine/credits/state.hpp"
#include "engine/workflow/decider.hpp"
#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

class RandomCommands {
 public:
  RandomCommands(uint64_t seed, const Harness& h) : random_(seed), h_(h) {}

  int pick(int n) { return static_cast<int>(random_() % static_cast<uint64_t>(n)); }
  template <std::size_t N>
  const char* one_of(const char* const (&names)[N]) {
    return names[pick(static_cast<int>(N))];
  }

  std::string buy() { return "mb-" + std::to_string(pick(4)); }
  std::string activity() {
    // Mostly the base activities; sometimes a review step opened for one.
    const std::string base = "act-" + std::to_string(pick(4));
    return pick(4) == 0 ? base + ":review:" + std::to_string(1 + pick(2)) : base;
  }
  std::string run() { return "run-" + std::to_string(pick(6)); }
  // Mostly a running run of the state, so runs end as often as they start.
  std::string running_run() {
    const auto& deadlines = h_.workflow().run_deadlines;
    if (deadlines.empty() || pick(3) == 0) return run();
    auto it = deadlines.begin();
    std::advance(it, pick(static_cast<int>(deadlines.size())));
    return it->second;
  }
  // Mostly an activity of the state in progress, where runs start.
  std::string working_activity() {
    std::vector<std::string> working;
    for (const auto& [id, activity] : h_.workflow().activities) {
      if (activity.status == ActivityStatus::in_progress) working.push_back(id);
    }
    if (working.empty() || pick(3) == 0) return activity();
    return working[static_cast<std::size_t>(pick(static_cast<int>(working.size())))];
  }
  // An approval of the state (follow-ups included), or a name that may not exist.
  std::string approval() {
    const auto& approvals = h_.workflow().approvals;
    if (approvals.empty() || pick(5) == 0) return "x-" + std::to_string(pick(5));
    auto it = approvals.begin();
    std::advance(it, pick(static_cast<int>(approvals.size())));
    return it->first;
  }
  std::string person() { return one_of({"user:rita", "user:sam", "user:lee"}); }

  Step next(int step) {
    switch (pick(20)) {
      case 0:
        return {"media_buy.create",
                buy_payload(buy(), pick(2) == 0, "2026-12-01", "2026-12-31", escalate_to())};
      case 1:
        return {one_of({"media_buy.approve", "media_buy.activate", "media_buy.pause",
                        "media_buy.resume", "media_buy.complete", "media_buy.fail"}),
                buy_move(buy())};
      case 2:
        return {"activity.create",
                activity_payload("act-" + std::to_string(pick(4)), pick(3) == 0)};
      case 3:
      case 4:
        return {one_of({"activity.start", "activity.complete", "activity.fail", "activity.cancel"}),
                activity_move(activity())};
      case 5:
        return submit();
      case 6:
      case 7:
        return {one_of({"approval.approve", "approval.reject", "approval.request_revision"}),
                approval_decision(approval(), "note")};
      case 8:
        return request();
      case 9:
        return {"approval.assign", "{\"approval_id\":" + quoted(approval()) +
                                       ",\"reviewer_id\":" + quoted(person()) + "}"};
      case 10:
        return {"approval.send_to_client", "{\"approval_id\":" + quoted(approval()) + "}"};
      case 11:
        return assign();
      case 12:
        return {"activity.start_run", start_run(working_activity(), run(), 1 + pick(3000))};
      case 13:
        return {"activity.finish_run",
                finish_run(running_run(), one_of({"completed", "completed", "failed", "timed_out"}),
                           pick(3200))};
      case 14:
        return {"credits.release", "{\"reservation_id\":\"run:" + running_run() + "\"}"};
      case 15:
        return {"credits.topup", "{\"topup_order_id\":\"o-" + std::to_string(step) +
                                     "\",\"credits\":" + std::to_string(1 + pick(800)) + "}"};
      case 16:
        if (pick(4) != 0) return audit();
        return {"tenant.configure", pick(2) == 0
                                        ? "{\"escalation_reviewer_id\":null}"
                                        : "{\"escalation_reviewer_id\":" + quoted(person()) + "}"};
      default:
        return {"", ""};  // time moves on
    }
  }

 private:
  Step audit() {
    return {"audit.record",
            one_of({R"({"operation":"login","success":false,"ip_address":"10.0.0.1"})",
                    R"({"action":"update","user_id":7,"resource_type":null,"old_value":[1]})",
                    R"({"event_type":"x","occurred_at":"2020-01-01T00:00:00Z"})"})};
  }
  std::string escalate_to() { return pick(2) == 0 ? "" : ",\"escalate_to\":" + quoted(person()); }
  Step submit() {
    std::string extra = escalate_to();
    if (pick(2) == 0) extra += ",\"reviewer_id\":" + quoted(person());
    return {"activity.submit_for_approval", activity_move(activity(), extra)};
  }
  Step request() {
    const int kind = pick(3);
    const std::string subject = kind == 0   ? buy()
                                : kind == 1 ? activity()
                                            : "cr-" + std::to_string(pick(3));
    const std::string extra =
        pick(3) == 0 ? ",\"activity_id\":" + quoted(activity()) : escalate_to();
    return {"approval.request", approval_request("x-" + std::to_string(pick(5)),
                                                 kind == 0   ? "media_buy"
                                                 : kind == 1 ? "activity"
                                                             : "creative",
                                                 subject, extra)};
  }
  Step assign() {
    const std::string who =
        pick(2) == 0 ? ",\"assignee_type\":\"agent\",\"assignee_agent_role\":\"designer\""
                     : ",\"assignee_type\":\"human\",\"assignee_user_id\":" + quoted(person());
    return {"activity.assign", activity_move(activity(), who)};
  }

  std::mt19937_64 random_;
  const Harness& h_;
};

// Nothing strands: an activity awaiting approval waits on a pending one.
void expect_nothing_waits_for_nothing(const State& state) {
  for (const auto& [id, activity] : state.activities) {
    if (activity.status != ActivityStatus::awaiting_approval) continue;
    ASSERT_TRUE(activity.pending_approval_id.has_value()) << id << " awaits approval without one";
    EXPECT_EQ(state.approvals.at(*activity.pending_approval_id).status, ApprovalStatus::pending)
        << id;
  }
}

std::string workflow_json(const State& state) {
  JsonWriter writer;
  write_state(writer, state);
  return writer.str();
}

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
    Harness h(kNow);
    RandomCommands random(seed, h);
    h.accept("credits.allocate", allocate_payload(5000));
    int64_t accepted = 0;
    for (int step = 0; step < kSteps; ++step) {
      const Step command = random.next(step);
      if (command.type.empty()) {
        h.advance(random.pick(2) == 0 ? random.pick(4) * 20 * 60'000LL
                                      : random.pick(3) * 30 * kHourMs);
        h.tick();
      } else {
        const std::string actor = command.type == "tenant.configure" ? "admin:ops" : "user:alice";
        if (h.run(command.type, command.payload, actor).result.status == ResultStatus::accepted)
          ++accepted;
      }
      ASSERT_GE(credits::effective_available(h.credits().book), 0);
      expect_nothing_waits_for_nothing(h.workflow());
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_GT(accepted, 10);
    PartitionCore folded = h.fold_into_new_core();
    EXPECT_EQ(folded.tenant(kTenant)->workflow, h.workflow());
    EXPECT_EQ(folded.tenant(kTenant)->credits, h.credits());
    EXPECT_EQ(workflow_json(folded.tenant(kTenant)->workflow), workflow_json(h.workflow()));
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
