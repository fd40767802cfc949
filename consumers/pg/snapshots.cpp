// Engine snapshots in PostgreSQL (snapshots.hpp), the header moved by
// compare-and-set so a stale writer's transaction changes nothing.
#include "consumers/pg/snapshots.hpp"
#include "consumers/pg/internal.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "consumers/pg/copy.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::pg {

namespace {

// Moves the header only forward; RETURNING tells whether it moved.
constexpr const char* kSaveSnapshotHeader =
    "INSERT INTO engine_snapshots AS s (partition, seq, record_id, events_next_offset, "
    "commands_next_offset, dedup_evicted_through_seq, updated_at) VALUES ($1::integer, "
    "$2::bigint, $3::text, $4::bigint, $5::bigint, $6::bigint, now()) "
    "ON CONFLICT (partition) DO UPDATE SET seq = EXCLUDED.seq, record_id = EXCLUDED.record_id, "
    "events_next_offset = EXCLUDED.events_next_offset, "
    "commands_next_offset = EXCLUDED.commands_next_offset, "
    "dedup_evicted_through_seq = EXCLUDED.dedup_evicted_through_seq, updated_at = now() "
    "WHERE s.seq < EXCLUDED.seq RETURNING partition";

constexpr const char* kUpsertTenantState =
    "INSERT INTO engine_tenant_state (partition, tenant_id, state) "
    "SELECT $1::integer, u.tenant_id, u.state FROM unnest($2::uuid[], $3::text[]) AS u(tenant_id, "
    "state) "
    "ON CONFLICT (partition, tenant_id) DO UPDATE SET state = EXCLUDED.state";

// The header moved, so no chunk of this seq exists.
constexpr const char* kInsertDedupChunk =
    "INSERT INTO engine_dedup_chunks (partition, seq, max_seq, entries) "
    "VALUES ($1::integer, $2::bigint, $3::bigint, $4::text)";

constexpr const char* kEvictDedupChunks =
    "DELETE FROM engine_dedup_chunks WHERE partition = $1::integer AND max_seq <= $2::bigint";

// Rows an engine before migration 011 wrote, one per decision.
constexpr const char* kEvictDedupRows =
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

std::string dedup_key(std::string_view tenant_id, std::string_view command_id) {
  std::string key(tenant_id);
  key.push_back('\0');
  key += command_id;
  return key;
}

// [[tenant_id, command_id, seq, result], ...] in the order given.
std::string encode_dedup_chunk(const std::vector<DedupRow>& rows) {
  JsonWriter writer;
  writer.begin_array();
  for (const DedupRow& row : rows) {
    writer.begin_array();
    writer.string(row.tenant_id);
    writer.string(row.command_id);
    writer.int64(row.seq);
    writer.string(row.result_json);
    writer.end_array();
  }
  writer.end_array();
  return writer.str();
}

// A chunk this code wrote; anything else is damage, named with where it is.
std::vector<DedupRow> decode_dedup_chunk(std::string_view text, int32_t partition, int64_t seq) {
  const auto damaged = [&](const std::string& what) {
    return std::runtime_error("engine_dedup_chunks partition " + std::to_string(partition) +
                              " seq " + std::to_string(seq) + ": " + what);
  };
  Result<std::unique_ptr<rapidjson::Document>> parsed = parse_json_trusted(text);
  if (!parsed) throw damaged("not JSON (" + parsed.error().message + ")");
  const rapidjson::Value& entries = **parsed;
  if (!entries.IsArray()) throw damaged("not an array");
  std::vector<DedupRow> rows;
  rows.reserve(entries.Size());
  for (const rapidjson::Value& entry : entries.GetArray()) {
    if (!entry.IsArray() || entry.Size() != 4 || !entry[0].IsString() || !entry[1].IsString() ||
        !entry[2].IsInt64() || !entry[3].IsString()) {
      throw damaged("entry " + std::to_string(rows.size()) +
                    " is not [tenant_id, command_id, seq, result]");
    }
    rows.push_back(DedupRow{std::string(entry[0].GetString(), entry[0].GetStringLength()),
                            std::string(entry[1].GetString(), entry[1].GetStringLength()),
                            entry[2].GetInt64(),
                            std::string(entry[3].GetString(), entry[3].GetStringLength())});
  }
  return rows;
}

}  // namespace

