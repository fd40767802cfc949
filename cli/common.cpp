// Shared CLI plumbing.
#include "cli/common.hpp"
#include "projections/registry.hpp"

#include <csignal>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace lf::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

}  // namespace

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("--kafka-bootstrap", options.kafka_bootstrap,
                 "Kafka bootstrap servers (host:port,...)")
      ->envname("KAFKA_BOOTSTRAP");
  app.add_option("--database-url", options.database_url, "PostgreSQL URL (postgresql://...)")
      ->envname("DATABASE_URL");
  app.add_option("--topic-prefix", options.topic_prefix, "Prefix of the four topics")
      ->envname("LEDGERFLOW_TOPIC_PREFIX")
      ->capture_default_str();
  app.add_option("-X,--kafka-property", options.kafka_properties,
                 "librdkafka property key=value (TLS, SASL, ...); repeatable")
      ->envname("LEDGERFLOW_KAFKA_PROPERTIES")
      ->delimiter(',');
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, off")
      ->envname("LEDGERFLOW_LOG_LEVEL")
      ->capture_default_str();
}

void setup_logging(const std::string& level) {
  // Logs go to standard error: standard output carries what scripts read.
  auto logger = spdlog::stderr_color_mt("ledgerflow");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

kafka::Settings kafka_settings(const GlobalOptions& options) {
  if (options.kafka_bootstrap.empty()) {
    throw ConfigError("no Kafka bootstrap servers: set KAFKA_BOOTSTRAP or --kafka-bootstrap");
  }
  kafka::Settings settings;
  settings.bootstrap = options.kafka_bootstrap;
  settings.properties = kafka_properties(options);
  return settings;
}

std::map<std::string, std::string> kafka_properties(const GlobalOptions& options) {
  std::map<std::string, std::string> properties;
  for (const std::string& property : options.kafka_properties) {
    const std::size_t equals = property.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw ConfigError("Kafka property '" + property + "' is not key=value");
    }
    properties[property.substr(0, equals)] = property.substr(equals + 1);
  }
  return properties;
}

kafka::Topics topics(const GlobalOptions& options) {
  return kafka::Topics{options.topic_prefix};
}

std::string database_url(const GlobalOptions& options) {
  if (options.database_url.empty()) {
    throw ConfigError("no database: set DATABASE_URL or --database-url");
  }
  return options.database_url;
}

const std::atomic<bool>& install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return g_stop;
}

std::map<std::string, projections::UnknownEventPolicy> unknown_event_policies(
    const std::vector<std::string>& items) {
  std::map<std::string, projections::UnknownEventPolicy> policies;
  for (const std::string& item : items) {
    const std::size_t equals = item.find('=');
    if (equals == std::string::npos) {
      throw ConfigError("--unknown-events wants <projection>=skip|park, got '" + item + "'");
    }
    const std::string name = item.substr(0, equals);
    const std::optional<projections::UnknownEventPolicy> policy =
        projections::parse_unknown_event_policy(std::string_view(item).substr(equals + 1));
    if (!projections::make_projection(name))
      throw ConfigError("--unknown-events: unknown projection " + name);
    if (!policy || *policy == projections::UnknownEventPolicy::apply) {
      throw ConfigError("--unknown-events: policy must be skip or park, got '" + item + "'");
    }
    policies[name] = *policy;
  }
  return policies;
}

}  // namespace lf::cli
