// Import throughput: rows/s of `ledgerflow import credit_ledger` (the CSV
// read, every tenant pre-checked, sent in chunks, decided by the engine,
// projected into every read table, until the read tables have every row),
// beside the raw baseline measured in the same run on the same PostgreSQL
// server: `COPY ... FROM STDIN (FORMAT csv, HEADER)` of the same CSV into a
// plain table. Prints both and the ratio.
//
// The CSV holds each tenant's history in time order, the tenants' rows
// interleaved as an export of the whole table by created_at would have
// them: an allocation, a top-up, then runs that reserve, release and
// consume; a balances file holds each tenant's end state.
//
//   build/bench/import_bench [--rows 1000000] [--tenants 10000] [--partitions 12]
//                            [--in-flight 4] [--projector-lag-max 8] [--projections a,b]
//
// --projections runs only those projectors (to see what each costs); the
// default, every projection, is the figure to quote.
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "bench/baselines.hpp"
#include "consumers/engine/engine_service.hpp"
#include "consumers/import/import_run.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/temp_server.hpp"
#include "consumers/projector/projector.hpp"
#include "events/time.hpp"

namespace {

using lf::bench::Clock;
using lf::bench::seconds_since;

std::string uuid_of(uint64_t high, uint64_t low) {
  char text[37];
  std::snprintf(text, sizeof(text), "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                static_cast<unsigned long long>(high >> 32),
                static_cast<unsigned long long>((high >> 16) & 0xffff),
                static_cast<unsigned long long>(high & 0xfff),
                static_cast<unsigned long long>(low >> 48 & 0xfff),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

std::string pg_time(int64_t unix_ms) {
  std::string text = lf::format_rfc3339_ms(unix_ms);
  text[10] = ' ';
  return text.substr(0, 23) + "+00";
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = list.find(',', start);
    const std::size_t end = comma == std::string::npos ? list.size() : comma;
    if (end > start) items.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

struct Generated {
  std::string ledger_path;
  std::string balances_path;
  int64_t rows = 0;
  int64_t bytes = 0;
};

// Each tenant: allocated, topup, then (reserved, released, consumed) runs,
// and one reservation left open when its rows run out mid-run.
Generated generate(const std::string& dir, int64_t rows, int tenants) {
  struct Tenant {
    std::string id;
    int64_t balance = 0, available = 0, reserved = 0, consumed = 0, topup = 0;
    int64_t written = 0, target = 0;
    int step = 0;
    std::string run;
    int64_t held = 0, used = 0;
  };
  std::vector<Tenant> all(static_cast<std::size_t>(tenants));
  for (int i = 0; i < tenants; ++i) {
    all[static_cast<std::size_t>(i)].id =
        uuid_of(0x7e000000ULL << 32 | static_cast<uint64_t>(i), 0x1000 + static_cast<uint64_t>(i));
    all[static_cast<std::size_t>(i)].target = rows / tenants + (i < rows % tenants ? 1 : 0);
  }
  Generated out{dir + "/credit_ledger.csv", dir + "/credit_balances.csv", 0, 0};
  std::ofstream ledger(out.ledger_path);
  ledger << "id,tenant_id,type,credits,activity_run_id,deliverable_type,topup_order_id,balance_"
            "after,actor,note,created_at\n";
  std::mt19937_64 random(7);
  const int64_t month_start =
      static_cast<int64_t>(*lf::parse_date_days(
          lf::format_date_days(static_cast<int32_t>(lf::system_now_ms() / lf::kMillisPerDay))
              .substr(0, 8) +
          "01")) *
      lf::kMillisPerDay;
  int64_t clock_ms = month_start;
  uint64_t row_number = 0;
  std::string line;
  bool left = true;
  while (left) {
    left = false;
    for (Tenant& t : all) {
      if (t.written == t.target) continue;
      left = true;
      std::string type, run, order;
      int64_t credits = 0;
      switch (t.step) {
        case 0:
          type = "allocated";
          credits = 1'000'000;
          t.available += credits;
          break;
        case 1:
          type = "topup";
          credits = 5'000;
          order = "order_" + t.id.substr(0, 8);
          t.available += credits;
          t.topup += credits;
          break;
        default: {
          const int phase = (t.step - 2) % 3;
          if (phase == 0) {
            t.run = uuid_of(row_number, 0x2000 + row_number);
            t.held = 50 + static_cast<int64_t>(random() % 100);
            t.used = static_cast<int64_t>(random() % static_cast<uint64_t>(t.held + 1));
            type = "reserved";
            credits = -t.held;
            run = t.run;
            t.reserved += t.held;
          } else if (phase == 1) {
            type = "released";
            credits = t.held;
            run = t.run;
            t.reserved -= t.held;
          } else {
            type = "consumed";
            credits = -t.used;
            run = t.run;
            t.available -= t.used;
            t.consumed += t.used;
            const int64_t from_topup = std::min(t.topup, t.used);
            t.topup -= from_topup;
          }
        }
      }
      ++t.step;
      t.balance += credits;
      ++t.written;
      clock_ms += 1;
      line = uuid_of(row_number, 0x3000 + row_number) + "," + t.id + "," + type + "," +
             std::to_string(credits) + "," + run + ",," + order + "," + std::to_string(t.balance) +
             ",system,," + pg_time(clock_ms) + "\n";
      ++row_number;
      out.bytes += static_cast<int64_t>(line.size());
      ledger << line;
      ++out.rows;
    }
  }
  std::ofstream balances(out.balances_path);
  balances << "tenant_id,credits_monthly,credits_available,credits_reserved,credits_consumed,"
              "credits_topup,period_start,period_end\n";
  const std::string start =
      lf::format_date_days(static_cast<int32_t>(month_start / lf::kMillisPerDay));
  const int32_t next = *lf::parse_date_days(
      lf::format_date_days(static_cast<int32_t>(month_start / lf::kMillisPerDay) + 32)
          .substr(0, 8) +
      "01");
  const std::string end = lf::format_date_days(next - 1);
  for (const Tenant& t : all) {
    balances << t.id << ",1000000," << t.available << "," << t.reserved << "," << t.consumed << ","
             << t.topup << "," << start << "," << end << "\n";
  }
  return out;
}

// COPY of the CSV into a plain table of the seed's columns, through libpq.
double raw_copy_seconds(const std::string& url, const std::string& path) {
  PGconn* connection = PQconnectdb(url.c_str());
  if (PQstatus(connection) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(connection));
  auto exec = [&](const char* sql, ExecStatusType want) {
    PGresult* result = PQexec(connection, sql);
    const bool ok = PQresultStatus(result) == want;
    std::string error = ok ? "" : PQresultErrorMessage(result);
    PQclear(result);
    if (!ok) throw std::runtime_error(error);
  };
  exec(
      "CREATE TABLE raw_credit_ledger (id uuid, tenant_id uuid, type varchar(20), credits bigint, "
      "activity_run_id uuid, deliverable_type varchar(100), topup_order_id text, balance_after "
      "bigint, actor text, "
      "note text, created_at timestamptz)",
      PGRES_COMMAND_OK);
  std::ifstream in(path, std::ios::binary);
  const auto start = Clock::now();
  exec("COPY raw_credit_ledger FROM STDIN (FORMAT csv, HEADER)", PGRES_COPY_IN);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0 &&
        PQputCopyData(connection, buffer.data(), static_cast<int>(in.gcount())) != 1) {
      throw std::runtime_error(PQerrorMessage(connection));
    }
  }
  if (PQputCopyEnd(connection, nullptr) != 1) throw std::runtime_error(PQerrorMessage(connection));
  PGresult* result = PQgetResult(connection);
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  std::string error = ok ? "" : PQresultErrorMessage(result);
  PQclear(result);
  const double seconds = seconds_since(start);
  PQfinish(connection);
  if (!ok) throw std::runtime_error(error);
  return seconds;
}

std::string fresh_database(lf::pg::TempServer& server, const std::string& name) {
  server.create_database(name);
  pqxx::connection connection(server.url_for(name));
  lf::pg::migrate(connection);
  return server.url_for(name);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 1'000'000;
  int tenants = 10'000;
  int partitions = 12;
  int in_flight = lf::import_run::Options{}.in_flight_per_partition;
  int64_t lag_max = lf::import_run::Options{}.projector_lag_max;
  std::vector<std::string> projections;  // empty: every projection
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rows")
      rows = std::atoll(argv[i + 1]);
    else if (flag == "--tenants")
      tenants = std::atoi(argv[i + 1]);
    else if (flag == "--partitions")
      partitions = std::atoi(argv[i + 1]);
    else if (flag == "--in-flight")
      in_flight = std::atoi(argv[i + 1]);
    else if (flag == "--projector-lag-max")
      lag_max = std::atoll(argv[i + 1]);
    else if (flag == "--projections")
      projections = split(argv[i + 1]);
    else {
      std::fprintf(stderr,
                   "usage: import_bench [--rows N] [--tenants N] [--partitions N] [--in-flight N] "
                   "[--projector-lag-max N] [--projections a,b]\n");
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("import_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const Generated csv = generate(dir.string(), rows, tenants);

  lf::pg::TempServer server;
  const double raw = raw_copy_seconds(fresh_database(server, "bench_raw"), csv.ledger_path);

  lf::kafka::MockCluster cluster(3);
  const lf::kafka::Topics topics{"bench."};
  cluster.create_ledgerflow_topics(topics, partitions);
  lf::kafka::Settings settings;
  settings.bootstrap = cluster.bootstrap();
  const std::string url = fresh_database(server, "bench_import");

  std::atomic<bool> stop{false};
  lf::engine_service::Options engine_options;
  engine_options.kafka = settings;
  engine_options.topics = topics;
  engine_options.database_url = url;
  lf::engine_service::EngineService engine(engine_options);
  std::thread engine_thread([&] { engine.run(stop); });
  lf::projector::Options projector_options;
  projector_options.kafka = settings;
  projector_options.topics = topics;
  projector_options.database_url = url;
  projector_options.projections = projections;
  lf::projector::Projector projector(projector_options);
  std::thread projector_thread([&] { projector.run(stop); });
  while (engine.assigned_partitions() < partitions)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

  lf::import_run::Options options;
  options.kafka = settings;
  options.topics = topics;
  options.database_url = url;
  options.kind = "credit_ledger";
  options.files = {csv.ledger_path};
  options.balances_file = csv.balances_path;
  options.in_flight_per_partition = in_flight;
  options.projector_lag_max = lag_max;
  const auto start = Clock::now();
  const lf::import_run::Outcome outcome = lf::import_run::run(options);
  const double imported = seconds_since(start);
  stop = true;
  engine_thread.join();
  projector_thread.join();
  const lf::projector::Stats projected = projector.stats();
  const lf::engine_service::Stats decided = engine.stats();
  int64_t ledger_rows = 0;
  {
    pqxx::connection connection(url);
    pqxx::work work(connection);
    ledger_rows = work.exec1("SELECT count(*) FROM credit_ledger")[0].as<int64_t>();
  }
  std::filesystem::remove_all(dir);

  const double raw_rate = static_cast<double>(csv.rows) / raw;
  const double import_rate = static_cast<double>(csv.rows) / imported;
  std::printf(
      "import_bench: %lld credit_ledger rows (%.0f bytes of CSV each), %d tenants, %d partitions, "
      "3 mock brokers\n",
      static_cast<long long>(csv.rows),
      static_cast<double>(csv.bytes) / static_cast<double>(csv.rows), tenants, partitions);
  std::printf("  raw COPY FROM STDIN CSV HEADER, plain table : %10.0f rows/s (%.2f s)\n", raw_rate,
              raw);
  std::printf(
      "  ledgerflow import, CSV to read tables       : %10.0f rows/s (%.2f s; sending to caught up "
      "%.2f s)\n",
      import_rate, imported, outcome.send_seconds);
  std::printf("  ratio import / raw                          : %10.2f\n", import_rate / raw_rate);
  std::printf(
      "  tenants imported %lld, refused %lld, incomplete %lld; rows in credit_ledger %lld; chunks "
      "%lld\n",
      static_cast<long long>(outcome.tenants_imported),
      static_cast<long long>(outcome.tenants_refused),
      static_cast<long long>(outcome.tenants_incomplete), static_cast<long long>(ledger_rows),
      static_cast<long long>(outcome.chunks_sent));
  std::printf(
      "  (reading and pre-checking %.2f s; engine: %lld commands, %lld records, %lld snapshots; "
      "projector: %lld "
      "batches, decode+map %.2f s, PostgreSQL writes %.2f s)\n",
      imported - outcome.send_seconds, static_cast<long long>(decided.commands),
      static_cast<long long>(decided.records_written), static_cast<long long>(decided.snapshots),
      static_cast<long long>(projected.batches), projected.map_seconds, projected.write_seconds);
  return outcome.failed() || ledger_rows != csv.rows ? 1 : 0;
}
