// The shared test PostgreSQL: created lazily, stopped after the last test
// (whatever the results) or, failing that, with the process's statics.
#include "tests/support/pg_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "consumers/pg/migrations.hpp"

namespace lf::testing {

namespace {

struct SharedServer {
  std::mutex mutex;
  std::unique_ptr<lf::pg::TempServer> server;  // destroyed (stopped) at exit
};

SharedServer& shared() {
  static SharedServer instance;
  return instance;
}

// Stops the server after the last test, while the process is still whole;
// the static's destructor is the fallback when a test calls exit().
class SharedServerEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    SharedServer& state = shared();
    std::lock_guard<std::mutex> lock(state.mutex);
    state.server.reset();
  }
};

[[maybe_unused]] ::testing::Environment* const kSharedServerEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedServerEnvironment);

}  // namespace

lf::pg::TempServer& shared_postgres() {
  SharedServer& state = shared();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.server) {
    lf::pg::TempServerOptions options;
    options.database = kTemplateDatabase;
    auto server = std::make_unique<lf::pg::TempServer>(options);
    {
      // Closed before any CREATE DATABASE ... TEMPLATE: a template must
      // have no sessions.
      pqxx::connection connection(server->url());
      lf::pg::migrate(connection);
    }
    state.server = std::move(server);
  }
  return *state.server;
}

std::string fresh_database_url() {
  static std::atomic<int> counter{0};
  lf::pg::TempServer& server = shared_postgres();
  const std::string name =
      "lf_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  pqxx::connection connection(server.url_for("postgres"));
  pqxx::nontransaction work(connection);
  // FILE_COPY (PostgreSQL 15+) copies the template's files instead of
  // WAL-logging every block: several times faster with fsync off.
  const std::string strategy = connection.server_version() >= 150000 ? " STRATEGY FILE_COPY" : "";
  work.exec("CREATE DATABASE " + work.quote_name(name) + " TEMPLATE " +
            work.quote_name(kTemplateDatabase) + strategy);
  return server.url_for(name);
}

std::vector<std::string> table_contents(pqxx::connection& db, const std::string& table) {
  pqxx::work work(db);
  std::vector<std::string> rows;
  for (const pqxx::row& row : work.exec("SELECT t::text FROM \"" + table + "\" AS t ORDER BY 1")) {
    rows.push_back(row[0].as<std::string>());
  }
  return rows;
}

}  // namespace lf::testing
