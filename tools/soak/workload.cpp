// The soak's workload model (workload.hpp).
#include "tools/soak/workload.hpp"

#include <charconv>

#include "events/assert.hpp"
#include "events/envelope.hpp"
#include "events/time.hpp"

namespace lf::soak {

namespace {

constexpr int kFlowsPerTenantMax = 3;
constexpr std::size_t kOpenReservationsSoftMax = 24;
constexpr std::size_t kClosedKept = 32;  // far below the engine's 10,000 recently closed
constexpr std::size_t kOrdersKept = 16;
constexpr std::size_t kRecentForResend = 512;  // far below the engine's de-duplication window
constexpr int kReviewRoundsMax = 3;
constexpr int64_t kHoldTtlMs = 12 * kMillisPerHour;  // no hold expires during a soak

std::string q(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}
std::string n(int64_t value) {
  return std::to_string(value);
}

std::string id_payload(const char* field, const std::string& id) {
  return "{" + q(field) + ":" + q(id) + "}";
}

}  // namespace

struct Hold {
  std::string id;  // reservation id, or run id for a run's hold
  int64_t credits = 0;
  uint32_t command = 0;  // the command that made it
  bool run = false;      // a run's hold: the engine names it "run:<run id>"
  std::string reservation_id() const { return run ? "run:" + id : id; }
};

struct Workload::Step {
  std::string type;
  std::string actor;
  std::string payload;
  bool accepted = true;
  std::string reason;
  Effect effect = Effect::none;
  int64_t amount = 0;
  uint32_t ref = 0;

  static Step accept(std::string type, std::string actor, std::string payload) {
    Step step;
    step.type = std::move(type);
    step.actor = std::move(actor);
    step.payload = std::move(payload);
    return step;
  }
  static Step reject(std::string type, std::string actor, std::string payload, std::string reason) {
    Step step = accept(std::move(type), std::move(actor), std::move(payload));
    step.accepted = false;
    step.reason = std::move(reason);
    return step;
  }
  Step& with(Effect what, int64_t credits, uint32_t holder = 0) {
    effect = what;
    amount = credits;
    ref = holder;
    return *this;
  }
};

struct Workload::Flow {
  enum class Kind { work, gate, buy, approval };
  Kind kind = Kind::work;
  std::string id;
  int stage = 0;
  int round = 0;  // approvals opened so far (ids <id>-ap<round>)
  int runs_left = 0;
  bool requires_approval = false;
  bool extra_done =
      false;  // the flow's one optional extra step (assign, a refused repeat) is spent
  std::optional<Hold> run;
  bool done = false;
};

struct Workload::TenantModel {
  uint32_t index = 0;
  std::string id;
  bool allocated = false;
  Balance balance;
  int64_t refundable = 0;  // consumed and not yet refunded
  std::vector<Hold> open;
  std::deque<std::string> closed;
  std::vector<std::string> orders;
  std::vector<std::unique_ptr<Flow>> flows;
  uint32_t serial = 0;

  std::string next_id(const char* prefix) { return prefix + std::to_string(++serial); }

  void hold(int64_t credits) {
    LF_ASSERT(credits > 0 && credits <= balance.effective_available);
    balance.effective_available -= credits;
    balance.reserved += credits;
  }
  void close(const Hold& held, int64_t used) {
    LF_ASSERT(used >= 0 && used <= held.credits && balance.reserved >= held.credits);
    balance.effective_available += held.credits - used;
    balance.reserved -= held.credits;
    balance.consumed += used;
    refundable += used;
    closed.push_back(held.reservation_id());
    if (closed.size() > kClosedKept) closed.pop_front();
  }
};

std::string command_id(uint32_t index) {
  return "soak-" + std::to_string(index);
}

std::optional<uint32_t> command_index(std::string_view command_id) {
  constexpr std::string_view kPrefix = "soak-";
  if (!command_id.starts_with(kPrefix)) return std::nullopt;
  const std::string_view digits = command_id.substr(kPrefix.size());
  uint32_t index = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty())
    return std::nullopt;
  return index;
}

Workload::Workload(const WorkloadOptions& options, int64_t start_ms)
    : options_(options), random_(options.seed), start_ms_(start_ms), now_ms_(start_ms) {
  LF_ASSERT(options.tenant_count > 0);
  const int32_t today = static_cast<int32_t>(start_ms / kMillisPerDay);
  // A period around today (dates, UTC): nothing renews or expires during a soak.
  period_start_ = format_date_days(today - 1);
  period_end_ = format_date_days(today + 20);
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < options.tenant_count; ++i) {
    std::string id = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
    for (char& c : id) {
      if (c == 'x') c = hex[random_() % 16];
    }
    auto model = std::make_unique<TenantModel>();
    model->index = static_cast<uint32_t>(i);
    model->id = id;
    tenant_ids_.push_back(std::move(id));
    models_.push_back(std::move(model));
  }
}

Workload::~Workload() = default;

Balance Workload::balance(uint32_t tenant) const {
  return models_.at(tenant)->balance;
}

