// `ledgerflow engine`, `ledgerflow project`, `ledgerflow migrate`.
#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "cli/metrics.hpp"
#include "cli/subcommands.hpp"
#include "consumers/engine/engine_service.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/projector/projector.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace lf::cli {

namespace {

std::optional<std::vector<int32_t>> partition_list(const std::vector<int32_t>& partitions) {
  if (partitions.empty()) return std::nullopt;
  return partitions;
}

}  // namespace

Runner add_engine(CLI::App& app, GlobalOptions& global) {
  struct EngineFlags {
    std::string group_id = "ledgerflow-engine";
    std::string client_id = "ledgerflow-engine";
    std::vector<int32_t> partitions;
    int64_t snapshot_every_records = engine_service::Options{}.snapshot_every_records;
    std::size_t dedup_window = 100'000;
    bool validate_events = false;
    int64_t clock_offset_ms = 0;
    MetricsFlags metrics;
  };
  auto flags = std::make_shared<EngineFlags>();
  CLI::App* command = app.add_subcommand("engine", "Run the command-processing service");
  command->add_option("--group-id", flags->group_id, "Consumer group of the engines")
      ->envname("LEDGERFLOW_ENGINE_GROUP")
      ->capture_default_str();
  command->add_option("--client-id", flags->client_id, "Kafka client id")
      ->envname("LEDGERFLOW_ENGINE_CLIENT_ID")
      ->capture_default_str();
  command
      ->add_option("--partitions", flags->partitions,
                   "Own these partitions without a consumer group (comma-separated)")
      ->delimiter(',');
  command
      ->add_option("--snapshot-every-records", flags->snapshot_every_records,
                   "Snapshot a partition after this many commit records")
      ->envname("LEDGERFLOW_SNAPSHOT_EVERY_RECORDS")
      ->capture_default_str();
  command
      ->add_option("--dedup-window", flags->dedup_window,
                   "Decisions per partition whose command_id is remembered")
      ->envname("LEDGERFLOW_DEDUP_WINDOW")
      ->capture_default_str();
  command
      ->add_flag("--validate-events", flags->validate_events,
                 "Check every event against its JSON Schema before writing it")
      ->envname("LEDGERFLOW_VALIDATE_EVENTS");
  command
      ->add_option("--clock-offset-ms", flags->clock_offset_ms,
                   "Run the decision clock this many ms ahead (tests and expiry drills only)")
      ->envname("LEDGERFLOW_CLOCK_OFFSET_MS")
      ->capture_default_str();
  add_metrics_options(command, flags->metrics);
  return [&global, flags] {
    engine_service::Options options;
    if (flags->clock_offset_ms != 0) {
      const int64_t offset_ms = flags->clock_offset_ms;
      options.clock = [offset_ms] { return system_now_ms() + offset_ms; };
      spdlog::warn("engine clock runs {} ms ahead of the system clock (--clock-offset-ms)",
                   offset_ms);
    }
    options.kafka = kafka_settings(global);
    options.topics = topics(global);
    options.database_url = database_url(global);
    options.group_id = flags->group_id;
    options.client_id = flags->client_id;
    options.partitions = partition_list(flags->partitions);
    options.snapshot_every_records = flags->snapshot_every_records;
    options.partition.dedup_capacity = flags->dedup_window;
    options.partition.validate_events = flags->validate_events;
    const std::atomic<bool>& stop = install_stop_signals();
    engine_service::EngineService engine(options);
    MetricsSources sources;
    sources.engine = &engine;
    const auto metrics_endpoint =
        start_metrics(flags->metrics, global, options.kafka, options.database_url, sources);
    engine.run(stop);
    return kExitOk;
  };
}

Runner add_project(CLI::App& app, GlobalOptions& global) {
  struct ProjectFlags {
    std::string group_id = "ledgerflow-projector";
    std::string client_id = "ledgerflow-projector";
    std::vector<std::string> projections;
    std::vector<int32_t> partitions;
    std::vector<std::string> unknown_events;
    std::string rebuild_from = "kafka";
    MetricsFlags metrics;
  };
  auto flags = std::make_shared<ProjectFlags>();
  CLI::App* command = app.add_subcommand("project", "Run the projectors (events -> read tables)");
  command->add_option("--group-id", flags->group_id, "Consumer group of the projectors")
      ->envname("LEDGERFLOW_PROJECTOR_GROUP")
      ->capture_default_str();
  command->add_option("--client-id", flags->client_id, "Kafka client id")
      ->envname("LEDGERFLOW_PROJECTOR_CLIENT_ID")
      ->capture_default_str();
  command->add_option("--projections", flags->projections, "Projections to run (default: all)")
      ->delimiter(',');
  command
      ->add_option("--partitions", flags->partitions,
                   "Own these partitions without a consumer group (comma-separated)")
      ->delimiter(',');
  command
      ->add_option("--unknown-events", flags->unknown_events,
                   "Policy for event types this binary does not know, per projection: "
                   "<projection>=skip|park (comma-separated; default: each projection's own)")
      ->delimiter(',');
  command
      ->add_option(
          "--rebuild-from", flags->rebuild_from,
          "Where to read the log when a projection's version changed and it is rebuilt before "
          "projecting")
      ->check(CLI::IsMember({"kafka", "archive"}))
      ->envname("LEDGERFLOW_REBUILD_FROM")
      ->capture_default_str();
  add_metrics_options(command, flags->metrics);
  return [&global, flags] {
    projector::Options options;
    options.rebuild_from = flags->rebuild_from;
    options.kafka = kafka_settings(global);
    options.topics = topics(global);
    options.database_url = database_url(global);
    options.group_id = flags->group_id;
    options.client_id = flags->client_id;
    options.projections = flags->projections;
    options.partitions = partition_list(flags->partitions);
    options.unknown_events = unknown_event_policies(flags->unknown_events);
    const std::atomic<bool>& stop = install_stop_signals();
    projector::Projector projector(options);
    MetricsSources sources;
    sources.projector = &projector;
    sources.projections = flags->projections;
    if (sources.projections.empty()) {
      for (const auto& projection : projections::all_projections()) {
        sources.projections.emplace_back(projection->name());
      }
    }
    const auto metrics_endpoint =
        start_metrics(flags->metrics, global, options.kafka, options.database_url, sources);
    projector.run(stop);
    return kExitOk;
  };
}

Runner add_migrate(CLI::App& app, GlobalOptions& global) {
  app.add_subcommand("migrate", "Apply the SQL migrations to DATABASE_URL");
  return [&global] {
    pqxx::connection connection(database_url(global));
    const pg::MigrationOutcome outcome = pg::migrate(connection);
    spdlog::info("{} migration(s) applied, {} already in place", outcome.applied.size(),
                 outcome.existing.size());
    return kExitOk;
  };
}

}  // namespace lf::cli
