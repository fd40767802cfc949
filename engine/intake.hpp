// The intake's checks on one command message, in the order the engine runs
// them (DESIGN.md guarantee 5, "Bad input never stalls a partition"): the
// bounded parse and the envelope, then (after the service has routed the
// command to its tenant's partition) the message key, the type and the
// payload's schema. Pure: consumers/engine/command_intake.cpp runs them around
// its Kafka routing, and fuzz/command_fuzz.cpp runs them on untrusted bytes.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <variant>

#include <rapidjson/document.h>

#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::engine {

// The bounds the engine puts on a command message before parsing it.
inline constexpr JsonLimits kCommandLimits{.max_bytes = 1 << 20, .max_depth = 32};

// A command whose JSON and envelope are readable.
struct ReadCommand {
  // Owns what envelope.payload points into; null when the command was read
  // into a ReusableDocument, which then does until its next parse.
  std::unique_ptr<rapidjson::Document> document;
  CommandEnvelope envelope;
};

// Input the intake refuses: the error (its code is the rejection reason),
// and who sent it as far as that can be read; nullopt when there is nobody to
// address a result to (the dead letter is all there is).
struct RefusedCommand {
  Error error;
  std::optional<CommandIdentity> identity;
};

// Parses `value` within `limits` and decodes its envelope. When the text is
// JSON that breaks only the input checks (a duplicate key, an inexact
// number), the identity is read from a parse without them.
std::variant<ReadCommand, RefusedCommand> read_command(std::string_view value,
                                                       const JsonLimits& limits);
// The same, parsed into `into` (the engine reads one command at a time).
std::variant<ReadCommand, RefusedCommand> read_command(std::string_view value,
                                                       const JsonLimits& limits,
                                                       ReusableDocument& into);

// The checks on a readable command in its tenant's partition: the message
// key (null or empty: none) is its tenant_id in any case ("key_mismatch"),
// some domain decides its type ("unknown_command_type"), its payload passes
// the type's JSON Schema ("schema_violation"). nullopt: the deciders decide.
std::optional<Error> check_command(const CommandEnvelope& command,
                                   std::optional<std::string_view> key);

}  // namespace lf::engine
