// The media_buys kind from CSV: the Prebid sales agent's media_buys with
// their packages from a second file (columns by name, the seed's float
// budget read exactly, pricing and targeting as JSON, NULL omitted) read
// into the live media_buy.create shape and pre-checked with the engine's
// own code; bad rows refused with their line, a package of an unknown buy
// refused, and a buy with a bad package refused whole.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/workflow/import_buys.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "44444444-4444-4444-8444-444444444444";
const std::string kOther = "55555555-5555-4555-8555-555555555555";
const std::string kBuysHeader =
    "id,tenant_id,principal_id,campaign_name,buyer_ref,status,start_date,end_date,created_at\n";
const std::string kPackagesHeader = "id,media_buy_id,product_id,budget,targeting,pricing\n";

struct Loaded {
  LoadedRows rows;
  std::vector<RefusedRow> untaken;
};

Loaded load(const std::string& buys, const std::string& packages) {
  const KindSpec& kind = *find_kind("media_buys");
  const ChildSpec* spec = find_child_spec("media_buys");
  EXPECT_NE(spec, nullptr);
  std::istringstream packages_in(packages);
  Result<ChildRows> children = load_children(*spec, "packages.csv", packages_in);
  EXPECT_TRUE(children.ok()) << (children.ok() ? "" : children.error().message);
  RowLoader loader(kind, *spec, *children);
  std::istringstream in(buys);
  Result<bool> added = loader.add("buys.csv", in);
  EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  return Loaded{loader.take(), untaken_children(*children)};
}

std::optional<engine::Rejection> precheck(const LoadedRows& loaded, const std::string& tenant,
                                          std::vector<engine::workflow::ImportedBuy>* rows) {
  const KindSpec& kind = *find_kind("media_buys");
  const TenantPlan plan =
      plan_tenant(kind, tenant, loaded.by_tenant.at(tenant), loaded.files, false, std::nullopt);
  std::optional<engine::Rejection> refused = kind.precheck(
      PrecheckInput{tenant, plan.payloads, false, *parse_rfc3339_ms("2026-04-20T12:00:00Z")});
  if (rows != nullptr) {
    Result<std::unique_ptr<rapidjson::Document>> document =
        parse_json_bounded(plan.payloads.at(0), JsonLimits{});
    Result<engine::workflow::MediaBuysChunk> chunk =
        engine::workflow::parse_media_buys_chunk(document->get());
    EXPECT_TRUE(chunk.ok()) << chunk.error().message;
    *rows = chunk->rows;
  }
  return refused;
}

TEST(ImportMediaBuysCsv, ABudgetTheLiveParserRefusesRefusesTheTenantWithItsLines) {
  const Loaded loaded =
      load(kBuysHeader + "b-1," + kTenant +
               ",pr-1,Spring,,active,2025-06-01,2025-07-31,2025-06-01 09:30:00.25+02\n",
           kPackagesHeader + "pk-1,b-1,prod-1,5000.5,,\n" + "pk-2,b-1,prod-3,0.001,,\n");
  ASSERT_TRUE(loaded.rows.refused.empty()) << loaded.rows.refused[0].message;
  // A third decimal of USD: the live media_buy.create's invalid_amount.
  const std::optional<engine::Rejection> refused = precheck(loaded.rows, kTenant, nullptr);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "invalid_row");
  EXPECT_NE(refused->message.find("buys.csv:2: invalid_amount: packages[1].budget"),
            std::string::npos)
      << refused->message;
}

TEST(ImportMediaBuysCsv, ConvertedBuysAreTheLiveShape) {
  const Loaded loaded =
      load(kBuysHeader + "b-1," + kTenant +
               ",pr-1,Spring,,active,2025-06-01,2025-07-31,2025-06-01 09:30:00.25+02\n"
               "b-2," +
               kTenant +
               ",pr-2,\"Summer, big\",ref-9,paused,2025-06-01,2025-06-30,2025-06-02 00:00:00+00\n",
           kPackagesHeader +
               "pk-1,b-1,prod-1,5000.5,,\"{\"\"cpm\"\": 12.5}\"\n"
               "pk-2,b-2,prod-2,0.1,\"{\"\"geo\"\": [\"\"IN\"\"]}\",null\n"
               "pk-3,b-1,prod-3,1e3,,\n");
  ASSERT_TRUE(loaded.rows.refused.empty()) << loaded.rows.refused[0].message;
  std::vector<engine::workflow::ImportedBuy> rows;
  EXPECT_EQ(precheck(loaded.rows, kTenant, &rows), std::nullopt);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 2);
  EXPECT_EQ(rows[0].package_lines, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(rows[0].status, engine::workflow::BuyStatus::active);
  EXPECT_EQ(rows[0].created_at_ms, parse_rfc3339_ms("2025-06-01T07:30:00.250Z"));
  ASSERT_EQ(rows[0].buy.packages.size(), 2u);
  EXPECT_EQ(rows[0].buy.packages[0].budget_minor, 500050);
  EXPECT_EQ(rows[0].buy.packages[0].pricing_json, R"({"cpm":12.5})");
  EXPECT_EQ(rows[0].buy.packages[1].budget_minor, 100000);
  EXPECT_FALSE(rows[0].buy.buyer_ref.has_value());
  EXPECT_EQ(rows[1].buy.campaign_name, "Summer, big");
  EXPECT_EQ(rows[1].buy.buyer_ref, "ref-9");
  EXPECT_EQ(rows[1].buy.packages[0].budget_minor, 10);
  EXPECT_EQ(rows[1].buy.packages[0].targeting_json, R"({"geo":["IN"]})");
  EXPECT_FALSE(rows[1].buy.packages[0].pricing_json.has_value());
}

