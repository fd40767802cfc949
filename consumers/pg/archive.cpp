// Reading the archive back as commit records (archive.hpp).
#include "consumers/pg/archive.hpp"

#include <stdexcept>
#include <string>

namespace lf::pg {

bool RecordAssembler::add(const pqxx::row& row, bool check_order) {
  const int64_t seq = row[1].as<int64_t>();
  const int64_t index = row[6].as<int64_t>();
  if (check_order) {
    const bool next_event = open_ && seq == seq_ && index == index_ + 1;
    const bool next_record = index == 0 && seq == seq_ + 1;  // the first record has seq 1
    if (!next_event && !next_record) return false;
  }
  if (!open_ || seq != seq_) {
    finish();
    seq_ = seq;
    offset_ = row[0].as<int64_t>();
    writer_.reset();
    writer_.begin_object();
    writer_.field("tenant_id", std::string_view(row[3].c_str(), row[3].size()));
    writer_.field("command_id", std::string_view(row[4].c_str(), row[4].size()));
    writer_.field("seq", seq);
    writer_.field("record_id", std::string_view(row[2].c_str(), row[2].size()));
    writer_.field("prev_record_id", "");
    writer_.field("writer", "archive");
    writer_.key("events");
    writer_.begin_array();
    open_ = true;
  }
  index_ = index;
  writer_.raw(std::string_view(row[5].c_str(), row[5].size()));
  return true;
}

void RecordAssembler::finish() {
  if (!open_) return;
  writer_.end_array();
  writer_.end_object();
  open_ = false;
  Result<DecodedRecord> record = decode_own_commit_record(writer_.view());
  if (!record) {
    throw std::runtime_error("event_log partition " + std::to_string(partition_) + " offset " +
                             std::to_string(offset_) +
                             " does not hold a readable record: " + record.error().message);
  }
  sink_(offset_, *record);
}

}  // namespace lf::pg
