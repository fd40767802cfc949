// A tenant's credits state driven the way the engine drives it: commands
// decided at an injected time, every accepted event's payload checked
// against its schema, parsed back and evolved, timers fired on request.
// Keeps the ledger (the sum of effective_delta) to check against the state.
// Beside it, a second state applies each event from the typed form its
// decider gave it, as the engine applies its own: after every event the two
// are equal, and the payload decodes to that typed event.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/credits/codec.hpp"
#include "engine/credits/decider.hpp"
#include "engine/credits/evolve.hpp"
#include "engine/credits/import.hpp"
#include "engine/credits/import_orders.hpp"
#include "engine/credits/ledger.hpp"
#include "engine/credits/state.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "events/upcast.hpp"
#include "tests/support/json.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/time.hpp"

namespace lf::engine::credits::testing {

inline constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";

using lf::testing::at;

// "YYYY-MM-DD" as days since 1970-01-01.
inline int32_t day(const char* date) {
  const std::optional<int32_t> days = parse_date_days(date);
  EXPECT_TRUE(days.has_value()) << date;
  return days.value_or(0);
}

using lf::testing::parse_json;

// An event as the harness applied it.
struct Applied {
  NewEvent event;
  std::unique_ptr<rapidjson::Document> payload;
  int64_t delta = 0;  // effective_delta
  int64_t effective_after = 0;
};

class Harness {
 public:
  explicit Harness(int64_t now_ms) : now_ms_(now_ms) {}

  // Decides `type` with `payload_json` (which must pass its command schema
  // unless `schema_valid` is false) and applies the events if accepted.
  Decision run(const std::string& type, const std::string& payload_json,
               const std::string& actor = "system", bool schema_valid = true) {
    std::unique_ptr<rapidjson::Document> payload = parse_json(payload_json);
    const std::optional<std::string> problem =
        SchemaRegistry::embedded().validate_command_payload(type, *payload);
    EXPECT_EQ(problem.has_value(), !schema_valid)
        << type << " " << payload_json << ": " << problem.value_or("valid");
    CommandEnvelope command;
    command.command_id = "c" + std::to_string(++command_count_);
    command.type = type;
    command.tenant_id = kTenant;
    command.actor = actor;
    command.issued_at_ms = now_ms_;
    command.payload = payload.get();
    Decision decision = decide(state_, command, Context{now_ms_, time_zones_});
    if (decision.accepted()) apply_all(decision.events(), actor, command.command_id);
    return decision;
  }

  // Fires what is due now; returns the events.
  std::vector<NewEvent> tick() {
    std::vector<NewEvent> events = due(state_, kTenant, Context{now_ms_, time_zones_});
    const std::optional<int64_t> next = next_due_ms(state_);
    EXPECT_EQ(!events.empty(), next.has_value() && *next <= now_ms_);
    apply_all(events, "system", "timer");
    return events;
  }
  // Fires until nothing is due.
  std::vector<NewEvent> tick_all() {
    std::vector<NewEvent> all;
    for (std::vector<NewEvent> events = tick(); !events.empty(); events = tick()) {
      all.insert(all.end(), events.begin(), events.end());
    }
    return all;
  }

  void apply_all(const std::vector<NewEvent>& events, const std::string& actor,
                 const std::string& command_id) {
    for (const NewEvent& event : events) apply_one(event, actor, command_id);
  }

  void set_now(int64_t now_ms) { now_ms_ = now_ms; }
  // The zone database decisions use (null: TimeZoneDb::system()).
  void set_time_zones(const TimeZoneDb* time_zones) { time_zones_ = time_zones; }
  int64_t now() const { return now_ms_; }
  const State& state() const { return state_; }
  Balance balance() const { return balance_of(state_.book); }
  int64_t ledger_sum() const { return ledger_sum_; }
  const std::vector<Applied>& applied() const { return applied_; }

