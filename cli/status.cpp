// `ledgerflow status [--json]`: per projection and partition of the events
// topic, the stored position, the log's end, the lag, the counts of records
// ignored (stale or repeated seq) and dead-lettered, unknown events skipped,
// and parked streams and events; then the list of parked streams. A table
// for people, one JSON document for scripts.
#include <iostream>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "cli/subcommands.hpp"
#include "consumers/pg/parking.hpp"
#include "consumers/verify/fold.hpp"
#include "consumers/verify/status.hpp"
#include "events/json.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"

namespace lf::cli {

namespace {

std::string as_json(const std::vector<verify::PartitionStatus>& rows,
                    const std::vector<pg::ParkedStream>& parked) {
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
    writer.field("unknown_skipped", row.unknown_skipped);
    writer.field("parked_streams", row.parked_streams);
    writer.field("parked_events", row.parked_events);
    writer.end_object();
  }
  writer.end_array();
  int64_t lag = 0;
  for (const verify::PartitionStatus& row : rows) lag += row.lag;
  writer.field("total_lag", lag);
  writer.key("parked");
  writer.begin_array();
  for (const pg::ParkedStream& stream : parked) {
    writer.begin_object();
    writer.field("projection", stream.projection);
    writer.field("tenant_id", stream.tenant_id);
    writer.field("stream", stream.stream);
    writer.field("partition", stream.partition);
    writer.field("events_parked", stream.events_parked);
    writer.field("first_offset", stream.first_offset);
    writer.field("first_event_id", stream.first_event_id);
    writer.field("first_type", stream.first_type);
    writer.field("reason", stream.reason);
    writer.field("sqlstate", stream.sqlstate);
    writer.field("parked_at", stream.parked_at);
    writer.end_object();
  }
  writer.end_array();
  writer.field("total_parked_streams", static_cast<int64_t>(parked.size()));
  writer.end_object();
  return writer.str();
}

std::string as_table(const std::vector<verify::PartitionStatus>& rows,
                     const std::vector<pg::ParkedStream>& parked) {
  std::string out =
      fmt::format("{:<22} {:>9} {:>12} {:>10} {:>12} {:>10} {:>9} {:>12} {:>9} {:>7} {:>13}\n",
                  "projection", "partition", "position", "last seq", "log end", "lag", "ignored",
                  "dead letters", "unknown", "parked", "parked events");
  for (const verify::PartitionStatus& row : rows) {
    out += fmt::format("{:<22} {:>9} {:>12} {:>10} {:>12} {:>10} {:>9} {:>12} {:>9} {:>7} {:>13}\n",
                       row.projection, row.partition, row.next_offset, row.last_seq, row.log_end,
                       row.lag, row.ignored, row.deadlettered, row.unknown_skipped,
                       row.parked_streams, row.parked_events);
  }
  if (parked.empty()) return out;
  out += fmt::format("\n{} parked stream(s) (ledgerflow replay-parked <projection> after a fix):\n",
                     parked.size());
  out += fmt::format("{:<22} {:<36} {:<40} {:>9} {:>7} {:>12}  {}\n", "projection", "tenant",
                     "stream", "partition", "events", "first offset", "reason");
  for (const pg::ParkedStream& stream : parked) {
    out += fmt::format("{:<22} {:<36} {:<40} {:>9} {:>7} {:>12}  {}\n", stream.projection,
                       stream.tenant_id, stream.stream, stream.partition, stream.events_parked,
                       stream.first_offset, stream.reason);
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
    for (const auto& projection : projections::all_projections())
      names.emplace_back(projection->name());
    kafka::Consumer probe(kafka_settings(global), "ledgerflow-status", "");
    pqxx::connection connection(database_url(global));
    pqxx::work work(connection);
    const std::vector<verify::PartitionStatus> rows =
        verify::projection_status(work, probe, topics(global).events(), names);
    const std::vector<pg::ParkedStream> parked = pg::load_parked_streams(work, pg::ParkedFilter{});
    std::cout << (*json ? as_json(rows, parked) + "\n" : as_table(rows, parked));
    std::cout.flush();
    return kExitOk;
  };
}

}  // namespace lf::cli
