// `ledgerflow verify` and `ledgerflow status` as an operator runs them,
// against a live pipeline. verify: equal tables exit 0 and print nothing; a
// tampered row exits 1 and is named (table, key, column, expected, found);
// --tenant limits the comparison; a bad --tenant is a usage error (exit 2).
// status: every projection on every partition, its position, the log end
// and the lag, as a table or JSON.
#include <gtest/gtest.h>

#include "events/json.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;
using namespace workflow_matrix;

std::pair<int, std::string> ledgerflow(Pipeline& pipeline, const std::string& subcommand,
                                       std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{ledgerflow_binary(), subcommand};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv, 120s, std::nullopt,
                     {{"KAFKA_BOOTSTRAP", pipeline.kafka().settings().bootstrap},
                      {"DATABASE_URL", pipeline.database_url()},
                      {"LEDGERFLOW_TOPIC_PREFIX", pipeline.topics().prefix},
                      {"LEDGERFLOW_LOG_LEVEL", "warn"}});
}

std::pair<int, std::string> verify(Pipeline& pipeline, std::vector<std::string> extra = {}) {
  return ledgerflow(pipeline, "verify", std::move(extra));
}

TEST(VerifyCli, EqualTablesPassAndATamperedRowIsNamed) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  const std::string other = random_tenant();
  std::vector<std::pair<std::string, std::string>> commands;
  for (const std::string& t : {tenant, other}) {
    commands.emplace_back(
        t, command_json("credits.allocate", t, "a-" + t, allocate_payload(1000, system_now_ms())));
    commands.emplace_back(t,
                          command_json("media_buy.create", t, "b-" + t, buy_payload("mb-1", true)));
    commands.emplace_back(
        t, command_json("activity.create", t, "c-" + t, activity_payload("act-1", false)));
  }
  std::map<std::string, ResultEnvelope> results = pipeline.submit(commands);
  ASSERT_EQ(results.size(), commands.size());
  for (const auto& [id, result] : results)
    ASSERT_EQ(result.status, ResultStatus::accepted) << id << " " << result.reason;
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();

  auto [clean_code, clean_output] = verify(pipeline);
  EXPECT_EQ(clean_code, 0) << clean_output;
  EXPECT_EQ(clean_output, "");

  {
    pqxx::work work(pipeline.db());
    work.exec_params(
        "UPDATE media_buys SET status = 'active' WHERE tenant_id = $1 AND media_buy_id = 'mb-1'",
        tenant);
    work.exec_params("DELETE FROM activities WHERE tenant_id = $1 AND activity_id = 'act-1'",
                     tenant);
    work.commit();
  }
  auto [code, output] = verify(pipeline);
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("media_buys [tenant_id=" + tenant +
                        ", media_buy_id=mb-1] .status: expected pending, found active"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("activities [tenant_id=" + tenant + ", activity_id=act-1]: expected"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("found (absent)"), std::string::npos) << output;

  auto [other_code, other_output] = verify(pipeline, {"--tenant", other});
  EXPECT_EQ(other_code, 0) << other_output;
  auto [tenant_code, tenant_output] = verify(pipeline, {"--tenant", tenant});
  EXPECT_EQ(tenant_code, 1) << tenant_output;
  EXPECT_EQ(verify(pipeline, {"--tenant", "not-a-tenant"}).first, 2);
}

TEST(StatusCli, ShowsEveryProjectionOnEveryPartition) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  ASSERT_EQ(pipeline
                .submit_one(tenant, command_json("credits.allocate", tenant, "a",
                                                 allocate_payload(500, system_now_ms())))
                .status,
            ResultStatus::accepted);
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  auto [code, output] = ledgerflow(pipeline, "status", {"--json"});
  ASSERT_EQ(code, 0) << output;
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(output, JsonLimits{});
  ASSERT_TRUE(document.ok()) << output;
  const rapidjson::Value* partitions = json_member(**document, "partitions");
  ASSERT_NE(partitions, nullptr);
  const std::size_t projections = projections::all_projections().size();
  ASSERT_EQ(partitions->Size(), projections * static_cast<std::size_t>(pipeline.partitions()));
  int64_t applied = 0;
  for (const rapidjson::Value& row : partitions->GetArray()) {
    EXPECT_EQ(json_int64(row, "lag"), 0);
    EXPECT_EQ(json_int64(row, "next_offset"), json_int64(row, "log_end"));
    EXPECT_EQ(json_int64(row, "ignored"), 0);
    applied += json_int64(row, "last_seq").value_or(0);
  }
  EXPECT_EQ(applied, static_cast<int64_t>(projections));  // one record, applied by every projection
  EXPECT_EQ(json_int64(**document, "total_lag"), 0);
  auto [table_code, table] = ledgerflow(pipeline, "status");
  EXPECT_EQ(table_code, 0);
  EXPECT_NE(table.find("projection"), std::string::npos) << table;
  EXPECT_NE(table.find("credit_balances"), std::string::npos) << table;
  EXPECT_NE(table.find("audit_log"), std::string::npos) << table;
}

}  // namespace
}  // namespace lf::testing
