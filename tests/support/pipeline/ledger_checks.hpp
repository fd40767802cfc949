// What the tests that kill services (crash_test, pg_faults_test,
// timers_crash_test) check at the end, written once: the projections have
// caught up with the log, and the ledger is intact.
#pragma once

#include <cstdint>
#include <string>

#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"

namespace lf::testing {

// Every projection has read `events_topic` to its end (its checkpoints
// against the topic's high watermarks); `client_id` names the probe.
bool projections_caught_up(const kafka::Settings& settings, pqxx::connection& db,
                           const std::string& client_id,
                           const std::string& events_topic = "ledgerflow.events");

struct FoldFigures {
  int64_t accepted = 0;  // commit records the chain rule accepted
  int64_t ignored = 0;   // and ignored (stale or repeated seqs)
};

// The read tables equal the fold of ledgerflow.events: each difference (20
// at most) a test failure. The fold's figures.
FoldFigures expect_tables_equal_log(const kafka::Settings& settings, pqxx::connection& db);

// The read tables equal the fold of ledgerflow.events (each difference a
// test failure); every one of `commands` commands was decided exactly once
// (timer records aside); no tenant is overdrawn or off its ledger, and
// `tenants` have a balance. The fold's figures, for the test's summary line.
FoldFigures expect_ledger_intact(const kafka::Settings& settings, pqxx::connection& db,
                                 int64_t commands, int64_t tenants);

}  // namespace lf::testing
