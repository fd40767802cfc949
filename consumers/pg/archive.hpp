// Reading the archive (event_log) back as commit records: what `rebuild`
// projects from, and what `ledgerflow import` folds a tenant's state from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "events/envelope.hpp"
#include "events/json.hpp"

namespace lf::pg {

// The columns RecordAssembler::add reads, in its order; append a WHERE.
inline constexpr const char* kArchiveColumns =
    "SELECT kafka_offset, seq, record_id, tenant_id::text, command_id, event::text, event_index, "
    "partition "
    "FROM event_log ";

// One archived event: a row of kArchiveColumns (views into the row or
// the COPY line it came from).
struct ArchivedEvent {
  int64_t kafka_offset = 0;
  int64_t seq = 0;
  std::string_view record_id;
  std::string_view tenant_id;
  std::string_view command_id;
  std::string_view event;  // the event's JSON text
  int64_t event_index = 0;
  int32_t partition = 0;

  static ArchivedEvent of(const pqxx::row& row);
};

// Reads one line of COPY (kArchiveColumns) TO STDOUT, text format: undoes
// COPY's escapes in place (the views point into `line`). Throws
// std::runtime_error when the line does not hold those columns.
ArchivedEvent parse_archive_copy_line(std::string& line);

// An archived event that owns its text: one held back until the rows
// before it in the log have been read.
class KeptEvent {
 public:
  explicit KeptEvent(const ArchivedEvent& event);
  ArchivedEvent view() const;
  std::size_t bytes() const { return text_.size() + sizeof(KeptEvent); }

 private:
  ArchivedEvent numbers_;  // its views are empty; text_ holds them back to back
  std::string text_;
  std::size_t record_id_ = 0, tenant_id_ = 0, command_id_ = 0;
};

// Archived events come back one row each; consecutive rows of one record
// (same partition and seq, event_index 0, 1, ...) are put back together as a
// commit record (its events upcast like any record's). One assembler reads
// one partition.
class RecordAssembler {
 public:
  using Sink = std::function<void(int64_t offset, const DecodedRecord& record)>;
  RecordAssembler(int32_t partition, const Sink& sink) : partition_(partition), sink_(sink) {}

  // Columns: kafka_offset, seq, record_id, tenant_id, command_id, event,
  // event_index, partition; the rows in log order.
  void add(const pqxx::row& row) { add(ArchivedEvent::of(row)); }
  void add(const ArchivedEvent& event);
  // Hands the record being assembled to the sink. Throws std::runtime_error
  // when the archive's rows do not make a readable record.
  void finish();

 private:
  int32_t partition_;
  const Sink& sink_;
  JsonWriter writer_;
  bool open_ = false;
  int64_t seq_ = 0;
  int64_t offset_ = 0;
};

}  // namespace lf::pg