TEST(ImportMediaBuysCsv, BadRowsAndOrphanPackagesAreRefusedWithTheirLines) {
  const Loaded loaded = load(
      kBuysHeader + "b-1," + kTenant + ",pr-1,Spring,,active,2025-06-01,2025-07-31,soon\n" +
          "b-2," + kOther + ",pr-1,Spring,,active,2025-06-01,2025-07-31,2025-06-01 00:00:00+00\n" +
          "b-3,not-a-tenant,pr-1,Spring,,active,2025-06-01,2025-07-31,2025-06-01 00:00:00+00\n" +
          "b-4," + kOther + ",pr-1,Spring,,active,2025-06-01,2025-07-31,2025-06-01 00:00:00+00\n",
      kPackagesHeader + "pk-1,b-1,prod-1,10,,\n" + "pk-2,b-2,prod-1,10,,\"[1]\"\n" +
          "pk-3,b-3,prod-1,10,,\n" + "pk-4,b-9,prod-1,10,,\n");
  ASSERT_EQ(loaded.rows.refused.size(), 4u);
  EXPECT_EQ(loaded.rows.refused[0].line, 2);
  EXPECT_EQ(loaded.rows.refused[0].tenant_id, kTenant);
  EXPECT_EQ(loaded.rows.refused[0].message, "column created_at: not a timestamp with a time zone");
  // A buy with a bad package is refused whole, naming the package's line.
  EXPECT_EQ(loaded.rows.refused[1].tenant_id, kOther);
  EXPECT_EQ(loaded.rows.refused[1].message, "packages.csv:3: column pricing: not a JSON object");
  EXPECT_FALSE(loaded.rows.refused[2].tenant_id.has_value());
  // A buy without packages (none in the file) is refused: a buy has 1 to 100.
  EXPECT_EQ(loaded.rows.refused[3].line, 5);
  EXPECT_EQ(loaded.rows.refused[3].message, "no package in packages.csv (a buy has 1 to 100)");
  // The package of a buy in none of the files is refused (no tenant: the
  // seed's packages have none).
  ASSERT_EQ(loaded.untaken.size(), 1u);
  EXPECT_EQ(loaded.untaken[0].file, "packages.csv");
  EXPECT_EQ(loaded.untaken[0].line, 5);
  EXPECT_FALSE(loaded.untaken[0].tenant_id.has_value());
  EXPECT_EQ(loaded.untaken[0].message, "its parent b-9 is in none of the files");
}

TEST(ImportMediaBuysCsv, AnOrphanPackageWithATenantColumnRefusesThatTenant) {
  const Loaded loaded =
      load(kBuysHeader + "b-1," + kTenant +
               ",pr-1,Spring,,active,2025-06-01,2025-07-31,2025-06-01 00:00:00+00\n",
           "id,media_buy_id,product_id,budget,tenant_id\npk-1,b-1,prod-1,10," + kTenant +
               "\npk-2,b-7,prod-1,10," + kTenant + "\n");
  ASSERT_TRUE(loaded.rows.refused.empty());
  ASSERT_EQ(loaded.untaken.size(), 1u);
  EXPECT_EQ(loaded.untaken[0].tenant_id, kTenant);
}

TEST(ImportMediaBuysCsv, AnUnknownStatusIsRefusedWithItsLine) {
  const Loaded loaded =
      load(kBuysHeader + "b-1," + kTenant +
               ",pr-1,Spring,,running,2025-06-01,2025-07-31,2025-06-01 00:00:00+00\n",
           kPackagesHeader + "pk-1,b-1,prod-1,10,,\n");
  ASSERT_EQ(loaded.rows.refused.size(), 1u);
  EXPECT_EQ(loaded.rows.refused[0].line, 2);
  EXPECT_EQ(loaded.rows.refused[0].message,
            "column status: 'running' is none of pending, approved, active, paused, completed, "
            "failed");
}

}  // namespace
}  // namespace lf::importer
