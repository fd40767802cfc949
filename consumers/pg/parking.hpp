// Parked streams (schemas/migrations/004_parking.sql): the projectors' dead
// letters per (projection, tenant, stream). A stream is parked for one
// projection when one of its events cannot be applied; its later events for
// that projection are stored, in log order, with the whole commit record
// value, until `ledgerflow replay-parked` applies them and unparks it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

namespace lf::pg {

struct ParkedStream {
  std::string projection;
  std::string tenant_id;
  std::string stream;
  int32_t partition = 0;
  int64_t first_offset = 0;  // the event that could not be applied
  std::string first_event_id;
  std::string first_type;
  std::string reason;         // the error, or why the type was parked
  std::string sqlstate;       // "" when PostgreSQL did not refuse anything
  int64_t events_parked = 0;  // read back only: events stored for it
  std::string parked_at;      // read back only (RFC 3339 text)
};

// One commit record's events of one parked stream.
struct ParkedRecord {
  std::string projection;
  std::string tenant_id;
  std::string stream;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t seq = 0;
  std::string record_id;
  std::vector<int32_t> event_indexes;  // of the stream's events in the record, ascending
  std::vector<std::string> event_ids;
  std::vector<std::string> types;
  std::string record;  // the commit record's value, unchanged
};

// Which parked streams to read: every field optional.
struct ParkedFilter {
  std::optional<std::string> projection;
  std::optional<std::string> tenant_id;
  std::optional<std::string> stream;
  std::optional<std::vector<int32_t>> partitions;
};

// The key of a stream within one projection's parked set.
std::string parked_key(std::string_view tenant_id, std::string_view stream);

// Parked streams with their event counts, ordered by projection, partition,
// first offset.
std::vector<ParkedStream> load_parked_streams(pqxx::transaction_base& work,
                                              const ParkedFilter& filter);

void insert_parked_streams(pqxx::transaction_base& work, const std::vector<ParkedStream>& streams);
// One statement for all of them.
void insert_parked_records(pqxx::transaction_base& work, const std::vector<ParkedRecord>& records);

// A parked stream's records in log order.
std::vector<ParkedRecord> load_parked_records(pqxx::transaction_base& work,
                                              const std::string& projection,
                                              const std::string& tenant_id,
                                              const std::string& stream);

// Deletes the stream's parked row and (cascading) its parked records.
void unpark_stream(pqxx::transaction_base& work, const std::string& projection,
                   const std::string& tenant_id, const std::string& stream);

// A failed replay: the new reason, and when it was tried.
void update_park_reason(pqxx::transaction_base& work, const std::string& projection,
                        const std::string& tenant_id, const std::string& stream,
                        const std::string& reason, const std::string& sqlstate);

// Locks the projection's checkpoint row of `partition` (SELECT ... FOR
// UPDATE: the lock every writer takes first) and bumps its generation, so a
// projector holding this position must re-read positions and parked streams
// before its next commit. False when there is no such row.
bool lock_and_bump_generation(pqxx::transaction_base& work, const std::string& projection,
                              int32_t partition);

}  // namespace lf::pg
