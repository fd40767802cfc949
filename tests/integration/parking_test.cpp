// Parked streams (issue 4 item 4): an event a projection cannot apply parks
// that stream for that projection while every other stream keeps moving;
// status shows it; replay-parked applies its events after the fix; unknown
// event types follow each projection's policy. Real PostgreSQL, mock Kafka,
// raw commit records, the projector runtime and the ledgerflow binary.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "consumers/pg/parking.hpp"
#include "consumers/projector/projector.hpp"
#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/json.hpp"
#include "projections/registry.hpp"
#include "tests/support/kafka_fixture.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/records.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

const std::string kTenantA = "11111111-1111-4111-8111-111111111111";  // partition 0
const std::string kTenantB = "22222222-2222-4222-8222-222222222222";  // partition 1

std::string requested(const std::string& id) {
  return R"({"approval_id":")" + id +
         R"(","subject":{"kind":"creative","id":"cr-9"},"type":"creative_review","risk_level":"high",)"
         R"("title":"Banner","expires_at":"2026-11-13T12:00:00Z"})";
}
std::string assigned(const std::string& id, const std::string& reviewer) {
  return R"({"approval_id":")" + id + R"(","reviewer_id":")" + reviewer + R"("})";
}
std::string stream_of(const std::string& id) {
  return "approval/" + id;
}

class Parking : public ::testing::Test {
 protected:
  Parking() : topics_(kafka_.unique_topics(2)), database_url_(fresh_database_url()) {}

  projector::Options options() const {
    projector::Options options;
    options.kafka = kafka_.settings();
    options.topics = topics_;
    options.database_url = database_url_;
    options.client_id = topics_.prefix + "projector";
    options.partitions = std::vector<int32_t>{0, 1};
    return options;
  }

  // Produces the log's records from `from` on to `partition`.
  void produce(RecordLog& log, std::size_t from, int32_t partition) {
    std::vector<OutgoingRecord> records;
    for (std::size_t i = from; i < log.size(); ++i) {
      OutgoingRecord record;
      record.key = log.at(i).header.tenant_id;
      record.value = json_to_string(*log.at(i).document);
      record.partition = partition;
      records.push_back(std::move(record));
    }
    kafka_.produce(topics_.events(), records);
  }

  std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const auto& projection : projections::all_projections())
      all.emplace_back(projection->name());
    return all;
  }

  int64_t lag() {
    kafka::Consumer probe(kafka_.settings(), topics_.prefix + "probe", "");
    pqxx::connection connection(database_url_);
    pqxx::work work(connection);
    return verify::projection_lag(work, probe, topics_.events(), names());
  }

  // Steps the projector until every projection has reached the log's end.
  void catch_up(projector::Projector& projector) {
    ASSERT_TRUE(wait_until(
        [&] {
          projector.step(50);
          projector.flush();
          return lag() == 0;
        },
        120s));
  }

  // The differences between the read tables and the fold of the whole log.
  std::vector<verify::Difference> differences(const std::optional<std::string>& tenant) {
    verify::Fold fold(projections::all_projections());
    for (int32_t partition = 0; partition < 2; ++partition) {
      for (const KafkaRecord& record : kafka_.read_partition(topics_.events(), partition)) {
        fold.offer(partition, record.offset, record.value, kRecordLimits);
      }
    }
    pqxx::connection connection(database_url_);
    pqxx::work work(connection);
    return verify::diff(work, fold, 1000, tenant);
  }

  std::vector<pg::ParkedStream> parked() {
    pqxx::connection connection(database_url_);
    pqxx::work work(connection);
    return pg::load_parked_streams(work, pg::ParkedFilter{});
  }

  void exec(const std::string& sql) {
    pqxx::connection connection(database_url_);
    pqxx::work work(connection);
    work.exec(sql);
    work.commit();
  }

  std::pair<int, std::string> ledgerflow(std::vector<std::string> args) {
    args.insert(args.begin(), ledgerflow_binary());
    return run_command(args, 120s, std::nullopt,
                       {{"KAFKA_BOOTSTRAP", kafka_.settings().bootstrap},
                        {"DATABASE_URL", database_url_},
                        {"LEDGERFLOW_TOPIC_PREFIX", topics_.prefix},
                        {"LEDGERFLOW_LOG_LEVEL", "warn"}});
  }

  // PostgreSQL refuses tenant A's approval "ap-bad" (and only it).
  void reject_bad_approval() {
    exec("ALTER TABLE approvals ADD CONSTRAINT parking_test_rejects CHECK (NOT (tenant_id = '" +
         kTenantA + "' AND approval_id = 'ap-bad'))");
  }

  MockKafka kafka_{1};
  kafka::Topics topics_;
  std::string database_url_;
};

// Every difference must be a row of tenant A's approval ap-bad in approvals.
void expect_only_bad_approval_differs(const std::vector<verify::Difference>& differences) {
  EXPECT_FALSE(differences.empty()) << "the parked stream's rows should lag behind the log";
  for (const verify::Difference& difference : differences) {
    EXPECT_EQ(difference.table, "approvals") << verify::to_string(difference);
    EXPECT_NE(difference.key.find("ap-bad"), std::string::npos) << verify::to_string(difference);
  }
}

