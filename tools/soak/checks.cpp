// The soak's checks after the drain (soak.hpp): the archive against the
// ledger, every balance against the client's fold, every read table against
// the fold of the log (and `ledgerflow verify` run as a user would), the
// --tamper check of the checks; then the report.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/assert.hpp"
#include "events/chain.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tools/soak/chaos.hpp"
#include "tools/soak/fleet.hpp"
#include "tools/soak/ledger.hpp"
#include "tools/soak/soak.hpp"
#include "tools/soak/workload.hpp"

namespace lf::soak {

using namespace std::chrono_literals;

void Soak::check_archive(pqxx::work& work) {
  std::vector<uint8_t> seen(ledger_.commands(), 0);
  const pqxx::result rows = work.exec(
      "SELECT command_id, count(DISTINCT seq), min(seq) FROM event_log WHERE command_id LIKE "
      "'soak-%' "
      "GROUP BY command_id");
  for (const pqxx::row& row : rows) {
    const std::string id = row[0].as<std::string>();
    const std::optional<uint32_t> index = command_index(id);
    if (!index || *index >= seen.size()) {
      finding(Problem::archive, id + ": in event_log, never sent");
      continue;
    }
    seen[*index] = 1;
    const int64_t records = row[1].as<int64_t>();
    const int64_t seq = row[2].as<int64_t>();
    const Track& track = ledger_.track(*index);
    if (records != 1) {
      finding(Problem::archive, id + ": " + std::to_string(records) + " records in event_log");
    } else if (track.decisions > 0 && seq != track.decision_seq) {
      finding(Problem::archive, id + ": event_log holds seq " + std::to_string(seq) +
                                    ", the events topic accepted " +
                                    std::to_string(track.decision_seq));
    }
  }
  for (uint32_t index = 0; index < seen.size(); ++index) {
    if (!seen[index]) finding(Problem::archive, command_id(index) + ": not in event_log");
  }
}

// credit_balances against the client's fold, tenant by tenant.
void Soak::check_balances(pqxx::work& work) {
  const std::vector<std::string>& tenants = workload_->tenants();
  const std::vector<Balance> fold = ledger_.fold(tenants.size());
  std::unordered_map<std::string, uint32_t> index_of;
  for (uint32_t i = 0; i < tenants.size(); ++i) index_of[tenants[i]] = i;
  std::vector<uint8_t> seen(tenants.size(), 0);
  const pqxx::result rows = work.exec(
      "SELECT tenant_id::text, effective_available, credits_reserved, credits_consumed, "
      "credits_available "
      "FROM credit_balances");
  for (const pqxx::row& row : rows) {
    const std::string tenant = row[0].as<std::string>();
    auto found = index_of.find(tenant);
    if (found == index_of.end()) {
      finding(Problem::balance, "tenant " + tenant + ": a balance nobody allocated");
      continue;
    }
    seen[found->second] = 1;
    const Balance expected = fold[found->second];
    const Balance table{row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<int64_t>()};
    const int64_t available = row[4].as<int64_t>();
    if (table != expected || available != expected.effective_available + expected.reserved) {
      finding(Problem::balance,
              fmt::format("tenant {}: credit_balances effective_available {}, reserved {}, "
                          "consumed {}, available {}; "
                          "the client's fold {}, {}, {}, {}",
                          tenant, table.effective_available, table.reserved, table.consumed,
                          available, expected.effective_available, expected.reserved,
                          expected.consumed, expected.effective_available + expected.reserved));
    }
  }
  for (uint32_t i = 0; i < tenants.size(); ++i) {
    if (!seen[i]) finding(Problem::balance, "tenant " + tenants[i] + ": no row in credit_balances");
  }
}

// Every read table against the fold of the whole events topic (verify's
// fold and diff), one partition at a time: a partition's records hold
// exactly its tenants' rows. Then no table may hold a row of another tenant.
void Soak::check_verify(pqxx::work& work) {
  const std::vector<std::string>& tenants = workload_->tenants();
  const auto partitions = static_cast<int32_t>(options_.partitions);
  int64_t accepted = 0;
  for (int32_t partition : events_->partitions()) {
    verify::Fold fold(projections::all_projections());
    events_->replay(partition, fold);
    accepted += fold.accepted();
    figures_.verify_rows += static_cast<int64_t>(fold.row_count());
    std::set<std::string> own;
    for (const std::string& tenant : tenants) {
      if (partition_for_key(tenant, partitions) == partition) own.insert(tenant);
    }
    for (const verify::Difference& difference :
         verify::diff_tenants(work, fold, kVerifyDifferencesMax, own)) {
      finding(Problem::verify,
              "partition " + std::to_string(partition) + ": " + verify::to_string(difference));
    }
  }
  if (events_->offset_gaps() > 0) {
    finding(Problem::verify, std::to_string(events_->offset_gaps()) +
                                 " gap(s) in the offsets read from the events topic");
  }
  if (accepted != events_->accepted()) {
    finding(Problem::verify, "the spooled log folds to " + std::to_string(accepted) +
                                 " accepted records, " + std::to_string(events_->accepted()) +
                                 " were accepted as they arrived");
  }
  std::string all = "{";
  for (const std::string& tenant : tenants) all += (all.size() > 1 ? "," : "") + tenant;
  all += "}";
  for (const auto& projection : projections::all_projections()) {
    for (const projections::TableSpec* table : projection->tables()) {
      const int64_t strangers =
          work.exec_params1("SELECT count(*) FROM " + work.quote_name(table->name) +
                                " WHERE NOT (tenant_id = ANY($1::uuid[]))",
                            all)[0]
              .as<int64_t>();
      if (strangers > 0) {
        finding(Problem::verify, table->name + ": " + std::to_string(strangers) +
                                     " row(s) of tenants the soak never had");
      }
    }
  }
}

// `ledgerflow verify` itself, which folds the topic from offset 0: only
// while the mock still holds every partition whole.
void Soak::run_verify_cli(bool log_whole) {
  if (!log_whole) {
    figures_.verify_cli =
        "not run: the mock cluster no longer holds ledgerflow.events from offset 0 (it keeps ~5 "
        "MiB a partition); "
        "its fold of the whole topic, spooled by the driver as it was written, was diffed instead "
        "(below)";
    return;
  }
  os::ChildProcess verify({binary_, "verify", "--limit", std::to_string(kVerifyDifferencesMax)},
                          service_options({{"KAFKA_BOOTSTRAP", infra_->bootstrap()},
                                           {"DATABASE_URL", infra_->database_url()}},
                                          (run_dir_ / "verify.log").string()));
  const std::string output = verify.read_all(std::chrono::minutes(20));
  const std::optional<int> code = verify.wait(std::chrono::minutes(1));
  std::istringstream lines(output);
  std::string line;
  int64_t listed = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++listed;
    finding(Problem::verify, "ledgerflow verify: " + line);
  }
  figures_.verify_cli = "exit " + (code ? std::to_string(*code) : std::string("(did not finish)")) +
                        ", " + std::to_string(listed) +
                        " difference(s) listed (log: " + (run_dir_ / "verify.log").string() + ")";
  if ((!code || *code != 0) && listed == 0)
    finding(Problem::verify, "ledgerflow verify: " + figures_.verify_cli);
}

