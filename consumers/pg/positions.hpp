// Positions stored with effects (DESIGN.md "How exactly once works", point 3).
// Projection checkpoints: per projection and partition, the next offset and
// the chain position, advanced by compare-and-set in the same transaction as
// the rows, so a stale projector's commit fails. Engine snapshots: the
// engine's per-partition state with the seq and offsets it covers.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

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

// Engine snapshots: a header per partition, one row per tenant changed, and
// the command-id de-duplication window.
struct SnapshotHeader {
  int32_t partition = 0;
  int64_t seq = 0;                   // the last commit record the state includes
  std::string record_id;             // its record_id
  int64_t events_next_offset = 0;    // where to resume reading ledgerflow.events
  int64_t commands_next_offset = 0;  // where to resume reading ledgerflow.commands
};

struct TenantStateRow {
  std::string tenant_id;
  std::string state_json;
};

struct DedupRow {
  std::string tenant_id;
  std::string command_id;
  int64_t seq = 0;
  std::string result_json;  // the encoded CommandResult to repeat for a duplicate
};

struct Snapshot {
  SnapshotHeader header;
  std::vector<TenantStateRow> tenants;
  std::vector<DedupRow> dedup;
};

std::optional<Snapshot> load_snapshot(pqxx::work& work, int32_t partition);

// Writes an incremental snapshot: upserts `tenants`, inserts `dedup` rows,
// deletes dedup rows with seq <= `dedup_evict_through_seq`, and moves the header to `header`
// only if the stored header's seq is lower (compare-and-set). Returns false,
// writing nothing, when the stored snapshot is already at or past header.seq.
bool save_snapshot(pqxx::work& work, const SnapshotHeader& header,
                   const std::vector<TenantStateRow>& tenants, const std::vector<DedupRow>& dedup,
                   int64_t dedup_evict_through_seq);

}  // namespace lf::pg
