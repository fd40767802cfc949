// Command envelopes for tests and benchmarks: a command's JSON from its
// parts, as a producer sends it (events/envelope.hpp encodes it). No
// GoogleTest here, so bench/ can use it too; tests/support/built_command.hpp
// decodes a command back as the engine receives it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "events/envelope.hpp"
#include "events/time.hpp"

namespace lf::testing {

// A command's JSON from its parts (issued now unless given).
inline std::string command_json(const std::string& type, const std::string& tenant_id,
                                const std::string& command_id, const std::string& payload_json,
                                const std::string& actor = "system",
                                std::optional<int64_t> issued_at_ms = std::nullopt) {
  return encode_command(
      command_envelope(command_id, type, tenant_id, actor, issued_at_ms.value_or(system_now_ms())),
      payload_json);
}

}  // namespace lf::testing
