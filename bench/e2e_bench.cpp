// End to end, as a user feels it: a producer outside the pipeline sends a
// credits workload to ledgerflow.commands; the engine decides, the
// projector (every projection on) writes the read tables of a PostgreSQL
// with default durability (fsync on, synchronous_commit on). Prints
//  - commands/s until every result is out, and commands/s and events/s until
//    every projection has caught up with the log;
//  - command -> its credit_ledger row latency (p50/p99/max) at fixed offered
//    rates, seen by a reader polling the table as a dashboard would;
// beside the raw rates of this machine in the same run: produce+consume of
// the same messages (each producer setting tried, the best counts) and COPY
// of the same final rows into empty tables of the same server.
//
//   build/bench/e2e_bench [commands=200000] [tenants=10000] [partitions=12]
//                         [seconds per offered rate=10]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "bench/baselines.hpp"
#include "consumers/client/command_client.hpp"
#include "consumers/engine/engine_service.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "consumers/pg/migrations.hpp"
#include "consumers/pg/temp_server.hpp"
#include "consumers/projector/projector.hpp"
#include "consumers/verify/status.hpp"
#include "events/time.hpp"
#include "projections/registry.hpp"

namespace {

using lf::bench::Clock;
using lf::bench::machine_cpu_seconds;
using lf::bench::process_cpu_seconds;
using lf::bench::seconds_since;
using lf::workload::CreditsWorkload;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "e2e_bench: %s\n", why.c_str());
  std::exit(1);
}