TEST_F(Parking, ParkedStreamIsIsolatedKeptAcrossRestartsAndReplayedAfterTheFix) {
  reject_bad_approval();
  RecordLog a(kTenantA, RecordLogOptions{false, 11});
  RecordLog b(kTenantB, RecordLogOptions{false, 12});
  a.record({{"approval.requested", stream_of("ap-good"), requested("ap-good")}});
  a.record({{"approval.requested", stream_of("ap-bad"), requested("ap-bad")}});  // refused
  a.record({{"approval.assigned", stream_of("ap-bad"), assigned("ap-bad", "sam")}});
  a.record({{"approval.assigned", stream_of("ap-good"), assigned("ap-good", "rita")},
            {"approval.assigned", stream_of("ap-bad"),
             assigned("ap-bad", "tom")}});  // one record, two streams
  b.record(
      {{"approval.requested", stream_of("ap-bad"), requested("ap-bad")}});  // another tenant: fine
  b.record({{"approval.assigned", stream_of("ap-bad"), assigned("ap-bad", "ann")}});
  produce(a, 0, 0);
  produce(b, 0, 1);

  {
    projector::Projector projector(options());
    catch_up(projector);
    EXPECT_EQ(projector.stats().streams_parked, 1);
    EXPECT_GE(projector.stats().isolations, 1);
  }
  // Tenant B and every other stream and projection of tenant A equal the fold.
  EXPECT_TRUE(differences(kTenantB).empty());
  expect_only_bad_approval_differs(differences(kTenantA));
  std::vector<pg::ParkedStream> streams = parked();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].projection, "approvals");
  EXPECT_EQ(streams[0].tenant_id, kTenantA);
  EXPECT_EQ(streams[0].stream, "approval/ap-bad");
  EXPECT_EQ(streams[0].partition, 0);
  EXPECT_EQ(streams[0].first_offset, 1);
  EXPECT_EQ(streams[0].first_type, "approval.requested");
  EXPECT_EQ(streams[0].sqlstate, "23514");
  EXPECT_NE(streams[0].reason.find("parking_test_rejects"), std::string::npos) << streams[0].reason;
  EXPECT_EQ(streams[0].events_parked, 3);

  // Restart while parked, with more events of the parked stream and the others.
  const std::size_t before = a.size();
  a.record({{"approval.assigned", stream_of("ap-bad"), assigned("ap-bad", "uma")}});
  a.record({{"approval.assigned", stream_of("ap-good"), assigned("ap-good", "vic")}});
  produce(a, before, 0);
  {
    projector::Projector projector(options());
    catch_up(projector);
    EXPECT_EQ(projector.stats().streams_parked, 0) << "already parked: not parked again";
    EXPECT_EQ(projector.stats().isolations, 0) << "held back, never tried";
  }
  streams = parked();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].events_parked, 4);
  expect_only_bad_approval_differs(differences(kTenantA));
  {
    pqxx::connection connection(database_url_);
    pqxx::work work(connection);
    EXPECT_EQ(work.exec1("SELECT reviewer_id FROM approvals WHERE approval_id = 'ap-good' AND "
                         "tenant_id = '" +
                         kTenantA + "'")[0]
                  .as<std::string>(),
              "vic");
  }

  // status: the function and the binary.
  {
    kafka::Consumer probe(kafka_.settings(), topics_.prefix + "status", "");
    pqxx::connection connection(database_url_);
    pqxx::work work(connection);
    for (const verify::PartitionStatus& row :
         verify::projection_status(work, probe, topics_.events(), names())) {
      const bool holds = row.projection == "approvals" && row.partition == 0;
      EXPECT_EQ(row.parked_streams, holds ? 1 : 0) << row.projection << " " << row.partition;
      EXPECT_EQ(row.parked_events, holds ? 4 : 0) << row.projection << " " << row.partition;
    }
  }
  auto [status_code, status_json] = ledgerflow({"status", "--json"});
  EXPECT_EQ(status_code, 0);
  EXPECT_NE(status_json.find(R"("stream":"approval/ap-bad")"), std::string::npos) << status_json;
  EXPECT_NE(status_json.find(R"("total_parked_streams":1)"), std::string::npos) << status_json;
  auto [table_code, table] = ledgerflow({"status"});
  EXPECT_EQ(table_code, 0);
  EXPECT_NE(table.find("1 parked stream(s)"), std::string::npos) << table;
  EXPECT_NE(table.find("approval/ap-bad"), std::string::npos) << table;

  // Replay before the fix: still parked, exit 1, the stream and error named.
  auto [failed_code, failed] = ledgerflow({"replay-parked", "approvals"});
  EXPECT_EQ(failed_code, 1) << failed;
  EXPECT_NE(failed.find("still parked approvals tenant=" + kTenantA + " stream=approval/ap-bad"),
            std::string::npos)
      << failed;
  EXPECT_NE(failed.find("parking_test_rejects"), std::string::npos) << failed;
  ASSERT_EQ(parked().size(), 1u);

  // The fix, then the replay: every table equals the fold of the log.
  exec("ALTER TABLE approvals DROP CONSTRAINT parking_test_rejects");
  auto [code, out] = ledgerflow({"replay-parked", "approvals", "--tenant", kTenantA});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("replayed approvals tenant=" + kTenantA +
                     " stream=approval/ap-bad partition=0 events_applied=4"),
            std::string::npos)
      << out;
  EXPECT_TRUE(parked().empty());
  EXPECT_TRUE(differences(std::nullopt).empty());
}