std::string Workload::reservation_expiry() const {
  return format_rfc3339_ms(now_ms_ + kHoldTtlMs);
}

Planned Workload::next(int64_t now_ms) {
  now_ms_ = now_ms;
  if (next_unallocated_ == models_.size() && !recent_.empty() && chance(options_.resend_percent)) {
    const Sent& sent = recent_[roll(recent_.size())];
    Planned again;
    again.index = sent.index;
    again.tenant = sent.tenant;
    again.type = sent.type;
    again.json = sent.json;
    again.expect_accepted = false;
    again.reason = "duplicate_command";
    again.resend_of = sent.index;
    return again;
  }
  if (next_unallocated_ < models_.size()) {
    TenantModel& model = *models_[next_unallocated_++];
    model.allocated = true;
    model.balance.effective_available += options_.monthly_credits;
    return plan(model.index,
                Step::accept("credits.allocate", "system",
                             "{\"credits_monthly\":" + n(options_.monthly_credits) +
                                 ",\"period_start\":" + q(period_start_) +
                                 ",\"period_end\":" + q(period_end_) + "}")
                    .with(Effect::add, options_.monthly_credits),
                now_ms);
  }
  TenantModel& model = *models_[roll(models_.size())];
  if (static_cast<int>(roll(1000)) < options_.bad_input_per_mille) {
    return plan(model.index, bad_input(model), now_ms);
  }
  if (chance(options_.workflow_percent)) {
    if (std::optional<Step> step = workflow_step(model))
      return plan(model.index, std::move(*step), now_ms);
  }
  return plan(model.index, credits_step(model), now_ms);
}

Planned Workload::plan(uint32_t tenant, Step step, int64_t now_ms) {
  const CommandEnvelope envelope =
      command_envelope(command_id(next_index_), step.type, tenant_ids_[tenant], step.actor, now_ms);
  Planned planned;
  planned.index = next_index_++;
  planned.tenant = tenant;
  planned.type = std::move(step.type);
  planned.json = encode_command(envelope, step.payload);
  planned.expect_accepted = step.accepted;
  planned.reason = std::move(step.reason);
  planned.effect = step.accepted ? step.effect : Effect::none;
  planned.amount = step.amount;
  planned.ref = step.ref;
  recent_.push_back(Sent{planned.index, tenant, planned.type, planned.json});
  if (recent_.size() > kRecentForResend) recent_.pop_front();
  return planned;
}

// Input the intake refuses before any decider: rejected (and dead-lettered).
Workload::Step Workload::bad_input(TenantModel& model) {
  if (chance(50)) {
    return Step::reject("credits.reserve", "agent:runner",
                        "{\"reservation_id\":" + q(model.next_id("res-")) + ",\"credits\":0}",
                        "schema_violation");
  }
  return Step::reject("credits.teleport", "agent:runner", "{\"credits\":10}",
                      "unknown_command_type");
}

