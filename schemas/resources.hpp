// Text resources embedded in the binary at build time: JSON Schemas under
// "commands/" and "events/", SQL migrations under "migrations/".
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace lf::resources {

struct Resource {
  std::string_view path;  // relative to schemas/, e.g. "commands/credits.reserve.json"
  std::string_view content;
};

// Every embedded resource, sorted by path.
const std::vector<Resource>& all();

// The resource at `path`, if embedded.
std::optional<std::string_view> find(std::string_view path);

// Every resource whose path starts with `prefix`, sorted by path.
std::vector<Resource> under(std::string_view prefix);

}  // namespace lf::resources
