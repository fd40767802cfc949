// The log the previous version wrote, read by this one. tests/fixtures/
// catalogue_v1 holds what ledgerflow at 29de758 (the last catalogue-v1
// binary) wrote for a seed-shaped workload (generate.sh, workload.py): its
// commands topic, its commit records and its engine's snapshot. Projected by
// this binary the log gives the v2 tables (billing periods as dates, `normal`
// for `medium`, the seeds' approval types, currency and exact budgets, the
// explicit statuses); `verify` finds them equal to the fold of the log;
// every projection rebuilt from Kafka and from the archive gives them again;
// and the engine goes on deciding from the old log, with and without the old
// engine's snapshot.
#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "consumers/rebuild/rebuild.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/pipeline/log_tables.hpp"
#include "tests/support/pipeline/pipeline.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAcme = "3f0e8a52-6c1d-4b8e-9a7f-2d5c1e0b9a41";
constexpr const char* kGlobex = "b7d24e19-0f3a-4c62-8e15-9a4d7c3b2f60";
constexpr const char* kInitech = "0c5a9e7d-2b4f-4d1a-8e3c-6f7b9a1d2e50";
const JsonLimits kFixtureLimits =
    without_input_checks(JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});

std::vector<std::string> fixture_lines(const std::string& name) {
  std::ifstream file(std::string(LEDGERFLOW_CATALOGUE_V1_DIR) + "/" + name);
  EXPECT_TRUE(file.good()) << name;
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// A topic as kcat -J printed it: partition, key and payload of each message.
std::vector<OutgoingRecord> fixture_topic(const std::string& name) {
  std::vector<OutgoingRecord> records;
  for (const std::string& line : fixture_lines(name)) {
    Result<std::unique_ptr<rapidjson::Document>> message = parse_json_bounded(line, kFixtureLimits);
    EXPECT_TRUE(message.ok()) << line;
    if (!message.ok()) continue;
    OutgoingRecord record;
    record.partition = static_cast<int32_t>(json_int64(**message, "partition").value_or(-1));
    record.key = std::string(json_string(**message, "key").value_or(""));
    record.value = std::string(json_string(**message, "payload").value_or(""));
    records.push_back(std::move(record));
  }
  return records;
}

// When the fixture's workload was written: its commands' issued_at.
int64_t written_at_ms() {
  const std::vector<OutgoingRecord> commands = fixture_topic("commands.jsonl");
  EXPECT_FALSE(commands.empty());
  Result<std::unique_ptr<rapidjson::Document>> first =
      parse_json_bounded(commands.front().value, kFixtureLimits);
  EXPECT_TRUE(first.ok());
  return parse_rfc3339_ms(json_string(**first, "issued_at").value_or("")).value_or(0);
}

// The [period_start, period_end) instants `tenant`'s v1 allocation named.
std::pair<int64_t, int64_t> v1_period_of(const std::string& tenant) {
  for (const OutgoingRecord& command : fixture_topic("commands.jsonl")) {
    Result<std::unique_ptr<rapidjson::Document>> json =
        parse_json_bounded(command.value, kFixtureLimits);
    if (!json.ok() || json_string(**json, "tenant_id") != tenant ||
        json_string(**json, "type") != "credits.allocate") {
      continue;
    }
    const rapidjson::Value& payload = *json_member(**json, "payload");
    return {parse_rfc3339_ms(json_string(payload, "period_start").value_or("")).value_or(0),
            parse_rfc3339_ms(json_string(payload, "period_end").value_or("")).value_or(0)};
  }
  ADD_FAILURE() << "no allocation of " << tenant << " in the fixture";
  return {0, 0};
}

std::string one(pqxx::work& work, const std::string& sql) {
  const pqxx::result rows = work.exec(sql);
  EXPECT_EQ(rows.size(), 1u) << sql;
  return rows.empty() || rows[0][0].is_null() ? "(null)" : rows[0][0].as<std::string>();
}

// The engine's log lines, kept for the tests to read (and written to standard
// error as usual): registered as "engine" before any engine logs.
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> engine_log() {
  static const std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring = [] {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(2000);
    auto logger = std::make_shared<spdlog::logger>(
        "engine", spdlog::sinks_init_list{sink, std::make_shared<spdlog::sinks::stderr_sink_mt>()});
    spdlog::register_logger(logger);
    return sink;
  }();
  return ring;
}

// A pipeline on one partition, as the fixture was written, holding the v1
// commands and commit records; the engine's clock a minute after the
// workload (the periods of then still run).
class V1Log {
 public:
  V1Log() : clock_(written_at_ms() + 60'000) {
    PipelineOptions options;
    options.partitions = 1;
    options.brokers = 1;
    options.engine = false;
    options.clock = clock_.function();
    pipeline_ = std::make_unique<Pipeline>(options);
    commands_ = fixture_topic("commands.jsonl");
    events_ = fixture_topic("events.jsonl");
    pipeline_->kafka().produce(pipeline_->topics().commands(), commands_);
    pipeline_->kafka().produce(pipeline_->topics().events(), events_);
  }

  // Writes the v1 engine's snapshot tables as the old engine left them.
  void restore_v1_snapshot() {
    pqxx::work work(pipeline_->db());
    for (const std::string& line : fixture_lines("snapshot.jsonl")) {
      Result<std::unique_ptr<rapidjson::Document>> row = parse_json_bounded(line, kFixtureLimits);
      ASSERT_TRUE(row.ok()) << line;
      const std::string table(json_string(**row, "table").value_or(""));
      ASSERT_TRUE(table == "engine_snapshots" || table == "engine_tenant_state" ||
                  table == "engine_dedup")
          << table;
      const rapidjson::Value& columns = *json_member(**row, "row");
      // The v1 columns only: a column a later migration added gets its
      // default, as the v1 rows did when that migration ran.
      std::string names;
      for (const auto& column : columns.GetObject()) {
        if (!names.empty()) names += ", ";
        names += work.quote_name(column.name.GetString());
      }
      work.exec_params("INSERT INTO " + work.quote_name(table) + " (" + names + ") SELECT " +
                           names + " FROM jsonb_populate_record(NULL::" + work.quote_name(table) +
                           ", $1::jsonb)",
                       json_to_string(columns));
    }
    work.commit();
  }
  void start_engine() {
    engine_log();
    pipeline_->start_engine(pipeline_->engine_options());
  }

  Pipeline& pipeline() { return *pipeline_; }
  ManualClock& clock() { return clock_; }
  std::size_t record_count() const { return events_.size(); }

 private:
  ManualClock clock_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<OutgoingRecord> commands_;
  std::vector<OutgoingRecord> events_;
};

// The v2 reading of the v1 log, table by table.
void expect_seed_dialect_tables(pqxx::work& work) {
  const std::string acme = "'" + std::string(kAcme) + "'";
  // Billing periods as dates. Acme's v1 period of UTC midnights is the
  // calendar month; Globex's, not whole days, keeps v1's instants exactly.
  EXPECT_EQ(
      one(work,
          "SELECT period_start = date_trunc('month', period_start)::date AND "
          "period_end = (date_trunc('month', period_start) + interval '1 month - 1 day')::date AND "
          "next_reset_at = (period_end + 1)::timestamp AT TIME ZONE 'UTC' "
          "FROM credit_balances WHERE tenant_id = " +
              acme),
      "t");
  const auto [globex_start_ms, globex_end_ms] = v1_period_of(kGlobex);
  EXPECT_EQ(one(work,
                "SELECT period_start || ' ' || period_end || ' ' || "
                "(extract(epoch FROM next_reset_at) * 1000)::bigint FROM credit_balances WHERE "
                "tenant_id = '" +
                    std::string(kGlobex) + "'"),
            format_date_days(static_cast<int32_t>(globex_start_ms / kMillisPerDay)) + " " +
                format_date_days(static_cast<int32_t>((globex_end_ms - 1) / kMillisPerDay)) + " " +
                std::to_string(globex_end_ms));
  EXPECT_EQ(one(work, "SELECT count(*) FROM credit_ledger WHERE tenant_id = '" +
                          std::string(kInitech) + "' AND type = 'allocated'"),
            "2");  // allocated, then renewed by the v1 engine's timer
  // Activities: medium is normal; an agent's v1 gate is plain work now; v1
  // statuses as the events carried them.
  EXPECT_EQ(
      one(work,
          "SELECT string_agg(activity_id || ' ' || status || ' ' || priority || ' ' || "
          "is_approval_gate || ' ' || assignee_type, ', ' ORDER BY activity_id) FROM activities "
          "WHERE tenant_id = " +
              acme),
      "act-banner assigned urgent false agent, act-copy completed normal false agent, "
      "act-landing created low false human, act-research awaiting_approval high false agent");
  EXPECT_EQ(one(work, "SELECT revision_note FROM activities WHERE activity_id = 'act-copy'"),
            "tighten the headline");
  // Approvals: v1's free types become the seeds'.
  EXPECT_EQ(one(work,
                "SELECT string_agg(approval_id || ' ' || type || ' ' || status || ' ' || "
                "coalesce(chosen_option, '-') || ' ' || coalesce(reviewer_id, '-') || ' ' || "
                "(escalated_at IS NOT NULL), ', ' ORDER BY approval_id COLLATE \"C\") "
                "FROM approvals WHERE tenant_id = " +
                    acme),
            "act-copy:approval:1 content_review revision_requested - user:rita false, "
            "act-copy:approval:2 content_review approved B - false, "
            "ap-hero creative expired - user:lee true, "
            "ap-pending creative pending - user:lee false, "
            "mb-spring:approval media_buy approved - user:rita false");
  // Media buys: v1's integer budgets were cents of (implicitly) US dollars.
  EXPECT_EQ(
      one(work,
          "SELECT currency || ' ' || budget_total || ' ' || budget_total_minor || ' ' || status "
          "FROM media_buys WHERE tenant_id = " +
              acme),
      "USD 20000.50 2000050 active");
  EXPECT_EQ(one(work,
                "SELECT string_agg(package_id || '=' || budget, ' ' ORDER BY package_id) "
                "FROM media_buy_packages WHERE tenant_id = " +
                    acme),
            "ctv=15000.00 display=5000.50");
  // Runs: v1's meters, the seed's column names.
  EXPECT_EQ(
      one(work,
          "SELECT string_agg(run_id || ' ' || status || ' ' || coalesce(input_tokens::text, '-') "
          "|| ' ' "
          "|| coalesce(duration_ms::text, '-') || ' ' || coalesce(cost_usd::text, '-') || ' ' || "
          "(ended_on >= started_on), ', ' ORDER BY run_id) FROM activity_runs WHERE tenant_id = " +
              acme),
      "run-copy-1 completed 5200 14200 - true, run-copy-2 timed_out - - - true");
  // The audit row an other system sent, and one row per event.
  EXPECT_EQ(one(work,
                "SELECT operation || ' ' || resource_type || '/' || resource_id || ' ' || "
                "principal_id || "
                "' ' || (occurred_at = recorded_at) FROM audit_log WHERE tenant_id = " +
                    acme + " AND operation = 'create_media_buy'"),
            "create_media_buy media_buy/mb-spring adv-acme true");
  EXPECT_EQ(one(work, "SELECT (SELECT count(*) FROM audit_log) = (SELECT count(*) FROM event_log)"),
            "t");
  // The queues of the seed: Kim's task, the designer's assigned banner.
  EXPECT_EQ(
      one(work, "SELECT string_agg(activity_id, ' ') FROM human_queue WHERE tenant_id = " + acme),
      "act-landing");
  EXPECT_EQ(
      one(work, "SELECT string_agg(activity_id, ' ') FROM agent_queue WHERE tenant_id = " + acme),
      "act-banner");
}

TEST(CatalogueV1, TheV1LogProjectsRebuildsAndVerifiesAsTheV2Tables) {
  V1Log log;
  Pipeline& pipeline = log.pipeline();
  ASSERT_TRUE(pipeline.wait_projected(60s)) << pipeline.service_failures();
  EXPECT_EQ(pipeline.service_failures(), "");
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);

  TableRows projected;
  {
    pqxx::work work(pipeline.db());
    expect_seed_dialect_tables(work);
    // Archived as written: v1 wrote activity.run_finished at 2 already, the
    // rest at 1.
    EXPECT_EQ(one(work,
                  "SELECT count(*) FROM event_log WHERE schema_version <> "
                  "(event->>'schema_version')::int"),
              "0");
    EXPECT_EQ(one(work,
                  "SELECT string_agg(DISTINCT type || ':' || schema_version, ' ') FROM event_log "
                  "WHERE schema_version > 1"),
              "activity.run_finished:2");
    EXPECT_EQ(one(work, "SELECT count(DISTINCT seq) FROM event_log"),
              std::to_string(log.record_count()));
    EXPECT_EQ(one(work, "SELECT count(*) FROM parked_streams"), "0");
    projected = read_tables(work);
  }

  // Every projection rebuilt from the v1 log, from Kafka and from the
  // archive, gives the same tables.
  for (const rebuild::Source source : {rebuild::Source::kafka, rebuild::Source::archive}) {
    for (const auto& projection : projections::all_projections()) {
      // The archive is event_log itself: it is rebuilt from Kafka only.
      if (source == rebuild::Source::archive && projection->name() == "event_log") continue;
      rebuild::Options options;
      options.kafka = pipeline.kafka().settings();
      options.topics = pipeline.topics();
      options.database_url = pipeline.database_url();
      options.projection = std::string(projection->name());
      options.source = source;
      const rebuild::Outcome outcome = rebuild::run(options);
      EXPECT_GT(outcome.events, 0) << projection->name() << " from " << rebuild::to_string(source);
    }
    pqxx::work work(pipeline.db());
    for (const std::string& difference : table_differences(projected, read_tables(work))) {
      ADD_FAILURE() << rebuild::to_string(source) << ": " << difference;
    }
  }
}

