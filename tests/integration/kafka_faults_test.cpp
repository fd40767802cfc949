// Kafka faults injected through librdkafka's mock cluster (errors pushed onto
// a broker's request stack, brokers down and up, leaders moved, responses
// delayed past the clients' timeouts, group coordinators lost) in the middle
// of a real workload through the engine and the projector, run in this
// process against the real PostgreSQL. Each fault is one test; each ends with
// the same checks: every command decided exactly once and answered, the
// balances equal the client's own fold of what it sent, the read tables equal
// the fold of the log, and every partition of every topic reached its end.
//
// Targeting: the mock's error stacks are per broker and per request type,
// served to whichever client's request comes next. So the topics are placed
// by role (commands on broker 1, events on broker 2, results and dead letters
// on broker 3) and a test that must hit one reader of ledgerflow.events runs
// only that reader while the errors are served.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "consumers/engine/engine_service.hpp"
#include "consumers/projector/projector.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kPartitions = 4;
constexpr int kBrokers = 3;
constexpr int kTenants = 16;
constexpr int kChunkCommands = 100;
// Between chunks the client reads results for this long: the load's pace.
constexpr auto kChunkPace = 100ms;
// No new chunk while this many commands wait for their result.
constexpr int64_t kBacklogMaxCommands = 5 * kChunkCommands;
// A fault test's load: at least this many chunks (2,000 commands).
constexpr int kChunks = 20;
// A load ends after this many ticks whatever its faults say.
constexpr int kTicksMax = 600;
constexpr int64_t kMonthlyCredits = 15'000;

// Kafka protocol request types (ApiKey).
constexpr int16_t kProduce = 0;
constexpr int16_t kFetch = 1;
constexpr int16_t kOffsetCommit = 8;
constexpr int16_t kOffsetFetch = 9;
constexpr int16_t kFindCoordinator = 10;
constexpr int16_t kJoinGroup = 11;
constexpr int16_t kHeartbeat = 12;
constexpr int16_t kSyncGroup = 14;

// Brokers by role once place_by_role() ran.
constexpr int32_t kCommandsBroker = 1;
constexpr int32_t kEventsBroker = 2;
constexpr int32_t kOutputsBroker = 3;  // results and dead letters

uint64_t seed_from_environment() {
  const char* text = std::getenv("LEDGERFLOW_SEED");
  return text ? std::strtoull(text, nullptr, 10) : std::random_device{}();
}

// ---- the workload and the client's fold of it ---------------------------------

// One command as the client sent it.
struct Command {
  std::string tenant;
  std::string id;
  std::string type;
  std::string reservation;  // reserve, consume, release
  int64_t credits = 0;
  bool schema_violation = false;  // a payload its JSON Schema refuses
};

// A decision as the client's fold expects it.
struct Expected {
  ResultStatus status = ResultStatus::accepted;
  std::string reason;  // empty when accepted
};

// The client's own fold: what each command it sent must be decided, and the
// balances they leave, computed from the commands alone (docs/domains/credits.md),
// in the order the commands topic holds them.
class ClientFold {
 public:
  struct Balance {
    int64_t available = 0;
    int64_t reserved = 0;
    int64_t open_reservations = 0;
  };

  Expected decide(const Command& command) {
    Book& book = books_[command.tenant];
    const int64_t effective = book.available - book.reserved;
    if (command.schema_violation) return reject("schema_violation");
    if (command.type == "credits.allocate" || command.type == "credits.topup") {
      book.available += command.credits;
      return {};
    }
    if (command.type == "credits.reserve") {
      if (effective < command.credits) return reject("insufficient_credits");
      book.open[command.reservation] = command.credits;
      book.reserved += command.credits;
      return {};
    }
    if (command.type == "credits.consume" || command.type == "credits.release") {
      auto open = book.open.find(command.reservation);
      if (open == book.open.end()) {
        return reject(book.closed.count(command.reservation) ? "reservation_closed"
                                                             : "unknown_reservation");
      }
      const bool consume = command.type == "credits.consume";
      if (consume && command.credits > open->second) return reject("exceeds_reservation");
      book.reserved -= open->second;
      if (consume) {
        book.available -= command.credits;
        book.consumed += command.credits;
      }
      book.closed.insert(open->first);
      book.open.erase(open);
      return {};
    }
    if (command.type == "credits.refund") {
      if (command.credits > book.consumed - book.refunded) return reject("exceeds_consumed");
      book.available += command.credits;
      book.refunded += command.credits;
      return {};
    }
    if (command.type == "credits.adjust") {
      if (command.credits < 0 && effective < -command.credits)
        return reject("insufficient_credits");
      book.available += command.credits;
      return {};
    }
    ADD_FAILURE() << "the fold knows no " << command.type;
    return {};
  }

  std::map<std::string, Balance> balances() const {
    std::map<std::string, Balance> out;
    for (const auto& [tenant, book] : books_) {
      out[tenant] = Balance{book.available, book.reserved, static_cast<int64_t>(book.open.size())};
    }
    return out;
  }

 private:
  struct Book {
    int64_t available = 0;
    int64_t reserved = 0;
    int64_t consumed = 0;
    int64_t refunded = 0;
    std::map<std::string, int64_t> open;  // reservation -> credits held
    std::set<std::string> closed;
  };
  static Expected reject(std::string reason) {
    return Expected{ResultStatus::rejected, std::move(reason)};
  }

  std::map<std::string, Book> books_;
};

