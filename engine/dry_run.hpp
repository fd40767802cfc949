// A tenant's commands decided as its partition would decide them, on the
// tenant's state held here, without a log: its timers due by a command's
// time fire first, then the command is decided, and an accepted command's
// events are applied. Nothing is written anywhere. `ledgerflow import`
// checks a tenant's chunks this way against the engine's state before it
// sends any of them (docs/migrating.md "Checked against the engine's
// state"). Pure.
#pragma once

#include <cstdint>
#include <string>

#include "engine/domain.hpp"
#include "engine/tenant.hpp"
#include "events/envelope.hpp"

namespace lf::engine {

class DryRun {
 public:
  DryRun(std::string tenant_id, TenantState state)
      : tenant_id_(std::move(tenant_id)), state_(std::move(state)) {}

  // The decision on `command` (of this tenant) at context.now_ms. The state
  // then holds the timers' events and the command's (when refused, its
  // command.rejected event).
  Decision decide(const CommandEnvelope& command, const Context& context);

  const TenantState& state() const { return state_; }

 private:
  void apply(const std::vector<NewEvent>& events, const CommandEnvelope* command, int64_t now_ms);

  std::string tenant_id_;
  TenantState state_;
};

}  // namespace lf::engine
