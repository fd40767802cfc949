// "Project this log into a database, compare it with that database": the
// read tables a log leads to, through the real projector runtime and
// PostgreSQL, and a row-by-row comparison of two databases' read tables.
// Shared by the tests that check two ways of filling the tables agree
// (upcasting, rebuilds).
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tests/support/kafka_fixture.hpp"

namespace lf::testing {

// Every row of every projection's tables: table name -> rows, each row the
// JSON text of its columns (PostgreSQL's to_jsonb), ordered by the table's key.
using TableRows = std::map<std::string, std::vector<std::string>>;

// The read tables of `work`'s database. `left_out`: "table.column" names
// whose column is not read (e.g. one two fills are expected to differ in).
TableRows read_tables(pqxx::work& work, const std::set<std::string>& left_out = {});

// The differences between two sets of read tables, one line each ("table:
// row n expected ... found ..."), at most `limit`; empty when identical.
std::vector<std::string> table_differences(const TableRows& expected, const TableRows& found,
                                           std::size_t limit = 20);

// Produces `log` (commit records, each with its partition) to a new events
// topic of a new mock cluster, runs the real projector over it into a new
// database until every projection has read every partition to its end, and
// returns that database's URL. Fails the test if the projector cannot catch up.
std::string project_into_fresh_database(const std::vector<OutgoingRecord>& log, int partitions);

}  // namespace lf::testing
