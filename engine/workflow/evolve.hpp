// The one place workflow state changes: apply_event() a typed event. evolve()
// (decider.hpp) decodes a logged payload and applies it. The log is trusted:
// an event that does not fit the state is a defect and aborts (LF_ASSERT).
#pragma once

#include "engine/workflow/events.hpp"
#include "engine/workflow/state.hpp"

namespace lf::engine::workflow {

void apply_event(State& state, const Event& event);

}  // namespace lf::engine::workflow
