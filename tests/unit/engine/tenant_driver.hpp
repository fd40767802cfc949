// One tenant as the engine holds it, driven command by command through the
// engine's pure path: intake checks, engine::decide, each event's payload
// checked against its schema, engine::evolve, and the credits and usage
// whole-state checks after every event. The engine's unit tests of imports
// derive their Tenant from it and add their kind's command.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/credits/state.hpp"
#include "engine/intake.hpp"
#include "engine/tenant.hpp"
#include "engine/usage/state.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tests/support/built_command.hpp"
#include "tests/support/json.hpp"
#include "tests/support/time.hpp"

namespace lf::testing {

// A workflow import's chunk (import.media_buys, approvals, activities,
// audit_logs): `rows` (JSON objects) from lines 2 to 9 of `file`.
inline std::string import_chunk(const std::string& import_id, const std::string& file,
                                const std::vector<std::string>& rows, int64_t number,
                                int64_t chunks, bool append) {
  std::string text = R"({"import_id":")" + import_id + R"(","chunk":)" + std::to_string(number) +
                     R"(,"chunks":)" + std::to_string(chunks) + R"(,"append":)" +
                     (append ? "true" : "false") + R"(,"source":{"file":")" + file +
                     R"(","first_line":2,"last_line":9},"rows":[)";
  for (std::size_t i = 0; i < rows.size(); ++i) text += (i > 0 ? "," : "") + rows[i];
  return text + "]}";
}

// `state` written as the engine snapshots a tenant and read back.
inline Result<engine::TenantState> snapshot_round_trip(const engine::TenantState& state) {
  JsonWriter writer;
  engine::write_tenant_state(writer, state);
  const std::unique_ptr<rapidjson::Document> parsed =
      parse_json(writer.view(), JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  return engine::read_tenant_state(*parsed);
}

// `decision` refused for `reason`, its message naming `message_part`.
inline void expect_refused(const engine::Decision& decision, const std::string& reason,
                           const std::string& message_part) {
  ASSERT_FALSE(decision.accepted()) << "accepted, expected " << reason;
  EXPECT_EQ(decision.rejection().reason, reason) << decision.rejection().message;
  EXPECT_NE(decision.rejection().message.find(message_part), std::string::npos)
      << decision.rejection().message;
}

class TenantDriver {
 public:
  TenantDriver(std::string tenant, int64_t now_ms) : tenant_(std::move(tenant)), now_ms_(now_ms) {}

  engine::Decision run(const std::string& type, const std::string& payload,
                       const std::string& actor = "system") {
    BuiltCommand built =
        build_command(type, tenant_, "c" + std::to_string(++commands_), payload, actor);
    if (std::optional<Error> refused = engine::check_command(built.envelope, std::nullopt)) {
      return engine::Decision::reject(refused->code, refused->message);
    }
    engine::Decision decision =
        engine::decide(state_, built.envelope, engine::Context{now_ms_, nullptr});
    if (decision.accepted()) apply(decision.events());
    return decision;
  }

  void fire_timers() { apply(engine::due(state_, tenant_, engine::Context{now_ms_, nullptr})); }
  void advance(int64_t ms) { now_ms_ += ms; }
  const engine::TenantState& state() const { return state_; }
  // The state to set up by hand what no live command leaves (an entity as
  // another kind's import leaves it).
  engine::TenantState& mutable_state() { return state_; }
  const engine::credits::State& credits() const { return state_.credits; }
  // Every event's payload, in order.
  const std::vector<std::string>& payloads() const { return payloads_; }

 private:
  void apply(const std::vector<engine::NewEvent>& events) {
    for (const engine::NewEvent& event : events) {
      std::unique_ptr<rapidjson::Document> payload = parse_json(event.payload_json);
      const std::optional<std::string> problem = SchemaRegistry::embedded().validate_event_payload(
          event.type, event.schema_version, *payload);
      ASSERT_FALSE(problem.has_value()) << event.type << ": " << *problem << "\n"
                                        << event.payload_json;
      EventHeader header;
      header.event_id = "e" + std::to_string(++events_);
      header.type = event.type;
      header.schema_version = event.schema_version;
      header.tenant_id = tenant_;
      header.stream = event.stream;
      header.stream_version = state_.stream_version(event.stream) + 1;
      header.actor = "system";
      header.occurred_at_ms = now_ms_;
      engine::evolve(state_, header, *payload);
      ASSERT_EQ(engine::credits::state_invariant_violation(state_.credits), std::nullopt)
          << "after " << event.type;
      ASSERT_EQ(engine::usage::state_invariant_violation(state_.usage), std::nullopt)
          << "after " << event.type;
      payloads_.push_back(event.payload_json);
    }
  }

  std::string tenant_;
  int64_t now_ms_;
  int64_t commands_ = 0;
  int64_t events_ = 0;
  engine::TenantState state_;
  std::vector<std::string> payloads_;
};

}  // namespace lf::testing
