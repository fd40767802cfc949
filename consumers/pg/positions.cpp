// Projection checkpoints and engine snapshots in PostgreSQL, each written by
// compare-and-set so a stale writer's transaction changes nothing.
#include "consumers/pg/positions.hpp"

#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "consumers/pg/copy.hpp"
#include "events/assert.hpp"

namespace lf::pg {

namespace {

// Never destroyed: a TempServer may stop from a static destructor, after
// function-local statics constructed later than it are gone.
std::shared_ptr<spdlog::logger> logger() {
  static const std::shared_ptr<spdlog::logger>* const instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("pg");
    return new std::shared_ptr<spdlog::logger>(existing ? existing
                                                        : spdlog::default_logger()->clone("pg"));
  }();
  return *instance;
}

// Declares a statement on the connection (a no-op when it already has the
// same one) and returns its name.
std::string prepared(pqxx::work& work, const char* name, const char* sql) {
  work.conn().prepare(name, sql);
  return name;
}

constexpr const char* kInsertMissingCheckpoints =
    "INSERT INTO projection_checkpoints (projection, partition) "
    "SELECT p.projection, n.partition "
    "FROM unnest($1::text[]) AS p(projection) CROSS JOIN unnest($2::integer[]) AS n(partition) "
    "ON CONFLICT (projection, partition) DO NOTHING";

constexpr const char* kSelectCheckpoints =
    "SELECT projection, partition, next_offset, last_seq, last_record_id, ignored_count, "
    "deadlettered_count, unknown_skipped_count, generation FROM projection_checkpoints "
    "WHERE projection = ANY($1::text[]) AND partition = ANY($2::integer[])";

// Compare-and-set on next_offset and generation. Under READ COMMITTED a
// concurrent writer's UPDATE waits for ours and then re-checks the WHERE
// clause, so of two projectors moving the same position only the first
// succeeds, and a replay-parked that committed first (bumping generation)
// makes the projector re-read its parked streams.
constexpr const char* kAdvanceCheckpoints =
    "UPDATE projection_checkpoints AS c SET next_offset = v.next_offset, last_seq = v.last_seq, "
    "last_record_id = v.last_record_id, ignored_count = v.ignored_count, "
    "deadlettered_count = v.deadlettered_count, unknown_skipped_count = v.unknown_skipped_count, "
    "updated_at = now() "
    "FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], "
    "$7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[]) "
    "AS v(projection, partition, before_next_offset, next_offset, last_seq, last_record_id, "
    "ignored_count, deadlettered_count, unknown_skipped_count, before_generation) "
    "WHERE c.projection = v.projection AND c.partition = v.partition "
    "AND c.next_offset = v.before_next_offset AND c.generation = v.before_generation";

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

std::vector<Checkpoint> load_checkpoints(pqxx::work& work,
                                         const std::vector<std::string>& projections,
                                         const std::vector<int32_t>& partitions) {
  if (projections.empty() || partitions.empty()) return {};
  const std::string names = array_of(projections, [](const std::string& name) { return name; });
  const std::string numbers =
      array_of(partitions, [](int32_t partition) { return static_cast<int64_t>(partition); });
  work.exec_params(kInsertMissingCheckpoints, names, numbers);

  std::map<std::pair<std::string, int32_t>, Checkpoint> stored;
  for (const pqxx::row& row : work.exec_params(kSelectCheckpoints, names, numbers)) {
    Checkpoint checkpoint;
    checkpoint.projection = row[0].as<std::string>();
    checkpoint.partition = row[1].as<int32_t>();
    checkpoint.next_offset = row[2].as<int64_t>();
    checkpoint.last_seq = row[3].as<int64_t>();
    checkpoint.last_record_id = row[4].as<std::string>();
    checkpoint.ignored_count = row[5].as<int64_t>();
    checkpoint.deadlettered_count = row[6].as<int64_t>();
    checkpoint.unknown_skipped_count = row[7].as<int64_t>();
    checkpoint.generation = row[8].as<int64_t>();
    stored.emplace(std::make_pair(checkpoint.projection, checkpoint.partition),
                   std::move(checkpoint));
  }
  // In the order asked: projections, then partitions.
  std::vector<Checkpoint> checkpoints;
  checkpoints.reserve(projections.size() * partitions.size());
  for (const std::string& projection : projections) {
    for (int32_t partition : partitions) {
      auto found = stored.find({projection, partition});
      LF_ASSERT_MSG(found != stored.end(), "checkpoint row missing right after its insert");
      checkpoints.push_back(found->second);
    }
  }
  return checkpoints;
}

void advance_checkpoints(pqxx::work& work, const std::vector<Checkpoint>& before,
                         const std::vector<Checkpoint>& after) {
  LF_ASSERT(before.size() == after.size());
  if (after.empty()) return;
  for (std::size_t i = 0; i < after.size(); ++i) {
    LF_ASSERT(before[i].projection == after[i].projection);
    LF_ASSERT(before[i].partition == after[i].partition);
    LF_ASSERT(after[i].next_offset >= 0 && after[i].last_seq >= 0);
    LF_ASSERT(before[i].generation == after[i].generation);
  }
  const pqxx::result result = work.exec_prepared(
      prepared(work, "lf.advance_checkpoints", kAdvanceCheckpoints),
      array_of(after, [](const Checkpoint& c) { return c.projection; }),
      array_of(after, [](const Checkpoint& c) { return static_cast<int64_t>(c.partition); }),
      array_of(before, [](const Checkpoint& c) { return c.next_offset; }),
      array_of(after, [](const Checkpoint& c) { return c.next_offset; }),
      array_of(after, [](const Checkpoint& c) { return c.last_seq; }),
      array_of(after, [](const Checkpoint& c) { return c.last_record_id; }),
      array_of(after, [](const Checkpoint& c) { return c.ignored_count; }),
      array_of(after, [](const Checkpoint& c) { return c.deadlettered_count; }),
      array_of(after, [](const Checkpoint& c) { return c.unknown_skipped_count; }),
      array_of(before, [](const Checkpoint& c) { return c.generation; }));
  if (result.affected_rows() != after.size()) {
    throw StalePosition(
        "checkpoint compare-and-set matched " + std::to_string(result.affected_rows()) + " of " +
        std::to_string(after.size()) + " positions: another projector has moved them");
  }
}

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
