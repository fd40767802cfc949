// Timers the engine fires on its own (docs/domains/workflow.md "Expiry
// escalates", "Runs"): approvals past expires_at, runs whose hold reached its
// deadline; at most kTimerBatchMax of them per record, in deadline order.
#include "engine/workflow/decider.hpp"
#include "engine/workflow/emitter.hpp"
#include "engine/workflow/escalation.hpp"

namespace lf::engine::workflow {

namespace {

// The run reported nothing: the engine ends it, charging nothing.
RunFinished timed_out(const std::string& run_id, const Run& run) {
  return RunFinished{run.activity_id, run_id, RunStatus::timed_out, 0, 0, run.estimated_credits,
                     std::nullopt,    {}};
}

}  // namespace

std::optional<int64_t> next_due_ms(const State& state) {
  std::optional<int64_t> next;
  if (!state.approval_deadlines.empty()) next = state.approval_deadlines.begin()->first;
  if (!state.run_deadlines.empty()) {
    const int64_t run_due = state.run_deadlines.begin()->first;
    next = next ? std::min(*next, run_due) : run_due;
  }
  return next;
}

std::vector<NewEvent> due(const State& state, std::string_view tenant_id, const Context& context) {
  Emitter out{std::string(tenant_id)};
  std::set<std::string> opened;  // follow-ups opened in this record
  auto approval = state.approval_deadlines.begin();
  auto run = state.run_deadlines.begin();
  for (std::size_t fired = 0; fired < kTimerBatchMax; ++fired) {
    const bool approval_due =
        approval != state.approval_deadlines.end() && approval->first <= context.now_ms;
    const bool run_due = run != state.run_deadlines.end() && run->first <= context.now_ms;
    if (!approval_due && !run_due) break;
    if (approval_due && (!run_due || approval->first <= run->first)) {
      emit_expiry(out, state, approval->second, state.approvals.at(approval->second),
                  context.now_ms, opened);
      ++approval;
      continue;
    }
    out.emit(timed_out(run->second, state.runs.at(run->second)));
    ++run;
  }
  return out.take();
}

}  // namespace lf::engine::workflow
