// The PostgreSQL adapter against a real server: the throwaway server,
// migrations, COPY and array encodings, BatchWriter, checkpoints (CAS) and
// engine snapshots. Every test gets a fresh database.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "consumers/pg/batch_writer.hpp"
#include "consumers/pg/copy.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/positions.hpp"
#include "consumers/pg/snapshots.hpp"
#include "consumers/pg/temp_server.hpp"
#include "projections/row_batch.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/records.hpp"
#include "tests/support/wait.hpp"

namespace lf::pg {
namespace {

using projections::Column;
using projections::Date;
using projections::Json;
using projections::Null;
using projections::RowBatch;
using projections::SqlType;
using projections::TableSpec;
using projections::Timestamp;
using projections::Value;

// A readable, type-tagged form of a value, for comparisons with good messages.
using lf::testing::describe;

// SQL that reads a column back in a form `from_field` turns into a Value.
std::string read_expression(const Column& column) {
  const std::string name = "\"" + column.name + "\"";
  switch (column.type) {
    case SqlType::timestamptz:
      return "(extract(epoch from " + name + ") * 1000)::bigint";
    case SqlType::date:
      return "(" + name + " - date '1970-01-01')";
    case SqlType::jsonb:
    case SqlType::uuid:
    case SqlType::numeric:
    case SqlType::enumeration:
      return name + "::text";
    // inet's output ("192.168.0.1"; its text cast would add "/32").
    default:
      return name;
  }
}

Value from_field(const pqxx::field& field, SqlType type) {
  if (field.is_null()) return Null{};
  switch (type) {
    case SqlType::text:
    case SqlType::uuid:
    case SqlType::numeric:
    case SqlType::inet:
    case SqlType::enumeration:
      return field.as<std::string>();
    case SqlType::int64:
    case SqlType::int32:
      return field.as<int64_t>();
    case SqlType::boolean:
      return field.as<bool>();
    case SqlType::timestamptz:
      return Timestamp{field.as<int64_t>()};
    case SqlType::date:
      return Date{field.as<int32_t>()};
    case SqlType::jsonb:
      return Json{field.as<std::string>()};
  }
  return Null{};
}

// Every row of `table` (its name + `suffix`), ordered by its key, described.
std::vector<std::vector<std::string>> read_table(pqxx::connection& connection,
                                                 const TableSpec& table,
                                                 const std::string& suffix = "") {
  std::string select;
  for (const Column& column : table.columns) {
    if (!select.empty()) select += ", ";
    select += read_expression(column);
  }
  std::string order;
  for (std::size_t key : table.key) {
    if (!order.empty()) order += ", ";
    order += "\"" + table.columns[key].name + "\"";
  }
  pqxx::read_transaction work(connection);
  std::vector<std::vector<std::string>> rows;
  for (const pqxx::row& row :
       work.exec("SELECT " + select + " FROM \"" + table.name + suffix + "\" ORDER BY " + order)) {
    std::vector<std::string> described;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      described.push_back(
          describe(from_field(row[static_cast<pqxx::row::size_type>(i)], table.columns[i].type)));
    }
    rows.push_back(std::move(described));
  }
  return rows;
}

std::vector<std::string> described(const std::vector<Value>& row) {
  std::vector<std::string> out;
  for (const Value& value : row) out.push_back(describe(value));
  return out;
}

int64_t count_rows(pqxx::connection& connection, const std::string& table) {
  pqxx::read_transaction work(connection);
  return work.exec1("SELECT count(*) FROM " + work.quote_name(table))[0].as<int64_t>();
}

class PgAdapter : public ::testing::Test {
 protected:
  PgAdapter() : url_(lf::testing::fresh_database_url()), connection_(url_) {}

  void exec(const std::string& sql) {
    pqxx::work work(connection_);
    work.exec(sql);
    work.commit();
  }

