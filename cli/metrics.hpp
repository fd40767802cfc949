// The services' metrics endpoint on the command line: --metrics-port and
// --metrics-address (LEDGERFLOW_METRICS_PORT, LEDGERFLOW_METRICS_ADDRESS),
// and the scrapes `ledgerflow engine`, `project` and `dev` serve.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"
#include "consumers/engine/engine_service.hpp"
#include "consumers/metrics/http_server.hpp"
#include "consumers/projector/projector.hpp"

namespace lf::cli {

struct MetricsFlags {
  int port = 0;  // 0: no endpoint
  std::string address = "0.0.0.0";
};

void add_metrics_options(CLI::App* command, MetricsFlags& flags);

// What one process serves; either part may be absent.
struct MetricsSources {
  const engine_service::EngineService* engine = nullptr;
  const projector::Projector* projector = nullptr;
  std::vector<std::string> projections;  // whose positions the projector part shows
};

// The endpoint serving `sources`, or nullptr when --metrics-port is 0. The
// sources must outlive it.
std::unique_ptr<metrics::MetricsServer> start_metrics(const MetricsFlags& flags,
                                                      const GlobalOptions& global,
                                                      const kafka::Settings& kafka,
                                                      const std::string& database_url,
                                                      MetricsSources sources);

}  // namespace lf::cli
