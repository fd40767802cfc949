// The whole path in one process, against the mock cluster and a real
// PostgreSQL: commands -> engine -> commit records -> projector -> read
// tables. Duplicates of every kind, bad input, re-routing, timers.
#include <gtest/gtest.h>

#include "events/dead_letter.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

struct Balance {
  int64_t available = 0, reserved = 0, topup = 0, consumed = 0, effective = 0;
};

Balance balance_of(pqxx::connection& db, const std::string& tenant) {
  pqxx::work work(db);
  pqxx::result rows = work.exec_params(
      "SELECT credits_available, credits_reserved, credits_topup, credits_consumed, "
      "effective_available "
      "FROM credit_balances WHERE tenant_id = $1",
      tenant);
  EXPECT_EQ(rows.size(), 1u) << "no balance row for " << tenant;
  if (rows.empty()) return {};
  return Balance{rows[0][0].as<int64_t>(), rows[0][1].as<int64_t>(), rows[0][2].as<int64_t>(),
                 rows[0][3].as<int64_t>(), rows[0][4].as<int64_t>()};
}

void expect_read_tables_equal_the_log(Pipeline& pipeline) {
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  std::vector<verify::Difference> differences = pipeline.verify();
  for (const verify::Difference& difference : differences)
    ADD_FAILURE() << verify::to_string(difference);
}

