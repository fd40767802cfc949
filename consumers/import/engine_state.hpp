// The engine's state of some tenants as PostgreSQL holds it, for
// `ledgerflow import`'s check against it (docs/migrating.md "Checked against
// the engine's state"): each tenant's row of its partition's latest engine
// snapshot (engine_tenant_state), with the events the archive (event_log)
// holds for it after that snapshot folded in by the engine's own evolve.
// As fresh as the event_log projection: wait for it to catch up first.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <pqxx/pqxx>

#include "engine/tenant.hpp"

namespace lf::import_run {

// Tenants with neither a snapshot row nor an archived event are left out
// (their state is the empty one). Throws std::runtime_error when a stored
// state or an archived record cannot be read.
std::unordered_map<std::string, engine::TenantState> load_engine_states(
    pqxx::connection& db, const std::vector<std::string>& tenant_ids);

}  // namespace lf::import_run
