// ledgerflow: the command line (DESIGN.md "The command line").
#include <map>

#include <spdlog/spdlog.h>

#include "cli/common.hpp"
#include "cli/subcommands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ledgerflow: an event-sourced ledger and workflow engine on Kafka and PostgreSQL"};
  app.require_subcommand(1);
  app.fallthrough();
  lf::cli::GlobalOptions global;
  lf::cli::add_global_options(app, global);
  std::map<CLI::App*, lf::cli::Runner> runners;
  auto add = [&](lf::cli::Runner runner, const char* name) {
    runners[app.get_subcommand(name)] = std::move(runner);
  };
  add(lf::cli::add_dev(app, global), "dev");
  add(lf::cli::add_engine(app, global), "engine");
  add(lf::cli::add_project(app, global), "project");
  add(lf::cli::add_migrate(app, global), "migrate");
  add(lf::cli::add_produce(app, global), "produce");
  add(lf::cli::add_verify(app, global), "verify");
  add(lf::cli::add_status(app, global), "status");
  add(lf::cli::add_rebuild(app, global), "rebuild");
  add(lf::cli::add_replay_parked(app, global), "replay-parked");
  add(lf::cli::add_import(app, global), "import");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? lf::cli::kExitOk : lf::cli::kExitUsage;
  }
  lf::cli::setup_logging(global.log_level);
  for (auto& [subcommand, runner] : runners) {
    if (!subcommand->parsed()) continue;
    try {
      return runner();
    } catch (const lf::cli::ConfigError& error) {
      spdlog::error("{}", error.what());
      return lf::cli::kExitUsage;
    } catch (const std::exception& error) {
      spdlog::critical("{}", error.what());
      return lf::cli::kExitFailure;
    }
  }
  return lf::cli::kExitUsage;
}