  std::string url_;
  pqxx::connection connection_;
};

// ---------------------------------------------------------------- server

TEST(PgTempServer, SharedServerAnswers) {
  TempServer& server = lf::testing::shared_postgres();
  EXPECT_GT(server.port(), 0);
  EXPECT_TRUE(std::filesystem::exists(server.directory() / "data" / "postmaster.pid"));
  pqxx::connection connection(lf::testing::fresh_database_url());
  pqxx::read_transaction work(connection);
  EXPECT_EQ(work.exec1("SELECT 1 + 1")[0].as<int>(), 2);
  EXPECT_GE(connection.server_version(), 150000);
  EXPECT_EQ(work.exec1("SHOW fsync")[0].as<std::string>(), "off");
  EXPECT_EQ(work.exec1("SHOW max_connections")[0].as<int>(), 200);
}

TEST(PgTempServer, OwnServerWithAnOddDatabaseNameStopsAndRemovesItsDirectory) {
  std::filesystem::path directory;
  {
    TempServerOptions options;
    options.database = "odd \"name\" ü";
    TempServer server(options);
    directory = server.directory();
    pqxx::connection connection(server.url());
    pqxx::read_transaction work(connection);
    EXPECT_EQ(work.exec1("SELECT current_database()")[0].as<std::string>(), "odd \"name\" ü");
    work.commit();
    connection.disconnect();
    server.stop();
    EXPECT_FALSE(std::filesystem::exists(directory));
    server.stop();  // idempotent; the destructor stops once more
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
}

// The owner is killed with SIGKILL (no destructor runs): the watchdog stops
// the server and removes its directory.
TEST(PgTempServer, AKilledOwnerLeavesNoServerBehind) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    ::close(fds[0]);
    try {
      TempServer server;
      const std::string line =
          server.directory().string() + " " + std::to_string(server.port()) + "\n";
      if (::write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        ::_exit(1);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(fds[1]);
  std::string line;
  char c = 0;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(fds[0]);
  const std::size_t space = line.find(' ');
  ASSERT_NE(space, std::string::npos) << "the owner did not start a server";
  const std::filesystem::path directory = line.substr(0, space);
  const std::string url = "postgresql://postgres@127.0.0.1:" + line.substr(space + 1) + "/postgres";
  EXPECT_NO_THROW(pqxx::connection{url});

  ASSERT_EQ(::kill(owner, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(owner, &status, 0), owner);
  // The directory goes only after pg_ctl stop has returned.
  EXPECT_TRUE(lf::testing::wait_until([&directory] { return !std::filesystem::exists(directory); },
                                      std::chrono::seconds(60)));
  EXPECT_THROW(pqxx::connection{url}, pqxx::broken_connection);
}

TEST(PgTempServer, FindsTheInstalledServer) {
  const std::string bin = find_postgres_bin_dir();
  ASSERT_FALSE(bin.empty());
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(bin) / "pg_ctl"));
}

// ------------------------------------------------------------ migrations

class PgMigrations : public ::testing::Test {
 protected:
  // An empty database (not from the migrated template).
  PgMigrations() : name_("lf_empty_" + std::to_string(++counter_)) {
    lf::testing::shared_postgres().create_database(name_);
    url_ = lf::testing::shared_postgres().url_for(name_);
  }
  static inline int counter_ = 0;
  std::string name_;
  std::string url_;
};

TEST_F(PgMigrations, ApplyOnceThenAreIdempotent) {
  pqxx::connection connection(url_);
  const MigrationOutcome first = migrate(connection);
  ASSERT_FALSE(first.applied.empty());
  EXPECT_EQ(first.applied.front(), "001_credits.sql");
  EXPECT_TRUE(first.existing.empty());
  EXPECT_EQ(count_rows(connection, "projection_checkpoints"), 0);
  EXPECT_EQ(count_rows(connection, "schema_migrations"),
            static_cast<int64_t>(first.applied.size()));

  const MigrationOutcome second = migrate(connection);
  EXPECT_TRUE(second.applied.empty());
  EXPECT_EQ(second.existing, first.applied);
}

TEST_F(PgMigrations, ConcurrentRunsApplyEachMigrationOnce) {
  auto run = [this] {
    pqxx::connection connection(url_);
    return migrate(connection);
  };
  auto a = std::async(std::launch::async, run);
  auto b = std::async(std::launch::async, run);
  const MigrationOutcome first = a.get();
  const MigrationOutcome second = b.get();
  EXPECT_EQ(first.applied.size() + second.applied.size(),
            std::max(first.applied.size(), second.applied.size()));
  EXPECT_FALSE(first.applied.empty() && second.applied.empty());
}

TEST_F(PgMigrations, ChangedChecksumOfAnAppliedMigrationIsAnError) {
  pqxx::connection connection(url_);
  migrate(connection);
  {
    pqxx::work work(connection);
    work.exec("UPDATE schema_migrations SET checksum = 'tampered' WHERE name = '001_credits.sql'");
    work.commit();
  }
  try {
    migrate(connection);
    FAIL() << "a changed checksum must be refused";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("001_credits.sql"), std::string::npos) << error.what();
  }
}

// ------------------------------------------------------- COPY and arrays

TEST(PgEncoding, CopyTextEscapes) {
  std::string line;
  append_copy_value(line, Value{std::string("a\tb\nc\rd\\e")}, true);
  append_copy_value(line, Value{Null{}}, false);
  append_copy_value(line, Value{std::string("")}, false);
  append_copy_value(line, Value{true}, false);
  append_copy_value(line, Value{int64_t{-42}}, false);
  append_copy_value(line, Value{Timestamp{1'700'000'000'123}}, false);
  append_copy_value(line, Value{Date{19'000}}, false);
  end_copy_row(line);
  EXPECT_EQ(line, "a\\tb\\nc\\rd\\\\e\t\\N\t\tt\t-42\t2023-11-14T22:13:20.123Z\t2022-01-08\n");
}

TEST(PgEncoding, ArrayLiteralQuotesEveryElement) {
  const Value quoted{std::string("say \"hi\" \\ {x,y}")};
  const Value null{Null{}};
  const Value empty{std::string()};
  const Value number{int64_t{7}};
  EXPECT_EQ(array_literal({&quoted, &null, &empty, &number}),
            "{\"say \\\"hi\\\" \\\\ {x,y}\",NULL,\"\",\"7\"}");
  EXPECT_EQ(array_literal({}), "{}");
}

const std::vector<std::string>& tricky_strings() {
  static const std::vector<std::string> strings{
      "",
      "plain",
      "tab\there",
      "new\nline",
      "carriage\rreturn\r\n",
      "back\\slash\\",
      "\\N",
      "\\.",
      "NULL",
      "null",
      "double \"quotes\" and 'single'",
      "{braces},commas,(parens)",
      "  leading and trailing spaces  ",
      "unicode: żółć 日本語 🎉",
      "control \x01\x07\x1f bytes",
      std::string(5'000, 'x') + "\tlong",
  };
  return strings;
}

TableSpec all_types_table(const std::string& name) {
  return TableSpec{name,
                   {{"id", SqlType::int64},
                    {"t", SqlType::text},
                    {"i", SqlType::int64},
                    {"b", SqlType::boolean},
                    {"ts", SqlType::timestamptz},
                    {"d", SqlType::date},
                    {"j", SqlType::jsonb},
                    {"u", SqlType::uuid},
                    {"n", SqlType::int32}},
                   {0}};
}

const char* kAllTypesDdl =
    "(id bigint PRIMARY KEY, t text, i bigint, b boolean, ts timestamptz, d date, j jsonb, u uuid, "
    "n integer)";

// Rows covering every type with edge values, tricky strings, and nulls.
std::vector<std::vector<Value>> all_types_rows() {
  std::vector<std::vector<Value>> rows;
  int64_t id = 0;
  for (const std::string& text : tricky_strings()) {
    rows.push_back(
        {++id, text, int64_t{id * 1000}, id % 2 == 0, Timestamp{1'700'000'000'000 + id},
         Date{19'000 + static_cast<int32_t>(id)},
         // jsonb's own text form (keys by length, then bytes), so it reads back the same.
         Json{"{\"n\": [1, 2.5, null], \"s\": \"tab\\tq\\\"uote\\\\ ü\"}"},
         std::string("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f40") + (id < 10 ? "0" : "") +
             std::to_string(id),
         int64_t{static_cast<int32_t>(id)}});
  }
  rows.push_back({++id, Null{}, Null{}, Null{}, Null{}, Null{}, Null{}, Null{}, Null{}});
  rows.push_back({++id, std::string(), std::numeric_limits<int64_t>::min(), false, Timestamp{0},
                  Date{0}, Json{"\"\""}, std::string("00000000-0000-0000-0000-000000000000"),
                  int64_t{std::numeric_limits<int32_t>::min()}});
  rows.push_back({++id, std::string("max"), std::numeric_limits<int64_t>::max(), true,
                  Timestamp{253'402'300'799'999}, Date{2'932'896}, Json{"[]"},
                  std::string("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                  int64_t{std::numeric_limits<int32_t>::max()}});
  return rows;
}

// Writes `batch` in one transaction, then expects `table` to hold `rows`.
void write_then_expect(pqxx::connection& connection, BatchWriter& writer, const RowBatch& batch,
                       const TableSpec& table, const std::vector<std::vector<Value>>& rows) {
  pqxx::work work(connection);
  writer.write(work, batch);
  work.commit();
  const auto stored = read_table(connection, table);
  ASSERT_EQ(stored.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(stored[i], described(rows[i])) << "row " << i;
}

TEST_F(PgAdapter, CopyAndInsertStatementRoundTripEveryTypeAndTrickyStrings) {
  exec(std::string("CREATE TABLE all_types ") + kAllTypesDdl);
  const TableSpec table = all_types_table("all_types");
  const std::vector<std::vector<Value>> rows = all_types_rows();
  ASSERT_LE(rows.size(), BatchWriter::kInsertStatementRowsMax);
  RowBatch batch;
  for (const auto& row : rows) batch.insert(table, row);
  for (const std::size_t statement_rows_max : {std::size_t{0}, rows.size()}) {
    SCOPED_TRACE(statement_rows_max == 0 ? "COPY" : "INSERT statement");
    exec("TRUNCATE all_types");
    BatchWriter writer("", statement_rows_max);
    write_then_expect(connection_, writer, batch, table, rows);
  }
}

TEST_F(PgAdapter, ArrayLiteralsRoundTripEveryTypeThroughUnnest) {
  exec(std::string("CREATE TABLE all_types ") + kAllTypesDdl);
  const TableSpec table = all_types_table("all_types");
  const std::vector<std::vector<Value>> rows = all_types_rows();
  RowBatch batch;
  for (const auto& row : rows) batch.upsert(table, row);  // upserts travel as arrays
  BatchWriter writer;
  write_then_expect(connection_, writer, batch, table, rows);
}

TEST_F(PgAdapter, TextArrayLiteralKeepsOrderNullsAndEmptyStrings) {
  std::vector<Value> values;
  for (const std::string& text : tricky_strings()) values.emplace_back(text);
  values.insert(values.begin() + 3, Value{Null{}});
  std::vector<const Value*> pointers;
  for (const Value& value : values) pointers.push_back(&value);
  pqxx::read_transaction work(connection_);
  const pqxx::result result =
      work.exec_params("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n",
                       array_literal(pointers));
  ASSERT_EQ(result.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(
        describe(from_field(result[static_cast<pqxx::result::size_type>(i)][0], SqlType::text)),
        describe(values[i]))
        << "element " << i;
  }
}

// ------------------------------------------- numeric, inet and enum columns

// Columns of the seed dialect: exact numerics (unconstrained, as budgets, and
// numeric(10,6), as a run's cost_usd), inet (audit_log.ip_address) and an
// enum (activities.priority). Their values are text; PostgreSQL parses it.
TableSpec seed_types_table() {
  return TableSpec{"seed_types",
                   {{"id", SqlType::int64},
                    {"amount", SqlType::numeric},
                    {"cost", SqlType::numeric},
                    {"ip", SqlType::inet},
                    {"priority", SqlType::enumeration, "test_priority"}},
                   {0}};
}

const char* kSeedTypesDdl =
    "CREATE TYPE test_priority AS ENUM ('urgent', 'high', 'normal', 'low');"
    "CREATE TABLE seed_types (id bigint PRIMARY KEY, amount numeric, cost numeric(10, 6), ip inet, "
    "priority test_priority)";

// Each value in the text PostgreSQL reads back (numeric keeps the scale it
// was given; numeric(10,6) pads to 6; inet drops a host's /32 or /128).
std::vector<std::vector<Value>> seed_types_rows() {
  return {
      {int64_t{1}, std::string("0.000001"), std::string("0.000001"), std::string("192.168.0.1"),
       std::string("urgent")},
      {int64_t{2}, std::string("99999999999999999.99"), std::string("9999.999999"),
       std::string("::1"), std::string("high")},
      {int64_t{3}, std::string("5000.50"), std::string("0.000000"),
       std::string("2001:db8::ff00:42:8329"), std::string("normal")},
      {int64_t{4}, std::string("-12.345"), std::string("1.500000"), std::string("10.0.0.0/8"),
       std::string("low")},
      {int64_t{5}, std::string("123456789012345678901234567890.123456789012"), Null{},
       std::string("::ffff:1.2.3.4"), Null{}},
      {int64_t{6}, std::string("0"), std::string("12.000000"), std::string("2001:db8::/32"),
       std::string("urgent")},
      {int64_t{7}, Null{}, Null{}, Null{}, Null{}},
  };
}

class PgSeedTypes : public PgAdapter {
 protected:
  PgSeedTypes() { exec(kSeedTypesDdl); }

  void write(const RowBatch& batch) { write(batch, writer_); }
  void write(const RowBatch& batch, BatchWriter& writer) {
    pqxx::work work(connection_);
    writer.write(work, batch);
    work.commit();
  }

  std::vector<std::vector<std::string>> stored() { return read_table(connection_, table_); }

  const TableSpec table_ = seed_types_table();
  BatchWriter writer_;
};

TEST(PgEncoding, SqlTypeNamesOfTheSeedTypes) {
  EXPECT_EQ(sql_type_name(Column{"n", SqlType::numeric}), "numeric");
  EXPECT_EQ(sql_type_name(Column{"ip", SqlType::inet}), "inet");
  EXPECT_EQ(sql_type_name(Column{"p", SqlType::enumeration, "activity_priority"}),
            "activity_priority");
  EXPECT_EQ(sql_type_name(Column{"t", SqlType::text}), "text");
}

TEST_F(PgSeedTypes, CopyAndInsertStatementWriteExactNumericsInetAndEnumValues) {
  RowBatch batch;
  for (const auto& row : seed_types_rows()) batch.insert(table_, row);
  const auto expected = seed_types_rows();
  BatchWriter copy_writer("", 0);
  write(batch, copy_writer);  // COPY, the text format
  const auto by_copy = stored();
  ASSERT_EQ(by_copy.size(), expected.size());
  for (std::size_t i = 0; i < by_copy.size(); ++i)
    EXPECT_EQ(by_copy[i], described(expected[i])) << "COPY, row " << i;
  exec("TRUNCATE seed_types");
  write(batch);  // INSERT ... SELECT FROM unnest($n::type[])
  const auto rows = stored();
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i], described(expected[i])) << "row " << i;

  // The values are the numbers, not their doubles, and the enum's order.
  pqxx::read_transaction work(connection_);
  EXPECT_TRUE(work.exec1("SELECT amount = 99999999999999999.99 AND amount <> 99999999999999999.98 "
                         "FROM seed_types WHERE id = 2")[0]
                  .as<bool>());
  EXPECT_EQ(work.exec1("SELECT sum(cost)::text FROM seed_types")[0].as<std::string>(),
            "10013.500000");
  EXPECT_EQ(work.exec1("SELECT (amount * 1000000)::text FROM seed_types WHERE id = 1")[0]
                .as<std::string>(),
            "1.000000");
  EXPECT_EQ(work.exec1("SELECT string_agg(id::text, ',' ORDER BY priority, id) FROM seed_types "
                       "WHERE priority IS NOT NULL")[0]
                .as<std::string>(),
            "1,6,2,3,4");
  EXPECT_EQ(
      work.exec1("SELECT pg_typeof(priority)::text FROM seed_types LIMIT 1")[0].as<std::string>(),
      "test_priority");
  EXPECT_EQ(work.exec1("SELECT family(ip) FROM seed_types WHERE id = 3")[0].as<int>(), 6);
}

TEST_F(PgSeedTypes, UpsertAndPatchArraysCarryTheSameValues) {
  RowBatch batch;
  for (const auto& row : seed_types_rows())
    batch.upsert(table_, row);  // INSERT ... SELECT FROM unnest($n::type[])
  write(batch);
  const auto expected = seed_types_rows();
  auto rows = stored();
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i], described(expected[i])) << "row " << i;

  // Patches travel as arrays cast to the columns' types (the enum's by name).
  batch.clear();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::size_t from = expected.size() - 1 - i;  // every row takes another row's values
    batch.patch(table_, {expected[i][0]},
                {{"amount", expected[from][1]},
                 {"cost", expected[from][2]},
                 {"ip", expected[from][3]},
                 {"priority", expected[from][4]}});
  }
  write(batch);
  rows = stored();
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::vector<Value> want = expected[expected.size() - 1 - i];
    want[0] = expected[i][0];
    EXPECT_EQ(rows[i], described(want)) << "row " << i;
  }
}

TEST_F(PgSeedTypes, ValuesOutsideTheColumnTypesAreRefused) {
  struct Case {
    const char* column;
    Value value;
  };
  const std::vector<Case> cases = {
      {"priority", std::string("medium")},  // not a value of the enum
      {"cost", std::string("10000")},       // beyond numeric(10,6)
      {"amount", std::string("1e400x")},    // not a number
      {"ip", std::string("300.1.1.1")},     // not an address
      {"ip", std::string("fe80::1%eth0")},  // zone ids are not inet
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.column) + " " + describe(c.value));
    std::vector<Value> row{int64_t{1}, Null{}, Null{}, Null{}, Null{}};
    row[table_.column_index(c.column)] = c.value;
    for (const char* path : {"COPY", "INSERT statement", "upsert"}) {
      RowBatch batch;
      if (path == std::string("upsert")) {
        batch.upsert(table_, row);
      } else {
        batch.insert(table_, row);
      }
      BatchWriter writer("", path == std::string("COPY") ? 0 : 1);
      pqxx::work work(connection_);
      EXPECT_THROW(writer.write(work, batch), pqxx::sql_error) << path;
    }
  }
  EXPECT_EQ(count_rows(connection_, "seed_types"), 0);
}

// ------------------------------------------------------------ BatchWriter

const TableSpec& accounts() {
  static const TableSpec table{"accounts",
                               {{"tenant_id", SqlType::uuid},
                                {"account_id", SqlType::text},
                                {"balance", SqlType::int64},
                                {"note", SqlType::text},
                                {"active", SqlType::boolean},
                                {"opened", SqlType::date},
                                {"updated_at", SqlType::timestamptz},
                                {"meta", SqlType::jsonb}},
                               {0, 1}};
  return table;
}

const char* kAccountsDdl =
    "CREATE TABLE accounts (tenant_id uuid, account_id text, balance bigint NOT NULL, note text, "
    "active boolean NOT NULL, opened date, updated_at timestamptz NOT NULL, meta jsonb, "
    "PRIMARY KEY (tenant_id, account_id));"
    "CREATE TABLE accounts__shadow (LIKE accounts INCLUDING ALL);";

const std::string kTenant = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

std::vector<Value> account(const std::string& id, int64_t balance, const std::string& note) {
  return {kTenant,
          id,
          balance,
          note,
          true,
          Date{19'500},
          Timestamp{1'700'000'000'000 + balance},
          Json{"{\"v\": 1}"}};
}

// Every BatchWriter test runs twice: through write(), and through
// write_pipelined() (one round trip, libpq's pipeline mode), which falls
// back to write() only for a batch with rows to COPY.
class PgBatchWriter : public PgAdapter, public ::testing::WithParamInterface<bool> {
 protected:
  PgBatchWriter() { exec(kAccountsDdl); }

  static bool pipelined() { return GetParam(); }

  void write_in(pqxx::work& work, BatchWriter& writer, const RowBatch& batch) {
    if (pipelined() && writer.write_pipelined(work, {}, batch)) return;
    writer.write(work, batch);
  }

  void write(BatchWriter& writer, const RowBatch& batch) {
    pqxx::work work(connection_);
    write_in(work, writer, batch);
    work.commit();
  }
};

INSTANTIATE_TEST_SUITE_P(Paths, PgBatchWriter, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Pipelined") : std::string("OneByOne");
                         });

TEST_P(PgBatchWriter, InsertsNewRows) {
  BatchWriter writer;
  RowBatch batch;
  batch.insert(accounts(), account("a", 10, "first"));
  batch.insert(accounts(), account("b", 20, "second"));
  write(writer, batch);
  const auto rows = read_table(connection_, accounts());
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0], described(account("a", 10, "first")));
  EXPECT_EQ(rows[1], described(account("b", 20, "second")));
}