// A seeded mix of credits commands over a few tenants: reservations (some
// refused for lack of credits), consumptions (some exceeding their hold or
// naming a refused one), releases, top-ups, refunds and adjustments.
class Load {
 public:
  // `tenant_count` tenants, as many in each of `partitions` partitions.
  Load(uint64_t seed, int tenant_count, int partitions) : random_(seed) {
    std::vector<int> per_partition(static_cast<std::size_t>(partitions), 0);
    while (static_cast<int>(tenants_.size()) < tenant_count) {
      const std::string tenant = random_tenant();
      int& count = per_partition[static_cast<std::size_t>(partition_for_key(tenant, partitions))];
      if (count >= tenant_count / partitions) continue;
      ++count;
      tenants_.push_back(tenant);
    }
  }

  std::vector<Command> allocations() {
    std::vector<Command> commands;
    for (const std::string& tenant : tenants_) {
      commands.push_back(Command{tenant, next_id(), "credits.allocate", "", kMonthlyCredits});
    }
    return commands;
  }

  Command next() {
    const std::string& tenant = tenants_[random_() % tenants_.size()];
    std::vector<std::pair<std::string, int64_t>>& holds = holds_[tenant];
    const int roll = static_cast<int>(random_() % 100);
    if (roll < 35 || holds.empty()) {
      const std::string reservation = "res-" + std::to_string(counter_ + 1);
      const int64_t credits = 50 + static_cast<int64_t>(random_() % 2500);
      holds.emplace_back(reservation, credits);
      return Command{tenant, next_id(), "credits.reserve", reservation, credits};
    }
    if (roll < 74) {
      const std::size_t index = random_() % holds.size();
      const auto [reservation, held] = holds[index];
      holds[index] = holds.back();
      holds.pop_back();
      if (roll < 62) {
        // Now and then more than the hold: refused (exceeds_reservation).
        const int64_t used = static_cast<int64_t>(random_() % static_cast<uint64_t>(held + 40));
        return Command{tenant, next_id(), "credits.consume", reservation, used};
      }
      return Command{tenant, next_id(), "credits.release", reservation, 0};
    }
    if (roll < 84)
      return Command{tenant, next_id(), "credits.topup", "",
                     500 + static_cast<int64_t>(random_() % 4000)};
    if (roll < 92)
      return Command{tenant, next_id(), "credits.refund", "",
                     1 + static_cast<int64_t>(random_() % 300)};
    const int64_t change = static_cast<int64_t>(random_() % 2000) - 1000;
    return Command{tenant, next_id(), "credits.adjust", "", change == 0 ? 1 : change};
  }

  // A reservation whose payload its schema refuses: dead-lettered and rejected.
  Command schema_violation() {
    const std::string& tenant = tenants_[random_() % tenants_.size()];
    return Command{tenant, next_id(), "credits.reserve", "bad-" + std::to_string(counter_),
                   0,      true};
  }
  // A value that is not JSON at all: dead-lettered, nothing to answer.
  std::pair<std::string, std::string> not_json() {
    return {tenants_[random_() % tenants_.size()], "not json #" + std::to_string(++counter_)};
  }

  static std::string json(const Command& command, int64_t now_ms) {
    std::string payload;
    std::string actor = "agent:runner";
    if (command.schema_violation) {
      payload = "{\"reservation_id\":\"" + command.reservation + "\",\"credits\":\"many\"}";
    } else if (command.type == "credits.allocate") {
      actor = "system";
      payload = allocate_around(command.credits, now_ms);
    } else if (command.type == "credits.reserve" || command.type == "credits.consume") {
      payload = reserve_payload(command.reservation, command.credits);
    } else if (command.type == "credits.release") {
      payload = release_payload(command.reservation);
    } else if (command.type == "credits.topup") {
      actor = "user:billing";
      payload = topup_payload("order-" + command.id, command.credits);
    } else {
      actor = command.type == "credits.adjust" ? "admin:ops" : "support:desk";
      payload = amount_payload(command.credits, "fault test");
    }
    return command_json(command.type, command.tenant, command.id, payload, actor, now_ms);
  }

 private:
  std::string next_id() { return "cmd-" + std::to_string(++counter_); }

  std::mt19937_64 random_;
  std::vector<std::string> tenants_;
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>>
      holds_;  // sent, not yet closed by us
  int64_t counter_ = 0;
};

// ---- the run -----------------------------------------------------------------

struct RunOptions {
  // Group coordinators of the engines' and the projectors' groups (0: the mock's hash).
  int32_t coordinator = 0;
  // Bad input (one value that is not JSON, one schema violation) in every chunk.
  bool bad_input = false;
  // Group members time out in 6 s and heartbeat every 500 ms (the consumer
  // defaults: 10 s, 1 s), so a join or a lost member rebalances in about a
  // second, as for the kill -9 tests' processes.
  bool fast_rebalances = false;
};

RunOptions with_coordinator(int32_t broker, bool fast_rebalances = false) {
  RunOptions options;
  options.coordinator = broker;
  options.fast_rebalances = fast_rebalances;
  return options;
}

// Services of one test, each on its own thread, in one process with the mock
// cluster so the test can reach the cluster's fault API.
class FaultRun {
 public:
  explicit FaultRun(RunOptions options = {})
      : options_(options),
        seed_(seed_from_environment()),
        pipeline_(pipeline_options()),
        load_(seed_, kTenants, kPartitions) {
    place_by_role();
    if (options_.coordinator > 0) {
      cluster().set_group_coordinator(engine_group(), options_.coordinator);
      cluster().set_group_coordinator(projector_group(), options_.coordinator);
    }
  }
  ~FaultRun() {
    for (auto& [name, member] : members_) {
      if (member.leaving.valid()) member.leaving.wait();
    }
  }

  uint64_t seed() const { return seed_; }
  Pipeline& pipeline() { return pipeline_; }
  kafka::MockCluster& cluster() { return pipeline_.kafka().cluster(); }
  std::string engine_group() const { return pipeline_.topics().prefix + "engines"; }
  std::string projector_group() const { return pipeline_.topics().prefix + "projectors"; }

