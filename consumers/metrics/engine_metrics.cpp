// Engine counters and command backlog as metric families.
#include "consumers/metrics/engine_metrics.hpp"

#include <string>

namespace lf::metrics {

void add_engine_report(Exposition& out, const engine_service::Report& report) {
  const engine_service::Stats& stats = report.stats;
  out.family("ledgerflow_engine_partitions_owned", MetricType::gauge,
             "Partitions of the commands topic this engine process owns");
  out.sample(static_cast<int64_t>(report.partitions.size()));
  out.family(
      "ledgerflow_engine_commands_lag", MetricType::gauge,
      "Commands of an owned partition not yet decided (partition end as of the last fetch minus "
      "the next command to decide)");
  for (const engine_service::CommandBacklog& backlog : report.partitions) {
    if (backlog.commands_lag)
      out.sample({{"partition", std::to_string(backlog.partition)}}, *backlog.commands_lag);
  }
  out.family(
      "ledgerflow_engine_commands_total", MetricType::counter,
      "Commands this process took up from its partitions: decided, dead-lettered or re-routed");
  out.sample(stats.commands);
  out.family("ledgerflow_engine_results_total", MetricType::counter,
             "Commands answered, by result status");
  out.sample({{"status", "accepted"}}, stats.accepted);
  out.sample({{"status", "rejected"}}, stats.rejected);
  out.sample({{"status", "duplicate"}}, stats.duplicates);
  out.family("ledgerflow_engine_deadlettered_total", MetricType::counter,
             "Commands sent to the dead-letter topic (unparseable or invalid)");
  out.sample(stats.deadlettered);
  out.family("ledgerflow_engine_rerouted_total", MetricType::counter,
             "Commands found in a partition their key does not hash to, re-routed");
  out.sample(stats.rerouted);
  out.family("ledgerflow_engine_timer_records_total", MetricType::counter,
             "Commit records the engine wrote on its own (expiries, period ends)");
  out.sample(stats.timer_records);
  out.family("ledgerflow_engine_records_written_total", MetricType::counter,
             "Commit records this process wrote to the events topic");
  out.sample(stats.records_written);
  out.family("ledgerflow_engine_records_confirmed_total", MetricType::counter,
             "Commit records this process read back as accepted by the chain rule");
  out.sample(stats.records_confirmed);
  out.family("ledgerflow_engine_conflicts_total", MetricType::counter,
             "Partitions rebuilt because another writer won a seq");
  out.sample(stats.conflicts);
  out.family("ledgerflow_engine_snapshots_total", MetricType::counter,
             "Partition state snapshots written to PostgreSQL");
  out.sample(stats.snapshots);
}

}  // namespace lf::metrics
