// Every JSON Schema (draft-04) embedded from schemas/: one per command type
// (commands/<type>.json, validating the payload), one per event type and
// version (events/<type>.json for version 1, events/<type>.v<N>.json after),
// and the envelopes (envelopes/command.json, event.json, commit_record.json,
// result.json). Compiled once; validation is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace lf {

// One embedded event schema: a type at one schema_version.
struct EventSchemaKey {
  std::string type;
  int32_t schema_version = 1;
  bool operator==(const EventSchemaKey&) const = default;
};

// Every (type, schema_version) with an embedded event schema, sorted, read
// from the resource names alone (nothing compiled): what the upcasters
// (events/upcast.hpp) take as "the versions this binary knows".
std::vector<EventSchemaKey> embedded_event_schema_keys();

class SchemaRegistry {
 public:
  // The registry of the embedded schemas. Aborts at start-up if one of them
  // does not compile: that is a build defect, not an input error.
  static const SchemaRegistry& embedded();

  bool knows_command(std::string_view type) const;
  bool knows_event(std::string_view type, int32_t schema_version) const;
  std::vector<std::string> command_types() const;
  std::vector<std::string> event_types() const;  // "type" or "type.vN" for N > 1

  // nullopt when valid; otherwise one sentence naming the JSON pointer into
  // the payload, the failed keyword and the schema location.
  std::optional<std::string> validate_command_payload(std::string_view type,
                                                      const rapidjson::Value& payload) const;
  std::optional<std::string> validate_event_payload(std::string_view type, int32_t schema_version,
                                                    const rapidjson::Value& payload) const;
  // kind: "command", "event", "commit_record", "result".
  std::optional<std::string> validate_envelope(std::string_view kind,
                                               const rapidjson::Value& document) const;

  ~SchemaRegistry();
  SchemaRegistry(const SchemaRegistry&) = delete;
  SchemaRegistry& operator=(const SchemaRegistry&) = delete;

 private:
  SchemaRegistry();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lf
