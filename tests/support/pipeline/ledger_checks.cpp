// The end-of-run checks of the tests that kill services (ledger_checks.hpp).
#include "tests/support/pipeline/ledger_checks.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/json.hpp"
#include "projections/registry.hpp"

namespace lf::testing {

bool projections_caught_up(const kafka::Settings& settings, pqxx::connection& db,
                           const std::string& client_id, const std::string& events_topic) {
  kafka::Consumer probe(settings, client_id, "");
  std::vector<std::string> names;
  for (const auto& projection : projections::all_projections())
    names.emplace_back(projection->name());
  pqxx::work work(db);
  return verify::projection_lag(work, probe, events_topic, names) == 0;
}

FoldFigures expect_tables_equal_log(const kafka::Settings& settings, pqxx::connection& db) {
  verify::Fold fold(projections::all_projections());
  verify::fold_topic(settings, "ledgerflow.events", fold,
                     JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  pqxx::work work(db);
  for (const verify::Difference& difference : verify::diff(work, fold, 20)) {
    ADD_FAILURE() << verify::to_string(difference);
  }
  return FoldFigures{fold.accepted(), fold.ignored()};
}

FoldFigures expect_ledger_intact(const kafka::Settings& settings, pqxx::connection& db,
                                 int64_t commands, int64_t tenants) {
  const FoldFigures figures = expect_tables_equal_log(settings, db);
  pqxx::work work(db);
  EXPECT_EQ(work.exec1("SELECT count(*) FROM (SELECT tenant_id, command_id FROM event_log "
                       "GROUP BY tenant_id, command_id HAVING count(DISTINCT seq) > 1) twice")[0]
                .as<int64_t>(),
            0)
      << "a command decided twice";
  EXPECT_EQ(work.exec1("SELECT count(DISTINCT (tenant_id, command_id)) FROM event_log "
                       "WHERE command_id NOT LIKE 'timer/%'")[0]
                .as<int64_t>(),
            commands)
      << "commands without a decision in the archive";
  EXPECT_EQ(work.exec1("SELECT count(*) FROM credit_balances WHERE effective_available < 0 "
                       "OR credits_reserved > credits_available")[0]
                .as<int64_t>(),
            0)
      << "a tenant overdrawn";
  EXPECT_EQ(work.exec1("SELECT count(*) FROM credit_balances b JOIN (SELECT tenant_id, "
                       "sum(credits) AS total "
                       "FROM credit_ledger GROUP BY tenant_id) l USING (tenant_id) "
                       "WHERE l.total <> b.effective_available")[0]
                .as<int64_t>(),
            0)
      << "a balance off its ledger";
  EXPECT_EQ(work.exec1("SELECT count(*) FROM credit_balances")[0].as<int64_t>(), tenants);
  return figures;
}

}  // namespace lf::testing
