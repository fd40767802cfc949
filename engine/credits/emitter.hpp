// Builds the events of one decision. Each typed event is applied to a
// scratch copy of the state through the same apply() evolve uses, then
// encoded with the balance of the scratch copy after it: so the `balance` a
// payload carries is exactly what evolve will find, and later events of the
// same decision see the effect of earlier ones.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/credits/codec.hpp"
#include "engine/credits/events.hpp"
#include "engine/credits/evolve.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"

namespace lf::engine::credits {

// Scratch is Book (commands: cheap to copy, holds every balance figure) or
// State (timers, which close reservations as they go).
template <typename Scratch>
class Emitter {
 public:
  Emitter(const Scratch& scratch, std::string stream)
      : scratch_(scratch), stream_(std::move(stream)) {}

  void emit(Event event) {
    apply_to(scratch_, event);
    const std::string_view type = event_type(event);
    const Balance balance = balance_of(book_of(scratch_));
    std::string payload = encode_event_payload(event, balance);
    std::optional<Balance> carried;
    if (carries_balance(event)) carried = balance;
    events_.push_back(
        NewEvent{std::string(type), event_schema_version(type), stream_, std::move(payload),
                 std::make_shared<const TypedEvent>(TypedEvent{std::move(event), carried})});
  }

  const Scratch& scratch() const { return scratch_; }
  const Book& book() const { return book_of(scratch_); }
  std::size_t size() const { return events_.size(); }
  std::vector<NewEvent> take() { return std::move(events_); }

 private:
  static void apply_to(Book& book, const Event& event) { apply_book(book, event); }
  static void apply_to(State& state, const Event& event) { apply(state, event); }
  // A Book scratch sees only the book: the orders' own changes are for
  // evolve (a decision reads them from the state it started from).
  static const Book& book_of(const Book& book) { return book; }
  static const Book& book_of(const State& state) { return state.book; }

  Scratch scratch_;
  std::string stream_;
  std::vector<NewEvent> events_;
};

}  // namespace lf::engine::credits
