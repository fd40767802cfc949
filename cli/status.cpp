// `ledgerflow status [--json]`: per projection and partition of the events
// topic, the stored position, the log's end, the lag, and the counts of
// records ignored (stale or repeated seq) and dead-lettered. A table for
// people, one JSON document for scripts.
#include <iostream>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "cli/subcommands.hpp"
#include "consumers/verify/fold.hpp"
#include "events/json.hpp"
#include "projections/projection.hpp"

namespace lf::cli {

namespace {

std::string as_json(const std::vector<verify::PartitionStatus>& rows) {
  JsonWriter writer;
  writer.begin_object();
  writer.key("partitions");
  writer.begin_array();
  for (const verify::PartitionStatus& row : rows) {
    writer.begin_object();
    writer.field("projection", row.projection);
    writer.field("partition", row.partition);
    writer.field("next_offset", row.next_offset);
    writer.field("last_seq", row.last_seq);
    writer.field("log_end", row.log_end);
    writer.field("lag", row.lag);
    writer.field("ignored", row.ignored);
    writer.field("deadlettered", row.deadlettered);
    writer.end_object();
  }
  writer.end_array();
  int64_t lag = 0;
  for (const verify::PartitionStatus& row : rows) lag += row.lag;
  writer.field("total_lag", lag);
  writer.end_object();
  return writer.str();
}

std::string as_table(const std::vector<verify::PartitionStatus>& rows) {
  std::string out = fmt::format("{:<22} {:>9} {:>12} {:>10} {:>12} {:>10} {:>9} {:>12}\n", "projection", "partition",
                                "position", "last seq", "log end", "lag", "ignored", "dead letters");
  for (const verify::PartitionStatus& row : rows) {
    out += fmt::format("{:<22} {:>9} {:>12} {:>10} {:>12} {:>10} {:>9} {:>12}\n", row.projection, row.partition,
                       row.next_offset, row.last_seq, row.log_end, row.lag, row.ignored, row.deadlettered);
  }
  return out;
}

}  // namespace

Runner add_status(CLI::App& app, GlobalOptions& global) {
  auto json = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand("status", "Positions, lag and counts of every projection");
  command->add_flag("--json", *json, "One JSON document instead of a table");
  return [&global, json] {
    std::vector<std::string> names;
    for (const auto& projection : projections::all_projections()) names.emplace_back(projection->name());
    kafka::Consumer probe(kafka_settings(global), "ledgerflow-status", "");
    pqxx::connection connection(database_url(global));
    pqxx::work work(connection);
    const std::vector<verify::PartitionStatus> rows =
        verify::projection_status(work, probe, topics(global).events(), names);
    std::cout << (*json ? as_json(rows) + "\n" : as_table(rows));
    std::cout.flush();
    return kExitOk;
  };
}

}  // namespace lf::cli
