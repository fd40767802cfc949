// Engine snapshots in PostgreSQL (DESIGN.md "How exactly once works"): the
// engine's per-partition state with the seq and offsets it covers, saved by
// compare-and-set so an older snapshot never replaces a newer one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace lf::pg {

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
  std::string result_json;  // the encoded ResultEnvelope to repeat for a duplicate
};

struct Snapshot {
  SnapshotHeader header;
  std::vector<TenantStateRow> tenants;
  std::vector<DedupRow> dedup;
};

std::optional<Snapshot> load_snapshot(pqxx::work& work, int32_t partition);

// Writes an incremental snapshot: upserts `tenants`, adds the `dedup`
// entries (as one chunk row; for a key given more than once, here or in an
// earlier snapshot, the later entry is the one loaded), drops the entries
// with seq <= `dedup_evict_through_seq`, and moves the header to `header`
// only if the stored header's seq is lower (compare-and-set). Returns false,
// writing nothing, when the stored snapshot is already at or past header.seq.
bool save_snapshot(pqxx::work& work, const SnapshotHeader& header,
                   const std::vector<TenantStateRow>& tenants, const std::vector<DedupRow>& dedup,
                   int64_t dedup_evict_through_seq);

}  // namespace lf::pg