  engine_service::EngineService& start_engine(
      const std::string& name, const std::function<void(engine_service::Options&)>& tune = {}) {
    engine_service::Options options = pipeline_.engine_options(name);
    if (options_.fast_rebalances) speed_up_rebalances(options.kafka);
    if (tune) tune(options);
    auto service = std::make_unique<engine_service::EngineService>(std::move(options));
    engine_service::EngineService* raw = service.get();
    Member& member = members_[name];
    member.engine = raw;
    member.runner = std::make_unique<ServiceRunner>(std::move(service));
    return *raw;
  }

  projector::Projector& start_projector(const std::string& name,
                                        const std::function<void(projector::Options&)>& tune = {}) {
    projector::Options options = pipeline_.projector_options(name);
    if (options_.fast_rebalances) speed_up_rebalances(options.kafka);
    if (tune) tune(options);
    auto service = std::make_unique<projector::Projector>(std::move(options));
    projector::Projector* raw = service.get();
    Member& member = members_[name];
    member.projector = raw;
    member.runner = std::make_unique<ServiceRunner>(std::move(service));
    return *raw;
  }

  // Stops a service on another thread (it hands its partitions over and
  // leaves its group) while the load goes on; wait_left() waits for it.
  void leave(const std::string& name) {
    Member& member = members_.at(name);
    member.leaving = std::async(std::launch::async, [&member] { member.runner->stop(); });
  }
  void wait_left(const std::string& name) {
    Member& member = members_.at(name);
    ASSERT_EQ(member.leaving.wait_for(60s), std::future_status::ready) << name << " did not stop";
    member.engine = nullptr;
    member.projector = nullptr;
  }

