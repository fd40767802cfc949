// `ledgerflow replay-parked <projection> [--tenant T] [--stream S]`: after a
// fix, applies the projection's parked streams in log order and unparks
// them (consumers/projector/replay_parked.hpp). One line per stream; exit 0
// when every one was replayed, 1 when one stays parked (the line names it
// and the error).
#include <iostream>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "cli/subcommands.hpp"
#include "consumers/projector/replay_parked.hpp"
#include "events/envelope.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace lf::cli {

Runner add_replay_parked(CLI::App& app, GlobalOptions& global) {
  struct ReplayFlags {
    std::string projection;
    std::string tenant_id;
    std::string stream;
    std::vector<std::string> unknown_events;
  };
  auto flags = std::make_shared<ReplayFlags>();
  CLI::App* command = app.add_subcommand(
      "replay-parked", "Apply a projection's parked streams after a fix, and unpark them");
  command->add_option("projection", flags->projection, "The projection")->required();
  command->add_option("--tenant", flags->tenant_id, "Only this tenant's parked streams");
  command->add_option("--stream", flags->stream, "Only this stream (e.g. media_buy/mb-1)");
  command
      ->add_option("--unknown-events", flags->unknown_events,
                   "<projection>=skip|park for event types this binary does not know (default: the "
                   "projection's own policy)")
      ->delimiter(',');
  return [&global, flags] {
    const std::unique_ptr<projections::Projection> projection =
        projections::make_projection(flags->projection);
    if (!projection) throw ConfigError("unknown projection: " + flags->projection);
    if (!flags->tenant_id.empty() && !is_uuid(flags->tenant_id)) {
      throw ConfigError("--tenant must be a UUID, got '" + flags->tenant_id + "'");
    }
    projector::ReplayOptions options;
    if (!flags->tenant_id.empty()) options.tenant_id = flags->tenant_id;
    if (!flags->stream.empty()) options.stream = flags->stream;
    const auto policies = unknown_event_policies(flags->unknown_events);
    if (auto found = policies.find(flags->projection); found != policies.end())
      options.unknown_events = found->second;

    pqxx::connection connection(database_url(global));
    {
      // The tables must be those this binary writes.
      pqxx::read_transaction read(connection);
      const pqxx::result stored =
          read.exec_params("SELECT version FROM projections WHERE name = $1", flags->projection);
      if (!stored.empty() && stored[0][0].as<int>() != projection->version()) {
        throw ConfigError(
            fmt::format("projection {} is at version {} in the database but this binary writes "
                        "version {}: rebuild it first",
                        flags->projection, stored[0][0].as<int>(), projection->version()));
      }
    }
    const std::vector<projector::ReplayOutcome> outcomes =
        projector::replay_parked(connection, *projection, options);
    bool all_replayed = true;
    for (const projector::ReplayOutcome& outcome : outcomes) {
      const pg::ParkedStream& stream = outcome.stream;
      if (outcome.replayed) {
        std::cout << fmt::format(
            "replayed {} tenant={} stream={} partition={} events_applied={} events_skipped={}\n",
            stream.projection, stream.tenant_id, stream.stream, stream.partition,
            outcome.events_applied, outcome.events_skipped);
      } else {
        all_replayed = false;
        std::cout << fmt::format("still parked {} tenant={} stream={} partition={}: {}\n",
                                 stream.projection, stream.tenant_id, stream.stream,
                                 stream.partition, outcome.error);
      }
    }
    if (outcomes.empty()) std::cout << fmt::format("no parked streams for {}\n", flags->projection);
    std::cout.flush();
    return all_replayed ? kExitOk : kExitFailure;
  };
}

}  // namespace lf::cli