// Up to kInsertStatementRowsMax rows of a table go by one INSERT statement,
// more by COPY: the same rows land either way, and a key already taken fails
// the batch either way (an insert never overwrites).
TEST_P(PgBatchWriter, InsertsOfAFewRowsAndOfManyLandAlikeAndNeitherOverwrites) {
  constexpr std::size_t kFew = BatchWriter::kInsertStatementRowsMax;
  BatchWriter writer;
  for (const std::size_t count : {kFew, kFew + 1}) {
    SCOPED_TRACE(count);
    exec("TRUNCATE accounts");
    RowBatch batch;
    for (std::size_t i = 0; i < count; ++i)
      batch.insert(accounts(), account("acct-" + std::to_string(100 + i), int64_t(i), "n\\t\"x"));
    write(writer, batch);
    const auto rows = read_table(connection_, accounts());
    ASSERT_EQ(rows.size(), count);
    for (std::size_t i = 0; i < count; ++i)
      EXPECT_EQ(rows[i],
                described(account("acct-" + std::to_string(100 + i), int64_t(i), "n\\t\"x")));

    RowBatch again;  // the same keys, other values
    for (std::size_t i = 0; i < count; ++i)
      again.insert(accounts(), account("acct-" + std::to_string(100 + i), 7, "other"));
    pqxx::work work(connection_);
    EXPECT_THROW(write_in(work, writer, again), pqxx::unique_violation);
    work.abort();
    EXPECT_EQ(read_table(connection_, accounts()), rows);
  }
}