  // Sends the allocations and waits for their results: the engine is live.
  void allocate() {
    std::vector<std::string> ids;
    for (const Command& command : load_.allocations()) {
      send(command);
      ids.push_back(command.id);
    }
    pipeline_.client().flush();
    const std::map<std::string, ResultEnvelope> results = pipeline_.client().await(ids, 90'000);
    ASSERT_EQ(results.size(), ids.size())
        << "the allocations were not answered; services: " << failures();
  }

  // The load, tick by tick: at each tick at_tick(tick) runs (it injects the
  // faults), then a chunk of commands goes out unless kBacklogMaxCommands
  // are still unanswered (a stalled engine is not buried), then results are
  // read for kChunkPace. It ends once `chunks` chunks went out and at_tick
  // says no fault is under way any more (it returns true while one is), or
  // after kTicksMax ticks.
  void load(int chunks, const std::function<bool(int tick)>& at_tick = {}) {
    int sent = 0;
    bool more = true;
    for (int tick = 0; (sent < chunks || more) && tick < kTicksMax; ++tick) {
      more = at_tick ? at_tick(tick) : false;
      if (unanswered() < kBacklogMaxCommands) {
        send_chunk();
        ++sent;
      }
      const auto paced_until = std::chrono::steady_clock::now() + kChunkPace;
      while (std::chrono::steady_clock::now() < paced_until) pipeline_.client().poll_results(10);
    }
  }

  // Every command answered, every service at the end of every partition.
  void expect_all_answered_and_at_the_end() {
    expect_all_answered_and_engines_at_the_end();
    // The projectors: every projection at the end of every events partition.
    EXPECT_TRUE(pipeline_.wait_projected(120s))
        << "a projection is stuck; services: " << failures();
    // Nothing exited on its own.
    EXPECT_EQ(failures(), "");
  }
  void expect_all_answered_and_engines_at_the_end();
  // What every fault test ends with (after expect_all_answered_and_at_the_end).
  void expect_exactly_once_and_balanced(const std::string& name);

  // Waits until broker `broker` has answered with every error pushed for `api_key`.
  bool drained(int32_t broker, int16_t api_key, std::chrono::milliseconds timeout = 60s) {
    return wait_until([&] { return cluster().broker_errors_pending(broker, api_key) == 0; },
                      timeout, 50ms);
  }
  // Pushes `errors` onto broker's stack for `api_key`, each after `ok_before`
  // requests answered normally, each answered after `rtt_ms`.
  void push_interleaved(int32_t broker, int16_t api_key,
                        const std::vector<rd_kafka_resp_err_t>& errors, int ok_before, int rtt_ms) {
    for (rd_kafka_resp_err_t error : errors) {
      if (ok_before > 0)
        cluster().push_broker_errors(broker, api_key, ok_before, RD_KAFKA_RESP_ERR_NO_ERROR, 0);
      cluster().push_broker_errors(broker, api_key, 1, error, rtt_ms);
    }
  }

  std::string failures() const {
    std::string text;
    for (const auto& [name, member] : members_) {
      if (member.runner && !member.runner->failure().empty())
        text += name + ": " + member.runner->failure() + "\n";
    }
    return text;
  }
  engine_service::EngineService* engine(const std::string& name) {
    return members_.at(name).engine;
  }
  projector::Projector* projector(const std::string& name) { return members_.at(name).projector; }
  // Partitions rebuilt because a record was lost or another writer won a
  // seq, summed over the engines still running.
  int64_t engine_conflicts() const {
    int64_t conflicts = 0;
    for (const auto& [name, member] : members_) {
      if (member.engine != nullptr) conflicts += member.engine->report().stats.conflicts;
    }
    return conflicts;
  }
  // Commands sent that have no result yet.
  int64_t unanswered() {
    const std::vector<ResultEnvelope>& results = pipeline_.client().results();
    for (; results_seen_ < results.size(); ++results_seen_)
      answered_.insert(results[results_seen_].command_id);
    return static_cast<int64_t>(sent_.size()) - static_cast<int64_t>(answered_.size());
  }
  int64_t repeated_results() const { return repeated_results_; }
  int64_t duplicate_results() const { return duplicate_results_; }
  int64_t ignored_records() const { return ignored_records_; }

 private:
  struct Member {
    std::unique_ptr<ServiceRunner> runner;
    engine_service::EngineService* engine = nullptr;  // null once stopped
    projector::Projector* projector = nullptr;
    std::future<void> leaving;
  };

  static PipelineOptions pipeline_options() {
    PipelineOptions options;
    options.partitions = kPartitions;
    options.brokers = kBrokers;
    options.engine = false;  // started by the test, so it can reach them
    options.projector = false;
    return options;
  }

  static void speed_up_rebalances(kafka::Settings& settings) {
    settings.properties["session.timeout.ms"] = "6000";
    settings.properties["heartbeat.interval.ms"] = "500";
  }

  void place_by_role() {
    const kafka::Topics& topics = pipeline_.topics();
    for (int32_t partition = 0; partition < kPartitions; ++partition) {
      cluster().set_partition_leader(topics.commands(), partition, kCommandsBroker);
      cluster().set_partition_leader(topics.events(), partition, kEventsBroker);
      cluster().set_partition_leader(topics.results(), partition, kOutputsBroker);
      cluster().set_partition_leader(topics.deadletter(), partition, kOutputsBroker);
    }
  }

  void send_chunk() {
    for (int i = 0; i < kChunkCommands; ++i) send(load_.next());
    if (options_.bad_input) {
      const auto [tenant, value] = load_.not_json();
      pipeline_.client().send(tenant, value);
      bad_values_.push_back(value);
      const Command bad = load_.schema_violation();
      send(bad);
      bad_values_.push_back(Load::json(bad, sent_at_.at(bad.id)));
    }
    pipeline_.client().flush();
  }

  void send(const Command& command) {
    const int64_t now = system_now_ms();
    sent_at_[command.id] = now;
    pipeline_.client().send(command.tenant, Load::json(command, now));
    sent_.push_back(command);
  }

  RunOptions options_;
  uint64_t seed_;
  Pipeline pipeline_;
  Load load_;
  std::vector<Command> sent_;
  std::map<std::string, int64_t> sent_at_;  // command id -> issued_at
  std::vector<std::string> bad_values_;     // every bad input sent, as sent
  std::set<std::string> answered_;          // command ids with a result (unanswered())
  std::size_t results_seen_ = 0;
  int64_t repeated_results_ = 0;
  int64_t duplicate_results_ = 0;
  int64_t ignored_records_ = 0;
  // After pipeline_: the services stop before the cluster and the database go.
  std::map<std::string, Member> members_;
};

void FaultRun::expect_all_answered_and_engines_at_the_end() {
  client::CommandClient& client = pipeline_.client();
  std::vector<std::string> ids;
  for (const Command& command : sent_) ids.push_back(command.id);
  const std::map<std::string, ResultEnvelope> answered = client.await(ids, 180'000);
  EXPECT_EQ(answered.size(), ids.size()) << "commands without a result; services: " << failures();

  // The engines: each commands partition consumed to its end and its offset
  // committed there (what the next owner resumes from).
  const kafka::Topics& topics = pipeline_.topics();
  kafka::Consumer group(pipeline_.kafka().settings(), "kfaults-offsets", engine_group());
  std::vector<kafka::TopicPartition> partitions;
  for (int32_t partition = 0; partition < kPartitions; ++partition) {
    partitions.push_back(kafka::TopicPartition{topics.commands(), partition});
  }
  std::string where;
  const bool engines_at_end = wait_until(
      [&] {
        std::vector<kafka::TopicPartitionOffset> committed;
        try {
          committed = group.committed(partitions);
        } catch (const kafka::KafkaError& error) {
          where = error.what();
          return false;
        }
        for (const kafka::TopicPartitionOffset& offset : committed) {
          const int64_t end = group.watermarks(topics.commands(), offset.partition).high;
          if (offset.offset != end) {
            // (Every partition has commands: Load spreads its tenants over all.)
            where = "commands partition " + std::to_string(offset.partition) + " committed at " +
                    std::to_string(offset.offset) + " of " + std::to_string(end);
            return false;
          }
        }
        for (const auto& [name, member] : members_) {
          if (member.engine == nullptr) continue;
          for (const engine_service::CommandBacklog& backlog : member.engine->report().partitions) {
            if (backlog.commands_lag.value_or(1) != 0) {
              where =
                  name + " has commands partition " + std::to_string(backlog.partition) + " behind";
              return false;
            }
          }
        }
        return true;
      },
      120s, 100ms);
  EXPECT_TRUE(engines_at_end) << "an engine is stuck: " << where << "; services: " << failures();
}

void FaultRun::expect_exactly_once_and_balanced(const std::string& name) {
  const kafka::Topics& topics = pipeline_.topics();
  std::map<std::string, const Command*> by_id;
  for (const Command& command : sent_) by_id[command.id] = &command;

  // The client's fold, in the order the commands topic holds the commands
  // (first copies: a producer retry may store one twice).
  ClientFold fold;
  std::map<std::string, Expected> expected;
  for (int32_t partition = 0; partition < kPartitions; ++partition) {
    for (const KafkaRecord& record :
         pipeline_.kafka().read_partition(topics.commands(), partition)) {
      const std::string id = command_id_of(record.value);
      auto command = by_id.find(id);
      if (command == by_id.end() || expected.count(id) != 0) continue;
      expected[id] = fold.decide(*command->second);
    }
  }
  EXPECT_EQ(expected.size(), sent_.size()) << "commands missing from the commands topic";

  // Exactly one decision per command in the log (the archive in PostgreSQL,
  // which the verify below proves equal to the log's fold).
  struct Logged {
    int64_t seqs = 0;
    std::string event_ids;
    std::string rejection;  // "" when accepted
  };
  std::map<std::string, Logged> logged;  // by command id (unique across tenants)
  int64_t log_records = 0;
  {
    pqxx::work work(pipeline_.db());
    for (const pqxx::row& row : work.exec(
             "SELECT command_id, count(DISTINCT seq), string_agg(event_id, ',' ORDER BY seq, "
             "event_index), "
             "coalesce(max(event->'payload'->>'reason') FILTER (WHERE type = 'command.rejected'), "
             "'') "
             "FROM event_log WHERE command_id NOT LIKE 'timer/%' GROUP BY tenant_id, command_id")) {
      logged[row[0].as<std::string>()] =
          Logged{row[1].as<int64_t>(), row[2].as<std::string>(), row[3].as<std::string>()};
    }
    log_records =
        work.exec1("SELECT count(DISTINCT (partition, seq)) FROM event_log")[0].as<int64_t>();
  }
  int64_t doubled = 0, lost = 0, wrong = 0;
  for (const Command& command : sent_) {
    auto found = logged.find(command.id);
    if (found == logged.end()) {
      if (++lost <= 5) ADD_FAILURE() << "no decision in the log for " << command.id;
      continue;
    }
    if (found->second.seqs != 1 && ++doubled <= 5) {
      ADD_FAILURE() << command.id << " decided " << found->second.seqs << " times";
    }
    const Expected& want = expected[command.id];
    const std::string got = found->second.rejection;
    const std::string wanted = want.status == ResultStatus::accepted ? "" : want.reason;
    if (got != wanted && ++wrong <= 5) {
      ADD_FAILURE() << command.id << " (" << command.type << ", tenant " << command.tenant
                    << "): the log says '" << (got.empty() ? "accepted" : got)
                    << "', the client's fold '" << (wanted.empty() ? "accepted" : wanted) << "'";
    }
  }
  EXPECT_EQ(logged.size(), sent_.size()) << "decisions in the log for commands nobody sent";
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(doubled, 0);
  EXPECT_EQ(wrong, 0);

  // Every result names that one decision: the first copy says accepted or
  // rejected as the fold does (or, when the decision's own result was lost
  // in a hand-over, duplicate), a repeat is the same message again or
  // `duplicate`, and all carry the decision's event ids.
  pipeline_.client().poll_results(100);
  std::map<std::string, int> answers;
  int64_t mismatched = 0;
  for (const ResultEnvelope& result : pipeline_.client().results()) {
    auto command = by_id.find(result.command_id);
    if (command == by_id.end()) continue;
    ++answers[result.command_id];
    duplicate_results_ += result.status == ResultStatus::duplicate;
    const Expected& want = expected[result.command_id];
    std::string ids;
    for (const std::string& id : result.event_ids) ids += (ids.empty() ? "" : ",") + id;
    const bool same_decision =
        logged.count(result.command_id) != 0 && logged[result.command_id].event_ids == ids;
    const bool status_fits = result.status == ResultStatus::duplicate ||
                             (result.status == want.status && result.reason == want.reason);
    if ((!same_decision || !status_fits) && ++mismatched <= 5) {
      ADD_FAILURE() << "result for " << result.command_id << ": " << to_string(result.status) << " "
                    << result.reason << " [" << ids << "]; the log holds ["
                    << logged[result.command_id].event_ids << "], the fold expects "
                    << to_string(want.status) << " " << want.reason;
    }
  }
  EXPECT_EQ(mismatched, 0);
  for (const auto& [id, count] : answers) repeated_results_ += count - 1;

  // The balances in PostgreSQL equal the client's fold.
  {
    pqxx::work work(pipeline_.db());
    std::map<std::string, ClientFold::Balance> found;
    for (const pqxx::row& row :
         work.exec("SELECT b.tenant_id::text, b.credits_available, b.credits_reserved, "
                   "(SELECT count(*) FROM credit_reservations r WHERE r.tenant_id = b.tenant_id "
                   "AND r.status = 'open') "
                   "FROM credit_balances b")) {
      found[row[0].as<std::string>()] =
          ClientFold::Balance{row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<int64_t>()};
    }
    const std::map<std::string, ClientFold::Balance> want = fold.balances();
    EXPECT_EQ(found.size(), want.size());
    for (const auto& [tenant, balance] : want) {
      const ClientFold::Balance& have = found[tenant];
      EXPECT_EQ(have.available, balance.available) << "credits_available of " << tenant;
      EXPECT_EQ(have.reserved, balance.reserved) << "credits_reserved of " << tenant;
      EXPECT_EQ(have.open_reservations, balance.open_reservations)
          << "open reservations of " << tenant;
    }
    EXPECT_EQ(work.exec1("SELECT count(*) FROM credit_balances b JOIN (SELECT tenant_id, "
                         "sum(credits) AS total "
                         "FROM credit_ledger GROUP BY tenant_id) l USING (tenant_id) "
                         "WHERE l.total <> b.effective_available")[0]
                  .as<int64_t>(),
              0)
        << "a ledger that does not sum to its balance";
  }

  // Bad input: each value dead-lettered exactly once, unchanged.
  if (!bad_values_.empty()) {
    std::map<std::string, int> letters;
    for (int32_t partition = 0; partition < kPartitions; ++partition) {
      for (const KafkaRecord& record :
           pipeline_.kafka().read_partition(topics.deadletter(), partition)) {
        ++letters[record.value];
      }
    }
    for (const std::string& value : bad_values_) {
      EXPECT_EQ(letters[value], 1) << "dead letters of " << value.substr(0, 80);
    }
  }

  // The read tables equal the fold of the log, and the archive holds every
  // accepted record of it.
  const verify::Fold log = pipeline_.fold();
  for (const verify::Difference& difference : pipeline_.verify())
    ADD_FAILURE() << verify::to_string(difference);
  EXPECT_EQ(log.accepted(), log_records);
  ignored_records_ = log.ignored();

  std::cout << "[ kfaults  ] " << name << " (LEDGERFLOW_SEED=" << seed_ << "): " << sent_.size()
            << " commands, " << bad_values_.size() << " bad inputs, " << log.accepted()
            << " records accepted, " << log.ignored() << " ignored; " << repeated_results_
            << " repeated results (" << duplicate_results_ << " duplicate); engine conflicts "
            << engine_conflicts() << "\n";
}

// ---- the faults ----------------------------------------------------------------

// Produce errors on the broker leading every events partition, so they hit
// the engine's commit records and nothing else: retriable ones, which the
// producer retries, then a non-retriable one, which loses the records of
// that request: the engine must rebuild and decide those commands again.
TEST(KafkaFaults, ProduceErrorsOnCommitRecords) {
  FaultRun run;
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  engine_service::EngineService& engine = run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  run.load(kChunks, [&](int tick) {
    if (tick == 4) {
      run.push_interleaved(
          kEventsBroker, kProduce,
          {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
           RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
           RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT},
          1, 50);
    }
    if (tick == 12) {
      // Non-retriable: the broker refuses the records for good.
      run.push_interleaved(kEventsBroker, kProduce, {RD_KAFKA_RESP_ERR_INVALID_RECORD}, 0, 0);
    }
    return false;
  });
  EXPECT_TRUE(run.drained(kEventsBroker, kProduce)) << "the produce errors were not all served";
  run.expect_all_answered_and_at_the_end();
  EXPECT_GE(engine.report().stats.conflicts, 1)
      << "the lost commit records did not make the engine rebuild";
  run.expect_exactly_once_and_balanced("ProduceErrorsOnCommitRecords");
}

// Produce errors on the broker leading the results and dead-letter topics:
// retriable ones, then non-retriable ones, which fail the delivery of a
// batch of results and dead letters; the engine sends them again (it gives
// up, and exits, only after 5 failed attempts of one output).
TEST(KafkaFaults, ProduceErrorsOnResultsAndDeadLetters) {
  RunOptions options;
  options.bad_input = true;
  FaultRun run(options);
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  run.load(kChunks, [&](int tick) {
    if (tick == 4) {
      run.push_interleaved(
          kOutputsBroker, kProduce,
          {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
           RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE},
          1, 50);
    }
    if (tick == 12) {
      run.push_interleaved(kOutputsBroker, kProduce,
                           {RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_INVALID_RECORD}, 1,
                           0);
    }
    return false;
  });
  EXPECT_TRUE(run.drained(kOutputsBroker, kProduce)) << "the produce errors were not all served";
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("ProduceErrorsOnResultsAndDeadLetters");
}

// The fetch errors a consumer meets when leadership or storage moves under
// it, or its connection drops; the tests below push each one answered 100 ms
// late, after a few good answers.
const std::vector<rd_kafka_resp_err_t> kFetchErrors = {
    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
    RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE,
    RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH,
    RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE,
    RD_KAFKA_RESP_ERR__TRANSPORT,  // the broker drops the connection
    RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
};

// Served to the engine's consumer of ledgerflow.commands, the only client
// fetching from broker 1.
TEST(KafkaFaults, FetchErrorsOnCommands) {
  FaultRun run;
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  run.load(kChunks, [&](int tick) {
    if (tick == 4) run.push_interleaved(kCommandsBroker, kFetch, kFetchErrors, 3, 100);
    return false;
  });
  EXPECT_TRUE(run.drained(kCommandsBroker, kFetch)) << "the fetch errors were not all served";
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("FetchErrorsOnCommands");
}

// The engine reads its own commit records back to confirm them; here it is
// the only reader of ledgerflow.events while the errors are served (the
// projector starts once they are).
TEST(KafkaFaults, FetchErrorsOnReadback) {
  FaultRun run;
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1");
  run.allocate();
  run.load(kChunks, [&](int tick) {
    if (tick == 4) run.push_interleaved(kEventsBroker, kFetch, kFetchErrors, 3, 100);
    return false;
  });
  EXPECT_TRUE(run.drained(kEventsBroker, kFetch)) << "the fetch errors were not all served";
  run.start_projector("projector-1");
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("FetchErrorsOnReadback");
}

// The projector catches up on a log the engine wrote and left (the engine
// stopped: the projector is the only reader of ledgerflow.events), the
// errors interleaved with its fetches. The mock answers a fetch with one
// batch per partition at most, and the engine here writes batches of 4
// records, so catching up takes far more fetches than the errors pushed.
TEST(KafkaFaults, FetchErrorsOnProjector) {
  FaultRun run;
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1", [](engine_service::Options& options) {
    options.kafka.properties["batch.num.messages"] = "4";  // many small batches to fetch
  });
  run.allocate();
  run.load(kChunks);
  run.expect_all_answered_and_engines_at_the_end();
  run.leave("engine-1");
  run.wait_left("engine-1");
  run.push_interleaved(kEventsBroker, kFetch, kFetchErrors, 4, 100);
  run.start_projector("projector-1");
  EXPECT_TRUE(run.drained(kEventsBroker, kFetch)) << "the fetch errors were not all served";
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("FetchErrorsOnProjector");
}