// The engine and the projector on their own threads, as `ledgerflow dev`
// runs them (one process, consumer groups).
class Pipeline {
 public:
  Pipeline(const lf::kafka::Settings& settings, const lf::kafka::Topics& topics,
           const std::string& url, int partitions, int projectors) {
    lf::engine_service::Options engine;
    engine.kafka = settings;
    engine.topics = topics;
    engine.database_url = url;
    engine_ = std::make_unique<lf::engine_service::EngineService>(engine);
    lf::projector::Options projector;
    projector.kafka = settings;
    projector.topics = topics;
    projector.database_url = url;
    for (int i = 0; i < projectors; ++i) {
      projector.client_id = "ledgerflow-projector-" + std::to_string(i);
      projectors_.push_back(std::make_unique<lf::projector::Projector>(projector));
    }
    engine_thread_ = std::thread([this] { engine_->run(stop_); });
    for (auto& each : projectors_)
      projector_threads_.emplace_back([this, &each] { each->run(stop_); });
    auto projected = [this] {
      int assigned = 0;
      for (const auto& each : projectors_) assigned += each->assigned_partitions();
      return assigned;
    };
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (engine_->assigned_partitions() < partitions || projected() < partitions) {
      if (Clock::now() > deadline)
        fail("the engine and projectors did not take every partition in 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~Pipeline() {
    stop_ = true;
    engine_thread_.join();
    for (std::thread& thread : projector_threads_) thread.join();
  }
  lf::engine_service::Stats engine_stats() const { return engine_->report().stats; }
  // Commands on the commands topic the engine has not read yet.
  int64_t commands_lag() const {
    int64_t lag = 0;
    for (const auto& partition : engine_->report().partitions)
      lag += partition.commands_lag.value_or(0);
    return lag;
  }
  // Summed over the projectors.
  lf::projector::Stats projector_stats() const {
    lf::projector::Stats sum;
    for (const auto& each : projectors_) {
      const lf::projector::Stats stats = each->published_stats();
      sum.batches += stats.batches;
      sum.map_seconds += stats.map_seconds;
      sum.write_seconds += stats.write_seconds;
    }
    return sum;
  }

 private:
  std::atomic<bool> stop_{false};
  std::unique_ptr<lf::engine_service::EngineService> engine_;
  std::vector<std::unique_ptr<lf::projector::Projector>> projectors_;
  std::thread engine_thread_;
  std::vector<std::thread> projector_threads_;
};

std::vector<std::string> projection_names() {
  std::vector<std::string> names;
  for (const auto& projection : lf::projections::all_projections())
    names.emplace_back(projection->name());
  return names;
}

// How far the projections are behind the events topic's end, asked again
// and again over one connection and one probe consumer.
class LagProbe {
 public:
  LagProbe(const lf::kafka::Settings& settings, const lf::kafka::Topics& topics,
           const std::string& url)
      : topic_(topics.events()),
        connection_(url),
        probe_(settings, "bench-lag-probe", ""),
        names_(projection_names()) {}
  // Records of the events topic not yet applied, summed over projections.
  int64_t lag() {
    pqxx::work work(connection_);
    return lf::verify::projection_lag(work, probe_, topic_, names_);
  }
  // Waits until every projection has read the topic to its end.
  void wait_caught_up() {
    const auto deadline = Clock::now() + std::chrono::seconds(600);
    while (lag() != 0) {
      if (Clock::now() > deadline) fail("the projections did not catch up within 600 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  std::string topic_;
  pqxx::connection connection_;
  lf::kafka::Consumer probe_;
  std::vector<std::string> names_;
};

int64_t count_rows(const std::string& url, const std::string& table) {
  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  return work.exec1("SELECT count(*) FROM " + work.quote_name(table))[0].as<int64_t>();
}

// PostgreSQL's WAL counters (pg_stat_wal) and checkpoints so far.
struct WalFigures {
  int64_t records = 0;
  int64_t full_page_images = 0;
  int64_t bytes = 0;
  int64_t checkpoints = 0;
};

WalFigures wal_figures(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  const pqxx::row wal =
      work.exec1("SELECT wal_records, wal_fpi, wal_bytes::bigint FROM pg_stat_wal");
  const pqxx::row checkpoints =
      work.exec1("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter");
  return WalFigures{wal[0].as<int64_t>(), wal[1].as<int64_t>(), wal[2].as<int64_t>(),
                    checkpoints[0].as<int64_t>()};
}

std::vector<std::string> command_ids(const std::vector<CreditsWorkload::Command>& commands) {
  std::vector<std::string> ids;
  ids.reserve(commands.size());
  for (const auto& command : commands) ids.push_back(CreditsWorkload::command_id(command));
  return ids;
}

void send_and_await(lf::client::CommandClient& client,
                    const std::vector<CreditsWorkload::Command>& commands) {
  for (const auto& [key, value] : commands) client.send(key, value);
  client.flush(120'000);
  const std::vector<std::string> ids = command_ids(commands);
  const std::size_t arrived = client.wait_for(ids, 600'000);
  if (arrived != ids.size()) {
    fail("only " + std::to_string(arrived) + " of " + std::to_string(ids.size()) +
         " results arrived");
  }
}

// A reader polling credit_ledger for the rows of the commands sent and not
// yet seen (the oldest 1,000, each an index probe over its tenant's latest
// rows), every 2 ms; a row's latency is from just
// before its command was produced to the end of the query that first
// returned it.
class LedgerWatch {
 public:
  explicit LedgerWatch(const std::string& url) : connection_(url), thread_([this] { run(); }) {}
  ~LedgerWatch() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  // Call just before the command is produced.
  void expect(const std::string& tenant_id, const std::string& command_id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    pending_[command_id] = Pending{tenant_id, Clock::now(), lf::system_now_ms(), sent_++};
    changed_.notify_all();
  }
  // Waits until every expected row was seen (false: timed out).
  bool wait_all(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return pending_.empty(); });
  }
  // Latencies in ms, in the order the commands were sent.
  std::vector<double> take_latencies() {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::pair<int64_t, double>> seen;
    seen.swap(seen_);
    std::sort(seen.begin(), seen.end());
    std::vector<double> latencies;
    for (const auto& [order, latency] : seen) latencies.push_back(latency);
    return latencies;
  }
  int64_t queries() const { return queries_; }

 private:
  struct Pending {
    std::string tenant_id;
    Clock::time_point sent;
    int64_t sent_ms = 0;  // the system clock, which the engine decides by
    int64_t order = 0;
  };

  static constexpr std::size_t kPolledMax = 1000;
  static constexpr std::chrono::milliseconds kPollEvery{2};
  // The engine's clock is this machine's: a row's created_at is never
  // earlier than its command's sending by more than this.
  static constexpr int64_t kClockMarginMs = 1000;

  static std::string array_literal(const std::vector<std::string>& items) {
    std::string literal = "{";
    for (const std::string& item : items) {
      if (literal.size() > 1) literal += ',';
      literal += '"' + item + '"';  // uuids, "cmd-N", numbers: nothing to escape
    }
    return literal + "}";
  }

  void run() {
    connection_.prepare("seen",
                        // LATERAL ... LIMIT 1: an index probe per command over the
                        // rows of the tenant since just before the command was sent
                        // (credit_ledger_tenant_time), never a scan of the whole table.
                        "SELECT p.command_id FROM unnest($1::uuid[], $2::text[], $3::bigint[]) "
                        "AS p(tenant_id, command_id, since_ms) CROSS JOIN LATERAL (SELECT 1 FROM "
                        "credit_ledger l WHERE l.tenant_id = p.tenant_id AND l.created_at >= "
                        "to_timestamp(p.since_ms / 1000.0) AND l.command_id = p.command_id LIMIT "
                        "1) found");
    Clock::time_point last_poll{};
    for (;;) {
      std::vector<std::string> tenants;
      std::vector<std::string> commands;
      std::vector<std::string> sinces;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return stop_ || !pending_.empty(); });
        if (stop_) return;
        // The oldest first and a bounded number of them, so a backlog makes
        // the latencies grow, not each poll's cost.
        std::vector<const std::pair<const std::string, Pending>*> oldest;
        for (const auto& entry : pending_) oldest.push_back(&entry);
        const std::size_t polled = std::min(oldest.size(), kPolledMax);
        std::partial_sort(oldest.begin(), oldest.begin() + static_cast<std::ptrdiff_t>(polled),
                          oldest.end(), [](const auto* left, const auto* right) {
                            return left->second.order < right->second.order;
                          });
        for (std::size_t i = 0; i < polled; ++i) {
          commands.push_back(oldest[i]->first);
          tenants.push_back(oldest[i]->second.tenant_id);
          sinces.push_back(std::to_string(oldest[i]->second.sent_ms - kClockMarginMs));
        }
      }
      // At most one poll per kPollEvery: the reader must not take the CPU
      // the pipeline needs (latencies are so up to kPollEvery late).
      std::this_thread::sleep_until(last_poll + kPollEvery);
      last_poll = Clock::now();
      pqxx::nontransaction work(connection_);
      const pqxx::result rows = work.exec_prepared("seen", array_literal(tenants),
                                                   array_literal(commands), array_literal(sinces));
      const Clock::time_point now = Clock::now();
      ++queries_;
      const std::lock_guard<std::mutex> lock(mutex_);
      for (const pqxx::row& row : rows) {
        auto found = pending_.find(row[0].as<std::string>());
        if (found == pending_.end()) continue;
        seen_.emplace_back(
            found->second.order,
            std::chrono::duration<double, std::milli>(now - found->second.sent).count());
        pending_.erase(found);
      }
      if (pending_.empty()) changed_.notify_all();
    }
  }

  pqxx::connection connection_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  std::map<std::string, Pending> pending_;  // by command_id
  std::vector<std::pair<int64_t, double>> seen_;
  int64_t sent_ = 0;
  std::atomic<int64_t> queries_{0};
  std::thread thread_;
};

// The comma-separated items of environment variable `name`.
std::vector<std::string> comma_list(const char* name) {
  std::vector<std::string> items;
  const char* value = std::getenv(name);
  if (value == nullptr) return items;
  const std::string list = value;
  for (std::size_t from = 0; from < list.size();) {
    std::size_t end = list.find(',', from);
    if (end == std::string::npos) end = list.size();
    if (end > from) items.push_back(list.substr(from, end - from));
    from = end + 1;
  }
  return items;
}

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  return values[index];
}

// Offers `rate` top-ups per second for `seconds`, about 1,000 a second of
// them timed to their credit_ledger row; prints the latencies overall and per third of the run
// (a growing backlog shows as a rising last third).
void offered_rate(lf::client::CommandClient& client, CreditsWorkload& workload,
                  const Pipeline& pipeline, LagProbe& lag, const std::string& url, int rate,
                  int seconds) {
  LedgerWatch watch(url);
  const lf::projector::Stats projector_before = pipeline.projector_stats();
  const int total = rate * seconds;
  const double machine_cpu_start = machine_cpu_seconds();
  const double process_cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  // About 1,000 timed commands a second, whatever the rate: the reader's
  // probes must not become the load.
  const int every = std::max(1, rate / 1000);
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(int64_t{1'000'000} * i / rate));
    const CreditsWorkload::Command command = workload.topup();
    if (i % every == 0) watch.expect(command.first, CreditsWorkload::command_id(command));
    client.send(command.first, command.second);
  }
  const double offered_for = seconds_since(start);
  const double machine_busy = (machine_cpu_seconds() - machine_cpu_start) / offered_for;
  const double process_busy = (process_cpu_seconds() - process_cpu_start) / offered_for;
  const int64_t commands_behind = pipeline.commands_lag();
  const int64_t records_behind = lag.lag();
  if (!watch.wait_all(std::chrono::seconds(300))) {
    std::printf("  offered %5d commands/s: rows still missing 300 s after the last send\n", rate);
    return;
  }
  const double drained_after = seconds_since(start) - offered_for;
  const lf::projector::Stats projector_after = pipeline.projector_stats();
  const std::vector<double> latencies = watch.take_latencies();
  const std::size_t third = latencies.size() / 3;
  const std::vector<double> first(latencies.begin(), latencies.begin() + third);
  const std::vector<double> last(latencies.end() - third, latencies.end());
  std::printf(
      "  offered %5d commands/s (sent %.0f/s for %.1f s), command -> credit_ledger row: p50 %.1f "
      "ms, p99 %.1f ms, max %.1f ms\n",
      rate, total / offered_for, offered_for, percentile(latencies, 0.50),
      percentile(latencies, 0.99), percentile(latencies, 1.0));
  std::printf(
      "        p99 first third %.1f ms, last third %.1f ms; last row %.0f ms after the last send; "
      "%zu commands timed, %lld polls\n",
      percentile(first, 0.99), percentile(last, 0.99), drained_after * 1000, latencies.size(),
      static_cast<long long>(watch.queries()));
  std::printf(
      "        at the last send: %lld commands not yet read by the engine, %lld records not yet "
      "applied (summed over the projections)\n",
      static_cast<long long>(commands_behind), static_cast<long long>(records_behind));
  std::printf("        projector: %lld batches, decode+map %.2f s, PostgreSQL writes %.2f s\n",
              static_cast<long long>(projector_after.batches - projector_before.batches),
              projector_after.map_seconds - projector_before.map_seconds,
              projector_after.write_seconds - projector_before.write_seconds);
  std::printf(
      "        CPU busy while sending: %.2f of 2 cores, %.2f of them this process (pipeline, mock "
      "brokers, producer, reader), the rest mostly PostgreSQL\n",
      machine_busy, process_busy);
}

}  // namespace

