// `ledgerflow replay-parked`: after a fix, applies a projection's parked
// streams (consumers/pg/parking.hpp) in log order and unparks them. One
// transaction per stream, which first locks the projection's checkpoint row
// of the stream's partition (the lock every writer takes first, so it queues
// behind a live projector's batch instead of deadlocking) and bumps its
// generation, so that projector's next compare-and-set fails and it
// re-reads positions and parked streams: nothing is applied twice, out of
// order, or lost.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/pg/parking.hpp"
#include "events/json.hpp"
#include "projections/projection.hpp"

namespace lf::projector {

struct ReplayOptions {
  std::optional<std::string> tenant_id;
  std::optional<std::string> stream;
  // Instead of the projection's own policy for events this binary does not
  // know; parking them again fails the replay of their stream.
  std::optional<projections::UnknownEventPolicy> unknown_events;
  JsonLimits record_limits{.max_bytes = 1 << 20, .max_depth = 64};
};

struct ReplayOutcome {
  pg::ParkedStream stream;  // as it was parked
  bool replayed = false;    // applied and unparked
  int64_t events_applied = 0;
  int64_t events_skipped = 0;  // unknown events skipped by policy
  std::string error;           // when not replayed: why (also stored as the new reason)
};

// Replays every parked stream of `projection` that matches the options, in
// the order status lists them. Errors about the data (and events still
// unknown under the park policy) leave the stream parked with the new
// reason; other errors (connection lost) are thrown.
std::vector<ReplayOutcome> replay_parked(pqxx::connection& connection,
                                         const projections::Projection& projection,
                                         const ReplayOptions& options);

}  // namespace lf::projector
