// The activities kind from CSV: Leadmetrics' activities rows (columns by
// name, NULL omitted, jsonb as JSON, booleans and times as PostgreSQL prints
// them) read into an activity.create payload plus the status and times the
// platform left; the pre-check refuses what the engine would, naming the
// line; bad columns are refused with their line.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/workflow/import_activities.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "55555555-5555-4555-8555-555555555555";
const std::string kHeader =
    "id,tenant_id,parent_activity_id,pipeline_step,title,type,assignee_type,assignee_agent_role,"
    "assignee_user_id,status,priority,is_approval_gate,input_data,output_summary,output_ref,"
    "rejection_note,revision_note,due_date,started_on,completed_on,created_on,updated_on\n";

LoadedRows load(const std::string& text) {
  RowLoader loader(*find_kind("activities"));
  std::istringstream in(text);
  Result<bool> added = loader.add("activities.csv", in);
  EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  return loader.take();
}

std::optional<engine::Rejection> precheck(const LoadedRows& loaded, TenantPlan& plan) {
  const KindSpec& kind = *find_kind("activities");
  plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
  return kind.precheck(
      PrecheckInput{kTenant, plan.payloads, false, *parse_rfc3339_ms("2026-04-20T12:00:00Z")});
}

TEST(ImportActivitiesCsv, LeadmetricsRowsBecomeActivityCreatePayloadsWithTheirStatusAndTimes) {
  const LoadedRows loaded =
      load(kHeader + "a-1," + kTenant +
           ",,draft,Write blog post,write,agent,copywriter,,in_progress,medium,f,"
           "\"{\"\"topic\"\": \"\"b2b\"\"}\",,,,,2025-07-01,2025-06-02 09:00:00+00,,"
           "2025-06-01 09:00:00.123456+05:30,2025-06-02 09:00:00+00\n"
           "a-2," +
           kTenant +
           ",a-1,review,Review blog post,review,human,,user-7,completed,urgent,t,,"
           "\"{\"\"ok\"\": true}\",64b0c0ffee,,,,2025-06-03 09:00:00+00,2025-06-04 09:00:00+00,"
           "2025-06-03 08:00:00+00,\n");
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  TenantPlan plan;
  ASSERT_EQ(precheck(loaded, plan), std::nullopt);
  Result<std::unique_ptr<rapidjson::Document>> document =
      parse_json_bounded(plan.payloads.at(0), JsonLimits{});
  Result<engine::workflow::ActivitiesChunk> chunk =
      engine::workflow::parse_activities_chunk(document->get());
  ASSERT_TRUE(chunk.ok()) << chunk.error().message;
  ASSERT_EQ(chunk->rows.size(), 2u);
  const auto& work = chunk->rows[0];
  EXPECT_EQ(work.line, 2);
  EXPECT_EQ(work.created.activity_id, "a-1");
  EXPECT_EQ(work.created.assignee.agent_role, "copywriter");
  EXPECT_EQ(work.created.priority, engine::workflow::Priority::normal);
  EXPECT_EQ(work.created.input_data_json, R"({"topic":"b2b"})");
  EXPECT_EQ(work.created.due_date, "2025-07-01");
  EXPECT_EQ(work.status, engine::workflow::ActivityStatus::in_progress);
  EXPECT_EQ(work.created_on_ms, *parse_rfc3339_ms("2025-06-01T03:30:00.123Z"));  // ms kept
  const auto& review = chunk->rows[1];
  EXPECT_TRUE(review.created.is_approval_gate);
  EXPECT_EQ(review.created.parent_activity_id, "a-1");
  EXPECT_EQ(review.created.assignee.user_id, "user-7");
  EXPECT_EQ(review.output_summary_json, R"({"ok":true})");
  EXPECT_EQ(review.output_ref, "64b0c0ffee");
  EXPECT_EQ(review.completed_on_ms, *parse_rfc3339_ms("2025-06-04T09:00:00Z"));
  EXPECT_EQ(review.updated_on_ms, std::nullopt);
}

