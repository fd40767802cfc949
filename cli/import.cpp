// `ledgerflow import <kind> FILE... [--append] [--balances FILE]`: loads
// history exported from a seed platform as CSV (PostgreSQL's COPY ... CSV
// HEADER) through the engine, tenant by tenant (docs/migrating.md). A
// progress bar on standard error when it is a terminal; one log line per
// tenant refused; a summary on standard output. Exit 0 when every tenant
// is imported, 1 when one was refused or is incomplete, 2 on usage errors.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/subcommands.hpp"
#include "consumers/import/import_run.hpp"

namespace lf::cli {

namespace {

// Redraws "rows done/total, rows/s" in place on a terminal; a log line at
// most every 5 s otherwise.
class ImportProgress {
 public:
  explicit ImportProgress(bool terminal) : terminal_(terminal) {}

  void operator()(int64_t done, int64_t total, double seconds, bool finished) {
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double fraction =
        total > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 1.0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : -1;
    if (terminal_) {
      constexpr int kWidth = 30;
      std::string bar(static_cast<std::size_t>(fraction * kWidth), '#');
      bar.resize(kWidth, '.');
      std::fprintf(stderr, "\rimport [%s] %5.1f%% %s/%s rows  %s rows/s  ETA %s   ", bar.c_str(),
                   fraction * 100, fmt::format("{}", done).c_str(),
                   fmt::format("{}", total).c_str(), fmt::format("{:.0f}", rate).c_str(),
                   eta < 0 ? "--" : fmt::format("{:.0f}s", eta).c_str());
      if (finished) std::fputc('\n', stderr);
      std::fflush(stderr);
      return;
    }
    if (!finished && last_line_ >= 0 && seconds - last_line_ < 5) return;
    last_line_ = seconds;
    spdlog::info("import: {}/{} rows answered ({:.1f}%), {:.0f} rows/s{}", done, total,
                 fraction * 100, rate, finished ? ", all answered" : "");
  }

 private:
  bool terminal_;
  double last_line_ = -1;
};

}  // namespace

Runner add_import(CLI::App& app, GlobalOptions& global) {
  struct ImportFlags {
    std::string kind;
    std::vector<std::string> files;
    std::string balances;
    std::string packages;
    bool append = false;
    bool dry_run = false;
    std::size_t chunk_rows = importer::ChunkLimits{}.rows_max;
    std::size_t chunk_bytes = importer::ChunkLimits{}.bytes_max;
    int in_flight = import_run::Options{}.in_flight_per_partition;
    int64_t projector_lag_max = import_run::Options{}.projector_lag_max;
    int timeout_ms = import_run::Options{}.result_timeout_ms;
  };
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* command = app.add_subcommand(
      "import", "Load history exported from a seed platform (CSV with a header row)");
  command
      ->add_option(
          "kind", flags->kind,
          "What the files hold: credit_ledger, credit_topup_orders, llm_calls, audit_logs, "
          "activities, activity_runs, media_buys, approvals")
      ->required();
  command
      ->add_option("files", flags->files,
                   "CSV files (PostgreSQL COPY ... CSV HEADER), read in order")
      ->required();
  command->add_option("--balances", flags->balances,
                      "credit_balances CSV: each tenant's end state, checked after its ledger");
  command->add_option("--packages", flags->packages,
                      "packages CSV: the media buys' packages (media_buys needs it)");
  command->add_flag("--append", flags->append,
                    "Import beside live events or after an earlier import (the cut-over's tail)");
  command->add_flag("--dry-run", flags->dry_run,
                    "Read and check only; send nothing (against the engine's state too when "
                    "KAFKA_BOOTSTRAP and DATABASE_URL are set)");
  command->add_option("--chunk-rows", flags->chunk_rows, "Rows per command at most")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))
      ->capture_default_str();
  command->add_option("--chunk-bytes", flags->chunk_bytes, "Bytes per command, about, at most")
      ->check(CLI::Range(std::size_t{4096}, std::size_t{256 * 1024}))
      ->capture_default_str();
  command
      ->add_option("--in-flight", flags->in_flight,
                   "Chunks sent and not yet answered, per partition")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  command
      ->add_option("--projector-lag-max", flags->projector_lag_max,
                   "Records a partition may be ahead of the slowest projector before more is sent "
                   "(0: no pacing)")
      ->capture_default_str();
  command->add_option("--timeout-ms", flags->timeout_ms, "How long to wait for each chunk's result")
      ->capture_default_str();
  return [&global, flags] {
    import_run::Options options;
    options.kind = flags->kind;
    options.files = flags->files;
    if (!flags->balances.empty()) options.balances_file = flags->balances;
    if (!flags->packages.empty()) options.packages_file = flags->packages;
    options.append = flags->append;
    options.dry_run = flags->dry_run;
    options.chunk_limits = importer::ChunkLimits{flags->chunk_rows, flags->chunk_bytes};
    options.in_flight_per_partition = flags->in_flight;
    options.projector_lag_max = flags->projector_lag_max;
    options.result_timeout_ms = flags->timeout_ms;
    // A dry run checks against the engine's state too when it can reach it.
    if (!flags->dry_run || (!global.database_url.empty() && !global.kafka_bootstrap.empty())) {
      options.kafka = kafka_settings(global);
      options.topics = topics(global);
      options.database_url = database_url(global);
    }
    options.stop = &install_stop_signals();
    options.progress = ImportProgress(isatty(STDERR_FILENO) == 1);
    import_run::Outcome outcome;
    try {
      outcome = import_run::run(options);
    } catch (const import_run::UsageError& error) {
      throw ConfigError(error.what());
    }
    const double rate = outcome.send_seconds > 0
                            ? static_cast<double>(outcome.rows_imported) / outcome.send_seconds
                            : 0;
    std::cout
        << fmt::format(
               "{} {}: {} rows read, {} tenants; imported {} rows of {} tenants; {} refused, {} "
               "incomplete, "
               "{} rows without a tenant; {} rows already imported; {:.1f} s, {:.0f} rows/s{}",
               flags->dry_run ? "checked" : "imported", flags->kind, outcome.rows_read,
               outcome.tenants, outcome.rows_imported, outcome.tenants_imported,
               outcome.tenants_refused, outcome.tenants_incomplete, outcome.rows_without_tenant,
               outcome.rows_already_imported, outcome.seconds, rate,
               outcome.stopped ? "; stopped before the end" : "")
        << std::endl;
    return outcome.failed() ? kExitFailure : kExitOk;
  };
}

}  // namespace lf::cli
