// The demo workload: two tenants' credits, then a day of one tenant's
// workflow in the seed platforms' shapes (a media buy with decimal budgets,
// agent work of normal priority with a costed model run, review steps in
// human queues, a review that expires and is escalated), a top-up order's
// life and the USD spend cap, and a third tenant's ledger imported from CSV,
// each followed by a summary read back from PostgreSQL.
#include "cli/demo.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "cli/demo_report.hpp"
#include "cli/demo_script.hpp"
#include "consumers/client/command_client.hpp"
#include "consumers/import/import_run.hpp"
#include "events/json.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"

namespace lf::cli {

namespace {

using namespace demo;

// How long the demo waits for the engine's timer to expire and escalate it.
constexpr auto kEscalationWait = std::chrono::seconds(30);

constexpr const char* kResultLine = "  {:<44} {:<10} {}\n";

// Sends the script's commands one at a time, so a duplicate arrives after its
// original was decided, and prints each result; false if one did not arrive.
bool play(client::CommandClient& client, const Script& script,
          std::map<std::string, ResultEnvelope>& results) {
  std::map<std::string, int> sent_count;
  for (const DemoCommand& command : script.commands()) {
    client.send(command.tenant_id, command.json);
    client.flush();
    const int nth = ++sent_count[command.command_id];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto arrived = [&] {
      int seen = 0;
      for (const ResultEnvelope& result : client.results())
        seen += result.command_id == command.command_id;
      return seen >= nth;
    };
    while (!arrived() && std::chrono::steady_clock::now() < deadline) client.poll_results(20);
    const ResultEnvelope* last = nullptr;
    for (const ResultEnvelope& result : client.results()) {
      if (result.command_id == command.command_id) last = &result;
    }
    if (last == nullptr || !arrived()) {
      spdlog::error("no result for {} within 20 s", command.command_id);
      return false;
    }
    results[command.command_id] = *last;
    fmt::print(kResultLine, command.label, to_string(last->status), last->reason);
  }
  return true;
}

// The highest seq a result reported, per partition.
std::map<int32_t, int64_t> highest_seqs(const std::map<std::string, ResultEnvelope>& results,
                                        int partitions) {
  std::map<int32_t, int64_t> seq_by_partition;
  for (const auto& [id, result] : results) {
    if (!result.seq) continue;
    const int32_t partition = partition_for_key(result.tenant_id, partitions);
    seq_by_partition[partition] = std::max(seq_by_partition[partition], *result.seq);
  }
  return seq_by_partition;
}

// Waits until every projection has applied each partition's records up to
// the highest seq a result reported.
bool wait_for_projections(const DemoOptions& options,
                          const std::map<int32_t, int64_t>& seq_by_partition) {
  pqxx::connection connection(options.database_url);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::work work(connection);
    bool caught_up = true;
    for (const auto& [partition, seq] : seq_by_partition) {
      pqxx::result row = work.exec_params(
          "SELECT count(*) FROM projection_checkpoints WHERE partition = $1 AND last_seq >= $2",
          partition, seq);
      pqxx::result all = work.exec_params("SELECT count(*) FROM projections");
      caught_up = caught_up && row[0][0].as<int64_t>() == all[0][0].as<int64_t>();
    }
    work.commit();
    if (caught_up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// wait_for_projections, saying so when they did not catch up.
bool projected(const DemoOptions& options, const std::map<int32_t, int64_t>& seq_by_partition) {
  if (wait_for_projections(options, seq_by_partition)) return true;
  spdlog::error("the projections did not catch up within 30 s");
  return false;
}

// Polls the approvals table until the engine's timer has expired and
// escalated the approval and its follow-up is open; "<follow-up> for
// <reviewer>", or nullopt after kEscalationWait.
std::optional<std::string> wait_for_escalation(const DemoOptions& options,
                                               const std::string& approval_id) {
  pqxx::connection connection(options.database_url);
  const auto deadline = std::chrono::steady_clock::now() + kEscalationWait;
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::work work(connection);
    pqxx::result row = work.exec_params(
        "SELECT f.approval_id || ' for ' || coalesce(f.reviewer_id, '(nobody)') FROM approvals a "
        "JOIN approvals f ON f.tenant_id = a.tenant_id AND f.approval_id = a.follow_up_approval_id "
        "WHERE a.tenant_id = $1 AND a.approval_id = $2 AND a.status = 'expired' AND a.escalated_at "
        "IS NOT NULL",
        kAcme, approval_id);
    work.commit();
    if (!row.empty()) return row[0][0].as<std::string>();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

// The seq up to which the approvals projection has applied a partition: once
// it shows the expiry, at least the timer's commit record (which no result
// reports).
int64_t approvals_seq(const DemoOptions& options, int32_t partition) {
  pqxx::connection connection(options.database_url);
  pqxx::work work(connection);
  pqxx::result row = work.exec_params(
      "SELECT last_seq FROM projection_checkpoints WHERE projection = 'approvals' AND partition = "
      "$1",
      partition);
  work.commit();
  return row.empty() ? 0 : row[0][0].as<int64_t>();
}

// Two tenants' credits, a message that is not JSON, then the balances and
// Acme's ledger.
bool run_credits(const DemoOptions& options, client::CommandClient& client,
                 std::map<std::string, ResultEnvelope>& results) {
  const int64_t now_ms = system_now_ms();
  Script script(now_ms, "demo-");
  build_script(script, now_ms);
  fmt::print("\nDemo: {} commands from two tenants, and one message that is not JSON\n",
             script.commands().size());
  fmt::print(kResultLine, "command", "status", "reason");
  if (!play(client, script, results)) return false;
  client.send(kAcme, "this is not a command");
  client.flush();
  fmt::print(kResultLine, "Acme: a message that is not JSON", "-", "to ledgerflow.deadletter");
  if (!projected(options, highest_seqs(results, options.partitions))) return false;
  print_summary(options.database_url);
  return true;
}

// A day of Acme's workflow through the same path, a review left to expire
// and escalate on the engine's timer, then the workflow tables, the queues,
// Acme's balance and its audit trail.
bool run_workflow_day(const DemoOptions& options, client::CommandClient& client,
                      std::map<std::string, ResultEnvelope>& results) {
  const int64_t day_start_ms = system_now_ms();
  Script day(day_start_ms, "day-");
  build_workflow_day(day, day_start_ms);
  fmt::print("\nA day of Acme's workflow: {} commands, then a review nobody decides\n",
             day.commands().size() + 1);
  fmt::print(kResultLine, "command", "status", "reason");
  if (!play(client, day, results)) return false;
  const int64_t request_ms = system_now_ms();
  Script review(request_ms, "review-");
  build_short_approval(review, request_ms);
  if (!play(client, review, results)) return false;
  const std::optional<std::string> follow_up = wait_for_escalation(options, kShortApproval);
  if (!follow_up) {
    spdlog::error("approval {} did not expire and escalate within {} s", kShortApproval,
                  kEscalationWait.count());
    return false;
  }
  fmt::print(kResultLine, "Acme: Lee never decides: engine timer", "expired",
             "review reopened: " + *follow_up);
  std::map<int32_t, int64_t> seq_by_partition = highest_seqs(results, options.partitions);
  const int32_t partition = partition_for_key(kAcme, options.partitions);
  seq_by_partition[partition] =
      std::max(seq_by_partition[partition], approvals_seq(options, partition));
  if (!projected(options, seq_by_partition)) return false;
  print_workflow_summary(options.database_url);
  return true;
}

bool run_money(const DemoOptions& options, client::CommandClient& client,
               std::map<std::string, ResultEnvelope>& results) {
  const int64_t now_ms = system_now_ms();
  Script script(now_ms, "money-");
  build_money(script);
  fmt::print("\nMoney around credits: a top-up order's life and the USD spend cap ({} commands)\n",
             script.commands().size());
  fmt::print(kResultLine, "command", "status", "reason");
  if (!play(client, script, results)) return false;
  if (!projected(options, highest_seqs(results, options.partitions))) return false;
  print_money(options.database_url);
  return true;
}

bool run_import(const DemoOptions& options, client::CommandClient& client,
                std::map<std::string, ResultEnvelope>& results) {
  const int64_t now_ms = system_now_ms();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("ledgerflow-demo-import-{}", now_ms);
  std::filesystem::create_directories(dir);
  write_initech_export(dir, now_ms);
  fmt::print(
      "\nInitech moves its Leadmetrics ledger in: ledgerflow import credit_ledger "
      "credit_ledger.csv "
      "--balances credit_balances.csv\n");
  import_run::Options import;
  import.kafka = options.kafka;
  import.topics = options.topics;
  import.database_url = options.database_url;
  import.kind = "credit_ledger";
  import.files = {(dir / "credit_ledger.csv").string()};
  import.balances_file = (dir / "credit_balances.csv").string();
  import.client_id = "ledgerflow-demo-import";
  const import_run::Outcome outcome = import_run::run(import);
  std::filesystem::remove_all(dir);
  fmt::print("  {} rows of {} tenant imported, {} refused; balances as its credit_balances row\n",
             outcome.rows_imported, outcome.tenants_imported, outcome.tenants_refused);
  if (outcome.failed()) {
    spdlog::error("the demo's import failed");
    return false;
  }
  Script live(system_now_ms(), "initech-");
  live.add("Initech: live: the open run used 900", kInitech, "credits.consume", "agent:copywriter",
           payload([](JsonWriter& w) {
             w.field("reservation_id", "import:run-in-2");
             w.field("credits", int64_t{900});
           }));
  live.add("Initech: live: a new run reserves 4,000", kInitech, "credits.reserve", "agent:writer",
           payload([](JsonWriter& w) {
             w.field("reservation_id", "run-in-3");
             w.field("credits", int64_t{4'000});
             w.field("activity_run_id", "run-in-3");
           }));
  fmt::print(kResultLine, "command", "status", "reason");
  if (!play(client, live, results)) return false;
  if (!projected(options, highest_seqs(results, options.partitions))) return false;
  print_initech(options.database_url);
  return true;
}

}  // namespace

bool run_demo(const DemoOptions& options) {
  client::CommandClient client(options.kafka, options.topics, "ledgerflow-demo");
  std::map<std::string, ResultEnvelope> results;
  const bool done = run_credits(options, client, results) &&
                    run_workflow_day(options, client, results) &&
                    run_money(options, client, results) && run_import(options, client, results);
  if (done)
    fmt::print(
        "\nDemo done. The services keep running (KAFKA_BOOTSTRAP, DATABASE_URL above); Ctrl-C "
        "stops them.\n");
  std::fflush(stdout);
  return done;
}

}  // namespace lf::cli
