// The one place credits state changes: apply() a typed event. evolve()
// (decider.hpp) decodes a logged payload and applies it; the decider applies
// what it emits to a scratch copy the same way, so balances written into
// events are the very figures evolve arrives at.
#pragma once

#include <optional>

#include "engine/credits/events.hpp"
#include "engine/credits/state.hpp"

namespace lf::engine::credits {

// An event as the decider emitted it (NewEvent::typed): what its payload
// decodes to, and the balance the payload carries (when it carries one).
struct TypedEvent {
  Event event;
  std::optional<Balance> balance;
};

// Applies what `event` changes in the book (lots, reserved, counters,
// period). Asserts the event fits the book and the book's invariants after.
void apply_book(Book& book, const Event& event);

// apply_book plus reservations, recently closed ids and seen top-up orders.
// Asserts every state invariant after.
void apply(State& state, const Event& event);

}  // namespace lf::engine::credits
