// `ledgerflow verify [--tenant T]`: folds the events topic in memory through
// every projection (the chain rule applied per partition) and diffs the
// result against the read tables. Prints each difference on its own line
// (table, key, column, expected, found); exit 0 when equal, 1 when not.
#include <iostream>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "cli/subcommands.hpp"
#include "consumers/verify/fold.hpp"
#include "events/envelope.hpp"
#include "projections/registry.hpp"

namespace lf::cli {

Runner add_verify(CLI::App& app, GlobalOptions& global) {
  struct VerifyFlags {
    std::string tenant;
    std::size_t limit = 100;
  };
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* command =
      app.add_subcommand("verify", "Fold the log and diff it against the read tables");
  command->add_option("--tenant", flags->tenant, "Compare only this tenant's rows");
  command->add_option("--limit", flags->limit, "Report at most this many differences")
      ->capture_default_str();
  return [&global, flags] {
    std::optional<std::string> tenant;
    if (!flags->tenant.empty()) {
      if (!is_uuid(flags->tenant))
        throw ConfigError("--tenant must be a UUID, got " + flags->tenant);
      tenant = flags->tenant;
    }
    const std::string topic = topics(global).events();
    verify::Fold fold(projections::all_projections());
    // Throws when the broker no longer holds the start of a partition: a
    // fold from the middle would report rows as unexpected.
    verify::fold_topic(kafka_settings(global), topic, fold,
                       JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
    pqxx::connection connection(database_url(global));
    pqxx::work work(connection);
    const std::vector<verify::Difference> differences =
        verify::diff(work, fold, flags->limit, tenant);
    for (const verify::Difference& difference : differences)
      std::cout << verify::to_string(difference) << '\n';
    std::cout.flush();
    spdlog::info(
        "verify: {} records accepted, {} ignored, {} undecodable on {}; {}{} difference(s){}",
        fold.accepted(), fold.ignored(), fold.undecodable(), topic,
        differences.size() >= flags->limit ? "at least " : "", differences.size(),
        tenant ? " for tenant " + *tenant : std::string());
    return differences.empty() ? kExitOk : kExitFailure;
  };
}

}  // namespace lf::cli
