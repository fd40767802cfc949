// The metrics endpoint: an HTTP server on a background thread answering
// GET /metrics with what a scrape function renders (Prometheus text format)
// and GET /healthz with 200 when healthy, 503 and the reason when not. Started by the constructor,
// stopped by the destructor. Knows nothing of what is measured.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace lf::metrics {

// Renders one scrape. Throws when the figures cannot be had (the database or
// the broker is unreachable): the scrape is answered 503 with the reason.
using ScrapeFunction = std::function<std::string()>;
// What is wrong with the service, one line each; empty when it is healthy.
using HealthFunction = std::function<std::string()>;

struct ServerOptions {
  std::string address = "0.0.0.0";  // deployments scrape from another container
  int port = 0;                     // 0: any free port (see MetricsServer::port())
  // Scrapes run one at a time; a scrape waiting longer than this for the one
  // before it is answered 503.
  int scrape_queue_wait_ms = 15'000;
  int worker_threads = 4;  // connections served at once
};

class MetricsServer {
 public:
  // Binds and starts serving; throws std::runtime_error when the address
  // cannot be bound. Sets SIGPIPE to be ignored process-wide: the HTTP
  // library writes to sockets without MSG_NOSIGNAL, and a scraper that hangs
  // up mid-answer must not kill the service.
  MetricsServer(ServerOptions options, ScrapeFunction scrape, HealthFunction health = {});
  // Stops accepting, waits for the requests under way, joins the thread.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace lf::metrics
