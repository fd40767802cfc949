// Usage decisions, evolve and timers (docs/domains/usage.md).
#include "engine/usage/decider.hpp"

#include <variant>

#include "engine/usage/commands.hpp"
#include "engine/usage/events.hpp"
#include "engine/usage/import.hpp"
#include "events/assert.hpp"
#include "events/time.hpp"

namespace lf::engine::usage {

namespace {

// How far a call's created_on may lie from the engine's clock, as an audit
// row's occurred_at: a little ahead (clock skew), a week behind (late
// delivery, a backlog replayed).
constexpr int64_t kCreatedOnAheadMaxMs = kClockSkewMaxMs;
constexpr int64_t kCreatedOnBehindMaxMs = 7 * kMillisPerDay;

struct DecisionInput {
  const State& state;
  const CommandEnvelope& command;
  int64_t now_ms = 0;
  SpendPeriod in_force;
  int64_t spend_usd_micros = 0;  // the month's spend in in_force, before the command
};

NewEvent usage_event(std::string_view tenant_id, std::string_view type, std::string payload_json) {
  return NewEvent{std::string(type), 1, stream_name(tenant_id), std::move(payload_json), nullptr};
}

std::string period_text(const SpendPeriod& period) {
  return format_rfc3339_ms(period.start_ms) + " to " + format_rfc3339_ms(period.end_ms);
}

// The checks every recording passes: a fresh id, created_on near the
// engine's clock, and room for its cost in the period's spend.
std::optional<Rejection> check_recording(const DecisionInput& in, const RecentIds& seen,
                                         std::string_view what, const std::string& id,
                                         std::optional<int64_t> created_on_ms,
                                         int64_t counted_usd_micros) {
  if (seen.contains(id)) {
    return Rejection{reason::kDuplicateUsage,
                     std::string(what) + " " + id + " is already recorded for this tenant"};
  }
  if (created_on_ms && (*created_on_ms > in.now_ms + kCreatedOnAheadMaxMs ||
                        *created_on_ms < in.now_ms - kCreatedOnBehindMaxMs)) {
    return Rejection{
        reason::kInvalidCreatedOn,
        "created_on " + format_rfc3339_ms(*created_on_ms) +
            " must lie between 7 days before and 5 minutes after the engine's clock (" +
            format_rfc3339_ms(in.now_ms) + ")"};
  }
  if (counted_usd_micros > kMonthSpendUsdMicrosMax - in.spend_usd_micros) {
    return Rejection{reason::kLimitExceeded, "the spend of the period " + period_text(in.in_force) +
                                                 " would pass " +
                                                 format_usd(kMonthSpendUsdMicrosMax) + " USD"};
  }
  return std::nullopt;
}

SpendFigures figures_after(const DecisionInput& in, int64_t counted_usd_micros) {
  return SpendFigures{in.in_force, in.spend_usd_micros + counted_usd_micros,
                      in.state.spend_cap_usd_micros};
}

Decision refused(const Rejection& rejection) {
  return Decision::reject(rejection.reason, rejection.message);
}

Decision decide_llm_call(const DecisionInput& in, RecordLlmCall call) {
  call.created_on_ms = call.created_on_ms.value_or(in.command.issued_at_ms);
  if (std::optional<Rejection> no =
          check_recording(in, in.state.llm_call_ids, "LLM call", call.llm_call_id,
                          call.created_on_ms, call.cost_usd_micros)) {
    return refused(*no);
  }
  const LlmCallRecorded event{call, call.cost_usd_micros, figures_after(in, call.cost_usd_micros)};
  return Decision::accept({usage_event(in.command.tenant_id, kLlmCallRecorded, encode(event))});
}

Decision decide_tool_call(const DecisionInput& in, RecordToolCall call) {
  call.created_on_ms = call.created_on_ms.value_or(in.command.issued_at_ms);
  if (std::optional<Rejection> no =
          check_recording(in, in.state.tool_call_ids, "tool call", call.tool_call_id,
                          call.created_on_ms, call.cost_usd_micros)) {
    return refused(*no);
  }
  const ToolCallRecorded event{call, call.cost_usd_micros, figures_after(in, call.cost_usd_micros)};
  return Decision::accept({usage_event(in.command.tenant_id, kToolCallRecorded, encode(event))});
}

// Only USD costs count toward the USD spend.
Decision decide_usage_record(const DecisionInput& in, const RecordUsage& usage) {
  const int64_t counted = usage.currency == "USD" ? usage.total_cost_micros : 0;
  if (std::optional<Rejection> no = check_recording(in, in.state.usage_record_ids, "usage record",
                                                    usage.usage_record_id, std::nullopt, counted)) {
    return refused(*no);
  }
  const UsageRecorded event{usage, counted, figures_after(in, counted)};
  return Decision::accept({usage_event(in.command.tenant_id, kUsageRecorded, encode(event))});
}

bool may_set_cap(std::string_view actor) {
  return actor == "system" || actor.starts_with("admin:") || actor.starts_with("support:");
}

Decision decide_spend_cap(const DecisionInput& in, const SetSpendCap& command) {
  if (!may_set_cap(in.command.actor)) {
    return Decision::reject(
        reason::kForbidden,
        "tenant.set_spend_cap is for system, admin: and support: actors, not " + in.command.actor);
  }
  const SpendCapSet event{SpendFigures{in.in_force, in.spend_usd_micros, command.cap_usd_micros}};
  return Decision::accept({usage_event(in.command.tenant_id, kSpendCapSet, encode(event))});
}

}  // namespace

bool handles_command(std::string_view command_type) {
  return command_type == "usage.record_llm_call" || command_type == "usage.record_tool_call" ||
         command_type == "usage.record" || command_type == "tenant.set_spend_cap" ||
         command_type == kImportLlmCallsCommand;
}

bool handles_event(std::string_view event_type) {
  return event_type.starts_with("usage.") || event_type == kSpendCapSet;
}

std::string stream_name(std::string_view tenant_id) {
  return "usage/" + std::string(tenant_id);
}

Decision decide_import(const State& state, const credits::State& credits,
                       int64_t usage_stream_version, const CommandEnvelope& command,
                       const Context& context) {
  LF_ASSERT(command.type == kImportLlmCallsCommand);
  Result<LlmCallsChunk> chunk = parse_llm_calls_chunk(command.payload);
  if (!chunk) return Decision::reject(chunk.error().code, chunk.error().message);
  return decide_llm_calls_chunk(state, credits, usage_stream_version, *chunk,
                                stream_name(command.tenant_id), context.now_ms);
}

Decision decide(const State& state, const credits::State& credits, const CommandEnvelope& command,
                const Context& context) {
  LF_ASSERT_MSG(command.type != kImportLlmCallsCommand, "imports are decided by decide_import");
  Result<Command> parsed = parse_command(command.type, command.payload);
  if (!parsed) return Decision::reject(parsed.error().code, parsed.error().message);
  const SpendPeriod in_force = period_in_force(credits, context.now_ms);
  const DecisionInput in{state, command, context.now_ms, in_force, spend_in_force(state, in_force)};
  struct Dispatch {
    const DecisionInput& in;
    Decision operator()(const RecordLlmCall& c) const { return decide_llm_call(in, c); }
    Decision operator()(const RecordToolCall& c) const { return decide_tool_call(in, c); }
    Decision operator()(const RecordUsage& c) const { return decide_usage_record(in, c); }
    Decision operator()(const SetSpendCap& c) const { return decide_spend_cap(in, c); }
  };
  return std::visit(Dispatch{in}, parsed.value());
}

std::optional<Rejection> refuse_for_spend_cap(const State& state, const credits::State& credits,
                                              int64_t now_ms) {
  if (!state.spend_cap_usd_micros) return std::nullopt;
  const SpendPeriod in_force = period_in_force(credits, now_ms);
  const int64_t spend = spend_in_force(state, in_force);
  if (spend < *state.spend_cap_usd_micros) return std::nullopt;
  return Rejection{reason::kSpendCapReached, "the spend of the period " + period_text(in_force) +
                                                 " is " + format_usd(spend) +
                                                 " USD and has reached the monthly cap of " +
                                                 format_usd(*state.spend_cap_usd_micros) + " USD"};
}

void evolve(State& state, const EventHeader& header, const rapidjson::Value& payload) {
  LF_ASSERT(handles_event(header.type));
  if (header.type == kLlmCallsImportedEvent) {
    evolve_llm_calls_imported(state, payload);
    return;
  }
  const Applied applied = read_applied(header.type, payload);
  if (applied.kind) {
    RecentIds& seen = *applied.kind == UsageKind::llm_call    ? state.llm_call_ids
                      : *applied.kind == UsageKind::tool_call ? state.tool_call_ids
                                                              : state.usage_record_ids;
    LF_ASSERT_MSG(!seen.contains(applied.id), "a usage id recorded twice");
    seen.push(applied.id);
  }
  state.period = applied.spend.period;
  state.month_spend_usd_micros = applied.spend.month_spend_usd_micros;
  state.spend_cap_usd_micros = applied.spend.cap_usd_micros;
  const std::optional<std::string> broken = state_invariant_violation(state);
  LF_ASSERT_MSG(!broken.has_value(), broken.value_or("").c_str());
}

std::vector<NewEvent> due(const State& state, const credits::State& credits,
                          std::string_view tenant_id, const Context& context) {
  if (!state.period) return {};
  const SpendPeriod in_force = period_in_force(credits, context.now_ms);
  if (in_force == *state.period) return {};
  const SpendPeriodStarted event{
      SpendFigures{in_force, 0, state.spend_cap_usd_micros},
      SpendFigures{*state.period, state.month_spend_usd_micros, state.spend_cap_usd_micros}};
  return {usage_event(tenant_id, kSpendPeriodStarted, encode(event))};
}

std::optional<int64_t> next_due_ms(const State& state, const credits::State& credits) {
  if (!state.period) return std::nullopt;
  if (const std::optional<credits::Period>& billing = credits.book.period) {
    const SpendPeriod in_force{billing->span.start_ms, billing->span.end_ms,
                               SpendBasis::billing_period};
    // The billing period changes only with a credits event, which reschedules.
    if (in_force == *state.period) return std::nullopt;
    return in_force.start_ms;
  }
  return state.period->end_ms;
}

}  // namespace lf::engine::usage
