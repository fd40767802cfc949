// From CSV to commands: PostgreSQL's value spellings, required columns,
// rows refused with their line, chunks by rows / bytes / file, the import's
// identity, and SHA-256 itself.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/credits/import.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"
#include "importer/sha256.hpp"
#include "importer/values.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "11111111-1111-4111-8111-111111111111";
const std::string kHeader =
    "id,tenant_id,type,credits,activity_run_id,balance_after,note,created_at,extra\n";

std::string row(const std::string& type, int64_t credits, int64_t balance,
                const std::string& run = "", const std::string& tenant = kTenant) {
  return "e0000000-0000-4000-8000-000000000001," + tenant + "," + type + "," +
         std::to_string(credits) + "," + run + "," + std::to_string(balance) +
         ",,2026-04-01 10:00:00+00,ignored\n";
}

LoadedRows load(const std::vector<std::pair<std::string, std::string>>& files) {
  RowLoader loader(*find_kind("credit_ledger"));
  for (const auto& [name, text] : files) {
    std::istringstream in(text);
    Result<bool> added = loader.add(name, in);
    EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  }
  return loader.take();
}

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 pieces;  // fed in pieces across the 64-byte blocks
  const std::string million(1'000'000, 'a');
  for (std::size_t at = 0; at < million.size(); at += 997)
    pieces.update(std::string_view(million).substr(at, 997));
  EXPECT_EQ(pieces.hex_digest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ImportValues, ReadsPostgresSpellings) {
  const int64_t ten = *parse_rfc3339_ms("2026-04-01T10:00:00Z");
  EXPECT_EQ(read_timestamp_ms("2026-04-01 10:00:00+00"), ten);
  EXPECT_EQ(read_timestamp_ms("2026-04-01 15:30:00+05:30"), ten);
  EXPECT_EQ(read_timestamp_ms("2026-04-01 15:30:00+05:30:00"), ten);
  EXPECT_EQ(read_timestamp_ms("2026-04-01T10:00:00Z"), ten);
  EXPECT_EQ(read_timestamp_ms("2026-04-01 10:00:00.123456+00"),
            ten + 123);                                               // microseconds truncated
  EXPECT_EQ(read_timestamp_ms("2026-04-01 10:00:00"), std::nullopt);  // no offset: no instant
  EXPECT_EQ(read_timestamp_ms("infinity"), std::nullopt);
  EXPECT_EQ(read_timestamp_ms("2026-04-01 10:00:00+05:30:17"), std::nullopt);
  EXPECT_EQ(read_integer("-300"), -300);
  EXPECT_EQ(read_integer("+7"), 7);
  EXPECT_EQ(read_integer("3.5"), std::nullopt);
  EXPECT_EQ(read_integer("99999999999999999999"), std::nullopt);
  EXPECT_EQ(read_uuid("AAAAAAAA-0000-4000-8000-00000000000A"),
            "aaaaaaaa-0000-4000-8000-00000000000a");
  EXPECT_EQ(read_uuid("not-a-uuid"), std::nullopt);
}

TEST(ImportPlan, MissingRequiredColumnsAreNamed) {
  RowLoader loader(*find_kind("credit_ledger"));
  std::istringstream in("id,tenant_id,type,note\n");
  Result<bool> added = loader.add("ledger.csv", in);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, "missing_columns");
  EXPECT_EQ(
      added.error().message,
      "ledger.csv: the header lacks the required column(s) credits, balance_after, created_at");
}

TEST(ImportPlan, MalformedCsvNamesFileAndLine) {
  RowLoader loader(*find_kind("credit_ledger"));
  std::istringstream in(kHeader + row("allocated", 10, 10) + "x,\"broken\n");
  Result<bool> added = loader.add("ledger.csv", in);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().message,
            "ledger.csv:3: a quoted field is not closed before the end of the input");
  std::istringstream short_row(kHeader + "a,b\n");
  RowLoader other(*find_kind("credit_ledger"));
  added = other.add("ledger.csv", short_row);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().message, "ledger.csv:2: 2 field(s), the header has 9");
}

