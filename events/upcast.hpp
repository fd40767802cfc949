// Schema evolution (DESIGN.md "Wire contract"): a changed event type gets a
// new schema_version; old events stay in the log exactly as written, and
// readers bring each one up to the current version of its type, one version
// at a time, when a commit record is decoded (events/envelope.cpp). So evolve()
// and the projections only ever see current versions, and none of them needs
// to know an old one.
//
// The versions this binary knows are those of its embedded event schemas
// (schemas/events/<type>.json is version 1, <type>.v<N>.json version N); the
// highest one of a type is its current version, the one the engine writes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "events/schema_registry.hpp"

namespace lf {

// What decoding did with an event's payload: the distinct outcomes a reader
// acts on.
enum class UpcastOutcome {
  current,        // written at its type's current version: read as written
  upcast,         // written at an older version: brought to the current one
  newer_version,  // written by a newer binary (version above current): left as written
  unknown_type,   // a type this binary has no schema for: left as written
};

std::string_view to_string(UpcastOutcome outcome);

// True when the reader gets a payload at the current version of a type it
// knows (current or upcast); false for what a newer binary wrote.
inline bool is_readable(UpcastOutcome outcome) {
  return outcome == UpcastOutcome::current || outcome == UpcastOutcome::upcast;
}

using JsonAllocator = rapidjson::Document::AllocatorType;

// Rewrites `payload`, an object valid at version `from_version` of its type,
// into version from_version + 1, in place; new values are allocated with
// `allocator` (the record's own). Pure: the result depends on the payload
// alone.
using UpcastFunction = void (*)(rapidjson::Value& payload, JsonAllocator& allocator);

struct Upcaster {
  std::string_view type;
  int32_t from_version = 0;
  UpcastFunction function = nullptr;
};

// Every upcaster ledgerflow ships, one per changed (type, version): those of
// the credits events (events/upcasters_credits.cpp) and of the workflow
// events (events/upcasters_workflow.cpp).
std::span<const Upcaster> all_upcasters();
std::span<const Upcaster> credits_upcasters();
std::span<const Upcaster> workflow_upcasters();

class UpcasterRegistry {
 public:
  // The embedded event schemas with all_upcasters().
  static const UpcasterRegistry& embedded();

  // `schemas`: every (type, version) known; `upcasters`: at most one per
  // (type, from_version), each for a known type.
  UpcasterRegistry(std::span<const EventSchemaKey> schemas, std::span<const Upcaster> upcasters);

  // The highest known version of `type`; nullopt for an unknown type.
  std::optional<int32_t> current_version(std::string_view type) const;
  // True when `schema_version` of `type` can be read: 1 <= version <= current.
  bool is_known(std::string_view type, int32_t schema_version) const;
  // What upcast() would do, without doing it.
  UpcastOutcome classify(std::string_view type, int32_t schema_version) const;

  // nullopt when an event of `type` written at `schema_version` (at most
  // current) reaches the current version through the upcasters; otherwise a
  // sentence naming the missing step. A missing step is a programming error
  // (the unit tests walk every embedded schema with this).
  std::optional<std::string> missing_step(std::string_view type, int32_t schema_version) const;

  // Brings `payload` of `type`, written at `schema_version`, to the current
  // version, and sets `schema_version` to it (upcast). Leaves both untouched
  // for current, newer_version and unknown_type. An old payload is read as
  // every reader reads JSON: of a key written twice in one object, the
  // first; the later ones are dropped before the first step, so that a step
  // rewriting a field rewrites the one readers see, and no stale copy of it
  // is left behind to fail the current schema.
  UpcastOutcome upcast(std::string_view type, int32_t& schema_version, rapidjson::Value& payload,
                       JsonAllocator& allocator) const;

 private:
  std::map<std::string, int32_t, std::less<>> current_;
  std::map<std::pair<std::string, int32_t>, UpcastFunction> steps_;
};

}  // namespace lf
