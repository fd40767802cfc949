// A rebuild's positions: where the archive reaches, and the live
// checkpoints it locks while it catches up and stores when it swaps in.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "events/chain.hpp"

namespace lf::rebuild {

// A rebuild's position in one partition: what the live checkpoint will say
// once the rebuilt tables are in place.
struct Position {
  int64_t next_offset = 0;
  ChainPosition chain;
  int64_t ignored = 0;
  int64_t deadlettered = 0;
};

// The positions of the event_log projection: how far the archive reaches.
std::map<int32_t, Position> archive_positions(pqxx::transaction_base& tx);

// The live checkpoint rows of `projection`, locked until the transaction
// ends: a projector's next commit for the projection waits for it.
std::map<int32_t, Position> lock_checkpoints(pqxx::work& work, const std::string& projection,
                                             const std::vector<int32_t>& partitions);

// The live checkpoints of `projection` take the rebuild's positions; the
// generation moves, so a projector holding a batch for the old tables fails
// its compare-and-set and reloads positions and parked streams.
void store_positions(pqxx::work& work, const std::string& projection,
                     const std::map<int32_t, Position>& positions);

}  // namespace lf::rebuild
