// PostgreSQL for integration tests: one throwaway server per test process,
// started on first use and stopped at exit (even when tests fail), with a
// migrated template database, so each test gets a brand-new database in a
// few milliseconds.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/pg/temp_server.hpp"

namespace lf::testing {

// The name of the migrated template database on the shared server.
inline constexpr const char* kTemplateDatabase = "lf_template";

// The process-wide server (started, with the template migrated, on first use).
lf::pg::TempServer& shared_postgres();

// The URL of a new database, a copy of the migrated template, that no other
// test uses.
std::string fresh_database_url();

// Every row of `table` as text, sorted: to compare a table before and after.
std::vector<std::string> table_contents(pqxx::connection& db, const std::string& table);

}  // namespace lf::testing
