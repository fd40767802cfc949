// Positions stored with effects (DESIGN.md "How exactly once works", point 3):
// projection checkpoints, per projection and partition, the next offset and
// the chain position, advanced by compare-and-set in the same transaction as
// the rows, so a stale projector's commit fails. The engine's snapshots are
// in snapshots.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/pg/pipeline.hpp"

namespace lf::pg {

struct Checkpoint {
  std::string projection;
  int32_t partition = 0;
  int64_t next_offset = 0;
  int64_t last_seq = 0;
  std::string last_record_id;
  int64_t ignored_count = 0;          // records ignored by the chain rule
  int64_t deadlettered_count = 0;     // messages sent to the dead-letter topic
  int64_t unknown_skipped_count = 0;  // unknown events skipped by policy
  // Bumped by other writers that change the projection's parked streams
  // (replay-parked): part of the compare-and-set, so the owner re-reads.
  int64_t generation = 0;
};

// Thrown when a compare-and-set finds another writer's position.
class StalePosition : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The stored checkpoints for these projections and partitions; missing ones
// are returned at offset 0, seq 0 (and created, so later CAS can match).
std::vector<Checkpoint> load_checkpoints(pqxx::work& work,
                                         const std::vector<std::string>& projections,
                                         const std::vector<int32_t>& partitions);

// Advances each checkpoint from `before[i]` to `after[i]` (same projection and
// partition) by compare-and-set on next_offset and generation, in one
// statement. Throws StalePosition if any row did not match `before`.
void advance_checkpoints(pqxx::work& work, const std::vector<Checkpoint>& before,
                         const std::vector<Checkpoint>& after);
// The same compare-and-set as a statement to send with others
// (BatchWriter::write_pipelined); its check throws StalePosition. `after`
// must not be empty.
PipelinedStatement advance_checkpoints_statement(const std::vector<Checkpoint>& before,
                                                 const std::vector<Checkpoint>& after);

}  // namespace lf::pg
