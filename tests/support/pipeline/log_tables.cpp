// Projecting a log into a fresh database, and comparing read tables.
#include "tests/support/pipeline/log_tables.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/pipeline/pipeline.hpp"

namespace lf::testing {

TableRows read_tables(pqxx::work& work, const std::set<std::string>& left_out) {
  TableRows tables;
  for (const auto& projection : projections::all_projections()) {
    for (const projections::TableSpec* table : projection->tables()) {
      std::vector<std::string> skipped;
      for (const projections::Column& column : table->columns) {
        if (left_out.count(table->name + "." + column.name) > 0) skipped.push_back(column.name);
      }
      std::string order_by;
      for (const std::size_t index : table->key) {
        order_by += (order_by.empty() ? "" : ", ") + work.quote_name(table->columns.at(index).name);
      }
      // Table and column names come from the projections' code; the columns
      // left out go in as a parameter.
      std::string skipped_array = "{";
      for (std::size_t i = 0; i < skipped.size(); ++i)
        skipped_array += (i ? "," : "") + work.quote_name(skipped[i]);
      skipped_array += "}";
      const pqxx::result rows =
          work.exec_params("SELECT (to_jsonb(t) - $1::text[])::text FROM " +
                               work.quote_name(table->name) + " t ORDER BY " + order_by,
                           skipped_array);
      std::vector<std::string>& out = tables[table->name];
      for (const pqxx::row& row : rows) out.push_back(row[0].as<std::string>());
    }
  }
  return tables;
}

std::vector<std::string> table_differences(const TableRows& expected, const TableRows& found,
                                           std::size_t limit) {
  std::vector<std::string> differences;
  auto note = [&](std::string line) {
    if (differences.size() < limit) differences.push_back(std::move(line));
  };
  for (const auto& [table, rows] : expected) {
    auto other = found.find(table);
    if (other == found.end()) {
      note(table + ": table missing");
      continue;
    }
    if (rows.size() != other->second.size()) {
      note(table + ": " + std::to_string(rows.size()) + " rows expected, " +
           std::to_string(other->second.size()) + " found");
    }
    for (std::size_t i = 0; i < std::min(rows.size(), other->second.size()); ++i) {
      if (rows[i] != other->second[i]) {
        note(table + ": row " + std::to_string(i) + " expected " + rows[i] + " found " +
             other->second[i]);
      }
    }
  }
  for (const auto& [table, rows] : found) {
    if (expected.count(table) == 0) note(table + ": unexpected table");
  }
  return differences;
}

std::string project_into_fresh_database(const std::vector<OutgoingRecord>& log, int partitions) {
  PipelineOptions options;
  options.partitions = partitions;
  options.brokers = 1;
  options.engine = false;
  options.projector = true;
  Pipeline pipeline(options);
  pipeline.kafka().produce(pipeline.topics().events(), log);
  EXPECT_TRUE(pipeline.wait_projected(std::chrono::seconds(60)))
      << "the projector did not catch up; services: " << pipeline.service_failures();
  pipeline.stop_services();
  EXPECT_EQ(pipeline.service_failures(), "");
  return pipeline.database_url();
}

}  // namespace lf::testing
