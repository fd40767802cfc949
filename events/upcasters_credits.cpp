// The credits events' upcasters: for each credits event type changed since
// v1, one pure step per version, from_version -> from_version + 1, stating
// the change field by field; docs/domains/credits.md keeps the types' version
// history.
#include <span>

#include "events/upcast.hpp"

namespace lf {

std::span<const Upcaster> credits_upcasters() { return {}; }

}  // namespace lf