TEST(Pipeline, CommandsBecomeBalancesAndLedgerRows) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  const int64_t now = system_now_ms();
  auto results = pipeline.submit({
      {tenant, command_json("credits.allocate", tenant, "a1", allocate_around(10'000, now))},
  });
  ASSERT_EQ(results.at("a1").status, ResultStatus::accepted) << results.at("a1").message;
  const std::vector<std::pair<std::string, std::string>> day = {
      {"t1", command_json("credits.topup", tenant, "t1", topup_payload("order-1", 2'000),
                          "user:billing")},
      {"r1", command_json("credits.reserve", tenant, "r1", reserve_payload("run-1", 1'500),
                          "agent:writer")},
      {"c1", command_json("credits.consume", tenant, "c1", consume_payload("run-1", 1'200),
                          "agent:writer")},
      {"r2", command_json("credits.reserve", tenant, "r2", reserve_payload("run-2", 300),
                          "agent:writer")},
      {"x2", command_json("credits.release", tenant, "x2", "{\"reservation_id\":\"run-2\"}",
                          "agent:writer")},
      {"r3", command_json("credits.reserve", tenant, "r3", reserve_payload("run-3", 400),
                          "agent:writer")},
      {"f1", command_json("credits.refund", tenant, "f1", "{\"credits\":100,\"note\":\"quality\"}",
                          "support:ann")},
      {"j1", command_json("credits.adjust", tenant, "j1", "{\"credits\":50,\"note\":\"goodwill\"}",
                          "admin:bo")},
  };
  for (const auto& [id, json] : day) {
    ResultEnvelope result = pipeline.submit_one(tenant, json);
    EXPECT_EQ(result.status, ResultStatus::accepted)
        << id << ": " << result.reason << " " << result.message;
  }
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  const Balance balance = balance_of(pipeline.db(), tenant);
  // 10,000 + 2,000 top-up - 1,200 used + 100 refunded + 50 adjusted; 400 held.
  EXPECT_EQ(balance.available, 10'950);
  EXPECT_EQ(balance.reserved, 400);
  EXPECT_EQ(balance.effective, 10'550);
  EXPECT_EQ(balance.topup, 800);  // top-ups are consumed first
  EXPECT_EQ(balance.consumed, 1'200);
  EXPECT_EQ(ledger_sum(pipeline.db(), tenant), balance.effective);
  EXPECT_EQ(
      count_of(pipeline.db(),
               "SELECT count(*) FROM credit_reservations WHERE tenant_id = $1 AND status = 'open'",
               tenant),
      1);
  expect_read_tables_equal_the_log(pipeline);
}

TEST(Pipeline, TheSameCommandIdTwiceIsAppliedOnce) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  pipeline.submit({{tenant, command_json("credits.allocate", tenant, "a1",
                                         allocate_around(1'000, system_now_ms()))}});
  const std::string reservation =
      command_json("credits.reserve", tenant, "same-id", reserve_payload("run-1", 600));
  ResultEnvelope first = pipeline.submit_one(tenant, reservation);
  ResultEnvelope second = pipeline.submit_one(tenant, reservation);
  EXPECT_EQ(first.status, ResultStatus::accepted);
  EXPECT_EQ(second.status, ResultStatus::duplicate);
  EXPECT_EQ(second.event_ids, first.event_ids);
  ASSERT_TRUE(pipeline.wait_projected());
  EXPECT_EQ(balance_of(pipeline.db(), tenant).reserved, 600);
  EXPECT_EQ(
      count_of(pipeline.db(),
               "SELECT count(*) FROM credit_ledger WHERE tenant_id = $1 AND type = 'reserved'",
               tenant),
      1);
  expect_read_tables_equal_the_log(pipeline);
}

// The de-duplication window survives a restart through the snapshot alone:
// the engine that takes over replays only the records after the snapshot,
// so the first decision's entry comes from the snapshot's chunk row.
TEST(Pipeline, ACommandIdDecidedBeforeASnapshotIsStillADuplicateAfterARestart) {
  PipelineOptions options;
  options.partitions = 1;
  options.engine = false;
  Pipeline pipeline(options);
  engine_service::Options engine = pipeline.engine_options("engine-before");
  engine.snapshot_every_records = 2;
  engine.snapshot_every_ms = 3'600'000;
  pipeline.start_engine(engine);
  const std::string tenant = random_tenant();
  pipeline.submit({{tenant, command_json("credits.allocate", tenant, "a1",
                                         allocate_around(1'000, system_now_ms()))}});
  const std::string reservation =
      command_json("credits.reserve", tenant, "same-id", reserve_payload("run-1", 600));
  const ResultEnvelope first = pipeline.submit_one(tenant, reservation);
  ASSERT_EQ(first.status, ResultStatus::accepted);
  ASSERT_TRUE(first.seq.has_value());
  pipeline.submit_one(tenant,
                      command_json("credits.reserve", tenant, "r2", reserve_payload("run-2", 10)));
  auto one = [&](const std::string& sql) {
    pqxx::nontransaction work(pipeline.db());
    return work.exec1(sql)[0].as<int64_t>(0);
  };
  ASSERT_TRUE(wait_until(
      [&] { return one("SELECT coalesce(max(seq), 0) FROM engine_snapshots") >= *first.seq; }, 30s))
      << pipeline.service_failures();
  EXPECT_GE(one("SELECT count(*) FROM engine_dedup_chunks"), 1);
  EXPECT_EQ(one("SELECT count(*) FROM engine_dedup"), 0);
  pipeline.stop_engine("engine-before");

  pipeline.start_engine(pipeline.engine_options("engine-after"));
  const ResultEnvelope again = pipeline.submit_one(tenant, reservation);
  EXPECT_EQ(again.status, ResultStatus::duplicate);
  EXPECT_EQ(again.event_ids, first.event_ids);
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();
  EXPECT_EQ(balance_of(pipeline.db(), tenant).reserved, 610);
  expect_read_tables_equal_the_log(pipeline);
}

TEST(Pipeline, TheSameTopUpOrderTwiceIsRejected) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  pipeline.submit({{tenant, command_json("credits.allocate", tenant, "a1",
                                         allocate_around(1'000, system_now_ms()))}});
  ResultEnvelope first = pipeline.submit_one(
      tenant, command_json("credits.topup", tenant, "t1", topup_payload("order-9", 500)));
  ResultEnvelope second = pipeline.submit_one(
      tenant, command_json("credits.topup", tenant, "t2", topup_payload("order-9", 500)));
  EXPECT_EQ(first.status, ResultStatus::accepted);
  EXPECT_EQ(second.status, ResultStatus::rejected);
  EXPECT_EQ(second.reason, "duplicate_topup_order");
  ASSERT_TRUE(pipeline.wait_projected());
  EXPECT_EQ(balance_of(pipeline.db(), tenant).available, 1'500);
  // The rejection is in the log as command.rejected, archived like any event.
  EXPECT_EQ(
      count_of(pipeline.db(),
               "SELECT count(*) FROM event_log WHERE tenant_id = $1 AND type = 'command.rejected'",
               tenant),
      1);
  expect_read_tables_equal_the_log(pipeline);
}

TEST(Pipeline, DuplicatedKafkaMessagesAreAppliedOnce) {
  PipelineOptions options;
  options.partitions = 2;
  options.engine = false;
  Pipeline pipeline(options);
  // The engine's producer must time out before the delayed responses come.
  engine_service::Options engine = pipeline.engine_options();
  for (const auto& [key, value] : MockKafka::duplicate_prone_producer_properties())
    engine.kafka.properties[key] = value;
  pipeline.start_engine(engine);

  const std::string tenant = random_tenant();
  const int32_t home = partition_for_key(tenant, options.partitions);
  pipeline.submit({{tenant, command_json("credits.allocate", tenant, "a1",
                                         allocate_around(5'000, system_now_ms()))}});

  ResultEnvelope reserved = pipeline.submit_one(
      tenant, command_json("credits.reserve", tenant, "r1", reserve_payload("run-1", 700)));
  EXPECT_EQ(reserved.status, ResultStatus::accepted);

  // Commit records written twice by the engine's producer. The delayed
  // responses answer whatever Produce request the broker gets next; on a
  // loaded machine that is now and then not the record's, so the recipe is
  // repeated (with one more hold each time) until a record is doubled.
  int64_t holds = 0;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    inject_duplicate_produce(pipeline.kafka().cluster(), pipeline.topics().events(), home, 1);
    const std::string id = "hold-" + std::to_string(attempt);
    EXPECT_EQ(
        pipeline
            .submit_one(tenant,
                        command_json("credits.reserve", tenant, id, reserve_payload(id, 100)), 60s)
            .status,
        ResultStatus::accepted);
    ++holds;
    ASSERT_TRUE(pipeline.wait_projected());
    if (pipeline.fold().ignored() > 0) break;
  }

  // ...and a command written twice by a producer.
  client::CommandClient retrying(pipeline.kafka().settings(), pipeline.topics(),
                                 "retrying-producer");
  inject_duplicate_produce(pipeline.kafka().cluster(), pipeline.topics().commands(), home, 1);
  retrying.send(tenant,
                command_json("credits.consume", tenant, "c1", consume_payload("run-1", 650)));
  retrying.flush(60'000);
  ASSERT_TRUE(wait_until(
      [&] {
        pipeline.client().poll_results(10);
        int answers = 0;
        for (const ResultEnvelope& result : pipeline.client().results())
          answers += result.command_id == "c1";
        return answers >= 2;
      },
      60s));

  std::vector<KafkaRecord> commands =
      pipeline.kafka().read_partition(pipeline.topics().commands(), home);
  int copies = 0;
  for (const KafkaRecord& record : commands)
    copies += record.value.find("\"c1\"") != std::string::npos;
  EXPECT_EQ(copies, 2) << "the recipe did not duplicate the command";

  ASSERT_TRUE(pipeline.wait_projected());
  verify::Fold fold = pipeline.fold();
  EXPECT_GE(fold.ignored(), 1) << "the recipe did not duplicate a commit record";
  const Balance balance = balance_of(pipeline.db(), tenant);
  EXPECT_EQ(balance.available, 4'350);
  EXPECT_EQ(balance.reserved, 100 * holds);
  EXPECT_EQ(
      count_of(pipeline.db(),
               "SELECT count(*) FROM credit_ledger WHERE tenant_id = $1 AND type = 'consumed'",
               tenant),
      1);
  EXPECT_EQ(ledger_sum(pipeline.db(), tenant), balance.effective);
  pqxx::work work(pipeline.db());
  EXPECT_GE(
      work.exec_params1(
              "SELECT max(ignored_count) FROM projection_checkpoints WHERE partition = $1", home)[0]
          .as<int64_t>(),
      1);
  work.commit();
  expect_read_tables_equal_the_log(pipeline);
}

struct BadInput {
  std::string name;
  std::string value;
  std::string code;
};

std::vector<BadInput> bad_inputs(const std::string& tenant) {
  const std::string issued = format_rfc3339_ms(system_now_ms());
  std::vector<BadInput> inputs = {
      {"not JSON", "this is not json", "invalid_json"},
      {"wrong types",
       "{\"command_id\":7,\"type\":\"credits.reserve\",\"tenant_id\":\"" + tenant +
           "\",\"actor\":\"system\",\"issued_at\":\"" + issued + "\",\"payload\":{}}",
       "invalid_envelope"},
      {"missing fields", "{\"command_id\":\"m1\",\"tenant_id\":\"" + tenant + "\"}",
       "invalid_envelope"},
      {"unknown type", command_json("credits.steal", tenant, "u1", "{}"), "unknown_command_type"},
      {"schema violation",
       command_json("credits.reserve", tenant, "s1",
                    "{\"reservation_id\":\"x\",\"credits\":\"many\"}"),
       "schema_violation"},
      {"10 MB value", std::string(10 << 20, 'x'), "too_large"},
      {"nesting depth 100,000", std::string(100'000, '[') + std::string(100'000, ']'), "too_deep"},
      {"invalid UTF-8",
       command_json("credits.reserve", tenant, "bad\xC3\x28utf8", reserve_payload("r", 1)),
       "invalid_utf8"},
  };
  return inputs;
}

TEST(Pipeline, BadInputIsDeadLetteredUnchangedAndTheNextCommandIsApplied) {
  PipelineOptions options;
  options.partitions = 2;
  Pipeline pipeline(options);
  const std::string tenant = random_tenant();
  const int32_t home = partition_for_key(tenant, options.partitions);
  pipeline.submit({{tenant, command_json("credits.allocate", tenant, "a1",
                                         allocate_around(5'000, system_now_ms()))}});

  kafka::Settings big = pipeline.kafka().settings();
  big.properties["message.max.bytes"] = std::to_string(16 << 20);
  // librdkafka 2.0.2's mock loses any message set over its 5 MiB partition
  // limit (it trims before it inserts), so the 10 MB value travels
  // compressed, as a real producer of large values would send it; the
  // engine still sees (and refuses) 10 MB.
  big.properties["compression.type"] = "lz4";
  client::CommandClient producer(big, pipeline.topics(), "bad-producer");
  int good = 0;
  // One at a time, each dead letter seen before the next command is sent:
  // the mock keeps ~5 MiB per partition, so the 10 MB value disappears from
  // the commands partition as soon as anything follows it, and its letter
  // (sent last) pushes the earlier ones out of the dead-letter partition.
  for (const BadInput& input : bad_inputs(tenant)) {
    SCOPED_TRACE(input.name);
    producer.send(tenant, input.value);
    producer.flush();
    std::optional<KafkaRecord> letter;
    ASSERT_TRUE(wait_until(
        [&] {
          for (int32_t partition = 0; partition < options.partitions; ++partition) {
            for (KafkaRecord& record :
                 pipeline.kafka().read_partition(pipeline.topics().deadletter(), partition)) {
              if (record.value == input.value) letter = std::move(record);
            }
          }
          return letter.has_value();
        },
        30s))
        << "no dead letter with the value unchanged; services: " << pipeline.service_failures();
    EXPECT_EQ(letter->key, tenant);
    EXPECT_EQ(letter->header(std::string(kDlqCodeHeader)), input.code);
    EXPECT_EQ(letter->header(std::string(kDlqTopicHeader)), pipeline.topics().commands());
    EXPECT_EQ(letter->header(std::string(kDlqPartitionHeader)), std::to_string(home));
    EXPECT_FALSE(letter->header(std::string(kDlqOffsetHeader)).empty());
    EXPECT_FALSE(letter->header(std::string(kDlqMessageHeader)).empty());

    const std::string id = "good-" + std::to_string(++good);
    ResultEnvelope next = pipeline.submit_one(
        tenant, command_json("credits.reserve", tenant, id, reserve_payload(id, 10)));
    EXPECT_EQ(next.status, ResultStatus::accepted) << "the command after it: " << next.message;
  }
  // Identifiable commands also get a rejected result that says why.
  std::map<std::string, ResultEnvelope> rejected = pipeline.client().await({"u1", "s1"}, 10'000);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected.at("u1").reason, "unknown_command_type");
  EXPECT_EQ(rejected.at("s1").reason, "schema_violation");
  expect_read_tables_equal_the_log(pipeline);
}

TEST(Pipeline, ACommandInTheWrongPartitionIsReroutedToItsTenants) {
  PipelineOptions options;
  options.partitions = 4;
  Pipeline pipeline(options);
  const std::string tenant = random_tenant();
  const int32_t home = partition_for_key(tenant, options.partitions);
  const int32_t wrong = (home + 1) % options.partitions;
  pipeline.submit({{tenant, command_json("credits.allocate", tenant, "a1",
                                         allocate_around(900, system_now_ms()))}});
  pipeline.client().send(
      tenant, command_json("credits.reserve", tenant, "misrouted", reserve_payload("r", 100)),
      wrong);
  pipeline.client().flush();
  std::map<std::string, ResultEnvelope> results = pipeline.client().await({"misrouted"}, 30'000);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results.at("misrouted").status, ResultStatus::accepted);
  std::vector<KafkaRecord> home_commands =
      pipeline.kafka().read_partition(pipeline.topics().commands(), home);
  bool copied = false;
  for (const KafkaRecord& record : home_commands) {
    copied = copied || record.header("ledgerflow.rerouted_from") ==
                           pipeline.topics().commands() + "/" + std::to_string(wrong) + "/0";
  }
  EXPECT_TRUE(copied);
  ASSERT_TRUE(pipeline.wait_projected());
  EXPECT_EQ(balance_of(pipeline.db(), tenant).reserved, 100);
  expect_read_tables_equal_the_log(pipeline);
}

TEST(Pipeline, AReservationExpiresByItselfWhenItsDeadlinePasses) {
  ManualClock clock(system_now_ms());
  PipelineOptions options;
  options.clock = clock.function();
  Pipeline pipeline(options);
  const std::string tenant = random_tenant();
  pipeline.submit({{tenant, command_json("credits.allocate", tenant, "a1",
                                         allocate_around(1'000, clock.now()))}});
  EXPECT_EQ(pipeline
                .submit_one(tenant, command_json("credits.reserve", tenant, "r1",
                                                 reserve_payload("run-1", 250)))
                .status,
            ResultStatus::accepted);
  clock.advance(kMillisPerHour + 1);
  ASSERT_TRUE(wait_until(
      [&] {
        return count_of(pipeline.db(),
                        "SELECT count(*) FROM credit_reservations WHERE tenant_id = $1 AND status "
                        "= 'expired'",
                        tenant) == 1;
      },
      30s))
      << pipeline.service_failures();
  ASSERT_TRUE(pipeline.wait_projected());
  EXPECT_EQ(count_of(pipeline.db(),
                     "SELECT count(*) FROM credit_ledger WHERE tenant_id = $1 AND type = "
                     "'released' AND reason = 'expired'",
                     tenant),
            1);
  EXPECT_EQ(balance_of(pipeline.db(), tenant).reserved, 0);
  expect_read_tables_equal_the_log(pipeline);
}

}  // namespace
}  // namespace lf::testing
