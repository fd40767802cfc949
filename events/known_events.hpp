// Which events this binary can read: the hook the projectors' unknown-event
// policy (skip or park, per projection) asks. An event is *unknown* when its
// type has no event schema in this binary, or its schema_version is newer
// than the newest version of that type this binary has a schema for. Older
// versions are known: reading them is upcasting's business (DESIGN.md
// "Schema evolution"), not a reason to stop. When upcasting lands, its
// "newer than this binary knows" predicate belongs in knows().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lf {

class KnownEvents {
 public:
  // The event types of the embedded schema registry.
  static const KnownEvents& embedded();
  // From registry-style names: "type" (version 1) or "type.vN".
  explicit KnownEvents(const std::vector<std::string>& registry_types);

  // Allocation-free: called for every event the projectors read.
  bool knows(std::string_view type, int32_t schema_version) const {
    auto found = newest_version_.find(type);
    return found != newest_version_.end() && schema_version <= found->second;
  }

 private:
  std::map<std::string, int32_t, std::less<>> newest_version_;
};

}  // namespace lf
