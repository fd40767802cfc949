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

#include "consumers/client/command_client.hpp"
#include "consumers/import/import_run.hpp"
#include "events/json.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"

namespace lf::cli {

namespace {

constexpr const char* kAcme = "3f0e8a52-6c1d-4b8e-9a7f-2d5c1e0b9a41";
constexpr const char* kGlobex = "b7d24e19-0f3a-4c62-8e15-9a4d7c3b2f60";
constexpr const char* kInitech = "5c2e9d47-81a3-4f06-b2d8-6e1f0a7c3b95";

struct DemoCommand {
  std::string label;
  std::string tenant_id;
  std::string command_id;
  std::string json;
};

class Script {
 public:
  // Command ids are `<id_prefix><n>` unless given: each script its own prefix.
  Script(int64_t now_ms, std::string id_prefix)
      : now_ms_(now_ms), id_prefix_(std::move(id_prefix)) {}

  void add(const std::string& label, const std::string& tenant, const std::string& type,
           const std::string& actor, const std::string& payload_json, std::string command_id = "") {
    if (command_id.empty()) command_id = id_prefix_ + std::to_string(++counter_);
    CommandEnvelope command;
    command.command_id = command_id;
    command.type = type;
    command.tenant_id = tenant;
    command.actor = actor;
    command.issued_at_ms = now_ms_;
    command.correlation_id = "demo";
    commands_.push_back(
        DemoCommand{label, tenant, command_id, encode_command(command, payload_json)});
  }
  const std::vector<DemoCommand>& commands() const { return commands_; }

