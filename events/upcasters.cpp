// All upcasters: the credits ones and the workflow ones, in one list the
// registry checks (at most one step per (type, from_version)).
#include <vector>

#include "events/upcast.hpp"

namespace lf {

std::span<const Upcaster> all_upcasters() {
  static const std::vector<Upcaster> all = [] {
    std::vector<Upcaster> upcasters;
    for (std::span<const Upcaster> part : {credits_upcasters(), workflow_upcasters()}) {
      upcasters.insert(upcasters.end(), part.begin(), part.end());
    }
    return upcasters;
  }();
  return all;
}

}  // namespace lf