TEST(ImportPlan, BadRowsAreRefusedWithTheirLineAndTenant) {
  const LoadedRows loaded =
      load({{"ledger.csv", kHeader + row("allocated", 10, 10) + row("bogus", 1, 11) +
                               row("allocated", 10, 10, "", "not-a-uuid") + "e1," + kTenant +
                               ",topup,ten,,10,,2026-04-01 10:00:00+00,\n" + "e2," + kTenant +
                               ",topup,10,,10,\"\",2026-04-01 10:00:00,\n" + "e3," + kTenant +
                               ",reserved,-1,\"\",9,,2026-04-01 10:00:00+00,\n"}});
  EXPECT_EQ(loaded.rows, 6);
  ASSERT_EQ(loaded.refused.size(), 5u);
  EXPECT_EQ(loaded.refused[0].line, 3);
  EXPECT_EQ(loaded.refused[0].tenant_id, kTenant);
  EXPECT_NE(loaded.refused[0].message.find("column type: 'bogus' is none of"), std::string::npos);
  EXPECT_EQ(loaded.refused[1].tenant_id, std::nullopt);
  EXPECT_EQ(loaded.refused[1].message, "column tenant_id: not a uuid");
  EXPECT_EQ(loaded.refused[2].message, "column credits: not an integer from -10^15 to 10^15");
  EXPECT_EQ(loaded.refused[3].message, "column created_at: not a timestamp with a time zone");
  EXPECT_EQ(loaded.refused[4].message,
            "column activity_run_id: an empty string (NULL is an empty field)");
  ASSERT_EQ(loaded.by_tenant.at(kTenant).size(), 1u);
}

TEST(ImportPlan, ChunksByRowsAndByFileAndEachParsesAsTheEngineReadsIt) {
  std::string first = kHeader;
  for (int i = 0; i < 5; ++i) first += row("adjusted", 1, i + 1);
  std::string second = kHeader + row("adjusted", 1, 6) + row("adjusted", 1, 7);
  const LoadedRows loaded = load({{"a.csv", first}, {"b.csv", second}});
  const TenantPlan plan = plan_tenant(
      *find_kind("credit_ledger"), kTenant, loaded.by_tenant.at(kTenant), loaded.files, false,
      std::string(
          R"({"credits_monthly":0,"credits_available":7,"credits_reserved":0,"credits_consumed":0,"credits_topup":0})"),
      ChunkLimits{.rows_max = 2, .bytes_max = 256 * 1024});
  EXPECT_EQ(plan.chunk_rows, (std::vector<int64_t>{2, 2, 1, 2}));  // a.csv: 2+2+1, b.csv: 2
  ASSERT_EQ(plan.payloads.size(), 4u);
  for (std::size_t i = 0; i < plan.payloads.size(); ++i) {
    Result<std::unique_ptr<rapidjson::Document>> document =
        parse_json_bounded(plan.payloads[i], JsonLimits{});
    ASSERT_TRUE(document.ok()) << plan.payloads[i];
    Result<engine::credits::LedgerChunk> chunk =
        engine::credits::parse_ledger_chunk(document->get());
    ASSERT_TRUE(chunk.ok()) << chunk.error().message;
    EXPECT_EQ(chunk->chunk, static_cast<int64_t>(i));
    EXPECT_EQ(chunk->chunks, 4);
    EXPECT_EQ(chunk->import_id, plan.import_id);
    EXPECT_EQ(chunk->expected_balance.has_value(), i == 3);
  }
  Result<std::unique_ptr<rapidjson::Document>> third =
      parse_json_bounded(plan.payloads[2], JsonLimits{});
  Result<engine::credits::LedgerChunk> chunk = engine::credits::parse_ledger_chunk(third->get());
  EXPECT_EQ(chunk->source, (engine::credits::ImportSource{"a.csv", 6, 6}));
  EXPECT_EQ(chunk->rows[0].balance_after, 5);
}

