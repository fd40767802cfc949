// Schema evolution end to end, against the mock cluster and a real
// PostgreSQL: a log holding activity.run_finished and the credits events at
// schema_version 1 (as a binary from before v2 wrote them: billing periods as
// instants) followed by v2 records the real engine
// writes after folding it, projected by the real projector, gives the same
// read tables as the equivalent all-v2 log; event_log keeps the v1 events as
// written; and rebuilding projections from that mixed log (from Kafka and from
// the archive) gives those tables again.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consumers/rebuild/rebuild.hpp"
#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/upcast.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/old_records.hpp"
#include "tests/support/pipeline/log_tables.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;
namespace matrix = workflow_matrix;

using Commands = std::vector<std::pair<std::string, std::string>>;  // type, payload

void submit_accepted(Pipeline& pipeline, const std::string& tenant, const std::string& prefix,
                     const Commands& commands) {
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const std::string id = prefix + std::to_string(i + 1);
    const ResultEnvelope result = pipeline.submit_one(
        tenant, command_json(commands[i].first, tenant, id, commands[i].second));
    ASSERT_EQ(result.status, ResultStatus::accepted)
        << id << " " << commands[i].first << ": " << result.reason << " " << result.message;
  }
}

std::vector<OutgoingRecord> as_outgoing(const std::vector<KafkaRecord>& records) {
  std::vector<OutgoingRecord> outgoing;
  for (const KafkaRecord& record : records) {
    outgoing.push_back(OutgoingRecord{record.key, record.value, record.headers, record.partition});
  }
  return outgoing;
}

// The event envelopes of a commit record, by event_id, as JSON text.
std::map<std::string, std::string> events_by_id(const std::string& record_json) {
  std::map<std::string, std::string> events;
  Result<DecodedRecord> record = decode_commit_record(record_json, kOldRecordLimits);
  EXPECT_TRUE(record.ok());
  if (!record.ok()) return events;
  for (const DecodedEvent& event : record->events) {
    if (event.written_schema_version != event.header.schema_version) {
      events[event.header.event_id] = json_to_string(*event.object);
    }
  }
  return events;
}

// The engine's clock in both phases: inside the workflow matrix's billing
// period (2026-11-01 to 2026-11-30), whatever the day the test runs.
const int64_t kEngineNow = 1'795'165'200'000;  // 2026-11-20T09:00:00Z

