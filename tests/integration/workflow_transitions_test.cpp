// Every media buy and activity transition, allowed and refused, through the
// whole path (commands topic -> engine -> commit records -> projector ->
// PostgreSQL): each case gets its own buy or activity, is brought to its
// starting status, then receives the command under test. The results carry
// the expected status or `invalid_transition`, and the read tables show the
// expected status. The tables are tests/support/workflow_matrix.hpp, the
// same ones the pure-core tests check.
#include <gtest/gtest.h>

#include "tests/support/commands.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::testing {
namespace {

using namespace workflow_matrix;

struct Case {
  std::string table;  // media_buys or activities
  std::string id;
  std::vector<Step> path;
  Step command;
  std::optional<std::string> to;  // expected status, or nullopt: refused with invalid_transition
  std::string from;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const auto& [command, moves] : buy_moves()) {
    for (BuyStatus from : buy_statuses()) {
      Case c;
      c.table = "media_buys";
      c.id =
          "mb-" + command.substr(command.find('.') + 1) + "-from-" + std::string(to_string(from));
      c.path = buy_path(c.id, from);
      c.command = {command, buy_move(c.id)};
      c.from = std::string(to_string(from));
      auto to = moves.find(from);
      if (to != moves.end()) c.to = std::string(to_string(to->second));
      cases.push_back(std::move(c));
    }
  }
  for (bool gate : {false, true}) {
    for (ActivityStatus from : activity_statuses()) {
      if (!reachable(from, gate)) continue;
      const std::string suffix =
          std::string(gate ? "-gate-from-" : "-from-") + std::string(to_string(from));
      for (const ActivityRule& rule : activity_rules(gate)) {
        Case c;
        c.table = "activities";
        c.id = "act-" + rule.command.substr(rule.command.find('.') + 1) + suffix;
        c.path = activity_path(c.id, from, gate);
        c.command = {rule.command, activity_move(c.id, rule.payload_extra)};
        c.from = std::string(to_string(from));
        if (rule.from.contains(from)) c.to = std::string(to_string(rule.to));
        cases.push_back(std::move(c));
      }
      Case c;
      c.table = "activities";
      c.id = "act-complete" + suffix;
      c.path = activity_path(c.id, from, gate);
      c.command = {"activity.complete", activity_move(c.id)};
      c.from = std::string(to_string(from));
      if (complete_allowed(from, gate)) c.to = "completed";
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

TEST(WorkflowTransitions, EveryTransitionEndToEnd) {
  Pipeline pipeline;
  const std::string tenant = random_tenant();
  const std::vector<Case> cases = all_cases();
  // Buys: 6 commands x 6 statuses; work: 9 statuses x 6 commands; review
  // steps: 8 reachable statuses x 6 commands.
  ASSERT_EQ(cases.size(), 36u + 54u + 48u);

  // Round r sends the r-th step of every path; a case's steps stay in order.
  std::size_t longest = 0;
  for (const Case& c : cases) longest = std::max(longest, c.path.size());
  for (std::size_t round = 0; round < longest; ++round) {
    std::vector<std::pair<std::string, std::string>> batch;
    for (const Case& c : cases) {
      if (round >= c.path.size()) continue;
      const Step& step = c.path[round];
      batch.emplace_back(tenant, command_json(step.type, tenant, c.id + "/" + std::to_string(round),
                                              step.payload, "user:alice"));
    }
    std::map<std::string, ResultEnvelope> results = pipeline.submit(batch);
    ASSERT_EQ(results.size(), batch.size()) << pipeline.service_failures();
    for (const auto& [id, result] : results) {
      ASSERT_EQ(result.status, ResultStatus::accepted)
          << id << ": " << result.reason << " " << result.message;
    }
  }
  std::vector<std::pair<std::string, std::string>> tested;
  for (const Case& c : cases) {
    tested.emplace_back(tenant, command_json(c.command.type, tenant, c.id + "/test",
                                             c.command.payload, "user:alice"));
  }
  std::map<std::string, ResultEnvelope> results = pipeline.submit(tested);
  ASSERT_EQ(results.size(), tested.size());
  ASSERT_TRUE(pipeline.wait_projected()) << pipeline.service_failures();

  pqxx::work work(pipeline.db());
  int allowed = 0;
  for (const Case& c : cases) {
    const ResultEnvelope& result = results.at(c.id + "/test");
    const std::string what = c.command.type + " from " + c.from + " (" + c.id + ")";
    const std::string status =
        work.exec_params1("SELECT status FROM " + work.quote_name(c.table) +
                              " WHERE tenant_id = $1 AND " +
                              (c.table == "media_buys" ? "media_buy_id" : "activity_id") + " = $2",
                          tenant, c.id)[0]
            .as<std::string>();
    if (c.to) {
      ++allowed;
      EXPECT_EQ(result.status, ResultStatus::accepted) << what << ": " << result.reason;
      EXPECT_EQ(status, *c.to) << what;
    } else {
      EXPECT_EQ(result.status, ResultStatus::rejected) << what;
      EXPECT_EQ(result.reason, "invalid_transition") << what;
      EXPECT_EQ(status, c.from) << what;
    }
  }
  EXPECT_GT(allowed, 20);
  // Every refusal is in the audit trail with its reason.
  EXPECT_EQ(work.exec_params1("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND NOT success "
                              "AND error_message LIKE 'invalid_transition:%'",
                              tenant)[0]
                .as<int64_t>(),
            static_cast<int64_t>(cases.size()) - allowed);
  work.commit();
  std::vector<verify::Difference> differences = pipeline.verify();
  for (const verify::Difference& difference : differences)
    ADD_FAILURE() << verify::to_string(difference);
}

}  // namespace
}  // namespace lf::testing