TEST(ImportPlan, ChunksStayUnderTheByteBound) {
  std::string text = kHeader;
  const std::string note(3000, 'n');
  for (int i = 0; i < 200; ++i) {
    text += "e" + std::to_string(i) + "," + kTenant + ",adjusted,1,," + std::to_string(i + 1) +
            "," + note + ",2026-04-01 10:00:00+00,\n";
  }
  const LoadedRows loaded = load({{"a.csv", text}});
  const TenantPlan plan =
      plan_tenant(*find_kind("credit_ledger"), kTenant, loaded.by_tenant.at(kTenant), loaded.files,
                  false, std::nullopt, ChunkLimits{.rows_max = 1000, .bytes_max = 64 * 1024});
  EXPECT_GT(plan.payloads.size(), 8u);
  for (const std::string& payload : plan.payloads)
    EXPECT_LE(payload.size(), 64u * 1024) << payload.size();
}

TEST(ImportPlan, TheImportIdIsTheRowsNotTheirLines) {
  const std::string rows = row("allocated", 10, 10) + row("adjusted", 5, 15);
  const LoadedRows one = load({{"a.csv", kHeader + rows}});
  const LoadedRows moved =
      load({{"b.csv",
             kHeader + row("allocated", 3, 3, "", "22222222-2222-4222-8222-222222222222") + rows}});
  const std::string id = import_id_of("credit_ledger", one.by_tenant.at(kTenant));
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id, import_id_of("credit_ledger", moved.by_tenant.at(kTenant)));
  const LoadedRows changed =
      load({{"a.csv", kHeader + row("allocated", 10, 10) + row("adjusted", 6, 16)}});
  EXPECT_NE(id, import_id_of("credit_ledger", changed.by_tenant.at(kTenant)));
  EXPECT_EQ(import_command_id("credit_ledger", kTenant, id, 3, false),
            "import:credit_ledger:" + kTenant + ":" + id.substr(0, 32) + ":3");
  EXPECT_EQ(import_command_id("credit_ledger", kTenant, id, 999'999, true),
            "import:credit_ledger:" + kTenant + ":" + id.substr(0, 32) + ":999999:append");
  EXPECT_LE(import_command_id("credit_ledger", kTenant, id, 999'999, true).size(), 128u);
}

TEST(ImportPlan, BalancesFileRowsAndErrors) {
  std::istringstream good(
      "tenant_id,credits_monthly,credits_available,credits_reserved,credits_consumed,credits_topup,"
      "period_start,period_end\n" +
      kTenant + ",5000,5850,100,200,800,2026-04-01,2026-04-30\n");
  Result<std::map<std::string, std::string>> balances = load_balances("b.csv", good);
  ASSERT_TRUE(balances.ok());
  EXPECT_EQ(
      balances->at(kTenant),
      R"({"credits_monthly":5000,"credits_available":5850,"credits_reserved":100,"credits_consumed":200,"credits_topup":800,"period_start":"2026-04-01","period_end":"2026-04-30"})");
  std::istringstream twice(
      "tenant_id,credits_monthly,credits_available,credits_reserved,credits_consumed,credits_"
      "topup\n" +
      kTenant + ",1,1,0,0,0\n" + kTenant + ",1,1,0,0,0\n");
  balances = load_balances("b.csv", twice);
  ASSERT_FALSE(balances.ok());
  EXPECT_EQ(balances.error().message, "b.csv:3: a second row for tenant " + kTenant);
  std::istringstream missing("tenant_id,credits_monthly\n");
  balances = load_balances("b.csv", missing);
  ASSERT_FALSE(balances.ok());
  EXPECT_EQ(balances.error().code, "missing_columns");
}

}  // namespace
}  // namespace lf::importer
