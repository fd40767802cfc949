// What counts as the database failing, and the health it reports.
#include "consumers/pg/connection.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "consumers/os/ports.hpp"

namespace lf::pg {
namespace {

template <typename Exception, typename... Args>
bool transient(Args&&... args) {
  return is_transient_failure(std::make_exception_ptr(Exception(std::forward<Args>(args)...)),
                              nullptr);
}

TEST(TransientFailure, LostConnectionsAndUnknownCommitsAreTransient) {
  EXPECT_TRUE(transient<pqxx::broken_connection>("server closed the connection unexpectedly"));
  EXPECT_TRUE(transient<pqxx::in_doubt_error>("connection lost during commit"));
  EXPECT_TRUE(transient<pqxx::deadlock_detected>("deadlock detected"));
  EXPECT_TRUE(transient<pqxx::serialization_failure>("could not serialize access"));
  EXPECT_TRUE(transient<pqxx::too_many_connections>("too many clients already"));
}

TEST(TransientFailure, ShutdownsStartupsAndConnectionStatesAreTransient) {
  for (const char* state :
       {"57P01", "57P02", "57P03", "08006", "08001", "53300", "40001", "40P01"}) {
    EXPECT_TRUE(transient<pqxx::sql_error>("terminating connection", "COMMIT", state)) << state;
  }
}

TEST(TransientFailure, WhatIsAskedOfTheDatabaseIsNotTransient) {
  for (const char* state : {"23505", "22003", "42P01", "P0001", "42501"}) {
    EXPECT_FALSE(transient<pqxx::sql_error>("refused", "INSERT", state)) << state;
  }
  // A libpqxx failure whose connection is not known to be closed, and any
  // other exception, are bugs: not retried.
  EXPECT_FALSE(transient<pqxx::failure>("Error writing to table"));
  EXPECT_FALSE(transient<std::runtime_error>("not a database error"));
}

TEST(DatabaseHealth, KeepsTheFirstReasonOfAnOutageUntilUp) {
  DatabaseHealth health;
  EXPECT_TRUE(health.is_up());
  EXPECT_EQ(health.problem(), "");
  health.down("connection refused");
  health.down("another reason later");
  EXPECT_FALSE(health.is_up());
  EXPECT_NE(health.problem().find("database unreachable for"), std::string::npos)
      << health.problem();
  EXPECT_NE(health.problem().find("connection refused"), std::string::npos) << health.problem();
  EXPECT_EQ(health.problem().find("another reason"), std::string::npos) << health.problem();
  health.up();
  EXPECT_TRUE(health.is_up());
  EXPECT_EQ(health.problem(), "");
}

TEST(Reconnecting, WaitsForAnUnreachableDatabaseUntilStopped) {
  DatabaseHealth health;
  const std::string refused =
      "postgresql://nobody@127.0.0.1:" + std::to_string(lf::os::free_loopback_port()) + "/none";
  Reconnecting database(refused, "test", health,
                        ReconnectOptions{.first_backoff_ms = 1, .max_backoff_ms = 20});
  std::atomic<bool> stop{false};
  int ran = 0;
  std::thread stopper([&] {
    // Stop once the outage is on record.
    while (health.is_up()) std::this_thread::yield();
    stop = true;
  });
  EXPECT_THROW(database.run(
                   "a query", [&](pqxx::connection&) { ++ran; }, &stop),
               StopRequested);
  stopper.join();
  EXPECT_EQ(ran, 0);
  EXPECT_FALSE(health.is_up());
  EXPECT_NE(health.problem().find("127.0.0.1"), std::string::npos) << health.problem();
  EXPECT_FALSE(database.connected());
}

}  // namespace
}  // namespace lf::pg