TEST(Upcast, LogHoldingBothVersionsProjectsToTheTablesOfTheAllV2Log) {
  const std::string tenant = random_tenant();
  ManualClock clock(kEngineNow);
  // Phase 1, the past: today's engine decides in a scratch pipeline, and its
  // records are rewritten into what the pre-v2 binary wrote for the same
  // decisions (same seq, ids and chain; run_finished at v1).
  PipelineOptions scratch_options;
  scratch_options.partitions = 1;
  scratch_options.brokers = 1;
  scratch_options.projector = false;
  scratch_options.clock = clock.function();
  Pipeline scratch(scratch_options);
  submit_accepted(
      scratch, tenant, "old-",
      {{"credits.allocate", matrix::allocate_payload(1000)},
       {"activity.create", matrix::activity_payload("act", false)},
       {"activity.start", matrix::activity_move("act")},
       {"activity.start_run", matrix::start_run("act", "run-1", 300)},
       {"activity.finish_run", matrix::finish_run("run-1", "completed", 180)},
       {"activity.start_run", matrix::start_run("act", "run-2", 100)},
       {"activity.finish_run", R"({"run_id":"run-2","status":"failed","credits_used":0})"}});
  scratch.stop_services();
  const std::vector<KafkaRecord> commands =
      scratch.kafka().read_partition(scratch.topics().commands(), 0);
  const std::vector<KafkaRecord> written_today =
      scratch.kafka().read_partition(scratch.topics().events(), 0);
  ASSERT_EQ(commands.size(), 7u);
  ASSERT_GE(written_today.size(), 7u);
  std::vector<KafkaRecord> written_then = written_today;
  std::map<std::string, std::string>
      v1_events;  // event_id -> the envelope as the old binary wrote it
  int downgraded = 0;
  for (KafkaRecord& record : written_then) {
    const OldRecord run_finished_v1 = as_written_before_run_finished_v2(record.value);
    const OldRecord old = as_written_before_credits_v2(run_finished_v1.json);
    downgraded += run_finished_v1.events_downgraded + old.events_downgraded;
    record.value = old.json;
    for (auto& [event_id, envelope] : events_by_id(record.value)) v1_events[event_id] = envelope;
  }
  // Two run_finished; credits: allocated, two reserved, released + consumed, released.
  ASSERT_EQ(downgraded, 8);
  ASSERT_EQ(v1_events.size(), 8u);

  // Phase 2, the upgrade: the log and command topic the old binary left, then
  // today's engine, which folds the v1 records and writes v2 from now on.
  PipelineOptions options;
  options.partitions = 1;
  options.brokers = 1;
  options.engine = false;
  options.clock = clock.function();
  Pipeline pipeline(options);
  const std::vector<kafka::DeliveryReport> command_offsets =
      pipeline.kafka().produce(pipeline.topics().commands(), as_outgoing(commands));
  ASSERT_EQ(command_offsets.back().offset,
            commands.back().offset);  // the records' source offsets hold
  pipeline.kafka().produce(pipeline.topics().events(), as_outgoing(written_then));
  pipeline.start_engine(pipeline.engine_options());
  submit_accepted(
      pipeline, tenant, "new-",
      {{"activity.start_run", matrix::start_run("act", "run-3", 200)},
       {"activity.finish_run",
        R"({"run_id":"run-3","status":"completed","credits_used":150,"input_tokens":900})"},
       {"credits.topup", R"({"topup_order_id":"order-1","credits":500})"}});
  // The engine folded the old records: their commands are known, their runs finished.
  EXPECT_EQ(pipeline
                .submit_one(tenant, command_json("activity.finish_run", tenant, "old-5",
                                                 matrix::finish_run("run-1", "completed", 180)))
                .status,
            ResultStatus::duplicate);
  const ResultEnvelope late =
      pipeline.submit_one(tenant, command_json("activity.finish_run", tenant, "new-late",
                                               matrix::finish_run("run-2", "completed", 1)));
  EXPECT_EQ(late.reason, "invalid_transition");
  ASSERT_TRUE(pipeline.wait_projected(60s)) << pipeline.service_failures();
  EXPECT_EQ(pipeline.service_failures(), "");
  // The projector's tables are the fold of this mixed log (verify upcasts the same way).
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);

  // The equivalent all-v2 log: the same records as today's binary writes
  // them, then the engine's records byte for byte.
  const std::vector<KafkaRecord> mixed =
      pipeline.kafka().read_partition(pipeline.topics().events(), 0);
  ASSERT_GT(mixed.size(), written_then.size());
  std::vector<KafkaRecord> all_v2 = mixed;
  for (std::size_t i = 0; i < written_then.size(); ++i) {
    ASSERT_EQ(mixed[i].value, written_then[i].value);
    all_v2[i].value = written_today[i].value;
  }
  int engine_v2_run_finished = 0;
  for (std::size_t i = written_then.size(); i < mixed.size(); ++i) {
    Result<DecodedRecord> record = decode_commit_record(mixed[i].value, kOldRecordLimits);
    ASSERT_TRUE(record.ok());
    for (const DecodedEvent& event : record->events) {
      EXPECT_EQ(event.schema, UpcastOutcome::current) << event.header.type;
      if (event.header.type == "activity.run_finished") ++engine_v2_run_finished;
    }
  }
  EXPECT_EQ(engine_v2_run_finished, 1);
  const std::string all_v2_database = project_into_fresh_database(as_outgoing(all_v2), 1);

  // Every read table row for row; event_log differs only in what it archives
  // of the v1 events, checked below.
  const std::set<std::string> archived = {"event_log.schema_version", "event_log.event"};
  pqxx::connection all_v2_db(all_v2_database);
  pqxx::work mixed_work(pipeline.db());
  pqxx::work all_v2_work(all_v2_db);
  const TableRows mixed_tables = read_tables(mixed_work, archived);
  const TableRows all_v2_tables = read_tables(all_v2_work, archived);
  for (const std::string& difference : table_differences(all_v2_tables, mixed_tables))
    ADD_FAILURE() << difference;
  ASSERT_EQ(mixed_tables.at("activity_runs").size(), 3u);
  ASSERT_EQ(mixed_tables.at("event_log").size(), all_v2_tables.at("event_log").size());
  // The meters of the v1 run reached the table through the upcaster.
  EXPECT_EQ(mixed_work
                .exec_params1("SELECT input_tokens || ' ' || output_tokens || ' ' || duration_ms "
                              "FROM activity_runs "
                              "WHERE tenant_id = $1 AND run_id = 'run-1'",
                              tenant)[0]
                .as<std::string>(),
            "1200 300 4200");
  EXPECT_TRUE(
      mixed_work
          .exec_params1("SELECT input_tokens IS NULL AND duration_ms IS NULL FROM activity_runs "
                        "WHERE tenant_id = $1 AND run_id = 'run-2'",
                        tenant)[0]
          .as<bool>());

  // event_log: the v1 events as the old binary wrote them, the all-v2 log's at v2.
  EXPECT_EQ(mixed_work
                .exec_params1(
                    "SELECT count(*) FROM event_log WHERE tenant_id = $1 AND schema_version = 1 "
                    "AND type = 'activity.run_finished'",
                    tenant)[0]
                .as<int64_t>(),
            2);
  EXPECT_EQ(mixed_work
                .exec_params1(
                    "SELECT count(*) FROM event_log WHERE tenant_id = $1 AND schema_version = 1 "
                    "AND event->'payload' ? 'input_tokens' AND NOT event->'payload' ? 'usage'",
                    tenant)[0]
                .as<int64_t>(),
            1);  // run-1's, with its meters at the top level as v1 had them
  for (const auto& [event_id, envelope] : v1_events) {
    EXPECT_TRUE(
        mixed_work
            .exec_params1("SELECT schema_version = 1 AND (event->>'schema_version')::int = 1 AND "
                          "event = $2::jsonb AND NOT event->'payload' ? 'usage' "
                          "FROM event_log WHERE event_id = $1",
                          event_id, envelope)[0]
            .as<bool>())
        << event_id << " " << envelope;
    // The all-current log holds the same event at its type's current version.
    const pqxx::row current = all_v2_work.exec_params1(
        "SELECT type, schema_version FROM event_log WHERE event_id = $1", event_id);
    EXPECT_EQ(current[1].as<int32_t>(),
              UpcasterRegistry::embedded().current_version(current[0].as<std::string>()))
        << event_id;
  }
  mixed_work.commit();

  // Rebuilt from the mixed log, from Kafka and from the archive (which holds
  // the v1 events as written), the tables are again those of the all-v2 log.
  for (const rebuild::Source source : {rebuild::Source::kafka, rebuild::Source::archive}) {
    for (const std::string projection : {"activity_runs", "audit_log", "activities"}) {
      {
        pqxx::work tamper(pipeline.db());
        tamper.exec("DELETE FROM \"" + projection + "\"");
        tamper.commit();
      }
      rebuild::Options rebuild_options;
      rebuild_options.kafka = pipeline.kafka().settings();
      rebuild_options.topics = pipeline.topics();
      rebuild_options.database_url = pipeline.database_url();
      rebuild_options.projection = projection;
      rebuild_options.source = source;
      const rebuild::Outcome outcome = rebuild::run(rebuild_options);
      EXPECT_GT(outcome.events, 0) << projection;
    }
    pqxx::work rebuilt_work(pipeline.db());
    for (const std::string& difference :
         table_differences(all_v2_tables, read_tables(rebuilt_work, archived))) {
      ADD_FAILURE() << rebuild::to_string(source) << ": " << difference;
    }
  }
}

}  // namespace
}  // namespace lf::testing
