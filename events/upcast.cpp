// The upcaster registry: current versions from the embedded schema names,
// one step per (type, from_version), applied in order up to the current one.
#include "events/upcast.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "events/assert.hpp"

namespace lf {

std::string_view to_string(UpcastOutcome outcome) {
  switch (outcome) {
    case UpcastOutcome::current:
      return "current";
    case UpcastOutcome::upcast:
      return "upcast";
    case UpcastOutcome::newer_version:
      return "newer_version";
    case UpcastOutcome::unknown_type:
      return "unknown_type";
  }
  LF_ASSERT_MSG(false, "unknown UpcastOutcome");
  return "unknown";
}

const UpcasterRegistry& UpcasterRegistry::embedded() {
  static const std::vector<EventSchemaKey> schemas = embedded_event_schema_keys();
  static const UpcasterRegistry registry(schemas, all_upcasters());
  return registry;
}

UpcasterRegistry::UpcasterRegistry(std::span<const EventSchemaKey> schemas,
                                   std::span<const Upcaster> upcasters) {
  for (const EventSchemaKey& key : schemas) {
    LF_ASSERT(key.schema_version >= 1);
    auto [slot, inserted] = current_.try_emplace(key.type, key.schema_version);
    if (!inserted) slot->second = std::max(slot->second, key.schema_version);
  }
  for (const Upcaster& upcaster : upcasters) {
    LF_ASSERT(upcaster.function != nullptr && upcaster.from_version >= 1);
    LF_ASSERT_MSG(current_.find(upcaster.type) != current_.end(),
                  "an upcaster for an event type without a schema");
    const bool inserted =
        steps_.try_emplace({std::string(upcaster.type), upcaster.from_version}, upcaster.function)
            .second;
    LF_ASSERT_MSG(inserted, "two upcasters for one event type and version");
  }
}

std::optional<int32_t> UpcasterRegistry::current_version(std::string_view type) const {
  const auto found = current_.find(type);
  if (found == current_.end()) return std::nullopt;
  return found->second;
}

bool UpcasterRegistry::is_known(std::string_view type, int32_t schema_version) const {
  return is_readable(classify(type, schema_version));
}

UpcastOutcome UpcasterRegistry::classify(std::string_view type, int32_t schema_version) const {
  const std::optional<int32_t> current = current_version(type);
  if (!current) return UpcastOutcome::unknown_type;
  if (schema_version == *current) return UpcastOutcome::current;
  if (schema_version > *current) return UpcastOutcome::newer_version;
  return UpcastOutcome::upcast;
}

std::optional<std::string> UpcasterRegistry::missing_step(std::string_view type,
                                                          int32_t schema_version) const {
  const std::optional<int32_t> current = current_version(type);
  if (!current) return "no schema for event type " + std::string(type);
  if (schema_version < 1 || schema_version > *current) {
    return std::string(type) + " has no version " + std::to_string(schema_version) + " (current " +
           std::to_string(*current) + ")";
  }
  for (int32_t version = schema_version; version < *current; ++version) {
    if (steps_.find({std::string(type), version}) == steps_.end()) {
      return "no upcaster for " + std::string(type) + " from version " + std::to_string(version) +
             " to " + std::to_string(version + 1);
    }
  }
  return std::nullopt;
}

namespace {

// Drops every member whose name an earlier member of the same object has,
// in `value` and everything nested in it.
void drop_later_duplicate_keys(rapidjson::Value& value) {
  if (value.IsArray()) {
    for (rapidjson::Value& element : value.GetArray()) drop_later_duplicate_keys(element);
    return;
  }
  if (!value.IsObject()) return;
  std::set<std::string_view> names;
  for (auto member = value.MemberBegin(); member != value.MemberEnd();) {
    if (!names.insert(std::string_view(member->name.GetString(), member->name.GetStringLength()))
             .second) {
      member = value.EraseMember(member);  // keeps the order of the others
      continue;
    }
    drop_later_duplicate_keys(member->value);
    ++member;
  }
}

}  // namespace

UpcastOutcome UpcasterRegistry::upcast(std::string_view type, int32_t& schema_version,
                                       rapidjson::Value& payload, JsonAllocator& allocator) const {
  const UpcastOutcome outcome = classify(type, schema_version);
  if (outcome != UpcastOutcome::upcast) return outcome;
  LF_ASSERT(payload.IsObject());
  const int32_t current = *current_version(type);
  drop_later_duplicate_keys(payload);
  for (int32_t version = schema_version; version < current; ++version) {
    const auto step = steps_.find({std::string(type), version});
    // Every older version of every type has a path (the registry tests walk
    // them all): a gap here is a build defect, not bad input.
    LF_ASSERT_MSG(step != steps_.end(), "an old event version without an upcaster");
    step->second(payload, allocator);
    LF_ASSERT_MSG(payload.IsObject(), "an upcaster left a payload that is not an object");
  }
  schema_version = current;
  return outcome;
}

}  // namespace lf
