// The engine's figures for a scrape: one engine process's counters, the
// partitions it owns and their backlog on the commands topic.
#pragma once

#include "consumers/engine/engine_service.hpp"
#include "consumers/metrics/exposition.hpp"

namespace lf::metrics {

// Appends the ledgerflow_engine_* families.
void add_engine_report(Exposition& out, const engine_service::Report& report);

}  // namespace lf::metrics
