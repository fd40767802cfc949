#include "cli/demo_script.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/core.h>

namespace lf::cli::demo {

namespace {

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

}  // namespace

std::string tenant_name(std::string_view tenant_id) {
  if (tenant_id == kAcme) return "Acme";
  if (tenant_id == kGlobex) return "Globex";
  if (tenant_id == kInitech) return "Initech";
  return std::string(tenant_id);
}

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

}  // namespace lf::cli::demo
