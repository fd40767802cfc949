// The projections' figures for a scrape: per projection and partition of the
// events topic, the stored position, the log's end, the lag and the ignored
// and dead-lettered counts (what `ledgerflow status` shows, from the same
// verify::projection_status), and a projector process's own counters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "consumers/metrics/exposition.hpp"
#include "consumers/projector/projector.hpp"
#include "consumers/verify/status.hpp"

namespace lf::metrics {

struct ProjectionScrapeOptions {
  kafka::Settings kafka;
  std::string events_topic;
  std::string database_url;
  std::string client_id = "ledgerflow-metrics";
  std::vector<std::string> projections;  // names, in the order shown
  // Bounds on the database: connecting (whole seconds, libpq's
  // connect_timeout) and each statement (statement_timeout). Broker
  // queries are bounded by the probe's own 5 s timeouts.
  int database_connect_timeout_s = 5;
  int database_statement_timeout_ms = 5000;
};

// Reads positions with its own PostgreSQL connection and its own probe
// consumer (no group), both kept between scrapes; not thread-safe (the
// server runs one scrape at a time).
class ProjectionScraper {
 public:
  explicit ProjectionScraper(ProjectionScrapeOptions options);
  ~ProjectionScraper();

  // Appends the ledgerflow_projection_* families. Throws (and drops the
  // connection, so the next scrape connects again) when the database or
  // the broker cannot answer.
  void collect(Exposition& out);

 private:
  pqxx::connection& connection();

  ProjectionScrapeOptions options_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<kafka::Consumer> probe_;
};

// `url` with libpq's connect_timeout and TCP keepalive parameters added
// (those the URL does not set already), so that an unreachable or vanished
// server fails a scrape instead of hanging it. URL or key=value form.
std::string with_connection_bounds(const std::string& url, int connect_timeout_s);

// Appends the ledgerflow_projector_* families: the counters of one
// projector process and the partitions it owns.
void add_projector_stats(Exposition& out, const projector::Stats& stats, int partitions_owned);

}  // namespace lf::metrics
