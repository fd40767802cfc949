// Parked streams and their parked records in PostgreSQL. Values travel as
// parameters (array literals for the multi-row insert), never in SQL text.
#include "consumers/pg/parking.hpp"
#include "consumers/pg/internal.hpp"

#include <utility>

#include "consumers/pg/copy.hpp"
#include "events/assert.hpp"
#include "projections/feed.hpp"

namespace lf::pg {

namespace {

constexpr const char* kInsertParkedStreams =
    "INSERT INTO parked_streams (projection, tenant_id, stream, partition, first_offset, "
    "first_event_id, "
    "first_type, reason, sqlstate) "
    "SELECT u.projection, u.tenant_id, u.stream, u.partition, u.first_offset, u.first_event_id, "
    "u.first_type, "
    "u.reason, NULLIF(u.sqlstate, '') "
    "FROM unnest($1::text[], $2::uuid[], $3::text[], $4::integer[], $5::bigint[], $6::text[], "
    "$7::text[], "
    "$8::text[], $9::text[]) "
    "AS u(projection, tenant_id, stream, partition, first_offset, first_event_id, first_type, "
    "reason, sqlstate)";

// The per-record arrays travel as array literals inside a text[] and are
// cast per row.
constexpr const char* kInsertParkedRecords =
    "INSERT INTO parked_events (projection, tenant_id, stream, partition, kafka_offset, seq, "
    "record_id, "
    "event_indexes, event_ids, types, record) "
    "SELECT u.projection, u.tenant_id, u.stream, u.partition, u.kafka_offset, u.seq, u.record_id, "
    "u.event_indexes::integer[], u.event_ids::text[], u.types::text[], u.record "
    "FROM unnest($1::text[], $2::uuid[], $3::text[], $4::integer[], $5::bigint[], $6::bigint[], "
    "$7::text[], "
    "$8::text[], $9::text[], $10::text[], $11::text[]) "
    "AS u(projection, tenant_id, stream, partition, kafka_offset, seq, record_id, event_indexes, "
    "event_ids, "
    "types, record)";

// '' in a filter parameter: any.
constexpr const char* kSelectParkedStreams =
    "SELECT s.projection, s.tenant_id::text, s.stream, s.partition, s.first_offset, "
    "s.first_event_id, "
    "s.first_type, s.reason, coalesce(s.sqlstate, ''), "
    "to_char(s.parked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "(SELECT coalesce(sum(cardinality(e.event_indexes)), 0) FROM parked_events e "
    " WHERE e.projection = s.projection AND e.tenant_id = s.tenant_id AND e.stream = s.stream) "
    "FROM parked_streams s "
    "WHERE ($1 = '' OR s.projection = $1) AND ($2 = '' OR s.tenant_id = NULLIF($2, '')::uuid) "
    "AND ($3 = '' OR s.stream = $3) AND ($4 = '' OR s.partition = ANY(NULLIF($4, '')::integer[])) "
    "ORDER BY s.projection, s.partition, s.first_offset, s.tenant_id, s.stream";

constexpr const char* kSelectParkedRecords =
    "SELECT partition, kafka_offset, seq, record_id, event_indexes::text, event_ids::text, "
    "types::text, record "
    "FROM parked_events WHERE projection = $1 AND tenant_id = $2::uuid AND stream = $3 "
    "ORDER BY partition, kafka_offset";

// A PostgreSQL array's text form of integers, "{1,2}", back to numbers.
std::vector<int32_t> parse_int_array(const std::string& text) {
  std::vector<int32_t> numbers;
  std::string digits;
  for (const char c : text) {
    if ((c >= '0' && c <= '9') || c == '-') {
      digits.push_back(c);
    } else if (!digits.empty()) {
      numbers.push_back(static_cast<int32_t>(std::stol(digits)));
      digits.clear();
    }
  }
  return numbers;
}

std::string int_array_literal(const std::vector<int32_t>& numbers) {
  return array_of(numbers, [](int32_t number) { return static_cast<int64_t>(number); });
}

std::string text_array_literal(const std::vector<std::string>& texts) {
  return array_of(texts, [](const std::string& text) { return text; });
}

}  // namespace

std::string parked_key(std::string_view tenant_id, std::string_view stream) {
  return projections::stream_key(tenant_id, stream);
}

std::vector<ParkedStream> load_parked_streams(pqxx::transaction_base& work,
                                              const ParkedFilter& filter) {
  const std::string partitions =
      filter.partitions ? int_array_literal(*filter.partitions) : std::string();
  std::vector<ParkedStream> streams;
  for (const pqxx::row& row :
       work.exec_params(kSelectParkedStreams, filter.projection.value_or(""),
                        filter.tenant_id.value_or(""), filter.stream.value_or(""), partitions)) {
    ParkedStream stream;
    stream.projection = row[0].as<std::string>();
    stream.tenant_id = row[1].as<std::string>();
    stream.stream = row[2].as<std::string>();
    stream.partition = row[3].as<int32_t>();
    stream.first_offset = row[4].as<int64_t>();
    stream.first_event_id = row[5].as<std::string>();
    stream.first_type = row[6].as<std::string>();
    stream.reason = row[7].as<std::string>();
    stream.sqlstate = row[8].as<std::string>();
    stream.parked_at = row[9].as<std::string>();
    stream.events_parked = row[10].as<int64_t>();
    streams.push_back(std::move(stream));
  }
  return streams;
}

void insert_parked_streams(pqxx::transaction_base& work, const std::vector<ParkedStream>& streams) {
  if (streams.empty()) return;
  work.exec_prepared(
      prepared(work, "lf.insert_parked_streams", kInsertParkedStreams),
      array_of(streams, [](const ParkedStream& s) { return s.projection; }),
      array_of(streams, [](const ParkedStream& s) { return s.tenant_id; }),
      array_of(streams, [](const ParkedStream& s) { return s.stream; }),
      array_of(streams, [](const ParkedStream& s) { return static_cast<int64_t>(s.partition); }),
      array_of(streams, [](const ParkedStream& s) { return s.first_offset; }),
      array_of(streams, [](const ParkedStream& s) { return s.first_event_id; }),
      array_of(streams, [](const ParkedStream& s) { return s.first_type; }),
      array_of(streams, [](const ParkedStream& s) { return s.reason; }),
      array_of(streams, [](const ParkedStream& s) { return s.sqlstate; }));
}

void insert_parked_records(pqxx::transaction_base& work, const std::vector<ParkedRecord>& records) {
  if (records.empty()) return;
  for (const ParkedRecord& record : records) {
    LF_ASSERT(!record.event_indexes.empty());
    LF_ASSERT(record.event_indexes.size() == record.event_ids.size());
    LF_ASSERT(record.event_indexes.size() == record.types.size());
  }
  work.exec_prepared(
      prepared(work, "lf.insert_parked_records", kInsertParkedRecords),
      array_of(records, [](const ParkedRecord& r) { return r.projection; }),
      array_of(records, [](const ParkedRecord& r) { return r.tenant_id; }),
      array_of(records, [](const ParkedRecord& r) { return r.stream; }),
      array_of(records, [](const ParkedRecord& r) { return static_cast<int64_t>(r.partition); }),
      array_of(records, [](const ParkedRecord& r) { return r.offset; }),
      array_of(records, [](const ParkedRecord& r) { return r.seq; }),
      array_of(records, [](const ParkedRecord& r) { return r.record_id; }),
      array_of(records, [](const ParkedRecord& r) { return int_array_literal(r.event_indexes); }),
      array_of(records, [](const ParkedRecord& r) { return text_array_literal(r.event_ids); }),
      array_of(records, [](const ParkedRecord& r) { return text_array_literal(r.types); }),
      array_of(records, [](const ParkedRecord& r) { return r.record; }));
}

std::vector<ParkedRecord> load_parked_records(pqxx::transaction_base& work,
                                              const std::string& projection,
                                              const std::string& tenant_id,
                                              const std::string& stream) {
  std::vector<ParkedRecord> records;
  for (const pqxx::row& row :
       work.exec_params(kSelectParkedRecords, projection, tenant_id, stream)) {
    ParkedRecord record;
    record.projection = projection;
    record.tenant_id = tenant_id;
    record.stream = stream;
    record.partition = row[0].as<int32_t>();
    record.offset = row[1].as<int64_t>();
    record.seq = row[2].as<int64_t>();
    record.record_id = row[3].as<std::string>();
    record.event_indexes = parse_int_array(row[4].as<std::string>());
    record.record = row[7].as<std::string>();
    LF_ASSERT_MSG(!record.event_indexes.empty(), "a parked record names at least one event");
    records.push_back(std::move(record));
  }
  return records;
}

void unpark_stream(pqxx::transaction_base& work, const std::string& projection,
                   const std::string& tenant_id, const std::string& stream) {
  work.exec_params(
      "DELETE FROM parked_streams WHERE projection = $1 AND tenant_id = $2::uuid AND stream = $3",
      projection, tenant_id, stream);
}

void update_park_reason(pqxx::transaction_base& work, const std::string& projection,
                        const std::string& tenant_id, const std::string& stream,
                        const std::string& reason, const std::string& sqlstate) {
  work.exec_params(
      "UPDATE parked_streams SET reason = $4, sqlstate = NULLIF($5, ''), retried_at = now() "
      "WHERE projection = $1 AND tenant_id = $2::uuid AND stream = $3",
      projection, tenant_id, stream, reason, sqlstate);
}

bool lock_and_bump_generation(pqxx::transaction_base& work, const std::string& projection,
                              int32_t partition) {
  const pqxx::result locked = work.exec_params(
      "SELECT generation FROM projection_checkpoints WHERE projection = $1 AND partition = $2 FOR "
      "UPDATE",
      projection, partition);
  if (locked.empty()) return false;
  work.exec_params(
      "UPDATE projection_checkpoints SET generation = generation + 1, updated_at = now() "
      "WHERE projection = $1 AND partition = $2",
      projection, partition);
  return true;
}

}  // namespace lf::pg
