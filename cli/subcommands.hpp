// The subcommands. Each registers itself on the app and returns what to run
// when it is the one chosen.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace lf::cli {

using Runner = std::function<int()>;

Runner add_dev(CLI::App& app, GlobalOptions& global);
Runner add_engine(CLI::App& app, GlobalOptions& global);
Runner add_project(CLI::App& app, GlobalOptions& global);
Runner add_migrate(CLI::App& app, GlobalOptions& global);
Runner add_produce(CLI::App& app, GlobalOptions& global);
Runner add_verify(CLI::App& app, GlobalOptions& global);
Runner add_status(CLI::App& app, GlobalOptions& global);
Runner add_rebuild(CLI::App& app, GlobalOptions& global);
Runner add_replay_parked(CLI::App& app, GlobalOptions& global);
Runner add_import(CLI::App& app, GlobalOptions& global);

}  // namespace lf::cli