// What a lost or doubled write would leave: one balance off by a credit,
// one audit row gone (--tamper).
void Soak::tamper() {
  pqxx::work work(*db_);
  work.exec_params(
      "UPDATE credit_balances SET effective_available = effective_available + 1, "
      "credits_available = credits_available + 1 WHERE tenant_id = $1::uuid",
      workload_->tenants().front());
  work.exec(
      "DELETE FROM audit_log WHERE event_id = (SELECT event_id FROM audit_log ORDER BY event_id "
      "LIMIT 1)");
  work.commit();
  spdlog::warn("--tamper: credit_balances of tenant {} moved by 1 and one audit_log row deleted",
               workload_->tenants().front());
}

void Soak::check() {
  const bool log_whole = events_->log_whole();
  events_->close();  // everything read: the spool is complete
  std::vector<Finding> per_command = ledger_.check(kExamplesPerProblem, figures_.problems);
  figures_.findings.insert(figures_.findings.end(), per_command.begin(), per_command.end());
  pqxx::work work(*db_);
  check_archive(work);
  check_balances(work);
  check_verify(work);
  work.commit();
  run_verify_cli(log_whole);
}

void Soak::report(std::ostream& out) {
  const auto& e = *events_;
  int64_t kills = 0;
  std::string by_kind;
  for (const auto& [kind, count] : figures_.kills) {
    kills += count;
    by_kind += (by_kind.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  }
  std::string ignored;
  for (const auto& [verdict, count] : e.ignored()) {
    ignored += (ignored.empty() ? "" : ", ") + verdict + " " + std::to_string(count);
  }
  std::string stops;
  for (const auto& [name, code] : figures_.stop_codes) {
    stops += (stops.empty() ? "" : ", ") + name + " " +
             (code ? std::to_string(*code) : std::string("hung"));
  }
  const double rate = figures_.producing_seconds > 0
                          ? static_cast<double>(figures_.commands) / figures_.producing_seconds
                          : 0;
  out << "== soak figures (seed " << seed_ << ", run directory " << run_dir_.string() << ") ==\n";
  out << fmt::format(
      "duration        {:.1f} s warming up, {:.1f} s producing, {:.1f} s draining, {:.1f} s "
      "checking\n",
      figures_.warm_up_seconds, figures_.producing_seconds, figures_.draining_seconds,
      figures_.checking_seconds);
  out << fmt::format("services        {} engines, {} projectors, {} partitions, {} tenants\n",
                     options_.engines, options_.projectors, options_.partitions, options_.tenants);
  out << fmt::format(
      "commands sent   {} ({:.1f}/s; target {}/s), plus {} re-sent with the same command_id; "
      "{} delivery failures; producing held back {:.1f} s by --max-in-flight\n",
      figures_.commands, rate, options_.rate, ledger_.resends(), figures_.delivery_failures,
      static_cast<double>(figures_.paused_ms) / 1000.0);
  out << fmt::format(
      "decisions       {} commit records accepted by the chain rule ({} events): {} commands "
      "decided, "
      "{} of them rejections; {} timer records; records ignored: {}; {} undecodable\n",
      e.accepted(), e.events(), ledger_.decisions_accepted(), ledger_.rejections(),
      ledger_.timer_records(), ignored.empty() ? "none" : ignored, e.undecodable());
  out << fmt::format(
      "results         {} received, {} of them duplicate answers (re-sends, and results re-sent "
      "after "
      "a restart); {} commands answered only by a duplicate; {} foreign\n",
      ledger_.results_received(), ledger_.duplicate_results(), ledger_.answered_only_as_duplicate(),
      ledger_.foreign_results());
  out << fmt::format("kills           {} kill -9 ({}); {} double kills, {} right after a restart\n",
                     kills, by_kind.empty() ? "none" : by_kind, figures_.double_kills,
                     figures_.kills_right_after_restart);
  out << fmt::format("restarts        {} ({} after an exit on their own)\n", figures_.restarts,
                     figures_.exits.size());
  out << fmt::format(
      "max lag         projection: {} records on one partition, {} summed over projections and "
      "partitions (sampled every 2 s); {} commands in flight ({} on one partition); slowest first "
      "result {} ms after sending\n",
      figures_.lag_max, figures_.lag_sum_max, figures_.in_flight_max,
      figures_.in_flight_partition_max, ledger_.result_latency_ms_max());
  out << fmt::format(
      "verify          the fold of the whole log, partition by partition: {} rows compared with "
      "the read tables ({} MiB of records spooled)\n",
      figures_.verify_rows, e.spooled_bytes() >> 20);
  out << "                ledgerflow verify: " << figures_.verify_cli << "\n";
  out << fmt::format("driver          peak RSS {} MiB\n", rss_mib());
  out << "stops (SIGTERM) " << (stops.empty() ? "none" : stops) << "\n";
  std::string problems;
  for (int kind = 0; kind < kProblemKinds; ++kind) {
    const auto problem = static_cast<Problem>(kind);
    auto found = figures_.problems.find(problem);
    const int64_t count = found == figures_.problems.end() ? 0 : found->second;
    problems += (problems.empty() ? "" : ", ") + std::string(to_string(problem)) + " " +
                std::to_string(count);
  }
  out << "differences     " << differences() << " (" << problems << ")\n";
  for (const Finding& found : figures_.findings)
    out << "  " << to_string(found.problem) << ": " << found.text << "\n";
  out << (differences() == 0 ? "PASSED" : "FAILED") << "\n";
  out.flush();
}

}  // namespace lf::soak
