// The demo workload.
#include "cli/demo.hpp"

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "consumers/client/command_client.hpp"
#include "events/json.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"

namespace lf::cli {

namespace {

constexpr const char* kAcme = "3f0e8a52-6c1d-4b8e-9a7f-2d5c1e0b9a41";
constexpr const char* kGlobex = "b7d24e19-0f3a-4c62-8e15-9a4d7c3b2f60";

struct DemoCommand {
  std::string label;
  std::string tenant_id;
  std::string command_id;
  std::string json;
};

class Script {
 public:
  explicit Script(int64_t now_ms) : now_ms_(now_ms) {}

  void add(const std::string& label, const std::string& tenant, const std::string& type,
           const std::string& actor, const std::string& payload_json, std::string command_id = "") {
    if (command_id.empty()) command_id = "demo-" + std::to_string(++counter_);
    CommandEnvelope command;
    command.command_id = command_id;
    command.type = type;
    command.tenant_id = tenant;
    command.actor = actor;
    command.issued_at_ms = now_ms_;
    command.correlation_id = "demo";
    commands_.push_back(DemoCommand{label, tenant, command_id, encode_command(command, payload_json)});
  }
  const std::vector<DemoCommand>& commands() const { return commands_; }

 private:
  int64_t now_ms_;
  int counter_ = 0;
  std::vector<DemoCommand> commands_;
};

std::string payload(const std::function<void(JsonWriter&)>& fields) {
  JsonWriter writer;
  writer.begin_object();
  fields(writer);
  writer.end_object();
  return writer.str();
}

void build_script(Script& script, int64_t now_ms) {
  const std::string today = format_date_days(static_cast<int32_t>(now_ms / kMillisPerDay));
  const int64_t month_start = *parse_rfc3339_ms(today.substr(0, 8) + "01T00:00:00Z");
  const int64_t month_end = add_months_ms(month_start, 1);
  auto allocate = [&](int64_t monthly) {
    return payload([&](JsonWriter& w) {
      w.field("credits_monthly", monthly);
      w.timestamp_field("period_start", month_start);
      w.timestamp_field("period_end", month_end);
    });
  };
  script.add("Acme: monthly plan", kAcme, "credits.allocate", "system", allocate(100'000));
  const std::string topup = payload([](JsonWriter& w) {
    w.field("topup_order_id", "ord-1001");
    w.field("credits", int64_t{25'000});
  });
  script.add("Acme: top-up order ord-1001", kAcme, "credits.topup", "user:billing", topup, "demo-topup-1001");
  script.add("Acme: agent run reserves", kAcme, "credits.reserve", "agent:copywriter", payload([](JsonWriter& w) {
               w.field("reservation_id", "res-7f3a");
               w.field("credits", int64_t{1'500});
               w.field("activity_run_id", "run-7f3a");
               w.field("deliverable_type", "banner_set");
             }));
  script.add("Acme: run used 1,240", kAcme, "credits.consume", "agent:copywriter", payload([](JsonWriter& w) {
               w.field("reservation_id", "res-7f3a");
               w.field("credits", int64_t{1'240});
             }));
  script.add("Acme: video run reserves", kAcme, "credits.reserve", "agent:video", payload([](JsonWriter& w) {
               w.field("reservation_id", "res-7f3b");
               w.field("credits", int64_t{3'000});
               w.field("activity_run_id", "run-7f3b");
               w.field("deliverable_type", "video_script");
             }));
  script.add("Acme: video run failed, released", kAcme, "credits.release", "agent:video",
             payload([](JsonWriter& w) { w.field("reservation_id", "res-7f3b"); }));
  script.add("Acme: oversized reservation", kAcme, "credits.reserve", "agent:planner", payload([](JsonWriter& w) {
               w.field("reservation_id", "res-huge");
               w.field("credits", int64_t{900'000});
             }));
  script.add("Acme: quality refund", kAcme, "credits.refund", "support:maria", payload([](JsonWriter& w) {
               w.field("credits", int64_t{200});
               w.field("activity_run_id", "run-7f3a");
               w.field("note", "quality credit for run-7f3a");
             }));
  script.add("Acme: goodwill adjustment", kAcme, "credits.adjust", "admin:ops-jane", payload([](JsonWriter& w) {
               w.field("credits", int64_t{1'000});
               w.field("note", "goodwill after outage");
             }));
  script.add("Acme: agent tries to adjust", kAcme, "credits.adjust", "agent:planner", payload([](JsonWriter& w) {
               w.field("credits", int64_t{5'000});
               w.field("note", "self-service");
             }));
  script.add("Acme: same command sent again", kAcme, "credits.topup", "user:billing", topup, "demo-topup-1001");
  script.add("Acme: same order, new command", kAcme, "credits.topup", "user:billing", topup);
  script.add("Globex: monthly plan", kGlobex, "credits.allocate", "system", allocate(40'000));
  for (int run = 1; run <= 12; ++run) {
    const std::string id = fmt::format("gx-run-{:02}", run);
    script.add(fmt::format("Globex: run {} reserves", run), kGlobex, "credits.reserve", "agent:media-buyer",
               payload([&](JsonWriter& w) {
                 w.field("reservation_id", id);
                 w.field("credits", int64_t{500 + run * 100});
                 w.field("activity_run_id", id);
               }));
    script.add(fmt::format("Globex: run {} consumes", run), kGlobex, "credits.consume", "agent:media-buyer",
               payload([&](JsonWriter& w) {
                 w.field("reservation_id", id);
                 w.field("credits", int64_t{300 + run * 90});
               }));
  }
}

// Waits until every projection has applied each partition's records up to
// the highest seq a result reported.
bool wait_for_projections(const DemoOptions& options, const std::map<int32_t, int64_t>& seq_by_partition) {
  pqxx::connection connection(options.database_url);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::work work(connection);
    bool caught_up = true;
    for (const auto& [partition, seq] : seq_by_partition) {
      pqxx::result row = work.exec_params(
          "SELECT count(*) FROM projection_checkpoints WHERE partition = $1 AND last_seq >= $2", partition, seq);
      pqxx::result all = work.exec_params("SELECT count(*) FROM projections");
      caught_up = caught_up && row[0][0].as<int64_t>() == all[0][0].as<int64_t>();
    }
    work.commit();
    if (caught_up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void print_summary(const DemoOptions& options) {
  pqxx::connection connection(options.database_url);
  pqxx::work work(connection);
  fmt::print("\nBalances (credit_balances)\n");
  fmt::print("  {:<38} {:>9} {:>10} {:>9} {:>9} {:>10} {:>10}\n", "tenant", "monthly", "available", "reserved",
             "top-up", "consumed", "effective");
  for (const pqxx::row& row : work.exec(
           "SELECT tenant_id, credits_monthly, credits_available, credits_reserved, credits_topup, "
           "credits_consumed, effective_available FROM credit_balances ORDER BY tenant_id")) {
    fmt::print("  {:<38} {:>9} {:>10} {:>9} {:>9} {:>10} {:>10}\n", row[0].c_str(), row[1].as<int64_t>(),
               row[2].as<int64_t>(), row[3].as<int64_t>(), row[4].as<int64_t>(), row[5].as<int64_t>(),
               row[6].as<int64_t>());
  }
  fmt::print("\nAcme's ledger, last 10 entries (credit_ledger)\n");
  fmt::print("  {:<10} {:>9} {:>10}  {:<20} {}\n", "type", "credits", "balance", "actor", "detail");
  for (const pqxx::row& row : work.exec_params(
           "SELECT type, credits, balance_after, actor, "
           "coalesce(reservation_id, topup_order_id, note, reason, '') FROM ("
           "  SELECT * FROM credit_ledger WHERE tenant_id = $1 ORDER BY created_at DESC, event_id DESC LIMIT 10"
           ") tail ORDER BY created_at, event_id",
           kAcme)) {
    fmt::print("  {:<10} {:>9} {:>10}  {:<20} {}\n", row[0].c_str(), row[1].as<int64_t>(), row[2].as<int64_t>(),
               row[3].c_str(), row[4].c_str());
  }
  const pqxx::row check = work.exec1(
      "SELECT count(*) FILTER (WHERE b.effective_available = l.total), count(*) FROM credit_balances b "
      "JOIN (SELECT tenant_id, sum(credits) AS total FROM credit_ledger GROUP BY tenant_id) l USING (tenant_id)");
  fmt::print("\nLedger invariant (sum of ledger credits = effective available): {} of {} tenants hold\n",
             check[0].as<int64_t>(), check[1].as<int64_t>());
  work.commit();
}

}  // namespace

bool run_demo(const DemoOptions& options) {
  const int64_t now_ms = system_now_ms();
  Script script(now_ms);
  build_script(script, now_ms);
  client::CommandClient client(options.kafka, options.topics, "ledgerflow-demo");
  std::map<std::string, CommandResult> results;
  std::map<std::string, int> sent_count;
  fmt::print("\nDemo: {} commands from two tenants, and one message that is not JSON\n", script.commands().size());
  fmt::print("  {:<36} {:<10} {}\n", "command", "status", "reason");
  // One at a time, so the duplicates arrive after their originals were decided.
  for (const DemoCommand& command : script.commands()) {
    client.send(command.tenant_id, command.json);
    client.flush();
    const int nth = ++sent_count[command.command_id];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto arrived = [&] {
      int seen = 0;
      for (const CommandResult& result : client.results()) seen += result.command_id == command.command_id;
      return seen >= nth;
    };
    while (!arrived() && std::chrono::steady_clock::now() < deadline) client.poll_results(20);
    const CommandResult* last = nullptr;
    for (const CommandResult& result : client.results()) {
      if (result.command_id == command.command_id) last = &result;
    }
    if (last == nullptr || !arrived()) {
      spdlog::error("no result for {} within 20 s", command.command_id);
      return false;
    }
    results[command.command_id] = *last;
    fmt::print("  {:<36} {:<10} {}\n", command.label, to_string(last->status), last->reason);
  }
  client.send(kAcme, "this is not a command");
  client.flush();
  fmt::print("  {:<36} {:<10} {}\n", "Acme: a message that is not JSON", "-", "to ledgerflow.deadletter");

  std::map<int32_t, int64_t> seq_by_partition;
  for (const auto& [id, result] : results) {
    if (!result.seq) continue;
    const int32_t partition = partition_for_key(result.tenant_id, options.partitions);
    seq_by_partition[partition] = std::max(seq_by_partition[partition], *result.seq);
  }
  if (!wait_for_projections(options, seq_by_partition)) {
    spdlog::error("the projections did not catch up within 30 s");
    return false;
  }
  print_summary(options);
  std::fflush(stdout);
  return true;
}

}  // namespace lf::cli