int main(int argc, char** argv) {
  const int command_count = argc > 1 ? std::atoi(argv[1]) : 200'000;
  const int tenant_count = argc > 2 ? std::atoi(argv[2]) : 10'000;
  const int partitions = argc > 3 ? std::atoi(argv[3]) : 12;
  const int seconds_per_rate = argc > 4 ? std::atoi(argv[4]) : 10;
  // Projectors in the group, each with its own connection (its partitions'
  // writes in parallel with the others').
  const int projectors = argc > 5 ? std::atoi(argv[5]) : 1;
  spdlog::set_level(spdlog::level::warn);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is measured

  lf::kafka::MockCluster cluster(3);
  const lf::kafka::Topics topics{"bench."};
  cluster.create_ledgerflow_topics(topics, partitions);
  lf::kafka::Settings settings;
  settings.bootstrap = cluster.bootstrap();
  // As `ledgerflow dev` sets them for the mock's consumers.
  settings.consumer_properties = lf::kafka::MockCluster::consumer_properties();
  // To try settings: LF_BENCH_KAFKA="name=value,...", librdkafka properties
  // for every client of the pipeline (the raw baseline tries its own), and
  // LF_BENCH_PG="name=value,...", PostgreSQL server settings.
  for (const std::string& item : comma_list("LF_BENCH_KAFKA")) {
    const std::size_t equals = item.find('=');
    if (equals != std::string::npos)
      settings.properties[item.substr(0, equals)] = item.substr(equals + 1);
  }
  lf::pg::TempServerOptions durable;
  durable.durable = true;
  durable.settings = comma_list("LF_BENCH_PG");
  lf::pg::TempServer server(durable);
  const std::string url = server.url();
  {
    pqxx::connection connection(url);
    lf::pg::migrate(connection);
    pqxx::nontransaction work(connection);
    std::printf(
        "e2e_bench: %d commands over %d tenants, %d partitions, 3 mock brokers; PostgreSQL %s, "
        "fsync %s, synchronous_commit %s, shared_buffers %s, max_wal_size %s\n",
        command_count, tenant_count, partitions, work.exec1("SHOW server_version")[0].c_str(),
        work.exec1("SHOW fsync")[0].c_str(), work.exec1("SHOW synchronous_commit")[0].c_str(),
        work.exec1("SHOW shared_buffers")[0].c_str(), work.exec1("SHOW max_wal_size")[0].c_str());
  }

  CreditsWorkload workload(42, tenant_count, lf::system_now_ms());
  const std::vector<CreditsWorkload::Command> allocations = workload.allocations();
  std::vector<CreditsWorkload::Command> commands;
  commands.reserve(static_cast<std::size_t>(command_count));
  for (int i = 0; i < command_count; ++i) commands.push_back(workload.next());

  // The raw rates first, on an idle machine.
  std::printf("raw rates of this machine, same run:\n");
  const lf::bench::BestRate kafka_best =
      lf::bench::best_raw_produce_consume(cluster, settings, "bench.raw.", partitions, commands);
  std::vector<CreditsWorkload::Command> everything = allocations;
  everything.insert(everything.end(), commands.begin(), commands.end());
  const lf::bench::Log log = lf::bench::decide(everything, partitions);
  server.create_database("bench_raw");
  {
    pqxx::connection connection(server.url_for("bench_raw"));
    lf::pg::migrate(connection);
  }
  std::size_t rows = 0;
  const double copy_seconds = lf::bench::raw_copy_seconds(server.url_for("bench_raw"), log, rows);
  std::printf(
      "    raw COPY of the same final rows (%zu rows of %zu events)   : %9.0f events/s (%.2f "
      "s)\n",
      rows, log.events, static_cast<double>(log.events) / copy_seconds, copy_seconds);

  Pipeline pipeline(settings, topics, url, partitions, projectors);
  lf::client::CommandClient client(settings, topics, "bench-producer");
  LagProbe lag(settings, topics, url);
  send_and_await(client, allocations);  // every tenant has credits
  lag.wait_caught_up();

  const int64_t events_before = count_rows(url, "event_log");
  const WalFigures wal_before = wal_figures(url);
  std::fprintf(stderr, "e2e_bench: throughput phase starts\n");  // a profiler's cue
  const auto start = Clock::now();
  send_and_await(client, commands);
  const double results_after = seconds_since(start);
  lag.wait_caught_up();
  const double caught_up_after = seconds_since(start);
  std::fprintf(stderr, "e2e_bench: throughput phase ends\n");
  const int64_t events = count_rows(url, "event_log") - events_before;
  const WalFigures wal_after = wal_figures(url);
  const lf::engine_service::Stats engine = pipeline.engine_stats();
  const lf::projector::Stats projector = pipeline.projector_stats();

  std::printf("full pipeline, every projection on:\n");
  std::printf("  every result out                        : %9.0f commands/s (%.2f s)\n",
              command_count / results_after, results_after);
  std::printf(
      "  every read table caught up              : %9.0f commands/s, %.0f events/s (%.2f s, "
      "%lld events)\n",
      command_count / caught_up_after, static_cast<double>(events) / caught_up_after,
      caught_up_after, static_cast<long long>(events));
  std::printf("  engine / raw produce+consume (best: %s): %.2f\n", kafka_best.choice.c_str(),
              (command_count / results_after) / kafka_best.rate.per_second);
  std::printf("  read tables / raw COPY                  : %.2f\n",
              (static_cast<double>(events) / caught_up_after) /
                  (static_cast<double>(log.events) / copy_seconds));
  std::printf(
      "  (engine: %lld accepted, %lld rejected, %lld snapshots; projector: %lld batches, "
      "decode+map %.2f s, PostgreSQL writes %.2f s)\n",
      static_cast<long long>(engine.accepted), static_cast<long long>(engine.rejected),
      static_cast<long long>(engine.snapshots), static_cast<long long>(projector.batches),
      projector.map_seconds, projector.write_seconds);
  const double per_event = 1.0 / static_cast<double>(events);
  std::printf(
      "  (PostgreSQL WAL: %.0f bytes, %.1f records, %.2f full-page images per event; %lld "
      "checkpoints)\n",
      static_cast<double>(wal_after.bytes - wal_before.bytes) * per_event,
      static_cast<double>(wal_after.records - wal_before.records) * per_event,
      static_cast<double>(wal_after.full_page_images - wal_before.full_page_images) * per_event,
      static_cast<long long>(wal_after.checkpoints - wal_before.checkpoints));

  for (int rate : {1000, 5000}) {
    if (seconds_per_rate <= 0) break;
    offered_rate(client, workload, pipeline, lag, url, rate, seconds_per_rate);
  }
  return 0;
}
