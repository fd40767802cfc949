// The soak's workload model (workload.hpp): command ids, the plan of each
// step, bad input and the credits steps; the workflow flows (agent work,
// runs, gates, media buys, approvals) are in workload_flows.cpp.
#include "tools/soak/workload.hpp"
#include "tools/soak/workload_model.hpp"

#include <charconv>

#include "events/assert.hpp"
#include "events/envelope.hpp"
#include "events/time.hpp"

namespace lf::soak {

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

}  // namespace lf::soak