TEST(ImportActivitiesCsv, ThePrecheckRefusesARowTheLifecycleCouldNotReachNamingItsLine) {
  // A child before its parent, in file order.
  const LoadedRows loaded = load(
      kHeader + "a-2," + kTenant +
      ",a-1,,Child,write,agent,copywriter,,created,,,,,,,,,,,2025-06-01 09:00:00+00,\n" + "a-1," +
      kTenant + ",,,Parent,write,agent,copywriter,,created,,,,,,,,,,,2025-06-01 08:00:00+00,\n");
  ASSERT_TRUE(loaded.refused.empty());
  TenantPlan plan;
  const std::optional<engine::Rejection> refused = precheck(loaded, plan);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "unknown_parent");
  EXPECT_EQ(refused->message,
            "activities.csv:2: activity a-2: no parent activity a-1 (imported "
            "earlier in the file, or before)");
}

TEST(ImportActivitiesCsv, AnAppendedTailsParentMayBeTheTenantsAlready) {
  // The tail's parent was imported (or created live) before: with --append
  // the pre-check leaves it to the engine, which knows the tenant.
  const LoadedRows loaded =
      load(kHeader + "a-9," + kTenant +
           ",a-1,,Child,write,agent,copywriter,,created,,,,,,,,,,,2025-06-01 09:00:00+00,\n");
  ASSERT_TRUE(loaded.refused.empty());
  const KindSpec& kind = *find_kind("activities");
  const TenantPlan plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, true, std::nullopt);
  const int64_t now_ms = *parse_rfc3339_ms("2026-04-20T12:00:00Z");
  EXPECT_EQ(kind.precheck(PrecheckInput{kTenant, plan.payloads, true, now_ms}), std::nullopt);
  const std::optional<engine::Rejection> fresh =
      kind.precheck(PrecheckInput{kTenant, plan.payloads, false, now_ms});
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->reason, "unknown_parent");
}

TEST(ImportActivitiesCsv, BadColumnsAreRefusedWithTheirLine) {
  const std::string ok_tail = ",,,,,,,,2025-06-01 09:00:00+00,\n";
  const LoadedRows loaded =
      load(kHeader + "a-1," + kTenant + ",,,T,write,robot,r,,created,,," + ok_tail +   //
           "a-2," + kTenant + ",,,T,write,agent,r,,paused,,," + ok_tail +              //
           "a-3," + kTenant + ",,,T,write,agent,r,,created,medium,maybe," + ok_tail +  //
           "a-4," + kTenant + ",,,T,write,agent,r,,created,,,[1]" + ok_tail + "a-5," + kTenant +
           ",,,T,write,agent,r,,created,,,,,,,,,,,2025-06-01 09:00:00,\n" + "," + kTenant +
           ",,,T,write,agent,r,,created,,," + ok_tail +  //
           "a-7," + kTenant + ",,,T,write,agent,r,,created,lowest,," + ok_tail);
  ASSERT_EQ(loaded.refused.size(), 7u);
  EXPECT_EQ(loaded.refused[0].line, 2);
  EXPECT_EQ(loaded.refused[0].message, "column assignee_type: neither agent nor human");
  EXPECT_EQ(loaded.refused[1].message, "column status: not an activity status of the seed");
  EXPECT_EQ(loaded.refused[2].message, "column is_approval_gate: not a boolean (t, f)");
  EXPECT_EQ(loaded.refused[3].message, "column input_data: not a JSON object");
  EXPECT_EQ(loaded.refused[4].message, "column created_on: not a timestamp with a time zone");
  EXPECT_EQ(loaded.refused[5].message, "column id: NULL");
  EXPECT_EQ(loaded.refused[6].line, 8);
  EXPECT_EQ(loaded.refused[6].message, "column priority: none of low, normal, high, urgent");
}

}  // namespace
}  // namespace lf::importer
