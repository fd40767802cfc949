// Reading the archive (event_log) back as commit records: what `rebuild`
// projects from, and what `ledgerflow import` folds a tenant's state from.
#pragma once

#include <cstdint>
#include <functional>

#include <pqxx/pqxx>

#include "events/envelope.hpp"
#include "events/json.hpp"

namespace lf::pg {

// The columns RecordAssembler::add reads, in its order; append a WHERE.
inline constexpr const char* kArchiveColumns =
    "SELECT kafka_offset, seq, record_id, tenant_id::text, command_id, event::text, event_index, "
    "partition "
    "FROM event_log ";

// Archived events come back one row each; consecutive rows of one record
// (same partition and seq, event_index 0, 1, ...) are put back together as a
// commit record (its events upcast like any record's). One assembler reads
// one partition.
class RecordAssembler {
 public:
  using Sink = std::function<void(int64_t offset, const DecodedRecord& record)>;
  RecordAssembler(int32_t partition, const Sink& sink) : partition_(partition), sink_(sink) {}

  // Columns: kafka_offset, seq, record_id, tenant_id, command_id, event,
  // event_index, partition. `check_order`: the rows must come in log order (seq + 1 or
  // the next event of the same record); false when they do not.
  bool add(const pqxx::row& row, bool check_order);
  // Hands the record being assembled to the sink. Throws std::runtime_error
  // when the archive's rows do not make a readable record.
  void finish();

 private:
  int32_t partition_;
  const Sink& sink_;
  JsonWriter writer_;
  bool open_ = false;
  int64_t seq_ = 0;
  int64_t index_ = 0;
  int64_t offset_ = 0;
};

}  // namespace lf::pg
