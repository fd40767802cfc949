// Real command envelopes for the pure core's tests: encoded to JSON
// (tests/support/commands.hpp) and decoded back, exactly as the engine
// receives them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "events/envelope.hpp"
#include "events/json.hpp"
#include "tests/support/commands.hpp"

namespace lf::testing {

struct BuiltCommand {
  std::unique_ptr<rapidjson::Document> document;
  CommandEnvelope envelope;
  std::string json;
};

inline BuiltCommand build_command(const std::string& type, const std::string& tenant_id,
                                  const std::string& command_id, const std::string& payload_json,
                                  const std::string& actor = "system",
                                  int64_t issued_at_ms = 1'700'000'000'000,
                                  std::optional<int64_t> expected_version = std::nullopt) {
  CommandEnvelope envelope = command_envelope(command_id, type, tenant_id, actor, issued_at_ms);
  envelope.expected_version = expected_version;
  BuiltCommand built;
  built.json = encode_command(envelope, payload_json);
  Result<std::unique_ptr<rapidjson::Document>> document =
      parse_json_bounded(built.json, JsonLimits{});
  EXPECT_TRUE(document.ok()) << built.json;
  built.document = std::move(document).value();
  Result<CommandEnvelope> decoded = decode_command(*built.document);
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  built.envelope = std::move(decoded).value();
  return built;
}

}  // namespace lf::testing