TEST_P(PgBatchWriter, UpsertInsertsThenReplacesEveryNonKeyColumn) {
  BatchWriter writer;
  RowBatch batch;
  batch.upsert(accounts(), account("a", 10, "first"));
  write(writer, batch);
  batch.clear();
  std::vector<Value> replaced = account("a", 99, "replaced");
  replaced[3] = Null{};  // note
  replaced[4] = false;   // active
  replaced[7] = Null{};  // meta
  batch.upsert(accounts(), replaced);
  batch.upsert(accounts(), account("b", 20, "new"));
  write(writer, batch);  // the same statement, prepared once, reused

  const auto rows = read_table(connection_, accounts());
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0], described(replaced));
  EXPECT_EQ(rows[1], described(account("b", 20, "new")));
}

TEST_P(PgBatchWriter, PatchChangesOnlyTheGivenColumns) {
  BatchWriter writer;
  RowBatch batch;
  batch.insert(accounts(), account("a", 10, "first"));
  batch.insert(accounts(), account("b", 20, "second"));
  batch.insert(accounts(), account("c", 30, "third"));
  write(writer, batch);
  batch.clear();
  batch.patch(accounts(), {kTenant, std::string("a")}, {{"balance", int64_t{11}}});
  batch.patch(accounts(), {kTenant, std::string("b")}, {{"note", Null{}}, {"active", false}});
  batch.patch(accounts(), {kTenant, std::string("c")},
              {{"balance", int64_t{33}}});  // same columns as "a"
  write(writer, batch);

  std::vector<Value> a = account("a", 10, "first");
  a[2] = int64_t{11};
  std::vector<Value> b = account("b", 20, "second");
  b[3] = Null{};
  b[4] = false;
  std::vector<Value> c = account("c", 30, "third");
  c[2] = int64_t{33};
  const auto rows = read_table(connection_, accounts());
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0], described(a));
  EXPECT_EQ(rows[1], described(b));
  EXPECT_EQ(rows[2], described(c));
}

