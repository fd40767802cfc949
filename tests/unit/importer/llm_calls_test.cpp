// The llm_calls kind from CSV: the seed's columns (id, created_on of the
// base record) read into the live usage.record_llm_call shape, cost_usd
// exact, bad rows refused with their line, and the pre-check refusing what
// the engine would.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/usage/import.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "33333333-3333-4333-8333-333333333333";
const std::string kHeader =
    "id,tenant_id,activity_run_id,adapter_type,model_id,prompt_hash,response_hash,input_tokens,"
    "output_tokens,cost_usd,duration_ms,created_on\n";
const std::string kHash(64, 'A');

std::string call(const std::string& id, const std::string& cost = "0.031250",
                 const std::string& created_on = "2026-03-03 10:00:00.5+05:30",
                 const std::string& adapter = "claude") {
  return id + "," + kTenant + ",run-1," + adapter + ",claude-sonnet-4-6," + kHash + ",,1200,300," +
         cost + ",2400," + created_on + "\n";
}

LoadedRows load(const std::string& text) {
  RowLoader loader(*find_kind("llm_calls"));
  std::istringstream in(text);
  Result<bool> added = loader.add("llm_calls.csv", in);
  EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  return loader.take();
}

TEST(ImportLlmCallsCsv, SeedColumnsBecomeTheLiveCallsShape) {
  const LoadedRows loaded = load(kHeader + call("c-1") + call("c-2", "12"));
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  const KindSpec& kind = *find_kind("llm_calls");
  const TenantPlan plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
  ASSERT_EQ(plan.payloads.size(), 1u);
  Result<std::unique_ptr<rapidjson::Document>> document =
      parse_json_bounded(plan.payloads[0], JsonLimits{});
  ASSERT_TRUE(document.ok());
  Result<engine::usage::LlmCallsChunk> chunk =
      engine::usage::parse_llm_calls_chunk(document->get());
  ASSERT_TRUE(chunk.ok()) << chunk.error().message;
  ASSERT_EQ(chunk->rows.size(), 2u);
  const engine::usage::RecordLlmCall& first = chunk->rows[0].call;
  EXPECT_EQ(chunk->rows[0].line, 2);
  EXPECT_EQ(first.llm_call_id, "c-1");
  EXPECT_EQ(first.activity_run_id, "run-1");
  EXPECT_EQ(first.model_id, "claude-sonnet-4-6");
  EXPECT_EQ(first.prompt_hash, std::string(64, 'a'));  // kept in lower case
  EXPECT_EQ(first.response_hash, std::nullopt);
  EXPECT_EQ(first.input_tokens, 1200);
  EXPECT_EQ(first.cost_usd_micros, 31'250);
  EXPECT_EQ(first.duration_ms, 2400);
  EXPECT_EQ(first.created_on_ms, parse_rfc3339_ms("2026-03-03T04:30:00.500Z"));
  EXPECT_EQ(chunk->rows[1].call.cost_usd_micros, 12'000'000);
  EXPECT_EQ(kind.precheck(PrecheckInput{kTenant, plan.payloads, false,
                                        *parse_rfc3339_ms("2026-04-20T12:00:00Z")}),
            std::nullopt);
}

TEST(ImportLlmCallsCsv, BadRowsAreRefusedWithTheirLine) {
  const LoadedRows loaded =
      load(kHeader + call("c-1", "0.0000001") + call("c-2", "1", "2026-03-03 10:00:00") +
           call("c-3", "1", "2026-03-03 10:00:00+00", "gemini") + call("", "1") + call("c-5"));
  ASSERT_EQ(loaded.refused.size(), 4u);
  EXPECT_EQ(loaded.refused[0].line, 2);
  EXPECT_NE(loaded.refused[0].message.find("column cost_usd: "), std::string::npos)
      << loaded.refused[0].message;
  EXPECT_EQ(loaded.refused[1].message, "column created_on: not a timestamp with a time zone");
  EXPECT_EQ(loaded.refused[2].message,
            "column adapter_type: 'gemini' is none of claude, openai, ollama, webhook");
  EXPECT_EQ(loaded.refused[3].line, 5);
  EXPECT_EQ(loaded.refused[3].message, "column id: NULL");
  EXPECT_EQ(loaded.by_tenant.at(kTenant).size(), 1u);
}

TEST(ImportLlmCallsCsv, PrecheckRefusesARepeatedCallAndOneInTheFuture) {
  const KindSpec& kind = *find_kind("llm_calls");
  const int64_t now_ms = *parse_rfc3339_ms("2026-04-20T12:00:00Z");
  for (const auto& [text, reason, message] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {kHeader + call("c-1") + call("c-1"), "duplicate_usage",
            "llm_calls.csv:3: LLM call c-1 is already recorded for this tenant"},
           {kHeader + call("c-1", "1", "2026-04-21 00:00:00+00"), "invalid_created_on",
            "llm_calls.csv:2: created_on 2026-04-21T00:00:00.000Z is after the engine's clock"}}) {
    const LoadedRows loaded = load(text);
    const TenantPlan plan =
        plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
    const std::optional<engine::Rejection> refused =
        kind.precheck(PrecheckInput{kTenant, plan.payloads, false, now_ms});
    ASSERT_TRUE(refused.has_value()) << text;
    EXPECT_EQ(refused->reason, reason);
    EXPECT_NE(refused->message.find(message), std::string::npos) << refused->message;
  }
}

}  // namespace
}  // namespace lf::importer