 private:
  int64_t now_ms_;
  std::string id_prefix_;
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
  // This calendar month in UTC, as the seed platforms write a billing period:
  // its first and last dates (the end inclusive).
  const int64_t month_start = *parse_rfc3339_ms(today.substr(0, 8) + "01T00:00:00Z");
  const std::string first_day = format_date_days(static_cast<int32_t>(month_start / kMillisPerDay));
  const std::string last_day =
      format_date_days(static_cast<int32_t>(add_months_ms(month_start, 1) / kMillisPerDay) - 1);
  auto allocate = [&](int64_t monthly) {
    return payload([&](JsonWriter& w) {
      w.field("credits_monthly", monthly);
      w.field("period_start", first_day);
      w.field("period_end", last_day);
      w.field("timezone", "UTC");
    });
  };
  script.add("Acme: monthly plan", kAcme, "credits.allocate", "system", allocate(100'000));
  const std::string topup = payload([](JsonWriter& w) {
    w.field("topup_order_id", "ord-1001");
    w.field("credits", int64_t{25'000});
  });
  script.add("Acme: top-up order ord-1001", kAcme, "credits.topup", "user:billing", topup,
             "demo-topup-1001");
  script.add("Acme: agent run reserves", kAcme, "credits.reserve", "agent:copywriter",
             payload([](JsonWriter& w) {
               w.field("reservation_id", "res-7f3a");
               w.field("credits", int64_t{1'500});
               w.field("activity_run_id", "run-7f3a");
               w.field("deliverable_type", "banner_set");
             }));
  script.add("Acme: run used 1,240", kAcme, "credits.consume", "agent:copywriter",
             payload([](JsonWriter& w) {
               w.field("reservation_id", "res-7f3a");
               w.field("credits", int64_t{1'240});
             }));
  script.add("Acme: video run reserves", kAcme, "credits.reserve", "agent:video",
             payload([](JsonWriter& w) {
               w.field("reservation_id", "res-7f3b");
               w.field("credits", int64_t{3'000});
               w.field("activity_run_id", "run-7f3b");
               w.field("deliverable_type", "video_script");
             }));
  script.add("Acme: video run failed, released", kAcme, "credits.release", "agent:video",
             payload([](JsonWriter& w) { w.field("reservation_id", "res-7f3b"); }));
  script.add("Acme: oversized reservation", kAcme, "credits.reserve", "agent:planner",
             payload([](JsonWriter& w) {
               w.field("reservation_id", "res-huge");
               w.field("credits", int64_t{900'000});
             }));
  script.add("Acme: quality refund", kAcme, "credits.refund", "support:maria",
             payload([](JsonWriter& w) {
               w.field("credits", int64_t{200});
               w.field("activity_run_id", "run-7f3a");
               w.field("note", "quality credit for run-7f3a");
             }));
  script.add("Acme: goodwill adjustment", kAcme, "credits.adjust", "admin:ops-jane",
             payload([](JsonWriter& w) {
               w.field("credits", int64_t{1'000});
               w.field("note", "goodwill after outage");
             }));
  script.add("Acme: agent tries to adjust", kAcme, "credits.adjust", "agent:planner",
             payload([](JsonWriter& w) {
               w.field("credits", int64_t{5'000});
               w.field("note", "self-service");
             }));
  script.add("Acme: same command sent again", kAcme, "credits.topup", "user:billing", topup,
             "demo-topup-1001");
  script.add("Acme: same order, new command", kAcme, "credits.topup", "user:billing", topup);
  script.add("Globex: monthly plan", kGlobex, "credits.allocate", "system", allocate(40'000));
  for (int run = 1; run <= 12; ++run) {
    const std::string id = fmt::format("gx-run-{:02}", run);
    script.add(fmt::format("Globex: run {} reserves", run), kGlobex, "credits.reserve",
               "agent:media-buyer", payload([&](JsonWriter& w) {
                 w.field("reservation_id", id);
                 w.field("credits", int64_t{500 + run * 100});
                 w.field("activity_run_id", id);
               }));
    script.add(fmt::format("Globex: run {} consumes", run), kGlobex, "credits.consume",
               "agent:media-buyer", payload([&](JsonWriter& w) {
                 w.field("reservation_id", id);
                 w.field("credits", int64_t{300 + run * 90});
               }));
  }
}

// ---- a day of Acme's workflow ------------------------------------------------
//
// Shaped like the seed platforms' data (../shared/seeds): Leadmetrics'
// activities (normal priority, review steps in a human queue, runs with their
// model and USD cost), the Prebid sales agent's media buys (decimal budgets)
// and Stratum AI's audit rows.

// The review nobody decides: it expires this long after it is requested, and
// the engine escalates it to the tenant's escalation reviewer.
constexpr int64_t kShortApprovalTtlMs = 4 * kMillisPerSecond;
constexpr const char* kShortApproval = "act-banner:approval:1";
// How long the demo waits for the engine's timer to expire and escalate it.
constexpr auto kEscalationWait = std::chrono::seconds(30);

std::string one_field(const char* name, const char* value) {
  return payload([&](JsonWriter& w) { w.field(name, value); });
}

std::string date_after_days(int64_t now_ms, int32_t days) {
  return format_date_days(static_cast<int32_t>(now_ms / kMillisPerDay) + days);
}

// A Prebid package: its budget is the seed's amount in dollars, a JSON
// decimal (read from its text, exactly) or a decimal string.
void write_package(JsonWriter& w, const char* package_id, const char* product_id,
                   std::string_view budget_json, int64_t cpm_rate_micros,
                   const std::function<void(JsonWriter&)>& targeting) {
  w.begin_object();
  w.field("package_id", package_id);
  w.field("product_id", product_id);
  w.key("budget");
  w.raw(budget_json);
  w.key("pricing");
  w.begin_object();
  w.field("model", "cpm");
  w.field("rate_micros", cpm_rate_micros);
  w.end_object();
  w.key("targeting");
  w.begin_object();
  targeting(w);
  w.end_object();
  w.end_object();
}

std::string agent_work(const char* id, const char* title, const char* type, const char* role,
                       const char* priority, const std::string& due_date) {
  return payload([&](JsonWriter& w) {
    w.field("activity_id", id);
    w.field("title", title);
    w.field("type", type);
    w.field("assignee_type", "agent");
    w.field("assignee_agent_role", role);
    w.field("priority", priority);
    w.field("due_date", due_date);
  });
}

std::string review_decision(const char* approval_id, const char* notes) {
  return payload([&](JsonWriter& w) {
    w.field("approval_id", approval_id);
    w.field("reviewed_by", "user:rita");
    w.field("notes", notes);
  });
}

// The copywriter agent drafts ad copy in a run of a Claude model that costs
// $0.042318; submitting it opens a review step in Rita's queue; she sends it
// back (to the agent's queue) with a revision note, the agent resubmits, she
// approves, and the work is completed.
void add_copywriting(Script& script, int64_t now_ms) {
  script.add("Acme: ad copy, normal priority", kAcme, "activity.create", "user:maya",
             agent_work("act-copy", "Ad copy for the spring launch", "write", "copywriter",
                        "normal", date_after_days(now_ms, 1)));
  script.add("Acme: copywriter agent starts", kAcme, "activity.start", "agent:copywriter",
             one_field("activity_id", "act-copy"));
  script.add("Acme: run reserves 1,200 (estimate)", kAcme, "activity.start_run", "agent:copywriter",
             payload([](JsonWriter& w) {
               w.field("activity_id", "act-copy");
               w.field("run_id", "run-copy-1");
               w.field("estimated_credits", int64_t{1'200});
               w.field("deliverable_type", "ad_copy_sets");
               w.field("adapter_type", "claude");
               w.field("model_id", "claude-sonnet-4-6");
               w.field("session_id", "5b1f0c1e-8a7d-4f43-9c55-0d2a6e3b7f10");
             }));
  script.add("Acme: run done: 860 credits, $0.042318", kAcme, "activity.finish_run",
             "agent:copywriter", payload([](JsonWriter& w) {
               w.field("run_id", "run-copy-1");
               w.field("status", "completed");
               w.field("credits_used", int64_t{860});
               w.field("input_tokens", int64_t{5'200});
               w.field("output_tokens", int64_t{940});
               w.field("duration_ms", int64_t{14'200});
               w.key("cost_usd");
               w.raw("0.042318");
             }));
  script.add("Acme: copy submitted, review step for Rita", kAcme, "activity.submit_for_approval",
             "agent:copywriter", payload([](JsonWriter& w) {
               w.field("activity_id", "act-copy");
               w.field("reviewer_id", "user:rita");
               w.field("approval_type", "content_review");
             }));
  script.add("Acme: Rita asks for a revision", kAcme, "approval.request_revision", "user:rita",
             review_decision("act-copy:approval:1", "shorter headline, keep the CTA"));
  script.add("Acme: back in the agent's queue, restarted", kAcme, "activity.start",
             "agent:copywriter", one_field("activity_id", "act-copy"));
  script.add("Acme: copy resubmitted", kAcme, "activity.submit_for_approval", "agent:copywriter",
             payload([](JsonWriter& w) {
               w.field("activity_id", "act-copy");
               w.field("reviewer_id", "user:rita");
             }));
  script.add("Acme: Rita approves the copy", kAcme, "approval.approve", "user:rita",
             review_decision("act-copy:approval:2", "on brand, ship it"));
  script.add("Acme: copy task completed", kAcme, "activity.complete", "agent:copywriter",
             one_field("activity_id", "act-copy"));
}

// A Prebid media buy of two packages with decimal budgets that needs Rita's
// approval: the buying agent tries to approve it itself (refused), Rita
// approves, the agent activates.
void add_media_buy(Script& script, int64_t now_ms) {
  script.add("Acme: media buy, $20,000.50 in 2 packages", kAcme, "media_buy.create",
             "agent:media-buyer", payload([&](JsonWriter& w) {
               w.field("media_buy_id", "mb-spring");
               w.field("principal_id", "adv-acme");
               w.field("campaign_name", "Spring launch");
               w.field("buyer_ref", "PO-2291");
               w.field("start_date", date_after_days(now_ms, 7));
               w.field("end_date", date_after_days(now_ms, 37));
               w.field("currency", "USD");
               w.key("packages");
               w.begin_array();
               write_package(w, "ctv", "ctv-prime", "15000.00", 32'000'000, [](JsonWriter& t) {
                 t.key("geo");
                 t.begin_array();
                 t.string("US-CA");
                 t.string("US-NY");
                 t.end_array();
               });
               write_package(w, "display", "display-ros", "\"5000.50\"", 4'500'000,
                             [](JsonWriter& t) { t.field("audience", "in-market-auto"); });
               w.end_array();
               w.field("requires_approval", true);
               w.field("risk_level", "high");
               w.field("reviewer_id", "user:rita");
             }));
  script.add("Acme: buying agent self-approves", kAcme, "media_buy.approve", "agent:media-buyer",
             one_field("media_buy_id", "mb-spring"));
  script.add("Acme: Rita approves the media buy", kAcme, "approval.approve", "user:rita",
             review_decision("mb-spring:approval", "brand safe, budget in plan"));
  script.add("Acme: media buy goes live", kAcme, "media_buy.activate", "agent:media-buyer",
             one_field("media_buy_id", "mb-spring"));
}

// Work left open at the end of the day: a blog draft waiting in Kim's review
// queue, a task of Kim's own, and the banner the designer agent is on.
void add_open_work(Script& script, int64_t now_ms) {
  script.add("Acme: Rita escalates expired reviews", kAcme, "tenant.configure", "admin:ops-jane",
             one_field("escalation_reviewer_id", "user:rita"));
  script.add("Acme: blog draft for the writer agent", kAcme, "activity.create", "user:maya",
             agent_work("act-blog", "Blog post: five spring trends", "write", "writer", "high",
                        date_after_days(now_ms, 3)));
  script.add("Acme: writer agent starts", kAcme, "activity.start", "agent:writer",
             one_field("activity_id", "act-blog"));
  script.add("Acme: draft submitted, review step for Kim", kAcme, "activity.submit_for_approval",
             "agent:writer", payload([](JsonWriter& w) {
               w.field("activity_id", "act-blog");
               w.field("reviewer_id", "user:kim");
             }));
  script.add("Acme: landing page check for Kim", kAcme, "activity.create", "user:maya",
             payload([&](JsonWriter& w) {
               w.field("activity_id", "act-landing");
               w.field("title", "Check the landing page");
               w.field("type", "audit");
               w.field("assignee_type", "human");
               w.field("assignee_user_id", "user:kim");
               w.field("priority", "urgent");
               w.field("due_date", date_after_days(now_ms, 2));
             }));
  script.add("Acme: monthly report for the analyst agent", kAcme, "activity.create", "user:maya",
             agent_work("act-report", "Monthly performance report", "report", "analyst", "normal",
                        date_after_days(now_ms, 5)));
  script.add("Acme: banner task for designer", kAcme, "activity.create", "user:maya",
             agent_work("act-banner", "Banner variants for display", "write", "designer", "urgent",
                        date_after_days(now_ms, 1)));
  script.add("Acme: designer agent starts", kAcme, "activity.start", "agent:designer",
             one_field("activity_id", "act-banner"));
  script.add("Acme: campaign edited (Stratum audit row)", kAcme, "audit.record", "system",
             payload([&](JsonWriter& w) {
               w.field("action", "update");
               w.field("resource_type", "campaign");
               w.field("resource_id", "cmp-4411");
               w.field("user_id", "user:maya");
               w.field("occurred_at", format_rfc3339_ms(now_ms - 90 * kMillisPerSecond));
               w.field("ip_address", "203.0.113.24");
               w.field("user_agent", "Mozilla/5.0 (X11; Linux x86_64)");
               w.field("request_id", "req-9f2c");
               w.field("endpoint", "/api/campaigns/cmp-4411");
               w.field("http_method", "PATCH");
               w.key("changed_fields");
               w.begin_array();
               w.string("daily_budget_cents");
               w.end_array();
               w.key("old_value");
               w.raw(R"({"daily_budget_cents":50000})");
               w.key("new_value");
               w.raw(R"({"daily_budget_cents":65000})");
             }));
}

void build_workflow_day(Script& script, int64_t now_ms) {
  add_copywriting(script, now_ms);
  add_media_buy(script, now_ms);
  add_open_work(script, now_ms);
}

// The banner goes to Lee for review with a deadline a few seconds away, built
// just before it is sent so the deadline is that far from the engine's clock
// when it decides. Lee does not decide: the engine escalates it to Rita.
void build_short_approval(Script& script, int64_t now_ms) {
  script.add("Acme: banner to Lee, review expires in 4 s", kAcme, "activity.submit_for_approval",
             "agent:designer", payload([&](JsonWriter& w) {
               w.field("activity_id", "act-banner");
               w.field("reviewer_id", "user:lee");
               w.field("approval_type", "content_review");
               w.field("risk_level", "high");
               w.field("approval_expires_at", format_rfc3339_ms(now_ms + kShortApprovalTtlMs));
             }));
}

// ---- sending, waiting -------------------------------------------------------

constexpr const char* kResultLine = "  {:<44} {:<10} {}\n";

// Sends the script's commands one at a time, so a duplicate arrives after its
// original was decided, and prints each result; false if one did not arrive.
bool play(client::CommandClient& client, const Script& script,
          std::map<std::string, CommandResult>& results) {
  std::map<std::string, int> sent_count;
  for (const DemoCommand& command : script.commands()) {
    client.send(command.tenant_id, command.json);
    client.flush();
    const int nth = ++sent_count[command.command_id];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto arrived = [&] {
      int seen = 0;
      for (const CommandResult& result : client.results())
        seen += result.command_id == command.command_id;
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
    fmt::print(kResultLine, command.label, to_string(last->status), last->reason);
  }
  return true;
}

// The highest seq a result reported, per partition.
std::map<int32_t, int64_t> highest_seqs(const std::map<std::string, CommandResult>& results,
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

// ---- the summaries ---------------------------------------------------------

void print_summary(const DemoOptions& options) {
  pqxx::connection connection(options.database_url);
  pqxx::work work(connection);
  fmt::print("\nBalances (credit_balances)\n");
  fmt::print("  {:<36} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "tenant", "monthly", "available",
             "reserved", "top-up", "consumed", "effective");
  for (const pqxx::row& row : work.exec(
           "SELECT tenant_id, credits_monthly, credits_available, credits_reserved, credits_topup, "
           "credits_consumed, effective_available FROM credit_balances ORDER BY tenant_id")) {
    fmt::print("  {:<36} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", row[0].c_str(),
               row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<int64_t>(),
               row[4].as<int64_t>(), row[5].as<int64_t>(), row[6].as<int64_t>());
  }
  fmt::print("\nAcme's ledger, last 10 entries (credit_ledger)\n");
  fmt::print("  {:<10} {:>9} {:>10}  {:<20} {}\n", "type", "credits", "balance", "actor", "detail");
  for (const pqxx::row& row :
       work.exec_params("SELECT type, credits, balance_after, actor, "
                        "coalesce(reservation_id, topup_order_id, note, reason, '') FROM ("
                        "  SELECT * FROM credit_ledger WHERE tenant_id = $1 ORDER BY created_at "
                        "DESC, event_id DESC LIMIT 10"
                        ") tail ORDER BY created_at, event_id",
                        kAcme)) {
    fmt::print("  {:<10} {:>9} {:>10}  {:<20} {}\n", row[0].c_str(), row[1].as<int64_t>(),
               row[2].as<int64_t>(), row[3].c_str(), row[4].c_str());
  }
  const pqxx::row check = work.exec1(
      "SELECT count(*) FILTER (WHERE b.effective_available = l.total), count(*) FROM "
      "credit_balances b "
      "JOIN (SELECT tenant_id, sum(credits) AS total FROM credit_ledger GROUP BY tenant_id) l "
      "USING (tenant_id)");
  fmt::print(
      "\nLedger invariant (sum of ledger credits = effective available): {} of {} tenants hold\n",
      check[0].as<int64_t>(), check[1].as<int64_t>());
  work.commit();
}

std::string text_or_dash(const pqxx::field& field) {
  return field.is_null() ? "-" : field.c_str();
}

// `text` cut to `width` characters, ".." marking a cut.
std::string fit(std::string_view text, std::size_t width) {
  if (text.size() <= width || width < 2) return std::string(text.substr(0, width));
  return std::string(text.substr(0, width - 2)) + "..";
}

void print_media_buys(pqxx::work& work) {
  fmt::print("\nAcme's media buys (media_buys, media_buy_packages)\n");
  fmt::print("  {:<12} {:<24} {:<10} {:>20}\n", "media buy", "campaign", "status", "budget_total");
  for (const pqxx::row& row :
       work.exec_params("SELECT media_buy_id, campaign_name, status, budget_total::text || ' ' || "
                        "currency FROM media_buys "
                        "WHERE tenant_id = $1 ORDER BY created_at, media_buy_id",
                        kAcme)) {
    fmt::print("  {:<12} {:<24} {:<10} {:>20}\n", row[0].c_str(), fit(row[1].c_str(), 24),
               row[2].c_str(), row[3].c_str());
    for (const pqxx::row& package :
         work.exec_params("SELECT package_id, product_id, budget::text || ' ' || currency, "
                          "pricing->>'model', targeting::text "
                          "FROM media_buy_packages WHERE tenant_id = $1 AND media_buy_id = $2 "
                          "ORDER BY package_id",
                          kAcme, row[0].c_str())) {
      fmt::print("    package {:<10} {:<14} {:>16}  {:<4} {}\n", package[0].c_str(),
                 package[1].c_str(), package[2].c_str(), text_or_dash(package[3]),
                 fit(text_or_dash(package[4]), 40));
    }
  }
}

void print_approvals(pqxx::work& work) {
  fmt::print("\nAcme's approvals (approvals; a review step's approval names it in activity_id)\n");
  fmt::print("  {:<34} {:<14} {:<20} {:<18} {:<10} {:<10} {}\n", "approval", "type", "review step",
             "status", "reviewer", "decided by", "escalation");
  for (const pqxx::row& row :
       work.exec_params("SELECT approval_id, type, activity_id, status, reviewer_id, reviewed_by, "
                        "CASE WHEN follow_up_approval_id IS NOT NULL THEN 'expired, follow-up ' || "
                        "follow_up_approval_id "
                        "WHEN escalated_from IS NOT NULL THEN 'follows ' || escalated_from END "
                        "FROM approvals WHERE tenant_id = $1 ORDER BY created_on, approval_id",
                        kAcme)) {
    fmt::print("  {:<34} {:<14} {:<20} {:<18} {:<10} {:<10} {}\n", fit(row[0].c_str(), 34),
               row[1].c_str(), fit(text_or_dash(row[2]), 20), row[3].c_str(),
               fit(text_or_dash(row[4]), 10), fit(text_or_dash(row[5]), 10), text_or_dash(row[6]));
  }
}

void print_activities(pqxx::work& work) {
  fmt::print("\nAcme's activities (activities; review steps are is_approval_gate)\n");
  fmt::print("  {:<20} {:<18} {:<17} {:<8} {:<6} {}\n", "activity", "status", "assignee",
             "priority", "review", "title");
  for (const pqxx::row& row : work.exec_params(
           "SELECT activity_id, status, CASE assignee_type WHEN 'agent' THEN 'agent:' || "
           "assignee_agent_role "
           "ELSE coalesce(assignee_user_id, '(unassigned)') END, priority, is_approval_gate, title "
           "FROM activities WHERE tenant_id = $1 ORDER BY created_at, activity_id",
           kAcme)) {
    fmt::print("  {:<20} {:<18} {:<17} {:<8} {:<6} {}\n", fit(row[0].c_str(), 20), row[1].c_str(),
               fit(row[2].c_str(), 17), row[3].c_str(), row[4].as<bool>() ? "yes" : "-",
               fit(row[5].c_str(), 32));
  }
  fmt::print("\nAcme's activity runs (activity_runs)\n");
  fmt::print("  {:<10} {:<10} {:<9} {:>8} {:>6} {:>7} {:<8} {:<17} {:>10} {:>9}\n", "run",
             "activity", "status", "reserved", "used", "charged", "adapter", "model", "cost_usd",
             "tokens");
  for (const pqxx::row& row : work.exec_params(
           "SELECT run_id, activity_id, status, credits_reserved, credits_used, credits_charged, "
           "adapter_type, model_id, cost_usd::text, input_tokens + output_tokens "
           "FROM activity_runs WHERE tenant_id = $1 ORDER BY started_on, run_id",
           kAcme)) {
    fmt::print("  {:<10} {:<10} {:<9} {:>8} {:>6} {:>7} {:<8} {:<17} {:>10} {:>9}\n",
               fit(row[0].c_str(), 10), fit(row[1].c_str(), 10), row[2].c_str(),
               row[3].as<int64_t>(), text_or_dash(row[4]), text_or_dash(row[5]),
               text_or_dash(row[6]), fit(text_or_dash(row[7]), 17), text_or_dash(row[8]),
               text_or_dash(row[9]));
  }
}

// One queue view; `sql` selects assignee, activity_id, priority, due_date,
// status, title for tenant $1 in the order its readers use.
void print_queue(pqxx::work& work, const char* view, const char* sql) {
  fmt::print("  {}\n", view);
  const pqxx::result rows = work.exec_params(sql, kAcme);
  if (rows.empty()) fmt::print("    (empty)\n");
  for (const pqxx::row& row : rows) {
    fmt::print("    {:<10} {:<20} {:<8} {:<6} {:<10} {:<17} {}\n", fit(row[0].c_str(), 10),
               fit(row[1].c_str(), 20), row[2].c_str(), row[3].as<bool>() ? "yes" : "-",
               text_or_dash(row[4]), row[5].c_str(), fit(row[6].c_str(), 28));
  }
}

// The queues as the seed reads them: an agent's to-do work (created,
// assigned); a human's to-do work and the reviews waiting on them (created,
// awaiting_approval), review steps first, then by priority (the enum lists
// urgent first) and due date.
void print_queues(pqxx::work& work) {
  fmt::print("\nAcme's queues (agent_queue, human_queue)\n");
  fmt::print("    {:<10} {:<20} {:<8} {:<6} {:<10} {:<17} {}\n", "assignee", "activity", "priority",
             "review", "due", "status", "title");
  print_queue(
      work, "agent_queue",
      "SELECT assignee_agent_role, activity_id, priority, false, due_date::text, status, title "
      "FROM agent_queue WHERE tenant_id = $1 "
      "ORDER BY assignee_agent_role, priority, due_date NULLS LAST, created_at, activity_id");
  print_queue(work, "human_queue",
              "SELECT assignee_user_id, activity_id, priority, is_approval_gate, due_date::text, "
              "status, title "
              "FROM human_queue WHERE tenant_id = $1 "
              "ORDER BY assignee_user_id, is_approval_gate DESC, priority, due_date NULLS LAST, "
              "created_at, "
              "activity_id");
}

void print_acme_balance(pqxx::work& work) {
  fmt::print("\nAcme's balance after the day (credit_balances)\n");
  fmt::print("  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "monthly", "available", "reserved",
             "top-up", "consumed", "effective");
  const pqxx::row row = work.exec_params1(
      "SELECT credits_monthly, credits_available, credits_reserved, credits_topup, "
      "credits_consumed, "
      "effective_available, (SELECT sum(credits) FROM credit_ledger l WHERE l.tenant_id = "
      "b.tenant_id) "
      "FROM credit_balances b WHERE tenant_id = $1",
      kAcme);
  fmt::print("  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", row[0].as<int64_t>(), row[1].as<int64_t>(),
             row[2].as<int64_t>(), row[3].as<int64_t>(), row[4].as<int64_t>(),
             row[5].as<int64_t>());
  fmt::print("  sum of Acme's ledger credits: {} ({})\n", row[6].as<int64_t>(),
             row[6].as<int64_t>() == row[5].as<int64_t>() ? "= effective available"
                                                          : "DIFFERS from effective");
}

// `text` in lines of at most `width` characters, broken at spaces where it
// can; at most `lines_max` lines, ".." marking a cut.
std::vector<std::string> wrap(std::string_view text, std::size_t width, std::size_t lines_max) {
  std::vector<std::string> lines;
  while (!text.empty() && lines.size() < lines_max) {
    std::size_t cut = text.size() <= width ? text.size() : text.rfind(' ', width);
    if (cut == std::string_view::npos || cut == 0) cut = std::min(width, text.size());
    lines.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  if (!text.empty() && !lines.empty())
    lines.back() = fit(lines.back() + " " + std::string(text), width);
  return lines;
}

void print_audit_tail(pqxx::work& work) {
  constexpr int kAuditRows = 12;
  constexpr std::size_t kErrorWidth = 84;  // under operation .. ok, within 100 columns
  const pqxx::row counts = work.exec_params1(
      "SELECT (SELECT count(*) FROM audit_log WHERE tenant_id = $1), "
      "(SELECT count(*) FROM event_log WHERE tenant_id = $1)",
      kAcme);
  fmt::print(
      "\nAcme's audit trail, the last {} of {} rows (audit_log; one per event of event_log: {})\n",
      kAuditRows, counts[0].as<int64_t>(), counts[1].as<int64_t>());
  fmt::print("  {:<12} {:<31} {:<28} {:<17} {}\n", "time (UTC)", "operation", "resource",
             "principal", "ok");
  for (const pqxx::row& row :
       work.exec_params("SELECT (extract(epoch FROM occurred_at) * 1000)::bigint, operation, "
                        "resource_type || coalesce('/' || resource_id, ''), principal_id, success, "
                        "error_message FROM ("
                        "  SELECT * FROM audit_log WHERE tenant_id = $1 ORDER BY occurred_at DESC, "
                        "event_id DESC LIMIT $2"
                        ") tail ORDER BY occurred_at, event_id",
                        kAcme, kAuditRows)) {
    // The time of day is enough within one demo run: "HH:MM:SS.mmm".
    const std::string time = format_rfc3339_ms(row[0].as<int64_t>()).substr(11, 12);
    fmt::print("  {:<12} {:<31} {:<28} {:<17} {}\n", time, fit(row[1].c_str(), 31),
               fit(row[2].c_str(), 28), fit(text_or_dash(row[3]), 17),
               row[4].as<bool>() ? "yes" : "no");
    if (row[5].is_null()) continue;
    for (const std::string& line : wrap(row[5].c_str(), kErrorWidth, 3))
      fmt::print("  {:<12} {}\n", "", line);
  }
}

// The audit rows other systems sent (audit.record), in their own time.
void print_recorded_audit(pqxx::work& work) {
  fmt::print("\nAudit rows other systems sent (audit_log, operation from the seed's action)\n");
  for (const pqxx::row& row : work.exec_params(
           "SELECT operation, resource_type || '/' || resource_id, principal_id, "
           "to_char(occurred_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), to_char(recorded_at AT TIME "
           "ZONE 'UTC', 'HH24:MI:SS'), "
           "host(ip_address), http_method || ' ' || endpoint, changed_fields::text FROM audit_log "
           "WHERE tenant_id = $1 AND occurred_at <> recorded_at ORDER BY occurred_at, event_id",
           kAcme)) {
    fmt::print("  {} {} by {} at {} (recorded {}), from {}: {}, changed {}\n", row[0].c_str(),
               row[1].c_str(), text_or_dash(row[2]), row[3].c_str(), row[4].c_str(),
               text_or_dash(row[5]), text_or_dash(row[6]), text_or_dash(row[7]));
  }
}

void print_workflow_summary(const DemoOptions& options) {
  pqxx::connection connection(options.database_url);
  pqxx::work work(connection);
  print_media_buys(work);
  print_approvals(work);
  print_activities(work);
  print_queues(work);
  print_acme_balance(work);
  print_audit_tail(work);
  print_recorded_audit(work);
  work.commit();
}

// Two tenants' credits, a message that is not JSON, then the balances and
// Acme's ledger.
bool run_credits(const DemoOptions& options, client::CommandClient& client,
                 std::map<std::string, CommandResult>& results) {
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
  if (!wait_for_projections(options, highest_seqs(results, options.partitions))) {
    spdlog::error("the projections did not catch up within 30 s");
    return false;
  }
  print_summary(options);
  return true;
}

// A day of Acme's workflow through the same path, a review left to expire
// and escalate on the engine's timer, then the workflow tables, the queues,
// Acme's balance and its audit trail.
bool run_workflow_day(const DemoOptions& options, client::CommandClient& client,
                      std::map<std::string, CommandResult>& results) {
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
  if (!wait_for_projections(options, seq_by_partition)) {
    spdlog::error("the projections did not catch up within 30 s");
    return false;
  }
  print_workflow_summary(options);
  return true;
}

// ---- money around credits ---------------------------------------------------
//
// Leadmetrics' top-up orders (paise, the payment webhook delivered twice, a
// refund after part of the credits was used) and its USD spend cap (LLM and
// tool calls counted exactly; the next run refused at the cap).

std::string tenant_name(std::string_view tenant_id) {
  if (tenant_id == kAcme) return "Acme";
  if (tenant_id == kGlobex) return "Globex";
  if (tenant_id == kInitech) return "Initech";
  return std::string(tenant_id);
}

void build_money(Script& script) {
  script.add("Globex: top-up order, 5,000 for INR 4,150.00", kGlobex, "topup_order.create",
             "user:billing", payload([](JsonWriter& w) {
               w.field("topup_order_id", "order_GX5000");
               w.field("credits", int64_t{5'000});
               w.field("amount", "4150.00");
               w.field("currency", "INR");
             }));
  const std::string paid = one_field("topup_order_id", "order_GX5000");
  script.add("Globex: payment.captured webhook", kGlobex, "topup_order.pay", "system", paid);
  script.add("Globex: the same webhook again", kGlobex, "topup_order.pay", "system", paid);
  script.add("Globex: run reserves 2,000", kGlobex, "credits.reserve", "agent:media-buyer",
             payload([](JsonWriter& w) {
               w.field("reservation_id", "gx-run-topup");
               w.field("credits", int64_t{2'000});
               w.field("activity_run_id", "gx-run-topup");
             }));
  script.add("Globex: run used 1,800 (top-up first)", kGlobex, "credits.consume",
             "agent:media-buyer", payload([](JsonWriter& w) {
               w.field("reservation_id", "gx-run-topup");
               w.field("credits", int64_t{1'800});
             }));
  script.add("Globex: order refunded (chargeback)", kGlobex, "topup_order.refund", "support:maria",
             payload([](JsonWriter& w) {
               w.field("topup_order_id", "order_GX5000");
               w.field("note", "chargeback on order_GX5000");
             }));
  script.add("Globex: spend cap $0.05 a month", kGlobex, "tenant.set_spend_cap", "support:maria",
             one_field("monthly_spend_cap_usd", "0.05"));
  script.add("Globex: LLM call, $0.031250", kGlobex, "usage.record_llm_call", "agent:media-buyer",
             payload([](JsonWriter& w) {
               w.field("llm_call_id", "gx-llm-1");
               w.field("activity_run_id", "gx-run-topup");
               w.field("adapter_type", "claude");
               w.field("model_id", "claude-sonnet-4-6");
               w.field("prompt_hash",
                       "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
               w.field("response_hash",
                       "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752");
               w.field("input_tokens", int64_t{6'250});
               w.field("output_tokens", int64_t{830});
               w.key("cost_usd");
               w.raw("0.031250");
               w.field("duration_ms", int64_t{4'120});
             }));
  script.add("Globex: tool call, $0.02", kGlobex, "usage.record_tool_call", "agent:media-buyer",
             payload([](JsonWriter& w) {
               w.field("tool_call_id", "gx-tool-1");
               w.field("activity_run_id", "gx-run-topup");
               w.field("tool_name", "google_search_console");
               w.field("method", "getKeywordRankings");
               w.key("input");
               w.raw(R"({"site":"globex.example","days":28})");
               w.key("output");
               w.raw(R"({"keywords":42})");
               w.field("status", "success");
               w.field("duration_ms", int64_t{730});
               w.field("cost_usd", "0.02");
             }));
  script.add("Globex: keyword research task", kGlobex, "activity.create", "user:maya",
             payload([](JsonWriter& w) {
               w.field("activity_id", "gx-act-seo");
               w.field("title", "Keyword research for Q3");
               w.field("type", "research");
               w.field("assignee_type", "agent");
               w.field("assignee_agent_role", "seo");
               w.field("priority", "normal");
             }));
  script.add("Globex: seo agent starts", kGlobex, "activity.start", "agent:seo",
             one_field("activity_id", "gx-act-seo"));
  script.add("Globex: run past the spend cap", kGlobex, "activity.start_run", "agent:seo",
             payload([](JsonWriter& w) {
               w.field("activity_id", "gx-act-seo");
               w.field("run_id", "gx-run-seo-1");
               w.field("estimated_credits", int64_t{500});
               w.field("adapter_type", "claude");
               w.field("model_id", "claude-sonnet-4-6");
             }));
}

void print_money(const DemoOptions& options) {
  pqxx::connection connection(options.database_url);
  pqxx::work work(connection);
  fmt::print("\nTop-up orders (credit_topup_orders)\n");
  fmt::print("  {:<14} {:<7} {:>7} {:>12} {:<9} {:>8} {:>10} {:>9}\n", "order", "tenant", "credits",
             "amount", "status", "consumed", "taken back", "held over");
  for (const pqxx::row& row : work.exec("SELECT tenant_id, topup_order_id, credits, (amount_minor "
                                        "/ 100.0)::numeric(20,2)::text || ' ' || currency, "
                                        "status, credits_consumed, credits_taken_back, "
                                        "credits_held_over FROM credit_topup_orders "
                                        "ORDER BY tenant_id, created_at, topup_order_id")) {
    fmt::print("  {:<14} {:<7} {:>7} {:>12} {:<9} {:>8} {:>10} {:>9}\n", fit(row[1].c_str(), 14),
               tenant_name(row[0].c_str()), row[2].as<int64_t>(), row[3].c_str(), row[4].c_str(),
               text_or_dash(row[5]), text_or_dash(row[6]), text_or_dash(row[7]));
  }
  fmt::print("\nGlobex's ledger around the order (credit_ledger)\n");
  fmt::print("  {:<15} {:>9} {:>10}  {:<20} {}\n", "type", "credits", "balance", "actor", "detail");
  for (const pqxx::row& row : work.exec_params(
           "SELECT type, credits, balance_after, actor, coalesce(topup_order_id, reservation_id, "
           "note, '') "
           "FROM credit_ledger WHERE tenant_id = $1 AND (topup_order_id = 'order_GX5000' "
           "OR reservation_id = 'gx-run-topup') ORDER BY created_at, event_id",
           kGlobex)) {
    fmt::print("  {:<15} {:>9} {:>10}  {:<20} {}\n", row[0].c_str(), row[1].as<int64_t>(),
               row[2].as<int64_t>(), row[3].c_str(), row[4].c_str());
  }
  fmt::print(
      "\nUSD spend this month (tenant_spend; llm_calls and tool_calls, exact to the "
      "micro-dollar)\n");
  for (const pqxx::row& row :
       work.exec("SELECT tenant_id, current_month_spend_usd::text, "
                 "coalesce(monthly_spend_cap_usd::text, 'none'), "
                 "(SELECT count(*) FROM llm_calls l WHERE l.tenant_id = s.tenant_id), "
                 "(SELECT count(*) FROM tool_calls t WHERE t.tenant_id = s.tenant_id), "
                 "(SELECT coalesce(sum(cost_usd), 0)::text FROM llm_calls l WHERE l.tenant_id = "
                 "s.tenant_id "
                 " AND l.created_on >= s.period_start AND l.created_on < s.period_end) "
                 "FROM tenant_spend s ORDER BY tenant_id")) {
    fmt::print(
        "  {} spent ${} of a ${} cap: {} LLM calls (${} by the seed's cost query), {} tool calls\n",
        tenant_name(row[0].c_str()), row[1].c_str(), row[2].c_str(), row[3].as<int64_t>(),
        row[5].c_str(), row[4].as<int64_t>());
  }
  work.commit();
}

bool run_money(const DemoOptions& options, client::CommandClient& client,
               std::map<std::string, CommandResult>& results) {
  const int64_t now_ms = system_now_ms();
  Script script(now_ms, "money-");
  build_money(script);
  fmt::print("\nMoney around credits: a top-up order's life and the USD spend cap ({} commands)\n",
             script.commands().size());
  fmt::print(kResultLine, "command", "status", "reason");
  if (!play(client, script, results)) return false;
  if (!wait_for_projections(options, highest_seqs(results, options.partitions))) {
    spdlog::error("the projections did not catch up within 30 s");
    return false;
  }
  print_money(options);
  return true;
}

// ---- a platform's history brought in ------------------------------------------
//
// Initech's Leadmetrics ledger of this month so far, as `COPY credit_ledger
// TO ... CSV HEADER` writes it, and its credit_balances row; imported with
// `ledgerflow import credit_ledger` (the original times kept), then live
// commands on top of it: the run the old platform left open is consumed.

// Writes the two CSV files into `dir`; the ledger's times are spread over this
// month up to `now_ms`.
void write_initech_export(const std::filesystem::path& dir, int64_t now_ms) {
  const std::string today = format_date_days(static_cast<int32_t>(now_ms / kMillisPerDay));
  const int64_t month_start = *parse_rfc3339_ms(today.substr(0, 8) + "01T00:00:00Z");
  const std::string first_day = format_date_days(static_cast<int32_t>(month_start / kMillisPerDay));
  const std::string last_day =
      format_date_days(static_cast<int32_t>(add_months_ms(month_start, 1) / kMillisPerDay) - 1);
  // The k-th of 8 moments between the month's start and an hour ago (or now,
  // early on the 1st), in PostgreSQL's text form.
  const int64_t span = std::max<int64_t>(now_ms - kMillisPerHour - month_start, 8'000);
  auto at = [&](int k) {
    const std::string rfc = format_rfc3339_ms(std::min(month_start + span * k / 8, now_ms - 1'000));
    return rfc.substr(0, 10) + " " + rfc.substr(11, 12) + "+00";
  };
  std::ofstream ledger(dir / "credit_ledger.csv");
  ledger << "id,tenant_id,type,credits,activity_run_id,deliverable_type,topup_order_id,balance_"
            "after,actor,note,"
            "created_at\n";
  const std::string t = kInitech;
  ledger << "7b0f0b9e-0001-4c1a-9d2e-000000000001," << t << ",allocated,50000,,,,50000,system,,"
         << at(0) << "\n"
         << "7b0f0b9e-0002-4c1a-9d2e-000000000002," << t
         << ",topup,10000,,,order_IN77,60000,system,," << at(1) << "\n"
         << "7b0f0b9e-0003-4c1a-9d2e-000000000003," << t
         << ",reserved,-3000,run-in-1,blog_posts,,57000,system,," << at(2) << "\n"
         << "7b0f0b9e-0004-4c1a-9d2e-000000000004," << t
         << ",released,3000,run-in-1,blog_posts,,60000,system,," << at(3) << "\n"
         << "7b0f0b9e-0005-4c1a-9d2e-000000000005," << t
         << ",consumed,-2400,run-in-1,blog_posts,,57600,system,," << at(3) << "\n"
         << "7b0f0b9e-0006-4c1a-9d2e-000000000006," << t
         << ",refunded,200,run-in-1,,,57800,support:maria,"
         << "\"quality credit, \"\"run-in-1\"\"\"," << at(4) << "\n"
         << "7b0f0b9e-0007-4c1a-9d2e-000000000007," << t
         << ",reserved,-1200,run-in-2,ad_copy_sets,,56600,system,," << at(5) << "\n";
  std::ofstream balances(dir / "credit_balances.csv");
  balances << "tenant_id,credits_monthly,credits_available,credits_reserved,credits_consumed,"
              "credits_topup,"
              "period_start,period_end,next_reset_at\n"
           << t << ",50000,57800,1200,2400,7600," << first_day << "," << last_day << ",\n";
}

void print_initech(const DemoOptions& options) {
  pqxx::connection connection(options.database_url);
  pqxx::work work(connection);
  fmt::print("\nInitech's ledger: imported history, then live entries (credit_ledger)\n");
  fmt::print("  {:<8} {:<19} {:<10} {:>7} {:>8}  {:<22} {}\n", "source", "created_at (UTC)", "type",
             "credits", "balance", "reservation", "note");
  for (const pqxx::row& row : work.exec_params(
           "SELECT CASE WHEN command_id LIKE 'import:%' THEN 'imported' ELSE 'live' END, "
           "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), type, credits, "
           "balance_after, "
           "coalesce(reservation_id, topup_order_id, ''), coalesce(note, '') "
           "FROM credit_ledger WHERE tenant_id = $1 ORDER BY created_at, event_id",
           kInitech)) {
    fmt::print("  {:<8} {:<19} {:<10} {:>7} {:>8}  {:<22} {}\n", row[0].c_str(), row[1].c_str(),
               row[2].c_str(), row[3].as<int64_t>(), row[4].as<int64_t>(), fit(row[5].c_str(), 22),
               fit(row[6].c_str(), 28));
  }
  const pqxx::row balance = work.exec_params1(
      "SELECT credits_available, credits_reserved, credits_topup, effective_available, "
      "(SELECT sum(credits) FROM credit_ledger l WHERE l.tenant_id = b.tenant_id) "
      "FROM credit_balances b WHERE tenant_id = $1",
      kInitech);
  fmt::print(
      "  Initech now: available {}, reserved {}, top-up {}, effective {} (sum of its ledger: {})\n",
      balance[0].as<int64_t>(), balance[1].as<int64_t>(), balance[2].as<int64_t>(),
      balance[3].as<int64_t>(), balance[4].as<int64_t>());
  work.commit();
}

bool run_import(const DemoOptions& options, client::CommandClient& client,
                std::map<std::string, CommandResult>& results) {
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
  if (!wait_for_projections(options, highest_seqs(results, options.partitions))) {
    spdlog::error("the projections did not catch up within 30 s");
    return false;
  }
  print_initech(options);
  return true;
}

}  // namespace

bool run_demo(const DemoOptions& options) {
  client::CommandClient client(options.kafka, options.topics, "ledgerflow-demo");
  std::map<std::string, CommandResult> results;
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
