// import.llm_calls through the engine's pure path (intake checks,
// engine::decide, the event schema, engine::evolve): calls recorded with
// their original created_on, only those of the spend period in force
// counted into its spend, ids once, nothing in the future, the shared
// chunk order and live-event rules on the usage stream.
#include <gtest/gtest.h>

#include "engine/intake.hpp"
#include "engine/tenant.hpp"
#include "engine/usage/decider.hpp"
#include "engine/usage/import.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tests/support/json.hpp"
#include "tests/unit/engine/tenant_driver.hpp"

namespace lf::engine {
namespace {

namespace credits_ns = credits;
using usage::ImportedLlmCall;
using usage::LlmCallsChunk;

constexpr const char* kTenant = "8b1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6d";
const std::string kImportA(64, 'a');

using testing::at;
using testing::expect_refused;

// The tenant as the engine holds it, driven command by command.
class Tenant : public testing::TenantDriver {
 public:
  explicit Tenant(int64_t now_ms) : TenantDriver(kTenant, now_ms) {}
  Decision import_calls(const LlmCallsChunk& chunk) {
    return run("import.llm_calls", usage::encode_llm_calls_chunk(chunk));
  }
  Decision import_unused(const std::string& payload) { return run("import.llm_calls", payload); }
};

ImportedLlmCall call(int64_t line, const std::string& id, const char* created_on,
                     int64_t cost_usd_micros) {
  ImportedLlmCall row;
  row.line = line;
  row.call.llm_call_id = id;
  row.call.activity_run_id = "run-" + id;
  row.call.adapter_type = usage::AdapterType::claude;
  row.call.model_id = "claude-sonnet-4-6";
  row.call.prompt_hash = std::string(64, 'a');
  row.call.input_tokens = 1200;
  row.call.output_tokens = 300;
  row.call.cost_usd_micros = cost_usd_micros;
  row.call.duration_ms = 2400;
  row.call.created_on_ms = at(created_on);
  return row;
}

LlmCallsChunk chunk_of(std::vector<ImportedLlmCall> rows, const std::string& import_id = kImportA,
                       bool append = false, int64_t chunk = 0, int64_t chunks = 1) {
  LlmCallsChunk c;
  c.import_id = import_id;
  c.chunk = chunk;
  c.chunks = chunks;
  c.append = append;
  c.source = credits::ImportSource{"llm_calls.csv", rows.front().line, rows.back().line};
  c.rows = std::move(rows);
  return c;
}

const int64_t kNow = at("2026-04-20T12:00:00Z");

// Two calls of March (history), two of April (the month in force).
std::vector<ImportedLlmCall> history() {
  return {call(2, "c-1", "2026-03-03T10:00:00Z", 31'250), call(3, "c-2", "2026-03-31T23:59:59Z", 1),
          call(4, "c-3", "2026-04-01T00:00:00Z", 500'000),
          call(5, "c-4", "2026-04-19T08:00:00.123Z", 20'000)};
}

TEST(ImportLlmCalls, CallsOfThePeriodInForceCountIntoItsSpendOlderOnesAreHistory) {
  Tenant tenant(kNow);
  const Decision decision = tenant.import_calls(chunk_of(history()));
  ASSERT_TRUE(decision.accepted()) << decision.rejection().message;
  ASSERT_EQ(decision.events().size(), 1u);
  EXPECT_EQ(decision.events()[0].type, "usage.llm_calls_imported");
  EXPECT_EQ(decision.events()[0].stream, usage::stream_name(kTenant));
  const usage::State& state = tenant.state().usage;
  // No billing period: the UTC calendar month of the engine's clock.
  ASSERT_TRUE(state.period.has_value());
  EXPECT_EQ(state.period->start_ms, at("2026-04-01T00:00:00Z"));
  EXPECT_EQ(state.month_spend_usd_micros, 520'000);
  EXPECT_TRUE(state.llm_call_ids.contains("c-1"));
  std::unique_ptr<rapidjson::Document> payload = testing::parse_json(tenant.payloads().back());
  const rapidjson::Value& calls = (*payload)["calls"];
  ASSERT_EQ(calls.Size(), 4u);
  EXPECT_EQ(json_string(calls[0], "created_on"), "2026-03-03T10:00:00.000Z");
  EXPECT_EQ(json_int64(calls[0], "counted_usd_micros"), 0);
  EXPECT_EQ(json_string(calls[0], "spend_period_start"), "2026-03-01T00:00:00.000Z");
  EXPECT_EQ(json_int64(calls[2], "counted_usd_micros"), 500'000);
  EXPECT_EQ(json_string(calls[2], "spend_period_start"), "2026-04-01T00:00:00.000Z");
  EXPECT_EQ(json_int64(*payload, "counted_usd_micros"), 520'000);
}

TEST(ImportLlmCalls, TheImportedSpendMeetsTheCapAndIdsStayTaken) {
  Tenant tenant(kNow);
  ASSERT_TRUE(tenant.import_calls(chunk_of(history())).accepted());
  ASSERT_TRUE(
      tenant.run("tenant.set_spend_cap", R"({"monthly_spend_cap_usd":"0.52"})", "support:maria")
          .accepted());
  const std::optional<Rejection> capped =
      usage::refuse_for_spend_cap(tenant.state().usage, tenant.state().credits, kNow);
  ASSERT_TRUE(capped.has_value());
  EXPECT_EQ(capped->reason, "spend_cap_reached");
  expect_refused(tenant.run("usage.record_llm_call",
                            R"({"llm_call_id":"c-3","adapter_type":"claude","model_id":"m",)"
                            R"("input_tokens":1,"output_tokens":1,"cost_usd":"0.01"})"),
                 "duplicate_usage", "c-3");
}

TEST(ImportLlmCalls, BadCallsAreRefusedWithTheirLineAndNothingOfTheChunk) {
  Tenant tenant(kNow);
  std::vector<ImportedLlmCall> rows = history();
  rows.push_back(call(6, "c-2", "2026-04-19T09:00:00Z", 1));
  expect_refused(tenant.import_calls(chunk_of(rows)), "duplicate_usage",
                 "llm_calls.csv:6: LLM call c-2 is already recorded");
  rows = history();
  rows.push_back(call(6, "c-9", "2026-04-20T12:06:00Z", 1));
  expect_refused(
      tenant.import_calls(chunk_of(rows)), "invalid_created_on",
      "llm_calls.csv:6: created_on 2026-04-20T12:06:00.000Z is after the engine's clock");
  // A row the live parser refuses names its line.
  std::string payload = usage::encode_llm_calls_chunk(chunk_of(history()));
  const std::string cost = R"("cost_usd":"0.031250")";
  ASSERT_NE(payload.find(cost), std::string::npos) << payload;
  payload.replace(payload.find(cost), cost.size(), R"("cost_usd":"0.0312501")");
  const Decision bad_amount = tenant.import_unused(payload);
  ASSERT_FALSE(bad_amount.accepted());
  EXPECT_EQ(bad_amount.rejection().reason, "invalid_row");
  EXPECT_NE(bad_amount.rejection().message.find("line 2: invalid_amount"), std::string::npos)
      << bad_amount.rejection().message;
  EXPECT_EQ(tenant.state().usage, usage::State{});
}

TEST(ImportLlmCalls, ReRunsChunksAndLiveUsageEvents) {
  Tenant tenant(kNow);
  const std::vector<ImportedLlmCall> rows = history();
  const LlmCallsChunk first = chunk_of({rows[0], rows[1]}, kImportA, false, 0, 2);
  const LlmCallsChunk second = chunk_of({rows[2], rows[3]}, kImportA, false, 1, 2);
  expect_refused(tenant.import_calls(second), "chunk_out_of_order", "a new import starts");
  ASSERT_TRUE(tenant.import_calls(first).accepted());
  ASSERT_TRUE(tenant.import_calls(second).accepted());
  expect_refused(tenant.import_calls(first), "already_imported", "chunk 0 of 2");
  EXPECT_EQ(tenant.state().usage.month_spend_usd_micros, 520'000);

  Tenant live(kNow);
  ASSERT_TRUE(live.run("usage.record_llm_call",
                       R"({"llm_call_id":"live-1","adapter_type":"openai","model_id":"gpt",)"
                       R"("input_tokens":1,"output_tokens":1,"cost_usd":"0.10",)"
                       R"("created_on":"2026-04-20T11:00:00Z"})")
                  .accepted());
  expect_refused(live.import_calls(chunk_of(history())), "tenant_has_live_events",
                 "1 live usage event(s)");
  ASSERT_TRUE(live.import_calls(chunk_of(history(), kImportA, true)).accepted());
  EXPECT_EQ(live.state().usage.month_spend_usd_micros, 100'000 + 520'000);
}

TEST(ImportLlmCalls, AnUnfinishedImportRoundTripsThroughASnapshot) {
  Tenant tenant(kNow);
  const std::vector<ImportedLlmCall> rows = history();
  ASSERT_TRUE(tenant.import_calls(chunk_of({rows[0], rows[1]}, kImportA, false, 0, 2)).accepted());
  Result<TenantState> restored = testing::snapshot_round_trip(tenant.state());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->usage, tenant.state().usage);
  ASSERT_EQ(restored->usage.imports.count("llm_calls"), 1u);
  EXPECT_EQ(restored->usage.imports.at("llm_calls").chunks_committed, 1);
  EXPECT_EQ(restored->usage.import_events, 1);
}

}  // namespace
}  // namespace lf::engine