TEST_P(PgBatchWriter, MergedInsertAndPatchInOneBatchWriteOneRow) {
  BatchWriter writer;
  RowBatch batch;
  batch.insert(accounts(), account("a", 10, "first"));
  batch.patch(accounts(), {kTenant, std::string("a")},
              {{"balance", int64_t{15}}, {"note", std::string("patched")}});
  batch.upsert(accounts(), account("b", 1, "upserted"));
  batch.patch(accounts(), {kTenant, std::string("b")}, {{"balance", int64_t{2}}});
  write(writer, batch);
  std::vector<Value> a = account("a", 10, "first");
  a[2] = int64_t{15};
  a[3] = std::string("patched");
  std::vector<Value> b = account("b", 1, "upserted");
  b[2] = int64_t{2};
  const auto rows = read_table(connection_, accounts());
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0], described(a));
  EXPECT_EQ(rows[1], described(b));
}

TEST_P(PgBatchWriter, PatchOfAMissingRowThrowsAndTheAbortedBatchWritesNothing) {
  BatchWriter writer;
  RowBatch batch;
  batch.insert(accounts(), account("a", 10, "first"));
  batch.upsert(accounts(), account("b", 20, "second"));
  batch.patch(accounts(), {kTenant, std::string("missing")}, {{"balance", int64_t{1}}});
  {
    pqxx::work work(connection_);
    try {
      write_in(work, writer, batch);
      FAIL() << "a patch to a missing row must throw";
    } catch (const std::runtime_error& error) {
      EXPECT_EQ(std::string(error.what()), "patch to missing row in accounts");
    }
  }  // aborted
  EXPECT_EQ(count_rows(connection_, "accounts"), 0);
  // The connection and the writer remain usable.
  batch.clear();
  batch.insert(accounts(), account("c", 1, "after"));
  write(writer, batch);
  EXPECT_EQ(count_rows(connection_, "accounts"), 1);
}

TEST_P(PgBatchWriter, SuffixWritesToTheShadowTable) {
  BatchWriter writer("__shadow");
  RowBatch batch;
  batch.insert(accounts(), account("a", 10, "first"));
  batch.upsert(accounts(), account("b", 20, "second"));
  write(writer, batch);
  batch.clear();
  batch.patch(accounts(), {kTenant, std::string("a")}, {{"balance", int64_t{12}}});
  write(writer, batch);
  EXPECT_EQ(count_rows(connection_, "accounts"), 0);
  const auto rows = read_table(connection_, accounts(), "__shadow");
  ASSERT_EQ(rows.size(), 2U);
  std::vector<Value> a = account("a", 10, "first");
  a[2] = int64_t{12};
  EXPECT_EQ(rows[0], described(a));
  EXPECT_EQ(rows[1], described(account("b", 20, "second")));
}

TEST_P(PgBatchWriter, LongTableNamesGetDistinctStatementNames) {
  const std::string name(60, 'l');
  exec("CREATE TABLE " + name + " (k bigint PRIMARY KEY, a bigint, b bigint)");
  const TableSpec table{
      name, {{"k", SqlType::int64}, {"a", SqlType::int64}, {"b", SqlType::int64}}, {0}};
  BatchWriter writer;
  RowBatch batch;
  batch.upsert(table, {int64_t{1}, int64_t{0}, int64_t{0}});
  batch.upsert(table, {int64_t{2}, int64_t{0}, int64_t{0}});
  write(writer, batch);
  batch.clear();
  batch.patch(table, {int64_t{1}}, {{"a", int64_t{5}}});
  batch.patch(table, {int64_t{2}}, {{"b", int64_t{7}}});
  write(writer, batch);
  const auto rows = read_table(connection_, table);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0], described({int64_t{1}, int64_t{5}, int64_t{0}}));
  EXPECT_EQ(rows[1], described({int64_t{2}, int64_t{0}, int64_t{7}}));
}

// The projector keeps its writer when it connects anew (after a probe found
// the database gone): the writer prepares its statements again there.
TEST_P(PgBatchWriter, AWriterOutlivesItsConnection) {
  BatchWriter writer;
  pqxx::connection other(url_);
  int id = 0;
  for (pqxx::connection* connection : {&connection_, &other, &connection_}) {
    RowBatch batch;
    batch.insert(accounts(), account("insert-" + std::to_string(++id), 1, "insert"));
    batch.upsert(accounts(), account("upsert-" + std::to_string(id), 2, "upsert"));
    batch.patch(accounts(), {kTenant, "insert-" + std::to_string(id)}, {{"balance", int64_t{3}}});
    pqxx::work work(*connection);
    write_in(work, writer, batch);
    work.commit();
  }
  EXPECT_EQ(count_rows(connection_, "accounts"), 6);
}

TEST_P(PgBatchWriter, ManyRowsThroughEveryPath) {
  constexpr int kRows = 50'000;
  BatchWriter writer;
  RowBatch batch;
  auto id = [](int i) { return "account-" + std::to_string(i); };
  for (int i = 0; i < kRows; ++i)
    batch.insert(accounts(), account(id(i), i, "note\twith tab " + std::to_string(i)));
  auto start = std::chrono::steady_clock::now();
  write(writer, batch);
  const double copy_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  batch.clear();
  for (int i = 0; i < kRows; ++i) batch.upsert(accounts(), account(id(i), i + 1, "upserted"));
  start = std::chrono::steady_clock::now();
  write(writer, batch);
  const double upsert_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  batch.clear();
  for (int i = 0; i < kRows; ++i)
    batch.patch(accounts(), {kTenant, id(i)}, {{"balance", int64_t{i + 2}}});
  start = std::chrono::steady_clock::now();
  write(writer, batch);
  const double patch_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  spdlog::info("{} rows: COPY {:.0f} rows/s, upsert {:.0f} rows/s, patch {:.0f} rows/s", kRows,
               kRows / copy_seconds, kRows / upsert_seconds, kRows / patch_seconds);
  RecordProperty("copy_rows_per_second", static_cast<int>(kRows / copy_seconds));
  RecordProperty("upsert_rows_per_second", static_cast<int>(kRows / upsert_seconds));
  RecordProperty("patch_rows_per_second", static_cast<int>(kRows / patch_seconds));

  pqxx::read_transaction work(connection_);
  const pqxx::row totals = work.exec1(
      "SELECT count(*), sum(balance), count(*) FILTER (WHERE note = 'upserted') FROM accounts");
  EXPECT_EQ(totals[0].as<int64_t>(), kRows);
  EXPECT_EQ(totals[1].as<int64_t>(), int64_t{kRows} * (kRows - 1) / 2 + 2 * int64_t{kRows});
  EXPECT_EQ(totals[2].as<int64_t>(), kRows);
}

