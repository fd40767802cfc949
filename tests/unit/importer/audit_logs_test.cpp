// The audit_logs kind from CSV: rows of different seed shapes (columns by
// name, NULL omitted, jsonb as JSON, booleans as PostgreSQL prints them,
// the time by any of its names) read into the live audit.record shape, and
// bad rows refused with their line.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/workflow/import_audit.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "44444444-4444-4444-8444-444444444444";

LoadedRows load(const std::string& text) {
  RowLoader loader(*find_kind("audit_logs"));
  std::istringstream in(text);
  Result<bool> added = loader.add("audit.csv", in);
  EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  return loader.take();
}

std::vector<engine::workflow::ImportedAuditRow> rows_of(const LoadedRows& loaded) {
  const KindSpec& kind = *find_kind("audit_logs");
  const TenantPlan plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
  EXPECT_EQ(kind.precheck(PrecheckInput{kTenant, plan.payloads, false,
                                        *parse_rfc3339_ms("2026-04-20T12:00:00Z")}),
            std::nullopt);
  Result<std::unique_ptr<rapidjson::Document>> document =
      parse_json_bounded(plan.payloads.at(0), JsonLimits{});
  Result<engine::workflow::AuditLogsChunk> chunk =
      engine::workflow::parse_audit_logs_chunk(document->get());
  EXPECT_TRUE(chunk.ok()) << chunk.error().message;
  return chunk->rows;
}

TEST(ImportAuditCsv, PrebidShape) {
  const LoadedRows loaded = load(
      "id,tenant_id,operation,principal_name,principal_id,adapter_id,success,error_message,details,"
      "timestamp\n"
      "1," +
      kTenant +
      ",create_media_buy,Acme,p-1,gam,f,timeout,\"{\"\"buy\"\": \"\"b-1\"\"}\","
      "2025-01-02 03:04:05.678+00\n");
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  const auto rows = rows_of(loaded);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].row.operation, "create_media_buy");
  EXPECT_EQ(rows[0].row.principal_name, "Acme");
  EXPECT_FALSE(rows[0].row.success);
  EXPECT_EQ(rows[0].row.details_json, R"({"buy":"b-1"})");
  EXPECT_EQ(rows[0].row.occurred_at_ms, parse_rfc3339_ms("2025-01-02T03:04:05.678Z"));
}

TEST(ImportAuditCsv, PlatformShapeWithChangesAndRequest) {
  const LoadedRows loaded = load(
      "id,tenant_id,user_id,action,resource_type,resource_id,old_value,new_value,changed_fields,"
      "ip_address,user_agent,request_id,endpoint,http_method,created_at\n"
      "7," +
      kTenant +
      ",42,update,rule,7,\"{\"\"on\"\": false}\",\"{\"\"on\"\": true}\","
      "\"[\"\"on\"\"]\",10.0.0.1,curl,r-1,/rules/7,PATCH,2025-03-01 00:00:00+05:30\n");
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  const auto rows = rows_of(loaded);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].row.operation, "update");
  EXPECT_EQ(rows[0].row.action, "update");
  EXPECT_EQ(rows[0].row.principal_id, "42");
  EXPECT_EQ(rows[0].row.changed_fields_json, R"(["on"])");
  EXPECT_EQ(rows[0].row.ip_address, "10.0.0.1");
  EXPECT_EQ(rows[0].row.occurred_at_ms, parse_rfc3339_ms("2025-02-28T18:30:00Z"));
}

TEST(ImportAuditCsv, BadRowsAreRefusedWithTheirLine) {
  const LoadedRows loaded =
      load("tenant_id,action,success,details,created_at\n" + kTenant +
           ",login,maybe,,2025-01-01 00:00:00+00\n" + kTenant +
           ",login,t,{not json},2025-01-01 00:00:00+00\n" + kTenant + ",login,t,,\n" + kTenant +
           ",,t,,2025-01-01 00:00:00+00\n" + kTenant + ",login,t,,2025-01-01 00:00:00\n");
  ASSERT_EQ(loaded.refused.size(), 5u);
  EXPECT_EQ(loaded.refused[0].line, 2);
  EXPECT_EQ(loaded.refused[0].message, "column success: not a boolean (t, f)");
  EXPECT_EQ(loaded.refused[1].message, "column details: not JSON");
  EXPECT_EQ(loaded.refused[2].message, "no time (columns occurred_at, timestamp or created_at)");
  EXPECT_EQ(loaded.refused[3].message, "no operation (columns operation, event_type or action)");
  EXPECT_EQ(loaded.refused[4].line, 6);
  EXPECT_EQ(loaded.refused[4].message, "column created_at: not a timestamp with a time zone");
}

}  // namespace
}  // namespace lf::importer
