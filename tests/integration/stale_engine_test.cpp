// Two engines deciding for the same partition from different views (both
// own it by manual assignment, as a zombie would after losing it): every
// reader accepts exactly one decision per seq, each command is decided once,
// and no credit is spent twice.
#include <gtest/gtest.h>

#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

TEST(StaleEngine, ReadersAcceptExactlyOneDecisionPerSeqAndNothingIsSpentTwice) {
  PipelineOptions options;
  options.partitions = 2;
  options.engine = false;
  Pipeline pipeline(options);
  const std::string tenant = random_tenant();
  const int32_t home = partition_for_key(tenant, options.partitions);

  // The first engine decides alone for a while; the second joins later and
  // rebuilds from the log, so the two decide from different views.
  engine_service::Options first = pipeline.engine_options("engine-first");
  first.partitions = std::vector<int32_t>{home};
  pipeline.start_engine(first);
  const int64_t now = system_now_ms();
  const std::string allocate = "{\"credits_monthly\":1000,\"period_start\":\"" +
                               format_rfc3339_ms(now - kMillisPerDay) + "\",\"period_end\":\"" +
                               format_rfc3339_ms(now + 20 * kMillisPerDay) + "\"}";
  ASSERT_EQ(
      pipeline.submit_one(tenant, command_json("credits.allocate", tenant, "a1", allocate)).status,
      ResultStatus::accepted);

  engine_service::Options second = pipeline.engine_options("engine-second");
  second.partitions = std::vector<int32_t>{home};
  pipeline.start_engine(second);

  // Both engines answer every command (one decides it, the other finds it
  // decided); wait until each has answered all of `ids`.
  auto answered_by_both = [&](const std::vector<std::string>& ids) {
    return wait_until(
        [&] {
          pipeline.client().poll_results(10);
          std::map<std::string, int> answers;
          for (const ResultEnvelope& result : pipeline.client().results())
            ++answers[result.command_id];
          for (const std::string& id : ids) {
            if (answers[id] < 2) return false;
          }
          return true;
        },
        120s);
  };
  // The second engine is live (its start-up rebuild is done) once it answers too.
  pipeline.client().send(tenant, command_json("credits.reserve", tenant, "probe",
                                              "{\"reservation_id\":\"probe\",\"credits\":1}"));
  pipeline.client().flush();
  ASSERT_TRUE(answered_by_both({"probe"})) << pipeline.service_failures();

  // Bursts of reservations of 50 (far more than the 1,000 credits), some
  // consumed, until the engines have raced for a seq at least once.
  std::vector<std::string> ids{"probe"};
  int64_t ignored = 0;
  for (int burst = 0; burst < 5 && ignored == 0; ++burst) {
    std::vector<std::string> burst_ids;
    for (int i = 0; i < 150; ++i) {
      const std::string id = "r" + std::to_string(burst) + "-" + std::to_string(i);
      pipeline.client().send(tenant,
                             command_json("credits.reserve", tenant, id, reserve_payload(id, 50)));
      burst_ids.push_back(id);
      if (i % 3 == 0) {
        const std::string use = "u" + std::to_string(burst) + "-" + std::to_string(i);
        pipeline.client().send(
            tenant, command_json("credits.consume", tenant, use, consume_payload(id, 40)));
        burst_ids.push_back(use);
      }
    }
    pipeline.client().flush();
    ASSERT_TRUE(answered_by_both(burst_ids)) << pipeline.service_failures();
    ids.insert(ids.end(), burst_ids.begin(), burst_ids.end());
    ignored = pipeline.fold().ignored();
  }
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();

  verify::Fold fold = pipeline.fold();
  EXPECT_GT(fold.ignored(), 0) << "the two engines never raced: the test proved nothing (accepted "
                               << fold.accepted() << ", undecodable " << fold.undecodable() << ")";
  for (const verify::Difference& difference : pipeline.verify())
    ADD_FAILURE() << verify::to_string(difference);

  pqxx::work work(pipeline.db());
  // Each command decided exactly once: one accepted commit record per command_id.
  EXPECT_EQ(work.exec_params1(
                    "SELECT count(*) FROM (SELECT command_id FROM event_log WHERE tenant_id = $1 "
                    "GROUP BY command_id HAVING count(DISTINCT seq) > 1) twice",
                    tenant)[0]
                .as<int64_t>(),
            0);
  EXPECT_EQ(
      work.exec_params1("SELECT count(DISTINCT command_id) FROM event_log WHERE tenant_id = $1 "
                        "AND command_id NOT LIKE 'timer/%'",
                        tenant)[0]
          .as<int64_t>(),
      static_cast<int64_t>(ids.size()) + 1);
  // Seqs of the partition are 1..n without gaps or repeats.
  const pqxx::row seqs = work.exec_params1(
      "SELECT count(DISTINCT seq), min(seq), max(seq) FROM event_log WHERE partition = $1", home);
  EXPECT_EQ(seqs[0].as<int64_t>(), seqs[2].as<int64_t>());
  EXPECT_EQ(seqs[1].as<int64_t>(), 1);
  // Money never breaks.
  const pqxx::row balance = work.exec_params1(
      "SELECT credits_available, credits_reserved, effective_available FROM credit_balances WHERE "
      "tenant_id = $1",
      tenant);
  EXPECT_GE(balance[2].as<int64_t>(), 0);
  EXPECT_LE(balance[1].as<int64_t>(), balance[0].as<int64_t>());
  EXPECT_EQ(
      work.exec_params1("SELECT sum(credits) FROM credit_ledger WHERE tenant_id = $1", tenant)[0]
          .as<int64_t>(),
      balance[2].as<int64_t>());
  const int64_t held_or_used =
      work.exec_params1(
              "SELECT coalesce(sum(CASE WHEN status = 'consumed' THEN credits_consumed ELSE "
              "credits END), 0) "
              "FROM credit_reservations WHERE tenant_id = $1 AND status IN ('open', 'consumed')",
              tenant)[0]
          .as<int64_t>();
  EXPECT_LE(held_or_used, 1000);
  work.commit();
}

}  // namespace
}  // namespace lf::testing