// ------------------------------------------------------------ checkpoints

TEST_F(PgAdapter, LoadCheckpointsCreatesMissingRowsAtZero) {
  pqxx::work work(connection_);
  const std::vector<Checkpoint> loaded = load_checkpoints(work, {"alpha", "beta"}, {0, 2, 1});
  work.commit();
  ASSERT_EQ(loaded.size(), 6U);
  EXPECT_EQ(loaded[0].projection, "alpha");
  EXPECT_EQ(loaded[0].partition, 0);
  EXPECT_EQ(loaded[1].partition, 2);
  EXPECT_EQ(loaded[5].projection, "beta");
  EXPECT_EQ(loaded[5].partition, 1);
  for (const Checkpoint& checkpoint : loaded) {
    EXPECT_EQ(checkpoint.next_offset, 0);
    EXPECT_EQ(checkpoint.last_seq, 0);
    EXPECT_EQ(checkpoint.last_record_id, "");
  }
  EXPECT_EQ(count_rows(connection_, "projection_checkpoints"), 6);
}

Checkpoint moved(Checkpoint checkpoint, int64_t next_offset, int64_t last_seq) {
  checkpoint.next_offset = next_offset;
  checkpoint.last_seq = last_seq;
  checkpoint.last_record_id = "record-" + std::to_string(last_seq);
  checkpoint.ignored_count += 1;
  checkpoint.deadlettered_count += 2;
  return checkpoint;
}

TEST_F(PgAdapter, AdvanceCheckpointsFromTheStoredPosition) {
  std::vector<Checkpoint> before;
  std::string created_at;
  {
    pqxx::work work(connection_);
    before = load_checkpoints(work, {"alpha"}, {0, 1});
    created_at =
        work.exec1("SELECT max(updated_at)::text FROM projection_checkpoints")[0].as<std::string>();
    work.commit();
  }
  const std::vector<Checkpoint> after{moved(before[0], 10, 7), moved(before[1], 3, 2)};
  {
    pqxx::work work(connection_);
    advance_checkpoints(work, before, after);
    work.commit();
  }
  pqxx::work work(connection_);
  const std::vector<Checkpoint> stored = load_checkpoints(work, {"alpha"}, {0, 1});
  ASSERT_EQ(stored.size(), 2U);
  EXPECT_EQ(stored[0].next_offset, 10);
  EXPECT_EQ(stored[0].last_seq, 7);
  EXPECT_EQ(stored[0].last_record_id, "record-7");
  EXPECT_EQ(stored[0].ignored_count, 1);
  EXPECT_EQ(stored[0].deadlettered_count, 2);
  EXPECT_EQ(stored[1].next_offset, 3);
  const pqxx::row updated = work.exec_params1(
      "SELECT count(*) FROM projection_checkpoints WHERE updated_at > $1::timestamptz", created_at);
  EXPECT_EQ(updated[0].as<int64_t>(), 2);
}

class PgTwoProjectors : public PgBatchWriter {
 protected:
  PgTwoProjectors() : other_(url_) {
    pqxx::work work(connection_);
    start_ = load_checkpoints(work, {"accounts"}, {0});
    work.commit();
  }

  // A projector's write: the positions' compare-and-set, then the rows
  // (in one round trip when pipelined).
  void write_at(pqxx::work& work, BatchWriter& writer, const std::vector<Checkpoint>& from,
                const std::vector<Checkpoint>& to, const RowBatch& batch) {
    if (pipelined()) {
      ASSERT_TRUE(writer.write_pipelined(work, {advance_checkpoints_statement(from, to)}, batch));
      return;
    }
    advance_checkpoints(work, from, to);
    writer.write(work, batch);
  }

  pqxx::connection other_;
  std::vector<Checkpoint> start_;
};

INSTANTIATE_TEST_SUITE_P(Paths, PgTwoProjectors, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Pipelined") : std::string("OneByOne");
                         });

TEST_P(PgTwoProjectors, StaleProjectorCommitFailsAndWritesNothing) {
  BatchWriter first_writer;
  BatchWriter stale_writer;
  {
    RowBatch batch;
    batch.insert(accounts(), account("first", 1, "first projector"));
    pqxx::work work(connection_);
    write_at(work, first_writer, start_, {moved(start_[0], 10, 10)}, batch);
    work.commit();
  }
  {
    // The stale projector writes the same record again: its insert of a
    // taken key fails too, but the refused compare-and-set before it is
    // what the projector hears about, on both paths.
    RowBatch batch;
    batch.insert(accounts(), account("stale", 1, "stale projector"));
    batch.insert(accounts(), account("first", 1, "first projector"));
    pqxx::work work(other_);
    EXPECT_THROW(write_at(work, stale_writer, start_, {moved(start_[0], 7, 7)}, batch),
                 StalePosition);
  }  // aborted
  EXPECT_EQ(count_rows(connection_, "accounts"), 1);
  pqxx::work work(connection_);
  EXPECT_EQ(load_checkpoints(work, {"accounts"}, {0})[0].next_offset, 10);
}

TEST_P(PgTwoProjectors, ConcurrentAdvanceWaitsThenFailsWhenTheFirstCommits) {
  pqxx::work first(connection_);
  advance_checkpoints(first, start_, {moved(start_[0], 10, 10)});

  // The second projector's CAS blocks on the first's row lock...
  auto second = std::async(std::launch::async, [this] {
    pqxx::work work(other_);
    RowBatch batch;
    batch.insert(accounts(), account("stale", 1, "stale projector"));
    BatchWriter writer;
    try {
      write_at(work, writer, start_, {moved(start_[0], 7, 7)}, batch);
      work.commit();
      return false;
    } catch (const StalePosition&) {
      return true;
    }
  });
  pqxx::connection observer(url_);
  ASSERT_TRUE(lf::testing::wait_until(
      [&observer] {
        pqxx::read_transaction work(observer);
        return work.exec1(
                       "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")[0]
                   .as<int>() > 0;
      },
      std::chrono::seconds(30)));
  // ...and re-checks after the first commits: it sees another position.
  first.commit();
  EXPECT_TRUE(second.get());
  EXPECT_EQ(count_rows(connection_, "accounts"), 0);
  pqxx::work work(connection_);
  EXPECT_EQ(load_checkpoints(work, {"accounts"}, {0})[0].next_offset, 10);
}

