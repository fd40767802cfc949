// Engine snapshots in PostgreSQL (snapshots.hpp), the header moved by
// compare-and-set so a stale writer's transaction changes nothing.
#include "consumers/pg/snapshots.hpp"
#include "consumers/pg/internal.hpp"

#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "consumers/pg/copy.hpp"
#include "events/assert.hpp"

namespace lf::pg {

namespace {

// Moves the header only forward; RETURNING tells whether it moved.
constexpr const char* kSaveSnapshotHeader =
    "INSERT INTO engine_snapshots AS s (partition, seq, record_id, events_next_offset, "
    "commands_next_offset, updated_at) VALUES ($1::integer, $2::bigint, $3::text, $4::bigint, "
    "$5::bigint, now()) "
    "ON CONFLICT (partition) DO UPDATE SET seq = EXCLUDED.seq, record_id = EXCLUDED.record_id, "
    "events_next_offset = EXCLUDED.events_next_offset, "
    "commands_next_offset = EXCLUDED.commands_next_offset, updated_at = now() "
    "WHERE s.seq < EXCLUDED.seq RETURNING partition";

constexpr const char* kUpsertTenantState =
    "INSERT INTO engine_tenant_state (partition, tenant_id, state) "
    "SELECT $1::integer, u.tenant_id, u.state FROM unnest($2::uuid[], $3::text[]) AS u(tenant_id, "
    "state) "
    "ON CONFLICT (partition, tenant_id) DO UPDATE SET state = EXCLUDED.state";

constexpr const char* kUpsertDedup =
    "INSERT INTO engine_dedup (partition, tenant_id, command_id, seq, result) "
    "SELECT $1::integer, u.tenant_id, u.command_id, u.seq, u.result "
    "FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::text[]) AS u(tenant_id, command_id, "
    "seq, result) "
    "ON CONFLICT (partition, tenant_id, command_id) DO UPDATE SET seq = EXCLUDED.seq, result = "
    "EXCLUDED.result";

constexpr const char* kEvictDedup =
    "DELETE FROM engine_dedup WHERE partition = $1::integer AND seq <= $2::bigint";

// Keeps the last of several rows with the same key: one statement may not
// touch a row twice.
template <typename Row, typename Key>
std::vector<const Row*> last_per_key(const std::vector<Row>& rows, Key key) {
  std::unordered_map<std::string, std::size_t> index;
  std::vector<const Row*> unique;
  unique.reserve(rows.size());
  for (const Row& row : rows) {
    auto [found, inserted] = index.emplace(key(row), unique.size());
    if (inserted) {
      unique.push_back(&row);
    } else {
      unique[found->second] = &row;
    }
  }
  return unique;
}

}  // namespace

std::optional<Snapshot> load_snapshot(pqxx::work& work, int32_t partition) {
  const pqxx::result header = work.exec_params(
      "SELECT seq, record_id, events_next_offset, commands_next_offset FROM engine_snapshots "
      "WHERE partition = $1",
      partition);
  if (header.empty()) return std::nullopt;
  Snapshot snapshot;
  snapshot.header.partition = partition;
  snapshot.header.seq = header[0][0].as<int64_t>();
  snapshot.header.record_id = header[0][1].as<std::string>();
  snapshot.header.events_next_offset = header[0][2].as<int64_t>();
  snapshot.header.commands_next_offset = header[0][3].as<int64_t>();

  const pqxx::result tenants = work.exec_params(
      "SELECT tenant_id::text, state::text FROM engine_tenant_state WHERE partition = $1 ORDER BY "
      "tenant_id",
      partition);
  snapshot.tenants.reserve(tenants.size());
  for (const pqxx::row& row : tenants) {
    snapshot.tenants.push_back(TenantStateRow{row[0].as<std::string>(), row[1].as<std::string>()});
  }

  const pqxx::result dedup = work.exec_params(
      "SELECT tenant_id::text, command_id, seq, result::text FROM engine_dedup WHERE partition = "
      "$1 "
      "ORDER BY seq, tenant_id, command_id",
      partition);
  snapshot.dedup.reserve(dedup.size());
  for (const pqxx::row& row : dedup) {
    snapshot.dedup.push_back(DedupRow{row[0].as<std::string>(), row[1].as<std::string>(),
                                      row[2].as<int64_t>(), row[3].as<std::string>()});
  }
  return snapshot;
}

bool save_snapshot(pqxx::work& work, const SnapshotHeader& header,
                   const std::vector<TenantStateRow>& tenants, const std::vector<DedupRow>& dedup,
                   int64_t dedup_evict_through_seq) {
  LF_ASSERT(header.partition >= 0 && header.seq >= 0);
  // The header first: if it does not move, nothing else may be written.
  const pqxx::result moved = work.exec_prepared(
      prepared(work, "lf.save_snapshot_header", kSaveSnapshotHeader), header.partition, header.seq,
      header.record_id, header.events_next_offset, header.commands_next_offset);
  if (moved.empty()) {
    logger()->info("snapshot of partition {} at seq {} refused: a newer one is stored",
                   header.partition, header.seq);
    return false;
  }

  if (!tenants.empty()) {
    const std::vector<const TenantStateRow*> rows =
        last_per_key(tenants, [](const TenantStateRow& row) { return row.tenant_id; });
    work.exec_prepared(
        prepared(work, "lf.upsert_tenant_state", kUpsertTenantState), header.partition,
        array_of(rows, [](const TenantStateRow* row) { return row->tenant_id; }),
        array_of(rows,
                 [](const TenantStateRow* row) { return projections::Json{row->state_json}; }));
  }
  if (!dedup.empty()) {
    const std::vector<const DedupRow*> rows = last_per_key(dedup, [](const DedupRow& row) {
      std::string key = row.tenant_id;
      key.push_back('\0');
      key += row.command_id;
      return key;
    });
    work.exec_prepared(
        prepared(work, "lf.upsert_dedup", kUpsertDedup), header.partition,
        array_of(rows, [](const DedupRow* row) { return row->tenant_id; }),
        array_of(rows, [](const DedupRow* row) { return row->command_id; }),
        array_of(rows, [](const DedupRow* row) { return row->seq; }),
        array_of(rows, [](const DedupRow* row) { return projections::Json{row->result_json}; }));
  }
  work.exec_prepared(prepared(work, "lf.evict_dedup", kEvictDedup), header.partition,
                     dedup_evict_through_seq);
  logger()->debug(
      "snapshot of partition {} saved at seq {}: {} tenants, {} dedup rows, evicted through seq {}",
      header.partition, header.seq, tenants.size(), dedup.size(), dedup_evict_through_seq);
  return true;
}

}  // namespace lf::pg
