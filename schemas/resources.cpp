// Look-ups over the generated resource table.
#include "schemas/resources.hpp"

#include <algorithm>

namespace lf::resources {

std::optional<std::string_view> find(std::string_view path) {
  for (const Resource& resource : all()) {
    if (resource.path == path) return resource.content;
  }
  return std::nullopt;
}

std::vector<Resource> under(std::string_view prefix) {
  std::vector<Resource> found;
  for (const Resource& resource : all()) {
    if (resource.path.substr(0, prefix.size()) == prefix) found.push_back(resource);
  }
  std::sort(found.begin(), found.end(),
            [](const Resource& a, const Resource& b) { return a.path < b.path; });
  return found;
}

}  // namespace lf::resources
