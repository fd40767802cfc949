#include "cli/demo_report.hpp"

#include <string_view>
#include <vector>

#include <fmt/core.h>
#include <pqxx/pqxx>

#include "cli/demo_script.hpp"

namespace lf::cli::demo {

namespace {

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

}  // namespace

void print_summary(const std::string& database_url) {
  pqxx::connection connection(database_url);
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

void print_workflow_summary(const std::string& database_url) {
  pqxx::connection connection(database_url);
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

void print_money(const std::string& database_url) {
  pqxx::connection connection(database_url);
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

void print_initech(const std::string& database_url) {
  pqxx::connection connection(database_url);
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

}  // namespace lf::cli::demo
