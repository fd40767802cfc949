// The metrics endpoint on cpp-httplib (Debian's libcpp-httplib).
#include "consumers/metrics/http_server.hpp"

#include <pthread.h>
#include <sys/socket.h>

#include <csignal>

#include <chrono>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "consumers/metrics/exposition.hpp"
#include "events/assert.hpp"

namespace lf::metrics {

namespace {

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("metrics");
    return existing ? existing : spdlog::default_logger()->clone("metrics");
  }();
  return instance;
}

// How long a kept-alive connection may sit idle: bounds how long stopping
// waits for a scraper's open connection.
constexpr time_t kKeepAliveIdleSeconds = 2;
// How long the constructor waits for the server thread to start listening.
constexpr auto kStartTimeout = std::chrono::seconds(10);

// A reason on one line (pqxx and librdkafka messages may end in newlines).
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

struct MetricsServer::Impl {
  httplib::Server server;
  ScrapeFunction scrape;
  std::timed_mutex scraping;  // one scrape at a time
  std::chrono::milliseconds queue_wait{0};
  std::thread thread;

  void serve_metrics(httplib::Response& response) {
    std::unique_lock<std::timed_mutex> lock(scraping, queue_wait);
    if (!lock.owns_lock()) {
      response.status = 503;
      response.set_content("another scrape is still under way\n", "text/plain; charset=utf-8");
      return;
    }
    try {
      response.set_content(scrape(), kExpositionContentType);
    } catch (const std::exception& error) {
      const std::string reason = one_line(error.what());
      logger()->warn("scrape failed: {}", reason);
      response.status = 503;
      response.set_content(reason + "\n", "text/plain; charset=utf-8");
    }
  }
};

MetricsServer::MetricsServer(ServerOptions options, ScrapeFunction scrape, HealthFunction health)
    : impl_(std::make_unique<Impl>()) {
  LF_ASSERT(scrape);
  LF_ASSERT(options.worker_threads > 0);
  std::signal(SIGPIPE, SIG_IGN);
  Impl& impl = *impl_;
  impl.scrape = std::move(scrape);
  impl.queue_wait = std::chrono::milliseconds(options.scrape_queue_wait_ms);
  const std::size_t workers = static_cast<std::size_t>(options.worker_threads);
  impl.server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  impl.server.set_keep_alive_timeout(kKeepAliveIdleSeconds);
  // SO_REUSEADDR only: the library's default adds SO_REUSEPORT where it
  // exists, which would let a second process share a busy port silently.
  impl.server.set_socket_options([](socket_t socket) {
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  impl.server.Get("/metrics", [&impl](const httplib::Request&, httplib::Response& response) {
    impl.serve_metrics(response);
  });
  impl.server.Get("/healthz", [health = std::move(health)](const httplib::Request&,
                                                           httplib::Response& response) {
    const std::string problem = health ? health() : std::string();
    if (problem.empty()) {
      response.set_content("ok\n", "text/plain; charset=utf-8");
      return;
    }
    response.status = 503;
    response.set_content(problem + "\n", "text/plain; charset=utf-8");
  });
  if (options.port == 0) {
    port_ = impl.server.bind_to_any_port(options.address);
  } else if (impl.server.bind_to_port(options.address, options.port)) {
    port_ = options.port;
  }
  if (port_ <= 0) {
    throw std::runtime_error("metrics endpoint: cannot listen on " + options.address + ":" +
                             std::to_string(options.port));
  }
  impl.thread = std::thread([&impl] {
    pthread_setname_np(pthread_self(), "lf-metrics");
    impl.server.listen_after_bind();
  });
  // stop() before the server loop runs would be lost: wait until it does.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!impl.server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  LF_ASSERT_MSG(impl.server.is_running(), "the metrics server thread started listening");
  logger()->info("metrics on http://{}:{}/metrics", options.address, port_);
}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace lf::metrics
