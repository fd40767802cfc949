// The soak's workload model against the real deciders: every command it
// plans goes through the engine's partition core (behind the intake's
// type and schema checks) and must be decided as predicted; the ledger fed
// with those results and records must find nothing, fold to the model's
// balances, and those must be the engine's own. Then the ledger must notice
// what a broken pipeline would do (a lost result, a second decision, a
// wrong outcome, a re-send left unanswered).
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "engine/partition.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "tools/soak/chaos.hpp"
#include "tools/soak/ledger.hpp"
#include "tools/soak/workload.hpp"

namespace lf::soak {
namespace {

const int64_t kStart = *parse_rfc3339_ms("2026-11-10T12:00:00Z");

uint64_t seed_from_environment() {
  const char* text = std::getenv("LEDGERFLOW_SEED");
  return text ? std::strtoull(text, nullptr, 10) : std::random_device{}();
}

// What the engine answers a command: the intake's checks first (unknown
// type, schema), then the partition core.
engine::CommandOutcome decide(engine::PartitionCore& core, const std::string& json, int64_t offset,
                              int64_t now_ms) {
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(json, JsonLimits{});
  EXPECT_TRUE(document.ok()) << json;
  Result<CommandEnvelope> command = decode_command(**document);
  EXPECT_TRUE(command.ok()) << json;
  const SourcePosition source{"ledgerflow.commands", 0, offset};
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  if (!schemas.knows_command(command->type)) {
    return core.refuse(identity_of(*command),
                       engine::Rejection{"unknown_command_type", "no such type"}, source, now_ms);
  }
  if (std::optional<std::string> problem =
          schemas.validate_command_payload(command->type, *command->payload)) {
    return core.refuse(identity_of(*command), engine::Rejection{"schema_violation", *problem},
                       source, now_ms);
  }
  return core.decide(*command, source, now_ms);
}

struct Played {
  Ledger ledger;
  std::vector<Balance> model;
  std::vector<Balance> engine;
  std::map<std::string, int64_t> types;
};

Played run_workload(uint64_t seed, int tenants, int commands) {
  Played run;
  Workload workload(WorkloadOptions{.seed = seed, .tenant_count = tenants}, kStart);
  engine::PartitionCore core(0, "soak-test", engine::PartitionOptions{}, UlidGenerator(seed));
  for (int offset = 0; offset < commands; ++offset) {
    const int64_t now_ms = kStart + offset;
    const Planned planned = workload.next(now_ms);
    if (planned.resend_of) {
      run.ledger.resent(*planned.resend_of);
    } else {
      run.ledger.sent(planned, now_ms);
      ++run.types[planned.type + (planned.expect_accepted ? "" : " (" + planned.reason + ")")];
    }
    engine::CommandOutcome outcome = decide(core, planned.json, offset, now_ms);
    run.ledger.on_result(outcome.result, now_ms);
    for (const engine::Decided& decided : outcome.records) {
      Result<DecodedRecord> record =
          decode_commit_record(decided.json, JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
      EXPECT_TRUE(record.ok());
      const DecisionView view = decision_of(*record);
      run.ledger.on_decision(record->header.command_id, record->header.seq, view.rejected,
                             view.reason);
    }
  }
  for (uint32_t tenant = 0; tenant < static_cast<uint32_t>(tenants); ++tenant) {
    run.model.push_back(workload.balance(tenant));
    const engine::TenantState* state = core.tenant(workload.tenants()[tenant]);
    EXPECT_NE(state, nullptr);
    if (state == nullptr) continue;
    const engine::credits::Book& book = state->credits.book;
    run.engine.push_back(Balance{engine::credits::effective_available(book), book.reserved_credits,
                                 book.consumed_in_period_credits});
  }
  return run;
}

TEST(SoakWorkload, PredictsEveryDecisionOfTheRealDeciders) {
  const uint64_t seed = seed_from_environment();
  SCOPED_TRACE("LEDGERFLOW_SEED=" + std::to_string(seed));
  Played run = run_workload(seed, 30, 30'000);

  std::map<Problem, int64_t> counts;
  for (const Finding& finding : run.ledger.check(5, counts))
    ADD_FAILURE() << to_string(finding.problem) << ": " << finding.text;
  EXPECT_TRUE(counts.empty());
  EXPECT_EQ(run.ledger.unanswered(), 0u);
  EXPECT_EQ(run.ledger.undecided(), 0u);
  EXPECT_EQ(run.ledger.fold(30), run.model);
  EXPECT_EQ(run.model, run.engine);
  // The mix: plenty of each kind, rejections included.
  EXPECT_GT(run.ledger.rejections(), 1000);
  EXPECT_GT(run.ledger.resends(), 300);
  EXPECT_GT(run.ledger.duplicate_results(), 300);
  for (const char* type : {"credits.reserve",
                           "credits.consume",
                           "credits.release",
                           "credits.topup",
                           "credits.refund",
                           "credits.adjust",
                           "activity.start_run",
                           "activity.finish_run",
                           "activity.submit_for_approval",
                           "approval.approve",
                           "approval.request_revision",
                           "approval.reject",
                           "approval.request",
                           "approval.assign",
                           "media_buy.create",
                           "media_buy.pause",
                           "media_buy.resume",
                           "media_buy.complete",
                           "activity.complete",
                           "audit.record",
                           "credits.reserve (insufficient_credits)",
                           "credits.consume (unknown_reservation)",
                           "credits.release (reservation_closed)",
                           "credits.topup (duplicate_topup_order)",
                           "credits.refund (exceeds_consumed)",
                           "credits.adjust (forbidden)",
                           "media_buy.approve (approval_required)",
                           "approval.approve (invalid_transition)",
                           "activity.finish_run (exceeds_reservation)",
                           "credits.reserve (schema_violation)",
                           "credits.teleport (unknown_command_type)"}) {
    EXPECT_GT(run.types[type], 5) << type;
  }
  for (const auto& [type, count] : run.types)
    std::printf("%8lld  %s\n", static_cast<long long>(count), type.c_str());
}

TEST(SoakLedger, NoticesLostResultsSecondDecisionsAndWrongOutcomes) {
  Ledger ledger;
  auto send = [&](uint32_t index, uint32_t tenant, Effect effect, int64_t amount,
                  uint32_t ref = 0) {
    Planned planned;
    planned.index = index;
    planned.tenant = tenant;
    planned.effect = effect;
    planned.amount = amount;
    planned.ref = ref;
    ledger.sent(planned, kStart);
  };
  send(0, 0, Effect::add, 1000);        // answered and decided as predicted
  send(1, 1, Effect::add, 500);         // decided, its result lost and never re-sent
  send(2, 0, Effect::hold, 300);        // decided twice, answered twice
  send(3, 1, Effect::add, 50);          // rejected where acceptance was predicted
  send(4, 0, Effect::consume, 100, 2);  // re-sent, one answer only
  send(5, 1, Effect::add, 7);           // a result naming another seq than its decision
  auto result = [&](uint32_t index, ResultStatus status, int64_t seq) {
    ResultEnvelope answer;
    answer.command_id = command_id(index);
    answer.status = status;
    answer.seq = seq;
    if (status == ResultStatus::rejected) answer.reason = "insufficient_credits";
    ledger.on_result(answer, kStart);
  };
  result(0, ResultStatus::accepted, 1);
  ledger.on_decision(command_id(0), 1, false, "");
  ledger.on_decision(command_id(1), 1, false, "");
  result(2, ResultStatus::accepted, 2);
  result(2, ResultStatus::accepted, 3);
  ledger.on_decision(command_id(2), 2, false, "");
  ledger.on_decision(command_id(2), 3, false, "");
  result(3, ResultStatus::rejected, 4);
  ledger.on_decision(command_id(3), 4, true, "insufficient_credits");
  ledger.resent(4);
  result(4, ResultStatus::accepted, 5);
  ledger.on_decision(command_id(4), 5, false, "");
  result(5, ResultStatus::duplicate, 9);
  ledger.on_decision(command_id(5), 6, false, "");
  ledger.on_decision("timer/01J", 7, false, "");

  std::map<Problem, int64_t> counts;
  ledger.check(10, counts);
  EXPECT_EQ(counts[Problem::missing_result], 2);  // 1, and 4's re-send
  EXPECT_EQ(counts[Problem::double_decision], 1);
  EXPECT_EQ(counts[Problem::double_result], 1);
  EXPECT_EQ(counts[Problem::unexpected_outcome], 1);
  EXPECT_EQ(counts[Problem::result_disagrees], 2);  // 2 (seqs 2 and 3) and 5 (seq 9 against 6)
  EXPECT_EQ(counts[Problem::missing_decision], 0);
  EXPECT_EQ(ledger.unanswered(), 2u);
  EXPECT_EQ(ledger.timer_records(), 1);
  EXPECT_EQ(ledger.answered_only_as_duplicate(), 1);
  // The fold takes what was decided: the hold of 300 closed by using 100;
  // the rejected top-up not at all.
  const std::vector<Balance> fold = ledger.fold(2);
  EXPECT_EQ(fold[0], (Balance{900, 0, 100}));
  EXPECT_EQ(fold[1], (Balance{507, 0, 0}));
}

// The driver holds sending back per partition: the ledger counts the
// commands without any result in each group of tenants, a re-send or a
// second answer changing nothing.
TEST(SoakLedger, CountsUnansweredCommandsPerGroupOfTenants) {
  Ledger ledger;
  ledger.group_tenants({0, 1, 1, 2});  // tenant 3 is in group 2, tenant 4 in none (group 0)
  auto send = [&](uint32_t index, uint32_t tenant) {
    Planned planned;
    planned.index = index;
    planned.tenant = tenant;
    ledger.sent(planned, kStart);
  };
  auto answer = [&](uint32_t index, ResultStatus status) {
    ResultEnvelope result;
    result.command_id = command_id(index);
    result.status = status;
    ledger.on_result(result, kStart);
  };
  EXPECT_EQ(ledger.most_unanswered_in_a_group(), 0);
  send(0, 1);
  send(1, 2);
  send(2, 0);
  send(3, 4);
  EXPECT_EQ(ledger.most_unanswered_in_a_group(), 2);  // tenants 1 and 2
  ledger.resent(1);
  EXPECT_EQ(ledger.most_unanswered_in_a_group(), 2);
  answer(1, ResultStatus::accepted);
  EXPECT_EQ(ledger.most_unanswered_in_a_group(), 2);  // group 0: tenants 0 and 4
  answer(1, ResultStatus::duplicate);
  answer(3, ResultStatus::accepted);
  EXPECT_EQ(ledger.most_unanswered_in_a_group(), 1);
  answer(0, ResultStatus::accepted);
  answer(2, ResultStatus::rejected);
  EXPECT_EQ(ledger.most_unanswered_in_a_group(), 0);
  EXPECT_EQ(ledger.unanswered(), 0u);
}

TEST(SoakChaos, KillsAboutEveryIntervalSometimesTwoAtOnceSometimesRightAfterARestart) {
  Chaos chaos(11, 3'000, {"engine-1", "engine-2", "projector-1", "projector-2"}, 0);
  std::map<std::string, int> kills;
  int events = 0;
  for (int64_t now_ms = 0; now_ms < 3'600'000; now_ms += 10) {
    const std::vector<std::string> victims = chaos.due(now_ms);
    if (victims.empty()) continue;
    ++events;
    EXPECT_LE(victims.size(), 2u);
    if (victims.size() == 2) {
      EXPECT_NE(victims[0], victims[1]);
    }
    for (const std::string& victim : victims) ++kills[victim];
  }
  // An hour at a mean of 3 s: ~1,200 scheduled, plus the re-kills.
  EXPECT_GT(events, 1'100);
  EXPECT_LT(events, 1'600);
  EXPECT_GT(chaos.double_kills(), 100);
  EXPECT_GT(chaos.kills_right_after_restart(), 100);
  for (const auto& [name, count] : kills) EXPECT_GT(count, 250) << name;
  EXPECT_EQ(kills.size(), 4u);
}

}  // namespace
}  // namespace lf::soak
