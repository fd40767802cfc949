// The metrics endpoint of `ledgerflow engine`, `project` and `dev`.
#include "cli/metrics.hpp"

#include "consumers/metrics/engine_metrics.hpp"
#include "consumers/metrics/exposition.hpp"
#include "consumers/metrics/projection_metrics.hpp"

namespace lf::cli {

void add_metrics_options(CLI::App* command, MetricsFlags& flags) {
  command
      ->add_option("--metrics-port", flags.port, "Serve Prometheus metrics on this port (0: off)")
      ->envname("LEDGERFLOW_METRICS_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command->add_option("--metrics-address", flags.address, "Address the metrics endpoint listens on")
      ->envname("LEDGERFLOW_METRICS_ADDRESS")
      ->capture_default_str();
}

std::unique_ptr<metrics::MetricsServer> start_metrics(const MetricsFlags& flags,
                                                      const GlobalOptions& global,
                                                      const kafka::Settings& kafka,
                                                      const std::string& database_url,
                                                      MetricsSources sources) {
  if (flags.port == 0) return nullptr;
  std::shared_ptr<metrics::ProjectionScraper> positions;
  if (sources.projector) {
    metrics::ProjectionScrapeOptions options;
    options.kafka = kafka;
    options.events_topic = topics(global).events();
    options.database_url = database_url;
    options.projections = sources.projections;
    positions = std::make_shared<metrics::ProjectionScraper>(std::move(options));
  }
  metrics::ServerOptions server;
  server.address = flags.address;
  server.port = flags.port;
  // /healthz: 503 while the database is unreachable (a readiness signal:
  // the services wait for it and catch up by themselves).
  auto health = [sources] {
    std::string problems;
    if (sources.engine) {
      const std::string problem = sources.engine->database_problem();
      if (!problem.empty()) problems += "engine: " + problem + "\n";
    }
    if (sources.projector) {
      const std::string problem = sources.projector->database_problem();
      if (!problem.empty()) problems += "projector: " + problem + "\n";
    }
    if (!problems.empty()) problems.pop_back();
    return problems;
  };
  return std::make_unique<metrics::MetricsServer>(
      server,
      [sources, positions] {
        metrics::Exposition out;
        if (sources.engine) metrics::add_engine_report(out, sources.engine->report());
        if (sources.projector) {
          metrics::add_projector_stats(out, sources.projector->published_stats(),
                                       sources.projector->assigned_partitions());
          positions->collect(out);
        }
        return out.text();
      },
      health);
}

}  // namespace lf::cli
