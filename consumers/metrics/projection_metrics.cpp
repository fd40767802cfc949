// Projection positions and projector counters as metric families.
#include "consumers/metrics/projection_metrics.hpp"

#include <spdlog/spdlog.h>

#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"

namespace lf::metrics {

namespace {

std::vector<Label> position_labels(const verify::PartitionStatus& row) {
  return {{"projection", row.projection}, {"partition", std::to_string(row.partition)}};
}

}  // namespace

std::string with_connection_bounds(const std::string& url, int connect_timeout_s) {
  const bool uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  const std::vector<std::pair<std::string, std::string>> bounds = {
      {"connect_timeout", std::to_string(connect_timeout_s)},
      // A server that vanishes mid-query is noticed in about 5 + 3 * 2 s.
      {"keepalives_idle", "5"},
      {"keepalives_interval", "2"},
      {"keepalives_count", "3"},
  };
  std::string bounded = url;
  for (const auto& [name, value] : bounds) {
    if (url.find(name + "=") != std::string::npos) continue;  // the operator's choice stands
    if (uri) {
      bounded += bounded.find('?') == std::string::npos ? '?' : '&';
    } else {
      bounded += ' ';
    }
    bounded += name + "=" + value;
  }
  return bounded;
}

ProjectionScraper::ProjectionScraper(ProjectionScrapeOptions options)
    : options_(std::move(options)) {}

ProjectionScraper::~ProjectionScraper() {
  try {
    if (probe_) probe_->close();
  } catch (const std::exception& error) {
    spdlog::warn("metrics probe: closing failed: {}", error.what());
  }
}

pqxx::connection& ProjectionScraper::connection() {
  if (!connection_) {
    auto connection = std::make_unique<pqxx::connection>(
        with_connection_bounds(options_.database_url, options_.database_connect_timeout_s));
    pqxx::nontransaction setup(*connection);
    // A constant from code, not input.
    setup.exec("SET statement_timeout = " + std::to_string(options_.database_statement_timeout_ms));
    setup.commit();
    connection_ = std::move(connection);
  }
  return *connection_;
}

// One family per figure of `ledgerflow status`, sampled per projection and
// partition.
struct PositionFamily {
  const char* name;
  MetricType type;
  const char* help;
  int64_t verify::PartitionStatus::*value;
};

constexpr PositionFamily kPositionFamilies[] = {
    {"ledgerflow_projection_next_offset", MetricType::gauge,
     "Stored position of a projection on a partition of the events topic: the next offset to apply",
     &verify::PartitionStatus::next_offset},
    {"ledgerflow_projection_last_seq", MetricType::gauge,
     "seq of the last commit record a projection accepted on a partition",
     &verify::PartitionStatus::last_seq},
    {"ledgerflow_projection_log_end_offset", MetricType::gauge,
     "High watermark of the events topic partition", &verify::PartitionStatus::log_end},
    {"ledgerflow_projection_lag", MetricType::gauge,
     "Records of the partition a projection has yet to apply (log end minus stored position)",
     &verify::PartitionStatus::lag},
    {"ledgerflow_projection_ignored_total", MetricType::counter,
     "Records a projection ignored on a partition (stale or repeated seq)",
     &verify::PartitionStatus::ignored},
    {"ledgerflow_projection_deadlettered_total", MetricType::counter,
     "Records of a partition sent to the dead-letter topic as undecodable",
     &verify::PartitionStatus::deadlettered},
    {"ledgerflow_projection_unknown_skipped_total", MetricType::counter,
     "Events of types this binary does not know that a projection skipped by its policy",
     &verify::PartitionStatus::unknown_skipped},
    {"ledgerflow_projection_parked_streams", MetricType::gauge,
     "Streams parked for a projection on a partition (see ledgerflow status, replay-parked)",
     &verify::PartitionStatus::parked_streams},
    {"ledgerflow_projection_parked_events", MetricType::gauge,
     "Events held for a projection's parked streams on a partition",
     &verify::PartitionStatus::parked_events},
};

void ProjectionScraper::collect(Exposition& out) {
  std::vector<verify::PartitionStatus> rows;
  try {
    if (!probe_) probe_ = std::make_unique<kafka::Consumer>(options_.kafka, options_.client_id, "");
    pqxx::work work(connection());
    rows = verify::projection_status(work, *probe_, options_.events_topic, options_.projections);
    work.commit();
  } catch (const pqxx::failure&) {
    connection_.reset();  // connect again next time
    throw;
  }
  for (const PositionFamily& family : kPositionFamilies) {
    out.family(family.name, family.type, family.help);
    for (const auto& row : rows) out.sample(position_labels(row), row.*family.value);
  }
}

void add_projector_stats(Exposition& out, const projector::Stats& stats, int partitions_owned) {
  out.family("ledgerflow_projector_partitions_owned", MetricType::gauge,
             "Partitions of the events topic this projector process owns");
  out.sample(partitions_owned);
  out.family("ledgerflow_projector_batches_total", MetricType::counter,
             "Batches this process wrote to PostgreSQL");
  out.sample(stats.batches);
  out.family("ledgerflow_projector_records_accepted_total", MetricType::counter,
             "Commit records this process applied (once per record, not per projection)");
  out.sample(stats.records_accepted);
  out.family("ledgerflow_projector_records_ignored_total", MetricType::counter,
             "Commit records this process ignored by the chain rule (stale or repeated seq)");
  out.sample(stats.records_ignored);
  out.family("ledgerflow_projector_deadlettered_total", MetricType::counter,
             "Undecodable records this process sent to the dead-letter topic");
  out.sample(stats.deadlettered);
  out.family("ledgerflow_projector_stale_commits_total", MetricType::counter,
             "Batches refused by the checkpoint compare-and-set (another projector wrote first)");
  out.sample(stats.stale_commits);
}

}  // namespace lf::metrics