 private:
  void apply_one(const NewEvent& event, const std::string& actor, const std::string& command_id) {
    ASSERT_EQ(event.stream, stream_name(kTenant));
    ASSERT_EQ(event.schema_version, UpcasterRegistry::embedded().current_version(event.type));
    std::unique_ptr<rapidjson::Document> payload = parse_json(event.payload_json);
    const std::optional<std::string> problem = SchemaRegistry::embedded().validate_event_payload(
        event.type, event.schema_version, *payload);
    ASSERT_FALSE(problem.has_value())
        << event.type << " " << event.payload_json << ": " << *problem;
    EventHeader header;
    header.event_id = "e" + std::to_string(applied_.size() + 1);
    header.type = event.type;
    header.schema_version = event.schema_version;
    header.tenant_id = kTenant;
    header.stream = event.stream;
    header.stream_version = static_cast<int64_t>(applied_.size()) + 1;
    header.command_id = command_id;
    header.actor = actor;
    header.occurred_at_ms = now_ms_;
    evolve(state_, header, *payload);  // asserts the payload's balance is the state's
    if (event.typed != nullptr) {
      EXPECT_EQ(decode_event(event.type, *payload), event.typed->event) << event.payload_json;
      if (event.typed->balance) {
        EXPECT_EQ(decode_balance(*payload), *event.typed->balance) << event.payload_json;
      }
      evolve_typed(typed_state_, header, *event.typed, nullptr);
    } else {
      // Only imports carry no typed form: their rows are in the payload.
      EXPECT_TRUE(event.type == kLedgerImportedEvent || event.type == kOrdersImportedEvent)
          << event.type << " without its typed form";
      evolve(typed_state_, header, *payload);
    }
    EXPECT_EQ(typed_state_, state_) << "applied typed, after " << event.type;
    // The whole-state check holds after every event, as in deep-check builds.
    EXPECT_EQ(state_invariant_violation(state_), std::nullopt) << "after " << event.type;
    const int64_t delta = effective_delta(event.type, *payload);
    ledger_sum_ += delta;
    applied_.push_back(Applied{event, std::move(payload), delta, effective_available(state_.book)});
  }

  int64_t now_ms_;
  const TimeZoneDb* time_zones_ = nullptr;
  int command_count_ = 0;
  State state_;
  State typed_state_;  // the same events applied from their typed form
  int64_t ledger_sum_ = 0;
  std::vector<Applied> applied_;
};

// JSON building for payloads in tests.
// A decision refused with `reason`, and a sentence saying why.
inline void expect_rejected(const Decision& decision, const std::string& reason) {
  ASSERT_FALSE(decision.accepted()) << "expected " << reason;
  EXPECT_EQ(decision.rejection().reason, reason) << decision.rejection().message;
  EXPECT_FALSE(decision.rejection().message.empty());
}

// The types of an accepted decision's events, in order.
inline std::vector<std::string> types(const Decision& decision) {
  std::vector<std::string> names;
  for (const NewEvent& event : decision.events()) names.push_back(event.type);
  return names;
}

// A payload's text or integer field; "(absent)" or -1 when it has none.
inline std::string text(const rapidjson::Value& payload, const char* name) {
  return std::string(json_string(payload, name).value_or("(absent)"));
}
inline int64_t integer(const rapidjson::Value& payload, const char* name) {
  return json_int64(payload, name).value_or(-1);
}

// The credits payloads (tests/support/payloads.hpp).
using lf::testing::allocate_payload;
using lf::testing::amount_payload;
using lf::testing::consume_payload;
using lf::testing::quoted;
using lf::testing::release_payload;
using lf::testing::reserve_payload;
using lf::testing::topup_payload;

// The payload of an emitted event, parsed.
inline std::unique_ptr<rapidjson::Document> payload_of(const NewEvent& event) {
  return parse_json(event.payload_json);
}

}  // namespace lf::engine::credits::testing
