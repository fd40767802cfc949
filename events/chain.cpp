// The reader rule for commit records: seq one past the last accepted one and
// prev_record_id naming it, or the record is ignored (see events/chain.hpp).
#include "events/chain.hpp"

namespace lf {

const char* to_string(RecordVerdict verdict) {
  switch (verdict) {
    case RecordVerdict::accepted:
      return "accepted";
    case RecordVerdict::duplicate:
      return "duplicate";
    case RecordVerdict::stale:
      return "stale";
    case RecordVerdict::broken_chain:
      return "broken_chain";
    case RecordVerdict::gap:
      return "gap";
  }
  LF_ASSERT_MSG(false, "unknown RecordVerdict");
  return "unknown";
}

RecordVerdict admit(ChainPosition& position, const CommitRecordHeader& record) {
  LF_ASSERT(position.last_seq >= 0);
  if (record.seq == position.last_seq + 1 && record.prev_record_id == position.last_record_id) {
    position.last_seq = record.seq;
    position.last_record_id = record.record_id;
    return RecordVerdict::accepted;
  }
  // A retry of the last accepted record is recognised by its id, whatever
  // its seq says.
  if (!position.last_record_id.empty() && record.record_id == position.last_record_id) {
    return RecordVerdict::duplicate;
  }
  if (record.seq <= position.last_seq) return RecordVerdict::stale;
  if (record.seq == position.last_seq + 1) return RecordVerdict::broken_chain;
  return RecordVerdict::gap;
}

}  // namespace lf