// A statement PostgreSQL refuses in the middle of a round trip: its error
// comes out as libpqxx's would (class and SQLSTATE), the statements after
// it do not run, and the statements the round trip prepared before the
// failure stay prepared while those after it do not (the next batches,
// needing both, go through).
TEST_F(PgAdapter, PipelineRefusalInTheMiddleKeepsTheConnectionAndItsPreparedStatements) {
  exec(kAccountsDdl);
  BatchWriter writer;
  {
    pqxx::work work(connection_);
    work.exec("INSERT INTO accounts VALUES ('" + kTenant +
              "', 'taken', 1, NULL, true, NULL, now(), NULL)");
    work.commit();
  }
  RowBatch batch;
  batch.insert(accounts(), account("taken", 2, "insert of a taken key"));
  batch.upsert(accounts(), account("new", 3, "after the failure"));
  {
    pqxx::work work(connection_);
    try {
      writer.write_pipelined(work, {}, batch);
      FAIL() << "a taken key must fail the round trip";
    } catch (const pqxx::unique_violation& violation) {
      EXPECT_EQ(violation.sqlstate(), "23505");
    }
  }  // aborted
  EXPECT_EQ(count_rows(connection_, "accounts"), 1);
  {
    pqxx::read_transaction work(connection_);
    EXPECT_EQ(work.exec1("SELECT count(*) FROM pg_prepared_statements")[0].as<int>(), 1)
        << "the insert was prepared, the upsert after the failure was not";
  }
  for (const std::string id : {"second", "third"}) {
    RowBatch next;
    next.insert(accounts(), account(id, 4, "insert"));
    next.upsert(accounts(), account(id + "-upserted", 5, "upsert"));
    pqxx::work work(connection_);
    ASSERT_TRUE(writer.write_pipelined(work, {}, next));
    work.commit();
  }
  EXPECT_EQ(count_rows(connection_, "accounts"), 5);
}

// A backend terminated under a round trip: the write fails as a lost
// connection (the projector then waits for the database and resumes from
// the positions it holds), and nothing of the batch is written.
TEST_F(PgAdapter, PipelineOnATerminatedBackendFailsAsALostConnection) {
  exec(kAccountsDdl);
  BatchWriter writer;
  RowBatch batch;
  batch.insert(accounts(), account("a", 1, "lost"));
  {
    pqxx::work work(connection_);
    const int backend = work.exec1("SELECT pg_backend_pid()")[0].as<int>();
    pqxx::connection killer(url_);
    pqxx::nontransaction kill(killer);
    kill.exec_params("SELECT pg_terminate_backend($1)", backend);
    ASSERT_TRUE(lf::testing::wait_until(
        [&kill, backend] {
          return kill.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                                   backend)[0]
                     .as<int>() == 0;
        },
        std::chrono::seconds(30)));
    EXPECT_THROW(writer.write_pipelined(work, {}, batch), pqxx::broken_connection);
  }
  EXPECT_FALSE(connection_.is_open());
  pqxx::connection fresh(url_);
  EXPECT_EQ(count_rows(fresh, "accounts"), 0);
}

// -------------------------------------------------------------- snapshots

const std::string kTenantA = "11111111-1111-4111-8111-111111111111";
const std::string kTenantB = "22222222-2222-4222-8222-222222222222";
const std::string kTenantC = "33333333-3333-4333-8333-333333333333";

SnapshotHeader header_at(int64_t seq) {
  return SnapshotHeader{3, seq, "record-" + std::to_string(seq), seq * 2, seq * 3};
}

std::string state(int balance) {
  return "{\"balance\": " + std::to_string(balance) + "}";
}

DedupRow dedup_row(const std::string& tenant, const std::string& command, int64_t seq) {
  return DedupRow{tenant, command, seq,
                  "{\"status\": \"accepted\", \"command_id\": \"" + command + "\"}"};
}

std::vector<std::string> tenant_rows(const Snapshot& snapshot) {
  std::vector<std::string> rows;
  for (const TenantStateRow& row : snapshot.tenants)
    rows.push_back(row.tenant_id + "=" + row.state_json);
  return rows;
}

std::vector<std::string> dedup_rows(const Snapshot& snapshot) {
  std::vector<std::string> rows;
  for (const DedupRow& row : snapshot.dedup) {
    rows.push_back(row.tenant_id + "/" + row.command_id + "@" + std::to_string(row.seq) + "=" +
                   row.result_json);
  }
  return rows;
}

class PgSnapshots : public PgAdapter {
 protected:
  bool save(const SnapshotHeader& header, const std::vector<TenantStateRow>& tenants,
            const std::vector<DedupRow>& dedup, int64_t evict_through) {
    pqxx::work work(connection_);
    const bool saved = save_snapshot(work, header, tenants, dedup, evict_through);
    work.commit();
    return saved;
  }
  std::optional<Snapshot> load(int32_t partition = 3) {
    pqxx::work work(connection_);
    return load_snapshot(work, partition);
  }
};

TEST_F(PgSnapshots, SaveThenLoadRoundTrips) {
  EXPECT_FALSE(load().has_value());
  ASSERT_TRUE(save(
      header_at(10), {{kTenantA, state(1)}, {kTenantB, state(2)}},
      {dedup_row(kTenantB, "c2", 9), dedup_row(kTenantA, "c1", 8), dedup_row(kTenantA, "c3", 10)},
      0));
  const std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->header.partition, 3);
  EXPECT_EQ(snapshot->header.seq, 10);
  EXPECT_EQ(snapshot->header.record_id, "record-10");
  EXPECT_EQ(snapshot->header.events_next_offset, 20);
  EXPECT_EQ(snapshot->header.commands_next_offset, 30);
  EXPECT_EQ(tenant_rows(*snapshot),
            (std::vector<std::string>{kTenantA + "=" + state(1), kTenantB + "=" + state(2)}));
  EXPECT_EQ(dedup_rows(*snapshot),
            (std::vector<std::string>{
                kTenantA + "/c1@8={\"status\": \"accepted\", \"command_id\": \"c1\"}",
                kTenantB + "/c2@9={\"status\": \"accepted\", \"command_id\": \"c2\"}",
                kTenantA + "/c3@10={\"status\": \"accepted\", \"command_id\": \"c3\"}",
            }));
  EXPECT_FALSE(load(4).has_value());
}

TEST_F(PgSnapshots, OlderOrEqualSeqIsRefusedAndWritesNothing) {
  ASSERT_TRUE(save(header_at(10), {{kTenantA, state(1)}}, {dedup_row(kTenantA, "c1", 10)}, 0));
  EXPECT_FALSE(save(header_at(9), {{kTenantA, state(100)}, {kTenantC, state(3)}},
                    {dedup_row(kTenantC, "c9", 9)}, 10));
  EXPECT_FALSE(save(header_at(10), {{kTenantC, state(3)}}, {}, 10));
  const std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->header.seq, 10);
  EXPECT_EQ(tenant_rows(*snapshot), (std::vector<std::string>{kTenantA + "=" + state(1)}));
  EXPECT_EQ(snapshot->dedup.size(), 1U);
}

