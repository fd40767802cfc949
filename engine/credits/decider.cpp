// decide(): from a command envelope to the typed command and its decision.
#include "engine/credits/decider.hpp"

#include "engine/credits/commands.hpp"
#include "engine/credits/decide.hpp"
#include "engine/credits/import.hpp"
#include "engine/credits/import_orders.hpp"

namespace lf::engine::credits {

namespace {

constexpr std::string_view kTypePrefix = "credits.";
// Top-up orders are credits facts, on the tenant's credits stream.
constexpr std::string_view kOrderTypePrefix = "topup_order.";

struct Dispatch {
  const DecisionInput& in;

  Decision operator()(const Allocate& command) const { return decide_allocate(in, command); }
  Decision operator()(const Topup& command) const { return decide_topup(in, command); }
  Decision operator()(const Reserve& command) const { return decide_reserve(in, command); }
  Decision operator()(const Consume& command) const { return decide_consume(in, command); }
  Decision operator()(const Release& command) const { return decide_release(in, command); }
  Decision operator()(const Refund& command) const { return decide_refund(in, command); }
  Decision operator()(const Adjust& command) const { return decide_adjust(in, command); }
  Decision operator()(const CreateTopupOrder& command) const {
    return decide_create_order(in, command);
  }
  Decision operator()(const PayTopupOrder& command) const { return decide_pay_order(in, command); }
  Decision operator()(const FailTopupOrder& command) const {
    return decide_fail_order(in, command);
  }
  Decision operator()(const RefundTopupOrder& command) const {
    return decide_refund_order(in, command);
  }
};

}  // namespace

std::string stream_name(std::string_view tenant_id) {
  return "credits/" + std::string(tenant_id);
}

bool handles_command(std::string_view command_type) {
  return command_type.starts_with(kTypePrefix) || command_type.starts_with(kOrderTypePrefix) ||
         is_import_command(command_type);
}

bool is_import_command(std::string_view command_type) {
  return command_type == kImportLedgerCommand || command_type == kImportOrdersCommand;
}

bool handles_event(std::string_view event_type) {
  return event_type.starts_with(kTypePrefix) || event_type.starts_with(kOrderTypePrefix);
}

Decision decide(const State& state, const CommandEnvelope& command, const Context& context) {
  LF_ASSERT_MSG(!state.pending_consumption.has_value() && !state.pending_order.has_value(),
                "decisions are taken between records");
  Result<Command> parsed = parse_command(command.type, command.payload);
  if (!parsed) return Decision::reject(parsed.error().code, parsed.error().message);
  const DecisionInput in{state, command, context.now_ms, stream_name(command.tenant_id),
                         &context.time_zone_db()};
  Decision decision = std::visit(Dispatch{in}, parsed.value());
  LF_ASSERT(!decision.accepted() || !decision.events().empty());
  return decision;
}

}  // namespace lf::engine::credits