std::optional<Snapshot> load_snapshot(pqxx::work& work, int32_t partition) {
  const pqxx::result header = work.exec_params(
      "SELECT seq, record_id, events_next_offset, commands_next_offset, "
      "dedup_evicted_through_seq FROM engine_snapshots WHERE partition = $1",
      partition);
  if (header.empty()) return std::nullopt;
  Snapshot snapshot;
  snapshot.header.partition = partition;
  snapshot.header.seq = header[0][0].as<int64_t>();
  snapshot.header.record_id = header[0][1].as<std::string>();
  snapshot.header.events_next_offset = header[0][2].as<int64_t>();
  snapshot.header.commands_next_offset = header[0][3].as<int64_t>();
  const int64_t evicted_through = header[0][4].as<int64_t>();

  const pqxx::result tenants = work.exec_params(
      "SELECT tenant_id::text, state::text FROM engine_tenant_state WHERE partition = $1 ORDER BY "
      "tenant_id",
      partition);
  snapshot.tenants.reserve(tenants.size());
  for (const pqxx::row& row : tenants) {
    snapshot.tenants.push_back(TenantStateRow{row[0].as<std::string>(), row[1].as<std::string>()});
  }

  // The window: rows of an engine before migration 011, then the chunks in
  // the order they were written; a later entry for a key replaces an earlier.
  std::vector<DedupRow> entries;
  const pqxx::result rows = work.exec_params(
      "SELECT tenant_id::text, command_id, seq, result::text FROM engine_dedup WHERE partition = "
      "$1 "
      "AND seq > $2 ORDER BY seq",
      partition, evicted_through);
  for (const pqxx::row& row : rows) {
    entries.push_back(DedupRow{row[0].as<std::string>(), row[1].as<std::string>(),
                               row[2].as<int64_t>(), row[3].as<std::string>()});
  }
  const pqxx::result chunks = work.exec_params(
      "SELECT seq, entries FROM engine_dedup_chunks WHERE partition = $1 AND max_seq > $2 "
      "ORDER BY seq",
      partition, evicted_through);
  for (const pqxx::row& chunk : chunks) {
    for (DedupRow& entry : decode_dedup_chunk(std::string_view(chunk[1].c_str(), chunk[1].size()),
                                              partition, chunk[0].as<int64_t>())) {
      if (entry.seq > evicted_through) entries.push_back(std::move(entry));
    }
  }
  std::unordered_map<std::string, std::size_t> latest;
  latest.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i)
    latest.insert_or_assign(dedup_key(entries[i].tenant_id, entries[i].command_id), i);
  snapshot.dedup.reserve(latest.size());
  for (const auto& [key, index] : latest) snapshot.dedup.push_back(std::move(entries[index]));
  std::sort(snapshot.dedup.begin(), snapshot.dedup.end(), [](const DedupRow& a, const DedupRow& b) {
    return std::tie(a.seq, a.tenant_id, a.command_id) < std::tie(b.seq, b.tenant_id, b.command_id);
  });
  return snapshot;
}

bool save_snapshot(pqxx::work& work, const SnapshotHeader& header,
                   const std::vector<TenantStateRow>& tenants, const std::vector<DedupRow>& dedup,
                   int64_t dedup_evict_through_seq) {
  LF_ASSERT(header.partition >= 0 && header.seq >= 0);
  // The header first: if it does not move, nothing else may be written.
  const pqxx::result moved =
      work.exec_prepared(prepared(work, "lf.save_snapshot_header", kSaveSnapshotHeader),
                         header.partition, header.seq, header.record_id, header.events_next_offset,
                         header.commands_next_offset, dedup_evict_through_seq);
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
    // A key given twice is kept twice: the load keeps the later entry.
    int64_t max_seq = 0;
    for (const DedupRow& row : dedup) max_seq = std::max(max_seq, row.seq);
    work.exec_prepared(prepared(work, "lf.insert_dedup_chunk", kInsertDedupChunk), header.partition,
                       header.seq, max_seq, encode_dedup_chunk(dedup));
  }
  work.exec_prepared(prepared(work, "lf.evict_dedup_chunks", kEvictDedupChunks), header.partition,
                     dedup_evict_through_seq);
  work.exec_prepared(prepared(work, "lf.evict_dedup_rows", kEvictDedupRows), header.partition,
                     dedup_evict_through_seq);
  logger()->debug(
      "snapshot of partition {} saved at seq {}: {} tenants, {} dedup entries, evicted through "
      "seq {}",
      header.partition, header.seq, tenants.size(), dedup.size(), dedup_evict_through_seq);
  return true;
}

}  // namespace lf::pg