TEST_F(PgSnapshots, IncrementalSaveKeepsEarlierTenants) {
  ASSERT_TRUE(save(header_at(10), {{kTenantA, state(1)}, {kTenantB, state(2)}}, {}, 0));
  ASSERT_TRUE(save(header_at(20), {{kTenantB, state(20)}, {kTenantC, state(30)}}, {}, 0));
  const std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->header.seq, 20);
  EXPECT_EQ(tenant_rows(*snapshot),
            (std::vector<std::string>{kTenantA + "=" + state(1), kTenantB + "=" + state(20),
                                      kTenantC + "=" + state(30)}));
}

TEST_F(PgSnapshots, DedupRowsAreEvictedBySeq) {
  ASSERT_TRUE(save(
      header_at(10), {},
      {dedup_row(kTenantA, "c1", 8), dedup_row(kTenantA, "c2", 9), dedup_row(kTenantB, "c3", 10)},
      0));
  ASSERT_TRUE(save(header_at(30), {}, {dedup_row(kTenantB, "c4", 30)}, 9));
  const std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_EQ(snapshot->dedup.size(), 2U);
  EXPECT_EQ(snapshot->dedup[0].command_id, "c3");
  EXPECT_EQ(snapshot->dedup[1].command_id, "c4");
  EXPECT_EQ(snapshot->dedup[1].seq, 30);
}

// Migration 011: one chunk row per snapshot, not one row per decision; a
// chunk goes only when the window has passed all of it, and what is left of
// it loads without the entries that have left.
TEST_F(PgSnapshots, DedupEntriesAreSavedAsOneChunkPerSnapshot) {
  ASSERT_TRUE(save(
      header_at(10), {},
      {dedup_row(kTenantA, "c1", 8), dedup_row(kTenantA, "c2", 9), dedup_row(kTenantB, "c3", 10)},
      0));
  ASSERT_TRUE(save(header_at(20), {}, {dedup_row(kTenantB, "c4", 19)}, 0));
  ASSERT_TRUE(save(header_at(25), {{kTenantA, state(1)}}, {}, 0));
  EXPECT_EQ(count_rows(connection_, "engine_dedup_chunks"), 2);
  EXPECT_EQ(count_rows(connection_, "engine_dedup"), 0);

  // Through seq 9: the first chunk still holds c3 and stays.
  ASSERT_TRUE(save(header_at(30), {}, {}, 9));
  EXPECT_EQ(count_rows(connection_, "engine_dedup_chunks"), 2);
  std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(dedup_rows(*snapshot),
            (std::vector<std::string>{
                kTenantB + "/c3@10={\"status\": \"accepted\", \"command_id\": \"c3\"}",
                kTenantB + "/c4@19={\"status\": \"accepted\", \"command_id\": \"c4\"}",
            }));
  // Through seq 10: all of it has left.
  ASSERT_TRUE(save(header_at(31), {}, {}, 10));
  EXPECT_EQ(count_rows(connection_, "engine_dedup_chunks"), 1);
  snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_EQ(snapshot->dedup.size(), 1U);
  EXPECT_EQ(snapshot->dedup[0].command_id, "c4");
}

// A key given twice, in one snapshot or in two, loads once: the later entry.
TEST_F(PgSnapshots, TheLaterEntryForAKeyIsTheOneLoaded) {
  DedupRow again = dedup_row(kTenantA, "c1", 9);
  again.result_json = "{\"again\": 1}";
  ASSERT_TRUE(save(header_at(10), {}, {dedup_row(kTenantA, "c1", 8), again}, 0));
  std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(dedup_rows(*snapshot), (std::vector<std::string>{kTenantA + "/c1@9={\"again\": 1}"}));
  ASSERT_TRUE(save(header_at(20), {}, {dedup_row(kTenantA, "c1", 15)}, 0));
  snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(dedup_rows(*snapshot),
            (std::vector<std::string>{
                kTenantA + "/c1@15={\"status\": \"accepted\", \"command_id\": \"c1\"}"}));
}

// A result holds quotes, backslashes, escapes and non-ASCII text:
// it comes back byte for byte.
TEST_F(PgSnapshots, DedupResultsRoundTripExactly) {
  const std::string result =
      "{\"message\": \"a \\\"quoted\\\" \\\\ path\\n\\u0001 \xc3\xa9t\xc3\xa9\", \"seq\": 1}";
  ASSERT_TRUE(save(header_at(10), {}, {DedupRow{kTenantA, "c\"1\\", 10, result}}, 0));
  const std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_EQ(snapshot->dedup.size(), 1U);
  EXPECT_EQ(snapshot->dedup[0].command_id, "c\"1\\");
  EXPECT_EQ(snapshot->dedup[0].result_json, result);
}

// An engine before migration 011 left one row per decision: they load beside
// the chunks, the later entry for a key wins, and they are evicted by seq.
TEST_F(PgSnapshots, RowsOfAnEarlierEngineLoadAndAreEvicted) {
  ASSERT_TRUE(save(header_at(10), {}, {}, 0));
  exec(
      "INSERT INTO engine_dedup (partition, tenant_id, command_id, seq, result) VALUES "
      "(3, '" +
      kTenantA +
      "', 'old-1', 4, '{\"old\": 1}'), "
      "(3, '" +
      kTenantA +
      "', 'old-2', 6, '{\"old\": 2}'), "
      "(3, '" +
      kTenantB + "', 'c9', 7, '{\"old\": 3}')");
  ASSERT_TRUE(save(header_at(20), {}, {dedup_row(kTenantB, "c9", 15)}, 0));
  std::optional<Snapshot> snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(dedup_rows(*snapshot),
            (std::vector<std::string>{
                kTenantA + "/old-1@4={\"old\": 1}",
                kTenantA + "/old-2@6={\"old\": 2}",
                kTenantB + "/c9@15={\"status\": \"accepted\", \"command_id\": \"c9\"}",
            }));
  ASSERT_TRUE(save(header_at(30), {}, {}, 5));
  EXPECT_EQ(count_rows(connection_, "engine_dedup"), 2);
  snapshot = load();
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_EQ(snapshot->dedup.size(), 2U);
  EXPECT_EQ(snapshot->dedup[0].command_id, "old-2");
  EXPECT_EQ(snapshot->dedup[1].command_id, "c9");
}

// A chunk that is not what the engine writes stops the load with where it is,
// rather than restoring a window with holes.
TEST_F(PgSnapshots, ADamagedChunkIsAnErrorNamingIt) {
  ASSERT_TRUE(save(header_at(10), {}, {dedup_row(kTenantA, "c1", 10)}, 0));
  exec("UPDATE engine_dedup_chunks SET entries = '[[\"" + kTenantA +
       "\", \"c1\", \"ten\", \"{}\"]]'");
  try {
    load();
    FAIL() << "a damaged chunk loaded";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("engine_dedup_chunks partition 3 seq 10: entry 0"),
              std::string::npos)
        << error.what();
  }
  exec("UPDATE engine_dedup_chunks SET entries = '[[\"" + kTenantA + "\"'");
  EXPECT_THROW(load(), std::runtime_error);
}

}  // namespace
}  // namespace lf::pg