// The group coordinator answers NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE
// to heartbeats, offset commits and FindCoordinator; then it moves to
// another broker (the old one answers NOT_COORDINATOR) and a second engine
// and projector join through errors on JoinGroup, SyncGroup and OffsetFetch.
TEST(KafkaFaults, CoordinatorLoss) {
  FaultRun run(with_coordinator(kOutputsBroker, /*fast_rebalances=*/true));
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  bool moved = false;
  bool joined = false;
  run.load(kChunks, [&](int tick) {
    if (tick == 3) {
      run.push_interleaved(
          kOutputsBroker, kHeartbeat,
          {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}, 2, 0);
      run.push_interleaved(
          kOutputsBroker, kOffsetCommit,
          {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}, 1, 0);
      run.cluster().push_cluster_errors(kFindCoordinator, 3,
                                        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
    }
    // Once the first errors were all served: the coordinator moves.
    const bool served = run.cluster().broker_errors_pending(kOutputsBroker, kHeartbeat) == 0 &&
                        run.cluster().broker_errors_pending(kOutputsBroker, kOffsetCommit) == 0;
    if (tick >= 10 && !moved && served) {
      moved = true;
      run.cluster().set_group_coordinator(run.engine_group(), kCommandsBroker);
      run.cluster().set_group_coordinator(run.projector_group(), kCommandsBroker);
      run.push_interleaved(kCommandsBroker, kJoinGroup, {RD_KAFKA_RESP_ERR_NOT_COORDINATOR}, 0, 0);
      run.push_interleaved(kCommandsBroker, kSyncGroup,
                           {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}, 0, 0);
      run.push_interleaved(kCommandsBroker, kOffsetFetch, {RD_KAFKA_RESP_ERR_NOT_COORDINATOR}, 0,
                           0);
      run.start_engine("engine-2");
      run.start_projector("projector-2");
    }
    if (moved && !joined) {
      joined = run.engine("engine-2")->assigned_partitions() > 0 &&
               run.projector("projector-2")->assigned_partitions() > 0;
    }
    return !joined;
  });
  ASSERT_TRUE(moved) << "the first coordinator errors were never all served";
  EXPECT_TRUE(joined) << "the second engine and projector never got partitions";
  EXPECT_TRUE(run.drained(kOutputsBroker, kHeartbeat));
  EXPECT_TRUE(run.drained(kOutputsBroker, kOffsetCommit));
  EXPECT_TRUE(run.drained(kCommandsBroker, kJoinGroup));
  EXPECT_TRUE(run.drained(kCommandsBroker, kSyncGroup));
  EXPECT_TRUE(run.drained(kCommandsBroker, kOffsetFetch));
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("CoordinatorLoss");
}

// A second engine and a second projector join while a batch is in flight,
// and leave (cleanly) while another is.
TEST(KafkaFaults, RebalanceMidBatch) {
  RunOptions options;
  options.fast_rebalances = true;
  FaultRun run(options);
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  enum class Phase { alone, joining, joined, leaving } phase = Phase::alone;
  int joined_at = 0;
  run.load(kChunks, [&](int tick) {
    if (tick == 3) {
      run.start_engine("engine-2");
      run.start_projector("projector-2");
      phase = Phase::joining;
    }
    if (phase == Phase::joining && run.engine("engine-2")->assigned_partitions() > 0 &&
        run.projector("projector-2")->assigned_partitions() > 0) {
      phase = Phase::joined;
      joined_at = tick;
    }
    if (phase == Phase::joined && tick >= joined_at + 3) {
      run.leave("engine-2");
      run.leave("projector-2");
      phase = Phase::leaving;
    }
    return phase != Phase::leaving;
  });
  ASSERT_EQ(phase, Phase::leaving) << "the second engine and projector never got partitions";
  run.wait_left("engine-2");
  run.wait_left("projector-2");
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("RebalanceMidBatch");
}

// The coordinator tells members their generation or membership is gone
// (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID on a heartbeat: what a member hears
// after the coordinator expired its session) in the middle of a batch:
// librdkafka drops the assignment as lost, with no hand-over (no drain, no
// commit), and rejoins. The engine's decisions in flight may land after the
// partition was recovered; the commands since the last commit are read again.
// The groups have coordinators of their own so that the engines' errors hit
// the engine.
TEST(KafkaFaults, AssignmentLostMidBatch) {
  FaultRun run(with_coordinator(kOutputsBroker, /*fast_rebalances=*/true));
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.cluster().set_group_coordinator(run.projector_group(), kCommandsBroker);
  run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  const std::vector<rd_kafka_resp_err_t> gone = {RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
                                                 RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID};
  run.load(kChunks, [&](int tick) {
    if (tick == 4) {
      run.push_interleaved(kOutputsBroker, kHeartbeat, gone, 2, 0);   // the engine
      run.push_interleaved(kCommandsBroker, kHeartbeat, gone, 2, 0);  // the projector
    }
    return tick <= 4 || run.cluster().broker_errors_pending(kOutputsBroker, kHeartbeat) > 0 ||
           run.cluster().broker_errors_pending(kCommandsBroker, kHeartbeat) > 0;
  });
  EXPECT_TRUE(run.drained(kOutputsBroker, kHeartbeat));
  EXPECT_TRUE(run.drained(kCommandsBroker, kHeartbeat));
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("AssignmentLostMidBatch");
  EXPECT_GE(run.duplicate_results(), 1) << "no command was read again after the lost assignment";
}

// The broker leading every events partition goes down (connections refused,
// leadership stays: nothing can be written or read there) for a few seconds
// under load, then the one leading results and dead letters.
TEST(KafkaFaults, BrokerDownAndUp) {
  FaultRun run(with_coordinator(kCommandsBroker));
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  constexpr auto kDowntime = 3s;
  int32_t down = 0;
  std::chrono::steady_clock::time_point down_since;
  int outages = 0;
  run.load(kChunks, [&](int tick) {
    const auto now = std::chrono::steady_clock::now();
    if (down != 0 && now - down_since >= kDowntime) {
      run.cluster().set_broker_up(down);
      down = 0;
    }
    if (down == 0 && ((tick >= 4 && outages == 0) || (tick >= 14 && outages == 1))) {
      down = outages == 0 ? kEventsBroker : kOutputsBroker;
      run.cluster().set_broker_down(down);
      down_since = now;
      ++outages;
    }
    return down != 0 || outages < 2;
  });
  EXPECT_EQ(outages, 2);
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("BrokerDownAndUp");
}

// Leadership of the partitions of every topic moves from broker to broker
// under load, two partitions a tick.
TEST(KafkaFaults, LeaderMoves) {
  FaultRun run;
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  run.start_engine("engine-1");
  run.start_projector("projector-1");
  run.allocate();
  const kafka::Topics& topics = run.pipeline().topics();
  std::vector<std::pair<std::string, int32_t>> partitions;
  for (const std::string& topic :
       {topics.commands(), topics.events(), topics.results(), topics.deadletter()}) {
    for (int32_t partition = 0; partition < kPartitions; ++partition)
      partitions.emplace_back(topic, partition);
  }
  std::mt19937_64 random(run.seed());
  int moves = 0;
  run.load(kChunks, [&](int tick) {
    if (tick < 3 || tick >= 19) return false;
    for (int i = 0; i < 2; ++i) {
      const auto& [topic, partition] = partitions[random() % partitions.size()];
      const int32_t leader = run.cluster().leader_of(topic, partition);
      run.cluster().set_partition_leader(topic, partition, leader % kBrokers + 1);
      ++moves;
    }
    return false;
  });
  EXPECT_EQ(moves, 32);
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("LeaderMoves");
}

// Responses delayed beyond the engine's request timeout (socket.timeout.ms):
// a produce of commit records (stored, then sent again: every record of it
// twice), a fetch of commands, and for a few seconds every request to the
// broker leading results and dead letters (results stored twice).
TEST(KafkaFaults, RequestTimeouts) {
  FaultRun run(with_coordinator(kCommandsBroker));
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  // The engine gives up on a request sooner than the other clients, so the
  // faults below take seconds less.
  constexpr int kEngineTimeoutMs = 2500;
  run.start_engine("engine-1", [](engine_service::Options& options) {
    options.kafka.properties["socket.timeout.ms"] = std::to_string(kEngineTimeoutMs);
  });
  run.start_projector("projector-1");
  run.allocate();
  constexpr int kLateMs = kEngineTimeoutMs + 2000;
  // Longer than the request timeout: the mock holds responses back for the
  // broker's current rtt only, so a shorter spell times nothing out.
  constexpr auto kSlowFor = std::chrono::milliseconds(kEngineTimeoutMs + 1000);
  // The late produce and the late fetch both stall the engine, so they come
  // together; the slow broker only once their late answers are due and the
  // engine keeps up again (at most two chunks unanswered): it must be
  // sending results then, or nothing of it would time out.
  enum class Phase { late, slow_broker, done } phase = Phase::late;
  std::chrono::steady_clock::time_point since;
  run.load(kChunks, [&](int tick) {
    const auto now = std::chrono::steady_clock::now();
    if (phase == Phase::late && tick == 3) {
      run.cluster().push_broker_errors(kEventsBroker, kProduce, 1, RD_KAFKA_RESP_ERR_NO_ERROR,
                                       kLateMs);
      run.cluster().push_broker_errors(kCommandsBroker, kFetch, 1, RD_KAFKA_RESP_ERR_NO_ERROR,
                                       kLateMs);
      phase = Phase::slow_broker;
      since = now;
    } else if (phase == Phase::slow_broker && now - since >= std::chrono::milliseconds(kLateMs) &&
               run.unanswered() <= 2 * kChunkCommands) {
      run.cluster().set_broker_rtt(kOutputsBroker, kLateMs);
      phase = Phase::done;
      since = now;
    }
    const bool slow = phase == Phase::done && now - since < kSlowFor;
    if (phase == Phase::done && !slow) run.cluster().set_broker_rtt(kOutputsBroker, 0);
    return phase != Phase::done || slow;
  });
  ASSERT_EQ(phase, Phase::done) << "the faults did not all happen";
  EXPECT_TRUE(run.drained(kEventsBroker, kProduce));
  EXPECT_TRUE(run.drained(kCommandsBroker, kFetch));
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("RequestTimeouts");
  EXPECT_GE(run.ignored_records(), 1) << "the delayed produce did not store commit records twice";
  EXPECT_GE(run.repeated_results(), 1)
      << "the slow broker did not make the engine send results twice";
}

// Offset commits fail (REBALANCE_IN_PROGRESS) while a second engine joins:
// the partitions it takes resume from the last offsets that were committed,
// before commands already decided; those are read again and answered from
// the de-duplication window, never decided twice.
TEST(KafkaFaults, OffsetCommitLost) {
  FaultRun run(with_coordinator(kOutputsBroker, /*fast_rebalances=*/true));
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(run.seed()));
  const auto commit_often = [](engine_service::Options& options) { options.commit_every_ms = 200; };
  run.start_engine("engine-1", commit_often);
  run.start_projector("projector-1");
  run.allocate();
  bool joined = false;
  run.load(kChunks, [&](int tick) {
    if (tick == 5) {
      run.cluster().push_broker_errors(kOutputsBroker, kOffsetCommit, 40,
                                       RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, 0);
    }
    if (tick == 8) run.start_engine("engine-2", commit_often);
    if (tick > 8 && !joined) joined = run.engine("engine-2")->assigned_partitions() > 0;
    // Go on until every failing commit was answered and commits work again.
    return tick <= 8 || !joined ||
           run.cluster().broker_errors_pending(kOutputsBroker, kOffsetCommit) > 0;
  });
  EXPECT_TRUE(joined) << "the second engine never got partitions";
  EXPECT_TRUE(run.drained(kOutputsBroker, kOffsetCommit));
  run.expect_all_answered_and_at_the_end();
  run.expect_exactly_once_and_balanced("OffsetCommitLost");
  EXPECT_GE(run.duplicate_results(), 1) << "no command was read again after the lost commits";
}

}  // namespace
}  // namespace lf::testing
