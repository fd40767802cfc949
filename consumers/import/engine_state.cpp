// Loading tenants' engine state from PostgreSQL (engine_state.hpp).
#include "consumers/import/engine_state.hpp"

#include <map>
#include <memory>
#include <stdexcept>

#include "consumers/pg/archive.hpp"
#include "consumers/pg/copy.hpp"
#include "events/json.hpp"

namespace lf::import_run {

namespace {

// A snapshot's tenant states are the engine's own JSON; as PartitionCore
// reads them.
engine::TenantState read_state(const std::string& tenant_id, std::string_view json) {
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(
      json, without_input_checks(JsonLimits{.max_bytes = 256 << 20, .max_depth = 64}));
  if (!document) {
    throw std::runtime_error("engine_tenant_state of tenant " + tenant_id +
                             " is not JSON: " + document.error().message);
  }
  Result<engine::TenantState> state = engine::read_tenant_state(**document);
  if (!state) {
    throw std::runtime_error("engine_tenant_state of tenant " + tenant_id +
                             " cannot be read: " + state.error().message);
  }
  return std::move(state).value();
}

}  // namespace

std::unordered_map<std::string, engine::TenantState> load_engine_states(
    pqxx::connection& db, const std::vector<std::string>& tenant_ids) {
  std::unordered_map<std::string, engine::TenantState> states;
  if (tenant_ids.empty()) return states;
  const std::string tenants = pg::array_of(tenant_ids, [](const std::string& id) { return id; });
  // One snapshot of the database: the engine's snapshot and the archive as
  // they were together.
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(db);
  std::map<int32_t, int64_t> snapshot_seq;  // partition -> the seq its snapshot includes
  for (const pqxx::row& row : tx.exec("SELECT partition, seq FROM engine_snapshots"))
    snapshot_seq[row[0].as<int32_t>()] = row[1].as<int64_t>();
  // tenant -> the seq its snapshot row includes, in its partition
  std::unordered_map<std::string, std::pair<int32_t, int64_t>> included;
  for (const pqxx::row& row :
       tx.exec_params("SELECT partition, tenant_id::text, state::text FROM engine_tenant_state "
                      "WHERE tenant_id = ANY($1::uuid[]) ORDER BY partition",
                      tenants)) {
    const int32_t partition = row[0].as<int32_t>();
    auto header = snapshot_seq.find(partition);
    if (header == snapshot_seq.end()) continue;  // no snapshot header: fold the archive alone
    const std::string tenant = row[1].as<std::string>();
    states[tenant] = read_state(tenant, std::string_view(row[2].c_str(), row[2].size()));
    included[tenant] = {partition, header->second};
  }
  // Only what the snapshot rows do not include (the query skips the rest
  // without reading it; the sink checks again).
  std::map<int32_t, std::unique_ptr<pg::RecordAssembler>> assemblers;
  const pg::RecordAssembler::Sink fold = [&](int64_t, const DecodedRecord& record) {
    const std::string& tenant = record.header.tenant_id;
    if (auto found = included.find(tenant); found != included.end()) {
      if (record.header.seq <= found->second.second) return;  // in the snapshot already
    }
    engine::TenantState& state = states[tenant];
    for (const DecodedEvent& event : record.events)
      engine::evolve(state, event.header, *event.payload);
  };
  for (const pqxx::row& row :
       tx.exec_params(std::string(pg::kArchiveColumns) +
                          "WHERE tenant_id = ANY($1::uuid[]) AND seq > coalesce(("
                          "SELECT s.seq FROM engine_snapshots s JOIN engine_tenant_state t "
                          "ON t.partition = s.partition WHERE s.partition = event_log.partition "
                          "AND t.tenant_id = event_log.tenant_id), 0) "
                          "ORDER BY partition, seq, event_index",
                      tenants)) {
    const int32_t partition = row[7].as<int32_t>();
    if (auto found = included.find(row[3].as<std::string>());
        found != included.end() && found->second.first != partition) {
      continue;  // another partition's: not the one its snapshot is of
    }
    auto assembler = assemblers.find(partition);
    if (assembler == assemblers.end()) {
      assembler =
          assemblers.emplace(partition, std::make_unique<pg::RecordAssembler>(partition, fold))
              .first;
    }
    assembler->second->add(row);
  }
  for (auto& [partition, assembler] : assemblers) assembler->finish();
  tx.commit();
  return states;
}

}  // namespace lf::import_run
