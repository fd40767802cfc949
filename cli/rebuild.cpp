// `ledgerflow rebuild <projection> [--tenant T] [--from kafka|archive]`:
// rebuilds a projection's tables (or one tenant's rows) while readers keep
// reading; see consumers/rebuild/rebuild.hpp. On a terminal a progress bar
// (records done/total, rate, ETA) on stderr; otherwise a progress line every
// few seconds through the log.
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/subcommands.hpp"
#include "consumers/rebuild/rebuild.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace lf::cli {

namespace {

std::string eta_text(double seconds) {
  if (seconds < 0) return "--";
  const auto total = static_cast<int64_t>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

// Draws rebuild progress: a bar redrawn in place on a terminal, or a log
// line at most every 5 s (and at each phase's end) when stderr is a file.
class ProgressView {
 public:
  explicit ProgressView(bool terminal) : terminal_(terminal) {}

  void operator()(const rebuild::Progress& progress) {
    if (progress.phase != phase_) {
      phase_ = std::string(progress.phase);
      phase_started_ = progress.seconds;
      last_line_ = -1;
    }
    const double elapsed = progress.seconds - phase_started_;
    const double rate = elapsed > 0 ? static_cast<double>(progress.done) / elapsed : 0;
    const double eta = progress.total > 0 && rate > 0
                           ? static_cast<double>(progress.total - progress.done) / rate
                           : -1;
    const double fraction = progress.total > 0
                                ? std::min(1.0, static_cast<double>(progress.done) /
                                                    static_cast<double>(progress.total))
                                : (progress.finished ? 1.0 : 0.0);
    if (terminal_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(fraction * kWidth);
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(kWidth, '.');
      std::fprintf(stderr, "\r%-9s [%s] %5.1f%% %s/%s records  %s rec/s  ETA %s   ", phase_.c_str(),
                   bar.c_str(), fraction * 100, fmt::format("{}", progress.done).c_str(),
                   progress.total > 0 ? fmt::format("{}", progress.total).c_str() : "?",
                   fmt::format("{:.0f}", rate).c_str(), eta_text(eta).c_str());
      if (progress.finished) std::fputc('\n', stderr);
      std::fflush(stderr);
      return;
    }
    if (!progress.finished && last_line_ >= 0 && progress.seconds - last_line_ < 5) return;
    last_line_ = progress.seconds;
    spdlog::info("rebuild {}: {}/{} records ({:.1f}%), {:.0f} records/s, ETA {}{}", phase_,
                 progress.done, progress.total > 0 ? fmt::format("{}", progress.total) : "?",
                 fraction * 100, rate, eta_text(eta), progress.finished ? ", done" : "");
  }

 private:
  bool terminal_;
  std::string phase_;
  double phase_started_ = 0;
  double last_line_ = -1;
};

}  // namespace

Runner add_rebuild(CLI::App& app, GlobalOptions& global) {
  struct RebuildFlags {
    std::string projection;
    std::string tenant;
    std::string from = "kafka";
    std::size_t verify_rows_max = rebuild::Options{}.verify_rows_max;
    int lock_timeout_ms = rebuild::Options{}.lock_timeout_ms;
  };
  auto flags = std::make_shared<RebuildFlags>();
  CLI::App* command = app.add_subcommand(
      "rebuild", "Rebuild a projection's tables from the log while readers keep reading");
  command->add_option("projection", flags->projection, "The projection to rebuild")->required();
  command->add_option("--tenant", flags->tenant, "Rebuild only this tenant's rows, in place");
  command
      ->add_option("--from", flags->from, "Read the log from Kafka or from the event_log archive")
      ->check(CLI::IsMember({"kafka", "archive"}))
      ->capture_default_str();
  command
      ->add_option("--verify-rows-max", flags->verify_rows_max,
                   "Verify row by row up to this many rows, by row counts beyond")
      ->capture_default_str();
  command
      ->add_option("--lock-timeout-ms", flags->lock_timeout_ms,
                   "How long the swap waits for readers' locks before it backs off and retries")
      ->capture_default_str();
  return [&global, flags] {
    if (!projections::make_projection(flags->projection)) {
      throw ConfigError("unknown projection " + flags->projection);
    }
    if (!flags->tenant.empty() && !is_uuid(flags->tenant)) {
      throw ConfigError("--tenant must be a UUID, got " + flags->tenant);
    }
    rebuild::Options options;
    options.kafka = kafka_settings(global);
    options.topics = topics(global);
    options.database_url = database_url(global);
    options.projection = flags->projection;
    if (!flags->tenant.empty()) options.tenant_id = flags->tenant;
    options.source = *rebuild::parse_source(flags->from);
    options.verify_rows_max = flags->verify_rows_max;
    options.lock_timeout_ms = flags->lock_timeout_ms;
    options.progress = ProgressView(isatty(STDERR_FILENO) == 1);
    const rebuild::Outcome outcome = rebuild::run(options);
    std::string rows;
    for (const auto& [table, count] : outcome.rows)
      rows += fmt::format("{}{} {}", rows.empty() ? "" : ", ", table, count);
    spdlog::info(
        "rebuild of {} done: {} records, {} events in {:.1f} s ({:.0f} events/s); rows: {}; "
        "verified {}",
        flags->projection, outcome.records, outcome.events, outcome.seconds,
        outcome.seconds > 0 ? static_cast<double>(outcome.events) / outcome.seconds : 0.0, rows,
        outcome.compared_rows ? "row by row" : "by row counts");
    return kExitOk;
  };
}

}  // namespace lf::cli