Workload::Step Workload::credits_step(TenantModel& model) {
  Balance& balance = model.balance;
  const uint32_t self = next_index_;
  int roll_percent = static_cast<int>(roll(100));
  if (model.open.size() > kOpenReservationsSoftMax && roll_percent < 30) roll_percent += 30;
  if (model.open.empty() && roll_percent >= 30 && roll_percent < 64) roll_percent = 0;
  if (roll_percent < 30 || roll_percent >= 94) {  // reserve
    if (chance(3) && !model.open.empty()) {
      const Hold& held = model.open[roll(model.open.size())];
      return Step::reject("credits.reserve", "agent:runner",
                          "{\"reservation_id\":" + q(held.id) +
                              ",\"credits\":100,\"expires_at\":" + q(reservation_expiry()) + "}",
                          "duplicate_reservation");
    }
    const int64_t credits = chance(6)
                                ? balance.effective_available + 1 + static_cast<int64_t>(roll(5000))
                                : 100 + static_cast<int64_t>(roll(4900));
    const std::string id = model.next_id("res-");
    const std::string payload = "{\"reservation_id\":" + q(id) + ",\"credits\":" + n(credits) +
                                ",\"activity_run_id\":" + q("job-" + id) +
                                ",\"expires_at\":" + q(reservation_expiry()) + "}";
    if (credits > balance.effective_available) {
      return Step::reject("credits.reserve", "agent:runner", payload, "insufficient_credits");
    }
    model.hold(credits);
    model.open.push_back(Hold{id, credits, self});
    return Step::accept("credits.reserve", "agent:runner", payload).with(Effect::hold, credits);
  }
  if (roll_percent < 64) {  // consume or release an open reservation (or try a wrong one)
    const bool consume = roll_percent < 52;
    const char* type = consume ? "credits.consume" : "credits.release";
    auto payload = [&](const std::string& id, int64_t used) {
      return consume ? "{\"reservation_id\":" + q(id) + ",\"credits\":" + n(used) + "}"
                     : id_payload("reservation_id", id);
    };
    if (chance(5))
      return Step::reject(type, "agent:runner", payload(model.next_id("nope-"), 1),
                          "unknown_reservation");
    if (chance(6) && !model.closed.empty()) {
      return Step::reject(type, "agent:runner", payload(model.closed[roll(model.closed.size())], 1),
                          "reservation_closed");
    }
    const std::size_t at = roll(model.open.size());
    const Hold held = model.open[at];
    if (consume && chance(5)) {
      return Step::reject(type, "agent:runner",
                          payload(held.id, held.credits + 1 + static_cast<int64_t>(roll(100))),
                          "exceeds_reservation");
    }
    const int64_t used =
        consume ? static_cast<int64_t>(roll(static_cast<uint64_t>(held.credits) + 1)) : 0;
    model.open[at] = model.open.back();
    model.open.pop_back();
    model.close(held, used);
    return Step::accept(type, "agent:runner", payload(held.id, used))
        .with(consume ? Effect::consume : Effect::release, used, held.command);
  }
  if (roll_percent < 74) {  // top-up, now and then an order already credited
    if (chance(8) && !model.orders.empty()) {
      return Step::reject(
          "credits.topup", "user:billing",
          "{\"topup_order_id\":" + q(model.orders[roll(model.orders.size())]) + ",\"credits\":500}",
          "duplicate_topup_order");
    }
    const std::string order = model.next_id("order-");
    const int64_t credits = 1000 + static_cast<int64_t>(roll(20'000));
    model.orders.push_back(order);
    if (model.orders.size() > kOrdersKept) model.orders.erase(model.orders.begin());
    balance.effective_available += credits;
    return Step::accept("credits.topup", "user:billing",
                        "{\"topup_order_id\":" + q(order) + ",\"credits\":" + n(credits) + "}")
        .with(Effect::add, credits);
  }
  if (roll_percent < 84) {  // refund
    const int64_t credits = chance(5) ? model.refundable + 1 + static_cast<int64_t>(roll(100))
                                      : 1 + static_cast<int64_t>(roll(200));
    const std::string payload = "{\"credits\":" + n(credits) + ",\"note\":\"goodwill refund\"}";
    if (credits > model.refundable)
      return Step::reject("credits.refund", "support:desk", payload, "exceeds_consumed");
    model.refundable -= credits;
    balance.effective_available += credits;
    return Step::accept("credits.refund", "support:desk", payload).with(Effect::add, credits);
  }
  // adjust (roll_percent < 94)
  int64_t credits = static_cast<int64_t>(roll(2000)) - 1000;
  if (credits == 0) credits = 1;
  if (chance(4)) credits = -(balance.effective_available + 1 + static_cast<int64_t>(roll(100)));
  const std::string payload = "{\"credits\":" + n(credits) + ",\"note\":\"manual correction\"}";
  if (chance(5)) return Step::reject("credits.adjust", "user:intern", payload, "forbidden");
  if (-credits > balance.effective_available) {
    return Step::reject("credits.adjust", "admin:ops", payload, "insufficient_credits");
  }
  balance.effective_available += credits;
  return Step::accept("credits.adjust", "admin:ops", payload).with(Effect::add, credits);
}

std::optional<Workload::Step> Workload::workflow_step(TenantModel& model) {
  std::vector<std::unique_ptr<Flow>>& flows = model.flows;
  if (!flows.empty() && (flows.size() >= kFlowsPerTenantMax || chance(75))) {
    const std::size_t at = roll(flows.size());
    std::optional<Step> step = flow_step(model, *flows[at]);
    if (flows[at]->done) {
      flows[at] = std::move(flows.back());
      flows.pop_back();
    }
    return step;
  }
  const int kind = static_cast<int>(roll(100));
  if (kind < 10) {
    return Step::accept("audit.record", "system",
                        "{\"operation\":\"export\",\"resource_type\":\"report\",\"resource_id\":" +
                            q(model.next_id("rep-")) + ",\"success\":true}");
  }
  auto flow = std::make_unique<Flow>();
  if (kind < 45) {
    flow->kind = Flow::Kind::work;
    flow->id = model.next_id("work-");
  } else if (kind < 60) {
    flow->kind = Flow::Kind::gate;
    flow->id = model.next_id("gate-");
  } else if (kind < 85) {
    flow->kind = Flow::Kind::buy;
    flow->id = model.next_id("buy-");
    flow->requires_approval = chance(50);
  } else {
    flow->kind = Flow::Kind::approval;
    flow->id = model.next_id("appr-");
  }
  std::optional<Step> step = flow_step(model, *flow);
  if (!flow->done) flows.push_back(std::move(flow));
  return step;
}

std::optional<Workload::Step> Workload::flow_step(TenantModel& model, Flow& flow) {
  switch (flow.kind) {
    case Flow::Kind::work:
      return work_step(model, flow);
    case Flow::Kind::gate:
      return gate_step(model, flow);
    case Flow::Kind::buy:
      return buy_step(model, flow);
    case Flow::Kind::approval:
      return approval_step(model, flow);
  }
  return std::nullopt;
}

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
