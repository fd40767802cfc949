// The soak workload's workflow flows (workload.hpp): an agent's work with
// its runs and review, approval gates, media buys and their approvals, each
// a sequence of steps a tenant's model walks through.
#include "events/assert.hpp"
#include "tools/soak/workload.hpp"
#include "tools/soak/workload_model.hpp"

namespace lf::soak {

namespace {

std::string decision_payload(const std::string& approval_id, const char* notes) {
  return "{\"approval_id\":" + q(approval_id) +
         ",\"reviewed_by\":\"user:rita\",\"notes\":" + q(notes) + "}";
}

std::string approval_of(const std::string& id, int round) {
  return id + "-ap" + std::to_string(round);
}

}  // namespace

// An agent's work: created, started, runs that hold and spend credits,
// submitted for review (a review step and its approval), sent back or
// approved, completed.
Workload::Step Workload::work_step(TenantModel& model, Flow& flow) {
  const std::string& id = flow.id;
  switch (flow.stage) {
    case 0:
      flow.stage = 1;
      return Step::accept("activity.create", "user:planner",
                          "{\"activity_id\":" + q(id) +
                              ",\"title\":\"Write banner "
                              "copy\",\"type\":\"copywriting\",\"assignee_type\":\"agent\","
                              "\"assignee_agent_role\":\"copywriter\",\"priority\":\"high\",\"is_"
                              "approval_gate\":false}");
    case 1:
      flow.stage = 2;
      flow.runs_left = static_cast<int>(roll(3));
      return Step::accept("activity.start", "agent:copywriter", id_payload("activity_id", id));
    case 2:
      if (flow.run) return finish_run(model, flow);
      if (chance(4)) {
        return Step::reject("activity.finish_run", "agent:copywriter",
                            "{\"run_id\":" + q(model.next_id("nope-run-")) +
                                ",\"status\":\"completed\",\"credits_used\":1}",
                            "unknown_run");
      }
      if (flow.runs_left > 0 && model.balance.effective_available >= 100)
        return start_run(model, flow);
      if (chance(5)) {
        flow.done = true;
        return Step::accept("activity.cancel", "user:planner", id_payload("activity_id", id));
      }
      flow.stage = 3;
      [[fallthrough]];
    case 3: {
      ++flow.round;
      flow.stage = 4;
      flow.extra_done = false;
      return Step::accept(
          "activity.submit_for_approval", "agent:copywriter",
          "{\"activity_id\":" + q(id) + ",\"approval_id\":" + q(approval_of(id, flow.round)) +
              ",\"review_activity_id\":" + q(id + "-rv" + std::to_string(flow.round)) + "}");
    }
    case 4: {
      const std::string approval = approval_of(id, flow.round);
      if (!flow.extra_done && chance(30)) {
        flow.extra_done = true;
        return Step::accept("approval.assign", "user:planner",
                            "{\"approval_id\":" + q(approval) + ",\"reviewer_id\":\"user:lee\"}");
      }
      const int outcome = static_cast<int>(roll(100));
      if (outcome < 60 || flow.round >= kReviewRoundsMax) {
        flow.stage = 5;
        flow.extra_done = false;
        return Step::accept("approval.approve", "user:rita",
                            decision_payload(approval, "looks good"));
      }
      flow.stage = 1;  // back to work: assigned (revision) or rejected, started again
      return Step::accept(outcome < 80 ? "approval.request_revision" : "approval.reject",
                          "user:rita", decision_payload(approval, "tighten the headline"));
    }
    case 5:
      if (!flow.extra_done && chance(20)) {
        flow.extra_done = true;
        return Step::reject("approval.approve", "user:rita",
                            decision_payload(approval_of(id, flow.round), "again"),
                            "invalid_transition");
      }
      flow.stage = 6;
      return Step::accept("activity.complete", "agent:copywriter", id_payload("activity_id", id));
    default:
      flow.done = true;
      if (chance(15)) {
        return Step::reject("activity.start", "agent:copywriter", id_payload("activity_id", id),
                            "invalid_transition");
      }
      return Step::accept(
          "audit.record", "system",
          "{\"operation\":\"publish\",\"resource_type\":\"activity\",\"resource_id\":" + q(id) +
              ",\"success\":true}");
  }
}

Workload::Step Workload::start_run(TenantModel& model, Flow& flow) {
  const int64_t room = std::min<int64_t>(3000, model.balance.effective_available - 100);
  const int64_t estimated = 100 + static_cast<int64_t>(roll(static_cast<uint64_t>(room) + 1));
  const std::string run = model.next_id("run-");
  model.hold(estimated);
  flow.run = Hold{run, estimated, next_index_, true};
  --flow.runs_left;
  return Step::accept("activity.start_run", "agent:copywriter",
                      "{\"activity_id\":" + q(flow.id) + ",\"run_id\":" + q(run) +
                          ",\"estimated_credits\":" + n(estimated) +
                          ",\"expires_at\":" + q(reservation_expiry()) + "}")
      .with(Effect::hold, estimated);
}

Workload::Step Workload::finish_run(TenantModel& model, Flow& flow) {
  const Hold held = *flow.run;
  auto payload = [&](const char* status, int64_t used) {
    return "{\"run_id\":" + q(held.id) + ",\"status\":" + q(status) +
           ",\"credits_used\":" + n(used) +
           ",\"input_tokens\":1200,\"output_tokens\":300,\"duration_ms\":4200}";
  };
  if (chance(8)) {
    return Step::reject("activity.finish_run", "agent:copywriter",
                        payload("completed", held.credits + 1 + static_cast<int64_t>(roll(60))),
                        "exceeds_reservation");
  }
  flow.run.reset();
  const int outcome = static_cast<int>(roll(10));
  const int64_t used =
      outcome < 7 ? static_cast<int64_t>(roll(static_cast<uint64_t>(held.credits) + 1)) : 0;
  model.close(held, used);
  const char* status = outcome < 7 ? "completed" : outcome < 9 ? "failed" : "timed_out";
  return Step::accept("activity.finish_run", "agent:copywriter", payload(status, used))
      .with(used > 0 ? Effect::consume : Effect::release, used, held.command);
}

// A human review step (is_approval_gate): submitted, approved or rejected and
// started again, completed once approved.
Workload::Step Workload::gate_step(TenantModel&, Flow& flow) {
  const std::string& id = flow.id;
  switch (flow.stage) {
    case 0:
      flow.stage = 1;
      return Step::accept(
          "activity.create", "user:planner",
          "{\"activity_id\":" + q(id) +
              ",\"title\":\"Review landing page\",\"type\":\"review\",\"assignee_type\":\"human\","
              "\"assignee_user_id\":\"user:kim\",\"priority\":\"normal\",\"is_approval_gate\":"
              "true}");
    case 1:
      ++flow.round;
      flow.stage = 2;
      return Step::accept(
          "activity.submit_for_approval", "user:kim",
          "{\"activity_id\":" + q(id) + ",\"approval_id\":" + q(approval_of(id, flow.round)) + "}");
    case 2:
      if (chance(70) || flow.round >= kReviewRoundsMax) {
        flow.stage = 3;
        return Step::accept("approval.approve", "user:rita",
                            decision_payload(approval_of(id, flow.round), "ok"));
      }
      flow.stage = 4;
      return Step::accept("approval.reject", "user:rita",
                          decision_payload(approval_of(id, flow.round), "redo"));
    case 3:
      flow.done = true;
      return Step::accept("activity.complete", "user:kim", id_payload("activity_id", id));
    default:
      flow.stage = 1;
      return Step::accept("activity.start", "user:kim", id_payload("activity_id", id));
  }
}

// A media buy: approved by hand or through its approval, activated, paused
// and resumed, completed or failed; moves it cannot make are refused.
Workload::Step Workload::buy_step(TenantModel&, Flow& flow) {
  const std::string& id = flow.id;
  const std::string move = id_payload("media_buy_id", id);
  switch (flow.stage) {
    case 0:
      flow.stage = 1;
      return Step::accept("media_buy.create", "user:trader",
                          "{\"media_buy_id\":" + q(id) +
                              ",\"principal_id\":\"adv-1\",\"campaign_name\":\"Winter "
                              "sale\",\"start_date\":\"2027-01-01\","
                              "\"end_date\":\"2027-01-31\",\"packages\":[{\"package_id\":\"p1\","
                              "\"product_id\":\"ctv-prime\","
                              "\"budget\":\"5000.50\"},{\"package_id\":\"p2\",\"product_id\":"
                              "\"display\",\"budget\":2500}],"
                              "\"requires_approval\":" +
                              (flow.requires_approval ? "true" : "false") + "}");
    case 1:
      if (!flow.extra_done && chance(20)) {
        flow.extra_done = true;
        if (flow.requires_approval)
          return Step::reject("media_buy.approve", "user:trader", move, "approval_required");
        return Step::reject("media_buy.activate", "user:trader", move, "invalid_transition");
      }
      flow.stage = 2;
      if (!flow.requires_approval) return Step::accept("media_buy.approve", "user:trader", move);
      if (chance(80))
        return Step::accept("approval.approve", "user:rita",
                            decision_payload(id + ":approval", "go"));
      flow.stage = 5;  // the approval's rejection fails the buy
      return Step::accept("approval.reject", "user:rita",
                          decision_payload(id + ":approval", "off brief"));
    case 2:
      flow.stage = 3;
      return Step::accept("media_buy.activate", "user:trader", move);
    case 3: {
      const int outcome = static_cast<int>(roll(100));
      if (outcome < 30) {
        flow.stage = 4;
        return Step::accept("media_buy.pause", "user:trader", move);
      }
      flow.stage = 5;
      return Step::accept(outcome < 85 ? "media_buy.complete" : "media_buy.fail", "user:trader",
                          move);
    }
    case 4:
      if (chance(20)) {
        flow.stage = 5;
        return Step::accept("media_buy.complete", "user:trader", move);
      }
      flow.stage = 3;
      return Step::accept("media_buy.resume", "user:trader", move);
    default:
      flow.done = true;
      if (chance(20))
        return Step::reject("media_buy.pause", "user:trader", move, "invalid_transition");
      return Step::accept(
          "audit.record", "system",
          "{\"operation\":\"close\",\"resource_type\":\"media_buy\",\"resource_id\":" + q(id) +
              ",\"success\":true}");
  }
}

// A creative's approval requested outside any flow: assigned, decided; a
// second decision is refused.
Workload::Step Workload::approval_step(TenantModel&, Flow& flow) {
  const std::string& id = flow.id;
  switch (flow.stage) {
    case 0:
      flow.stage = 1;
      return Step::accept(
          "approval.request", "user:planner",
          "{\"approval_id\":" + q(id) +
              ",\"subject\":{\"kind\":\"creative\",\"id\":" + q("cr-" + id) +
              "},\"type\":\"creative\",\"risk_level\":\"medium\",\"title\":\"Banner\"}");
    case 1: {
      if (!flow.extra_done && chance(40)) {
        flow.extra_done = true;
        return Step::accept("approval.assign", "user:planner",
                            "{\"approval_id\":" + q(id) + ",\"reviewer_id\":\"user:lee\"}");
      }
      flow.stage = 2;
      const int outcome = static_cast<int>(roll(3));
      const char* type = outcome == 0   ? "approval.approve"
                         : outcome == 1 ? "approval.reject"
                                        : "approval.request_revision";
      return Step::accept(type, "user:rita", decision_payload(id, "reviewed"));
    }
    default:
      flow.done = true;
      if (chance(25))
        return Step::reject("approval.approve", "user:rita", decision_payload(id, "again"),
                            "invalid_transition");
      return Step::accept(
          "audit.record", "system",
          "{\"operation\":\"review\",\"resource_type\":\"approval\",\"resource_id\":" + q(id) +
              ",\"success\":true}");
  }
}

}  // namespace lf::soak
