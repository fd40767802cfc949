// The activity_runs kind from CSV: Leadmetrics' activity_runs rows (columns
// by name, NULL omitted, cost_usd exact to the micro-dollar) read into the
// rows of import.activity_runs; the pre-check refuses what needs no state,
// naming the line; bad columns are refused with their line.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/workflow/import_activities.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "66666666-6666-4666-8666-666666666666";
const std::string kHeader =
    "id,activity_id,tenant_id,adapter_type,model_id,session_id,status,error,input_tokens,"
    "output_tokens,cost_usd,duration_ms,started_on,ended_on,created_on\n";

LoadedRows load(const std::string& text) {
  RowLoader loader(*find_kind("activity_runs"));
  std::istringstream in(text);
  Result<bool> added = loader.add("runs.csv", in);
  EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  return loader.take();
}

std::optional<engine::Rejection> precheck(const LoadedRows& loaded, TenantPlan& plan) {
  const KindSpec& kind = *find_kind("activity_runs");
  plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
  return kind.precheck(
      PrecheckInput{kTenant, plan.payloads, false, *parse_rfc3339_ms("2026-04-20T12:00:00Z")});
}

TEST(ImportActivityRunsCsv, LeadmetricsRowsBecomeRunsWithExactCosts) {
  const LoadedRows loaded =
      load(kHeader + "r-1,w-1," + kTenant +
           ",claude,claude-sonnet,s-1,completed,,1200,800,0.042318,900,"
           "2025-06-02 09:00:00+00,2025-06-02 09:00:01.5+00,2025-06-02 09:00:00+00\n" +
           "r-2,w-1," + kTenant + ",,,,running,,,,,,2025-06-02 10:00:00+00,,\n");
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  TenantPlan plan;
  ASSERT_EQ(precheck(loaded, plan), std::nullopt);
  Result<std::unique_ptr<rapidjson::Document>> document =
      parse_json_bounded(plan.payloads.at(0), JsonLimits{});
  Result<engine::workflow::ActivityRunsChunk> chunk =
      engine::workflow::parse_activity_runs_chunk(document->get());
  ASSERT_TRUE(chunk.ok()) << chunk.error().message;
  ASSERT_EQ(chunk->rows.size(), 2u);
  const auto& done = chunk->rows[0];
  EXPECT_EQ(done.run_id, "r-1");
  EXPECT_EQ(done.activity_id, "w-1");
  EXPECT_EQ(done.adapter_type, engine::workflow::AdapterType::claude);
  EXPECT_EQ(done.usage.cost_usd_micros, 42'318);
  EXPECT_EQ(done.usage.input_tokens, 1200);
  EXPECT_EQ(done.ended_on_ms, *parse_rfc3339_ms("2025-06-02T09:00:01.500Z"));
  EXPECT_EQ(chunk->rows[1].status, engine::workflow::RunStatus::running);
  EXPECT_EQ(chunk->rows[1].adapter_type, std::nullopt);
}

TEST(ImportActivityRunsCsv, ThePrecheckRefusesWhatTheRowsAloneShowNamingTheLine) {
  const LoadedRows loaded =
      load(kHeader + "r-1,w-1," + kTenant + ",,,,failed,,,,,,2025-06-02 09:00:00+00,,\n");
  ASSERT_TRUE(loaded.refused.empty());
  TenantPlan plan;
  const std::optional<engine::Rejection> refused = precheck(loaded, plan);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "invalid_transition");
  EXPECT_EQ(refused->message, "runs.csv:2: run r-1: failed without ended_on");
}

TEST(ImportActivityRunsCsv, BadColumnsAreRefusedWithTheirLine) {
  const std::string tail = ",2025-06-02 09:00:00+00,,\n";
  const LoadedRows loaded =
      load(kHeader + "r-1,w-1," + kTenant + ",bard,,,running,,,,,," + tail.substr(1) +  //
           "r-2,w-1," + kTenant + ",,,,paused,,,,,," + tail.substr(1) +                 //
           "r-3,w-1," + kTenant + ",,,,running,,,,0.0000001,," + tail.substr(1) +       //
           "r-4,w-1," + kTenant + ",,,,running,,-1,,,," + tail.substr(1) +              //
           "r-5,," + kTenant + ",,,,running,,,,,," + tail.substr(1) +                   //
           "r-6,w-1," + kTenant + ",,,,running,,,,,,2025-06-02 09:00:00,,\n");
  ASSERT_EQ(loaded.refused.size(), 6u);
  EXPECT_EQ(loaded.refused[0].line, 2);
  EXPECT_EQ(loaded.refused[0].message,
            "column adapter_type: none of claude, openai, ollama, webhook");
  EXPECT_EQ(loaded.refused[1].message,
            "column status: none of running, completed, failed, timed_out");
  EXPECT_NE(loaded.refused[2].message.find("column cost_usd: "), std::string::npos);
  EXPECT_EQ(loaded.refused[3].message, "column input_tokens: not an integer from 0 to 2147483647");
  EXPECT_EQ(loaded.refused[4].message, "column activity_id: NULL");
  EXPECT_EQ(loaded.refused[5].line, 7);
  EXPECT_EQ(loaded.refused[5].message, "column started_on: not a timestamp with a time zone");
}

}  // namespace
}  // namespace lf::importer
