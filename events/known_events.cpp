// The event types this binary knows, from its schema registry.
#include "events/known_events.hpp"

#include <algorithm>
#include <cctype>

#include "events/schema_registry.hpp"

namespace lf {

namespace {

// "credits.reserved.v2" -> {"credits.reserved", 2}; "credits.reserved" -> {.., 1}.
std::pair<std::string, int32_t> split_version(const std::string& name) {
  const std::size_t dot = name.rfind(".v");
  if (dot == std::string::npos || dot + 2 >= name.size()) return {name, 1};
  const std::string digits = name.substr(dot + 2);
  if (!std::all_of(digits.begin(), digits.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return {name, 1};
  }
  if (digits.size() > 9) return {name, 1};
  return {name.substr(0, dot), static_cast<int32_t>(std::stol(digits))};
}

}  // namespace

const KnownEvents& KnownEvents::embedded() {
  static const KnownEvents instance(SchemaRegistry::embedded().event_types());
  return instance;
}

KnownEvents::KnownEvents(const std::vector<std::string>& registry_types) {
  for (const std::string& name : registry_types) {
    auto [type, version] = split_version(name);
    auto [found, inserted] = newest_version_.emplace(type, version);
    if (!inserted) found->second = std::max(found->second, version);
  }
}

}  // namespace lf