// The engine decides on from the v1 log: the old log's pending review is
// decided, the old waiting work gets its review step, credits go on from the
// old balance, an old command id is a duplicate (when the engine remembers
// it), and three days later the new review escalates. `rebuilt` is the
// engine's log line that says where its state came from.
void engine_goes_on(V1Log& log, const std::string& rebuilt) {
  Pipeline& pipeline = log.pipeline();
  log.start_engine();
  auto submit = [&](const std::string& tenant, const std::string& type, const std::string& id,
                    const std::string& payload, const std::string& actor = "user:maya") {
    return pipeline.submit_one(
        tenant, command_json(type, tenant, id, payload, actor, log.clock().now()), 60s);
  };
  int64_t effective_before = 0;
  {
    ASSERT_TRUE(pipeline.wait_projected(60s)) << pipeline.service_failures();
    pqxx::work work(pipeline.db());
    effective_before =
        std::stoll(one(work, "SELECT effective_available FROM credit_balances WHERE tenant_id = '" +
                                 std::string(kAcme) + "'"));
  }
  EXPECT_EQ(submit(kAcme, "approval.approve", "v2-1",
                   R"({"approval_id":"ap-pending","reviewed_by":"user:lee"})", "user:lee")
                .status,
            ResultStatus::accepted);
  const ResultEnvelope review =
      submit(kAcme, "approval.request", "v2-2",
             R"({"approval_id":"ap-research","subject":{"kind":"activity",)"
             R"("id":"act-research"},"type":"content_review","risk_level":"low",)"
             R"("title":"Competitor research","reviewer_id":"user:kim"})");
  EXPECT_EQ(review.status, ResultStatus::accepted) << review.reason << " " << review.message;
  EXPECT_EQ(
      submit(kAcme, "credits.reserve", "v2-3", R"({"reservation_id":"res-v2","credits":1000})")
          .status,
      ResultStatus::accepted);
  {
    ASSERT_TRUE(pipeline.wait_projected(60s)) << pipeline.service_failures();
    pqxx::work work(pipeline.db());
    EXPECT_EQ(one(work, "SELECT effective_available FROM credit_balances WHERE tenant_id = '" +
                            std::string(kAcme) + "'"),
              std::to_string(effective_before - 1000));
  }
  EXPECT_EQ(
      submit(kAcme, "credits.topup", "v1-002", R"({"topup_order_id":"ord-1001","credits":25000})")
          .status,
      ResultStatus::duplicate);
  EXPECT_EQ(
      submit(kAcme, "activity.create", "v2-4",
             R"({"activity_id":"act-copy","title":"t","type":"write","assignee_type":"agent",)"
             R"("assignee_agent_role":"copywriter","priority":"normal"})")
          .reason,
      "duplicate_activity");
  // Three days on: the new review expires and escalates to Kim again (no
  // escalation reviewer is configured); the old period still runs.
  log.clock().advance(73 * kMillisPerHour);
  EXPECT_EQ(submit(kGlobex, "credits.reserve", "v2-5", R"({"reservation_id":"gx-v2","credits":10})")
                .status,
            ResultStatus::accepted);
  ASSERT_TRUE(pipeline.wait_projected(60s)) << pipeline.service_failures();
  pqxx::work work(pipeline.db());
  const std::string acme = "'" + std::string(kAcme) + "'";
  // The hour's hold lapsed meanwhile.
  EXPECT_EQ(one(work, "SELECT status FROM credit_reservations WHERE reservation_id = 'res-v2'"),
            "expired");
  EXPECT_EQ(one(work, "SELECT effective_available FROM credit_balances WHERE tenant_id = " + acme),
            std::to_string(effective_before));
  EXPECT_EQ(
      one(work,
          "SELECT status || ' ' || reviewed_by FROM approvals WHERE approval_id = 'ap-pending'"),
      "approved user:lee");
  EXPECT_EQ(
      one(work,
          "SELECT string_agg(activity_id || ' ' || status || ' ' || is_approval_gate || ' ' || "
          "coalesce(assignee_user_id, '-'), ', ' ORDER BY activity_id) FROM activities "
          "WHERE tenant_id = " +
              acme + " AND activity_id LIKE 'act-research%'"),
      "act-research awaiting_approval false -, act-research:review:1 awaiting_approval true "
      "user:kim");
  EXPECT_EQ(one(work,
                "SELECT string_agg(approval_id || ' ' || status || ' ' || coalesce(reviewer_id, "
                "'-') || ' ' || "
                "coalesce(activity_id, '-'), ', ' ORDER BY approval_id) FROM approvals "
                "WHERE approval_id LIKE 'ap-research%'"),
            "ap-research expired user:kim act-research:review:1, "
            "ap-research:escalation:1 pending user:kim act-research:review:1");
  work.commit();
  EXPECT_EQ(pipeline.service_failures(), "");
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);
  const std::vector<std::string> lines = engine_log()->last_formatted();
  EXPECT_TRUE(
      std::any_of(lines.begin(), lines.end(),
                  [&](const std::string& line) { return line.find(rebuilt) != std::string::npos; }))
      << "the engine never logged \"" << rebuilt << "\"";
}

TEST(CatalogueV1, TheEngineGoesOnFromTheV1Log) {
  V1Log log;
  engine_goes_on(log, "snapshot seq 0, log replayed to seq 43");
}

// The old engine's snapshot covers seq 41 of the 43 records: the engine
// restores it and replays only the two records after it (the timers').
TEST(CatalogueV1, TheEngineGoesOnFromTheV1EnginesSnapshot) {
  V1Log log;
  log.restore_v1_snapshot();
  engine_goes_on(log, "snapshot seq 41, log replayed to seq 43");
}

}  // namespace
}  // namespace lf::testing
