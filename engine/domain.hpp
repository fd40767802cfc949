// What every domain decider speaks: the time it is given, the events it
// decides, the rejection it returns. Pure: no I/O, no clock, no globals.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events/assert.hpp"
#include "events/timezone.hpp"

namespace lf::engine {

namespace credits {
struct TypedEvent;  // engine/credits/evolve.hpp
}

// How far a time a producer gives (a call's created_on, a record's
// occurred_at, an imported row's times) may lead the engine's clock: clock
// skew between machines, not a time in the future.
inline constexpr int64_t kClockSkewMaxMs = 5 * 60 * 1000;

// Everything a decision may depend on besides state and command.
struct Context {
  int64_t now_ms = 0;  // the engine's clock when it decides (injected in tests)
  // Where decisions find IANA time zones (a tenant's billing time zone);
  // null: TimeZoneDb::system(). Decisions write the instants a zone gave them
  // into their events, so evolve never needs it.
  const TimeZoneDb* time_zones = nullptr;

  const TimeZoneDb& time_zone_db() const {
    return time_zones != nullptr ? *time_zones : TimeZoneDb::system();
  }
};

// An event decided but not yet stamped: the engine adds event_id,
// stream_version, provenance and occurred_at when it writes the commit record.
struct NewEvent {
  std::string type;  // e.g. "credits.reserved"
  int32_t schema_version = 1;
  std::string stream;        // e.g. "credits/<tenant>"
  std::string payload_json;  // a JSON object valid against schemas/events/<type>.json
  // The event as its decider built it, which the engine applies instead of
  // parsing payload_json back (credits events); null for the other domains.
  // It decodes from payload_json to the very same value (tests and
  // deep-check builds compare them).
  std::shared_ptr<const credits::TypedEvent> typed;
};

// A command that is well-formed but not allowed: a normal outcome, not an error.
struct Rejection {
  std::string reason;   // machine-readable, e.g. "insufficient_credits"
  std::string message;  // one human sentence
};

class Decision {
 public:
  static Decision accept(std::vector<NewEvent> events) {
    LF_ASSERT(!events.empty());
    Decision decision;
    decision.events_ = std::move(events);
    return decision;
  }
  static Decision reject(std::string reason, std::string message) {
    Decision decision;
    decision.rejection_ = Rejection{std::move(reason), std::move(message)};
    return decision;
  }

  bool accepted() const { return !rejection_.has_value(); }
  const std::vector<NewEvent>& events() const { return events_; }
  std::vector<NewEvent>& events() { return events_; }
  const Rejection& rejection() const {
    LF_ASSERT(rejection_.has_value());
    return *rejection_;
  }

 private:
  Decision() = default;
  std::vector<NewEvent> events_;
  std::optional<Rejection> rejection_;
};

}  // namespace lf::engine