TEST_F(Parking, ReplayRacingALiveProjectorLosesAndReordersNothing) {
  reject_bad_approval();
  RecordLog a(kTenantA, RecordLogOptions{false, 21});
  a.record({{"approval.requested", stream_of("ap-bad"), requested("ap-bad")}});
  a.record({{"approval.assigned", stream_of("ap-bad"), assigned("ap-bad", "r0")}});
  produce(a, 0, 0);
  projector::Projector projector(options());
  catch_up(projector);
  ASSERT_EQ(parked().size(), 1u);
  exec("ALTER TABLE approvals DROP CONSTRAINT parking_test_rejects");

  // The projector runs while the stream's events keep coming and the replay
  // runs: whichever commits first, the other re-reads.
  std::atomic<bool> stop{false};
  std::thread runner([&] { projector.run(stop); });
  std::thread producer([&] {
    for (int i = 1; i <= 40; ++i) {
      const std::size_t before = a.size();
      a.record(
          {{"approval.assigned", stream_of("ap-bad"), assigned("ap-bad", "r" + std::to_string(i))},
           {"approval.requested", stream_of("ap-" + std::to_string(i)),
            requested("ap-" + std::to_string(i))}});
      produce(a, before, 0);
    }
  });
  auto [code, out] = ledgerflow({"replay-parked", "approvals", "--stream", "approval/ap-bad"});
  producer.join();
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(wait_until([&] { return lag() == 0; }, 120s));
  stop = true;
  runner.join();
  EXPECT_TRUE(parked().empty());
  const std::vector<verify::Difference> found = differences(std::nullopt);
  for (const verify::Difference& difference : found) ADD_FAILURE() << verify::to_string(difference);
}

TEST_F(Parking, UnknownEventTypesAreSkippedOrParkedByPolicy) {
  RecordLog a(kTenantA, RecordLogOptions{false, 31});
  const std::string credits = "credits/" + kTenantA;
  a.record(
      {{"credits.frozen", credits, R"({"reason":"audit"})"},  // a type this binary does not know
       {"approval.requested", stream_of("ap-1"), requested("ap-1")}});
  a.record({{"credits.frozen", credits, R"({"reason":"again"})"}});
  a.record({{"approval.assigned", stream_of("ap-1"), assigned("ap-1", "sam")}});
  produce(a, 0, 0);
  projector::Options skipping = options();
  skipping.unknown_events["credit_balances"] = projections::UnknownEventPolicy::skip;
  projector::Projector projector(skipping);
  catch_up(projector);

  pqxx::connection connection(database_url_);
  pqxx::work work(connection);
  // credit_balances skipped both (counted); credit_ledger and
  // credit_reservations parked the stream (their default: park "credits.").
  EXPECT_EQ(work.exec1("SELECT unknown_skipped_count FROM projection_checkpoints "
                       "WHERE projection = 'credit_balances' AND partition = 0")[0]
                .as<int64_t>(),
            2);
  std::vector<std::string> parked_for;
  for (const pg::ParkedStream& stream : pg::load_parked_streams(work, pg::ParkedFilter{})) {
    parked_for.push_back(stream.projection);
    EXPECT_EQ(stream.stream, credits);
    EXPECT_EQ(stream.events_parked, 2);
    EXPECT_EQ(stream.first_type, "credits.frozen");
  }
  EXPECT_EQ(parked_for, (std::vector<std::string>{"credit_ledger", "credit_reservations"}));
  // The other stream moved; event_log archived the unknown events too.
  EXPECT_EQ(work.exec1("SELECT reviewer_id FROM approvals WHERE approval_id = 'ap-1'")[0]
                .as<std::string>(),
            "sam");
  EXPECT_EQ(
      work.exec1("SELECT count(*) FROM event_log WHERE type = 'credits.frozen'")[0].as<int64_t>(),
      2);
  EXPECT_EQ(work.exec1("SELECT count(*) FROM credit_balances")[0].as<int64_t>(), 0);

  // This binary still does not know the type: the replay keeps it parked.
  work.commit();
  auto [code, out] = ledgerflow({"replay-parked", "credit_ledger"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("credits.frozen v1"), std::string::npos) << out;
  // Skipping them on replay (the operator's decision) unparks the stream.
  auto [skip_code, skipped] =
      ledgerflow({"replay-parked", "credit_ledger", "--unknown-events", "credit_ledger=skip"});
  EXPECT_EQ(skip_code, 0) << skipped;
  EXPECT_NE(skipped.find("events_applied=0 events_skipped=2"), std::string::npos) << skipped;
}

}  // namespace
}  // namespace lf::testing
