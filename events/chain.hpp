// The reader rule every consumer of ledgerflow.events applies (DESIGN.md "How
// exactly once works", point 2, with the chain refinement in docs/exactly-once.md):
// a commit record is accepted only if its seq is one past the last accepted
// one AND its prev_record_id names the last accepted record. Everything else
// is ignored. First writer wins, decided identically by every reader from the
// log alone.
#pragma once

#include <cstdint>
#include <string>

#include "events/envelope.hpp"

namespace lf {

struct ChainPosition {
  int64_t last_seq = 0;
  std::string last_record_id;  // "" before the first record
};

enum class RecordVerdict {
  accepted,
  duplicate,     // the same record_id as one already accepted (a producer retry)
  stale,         // seq at or below last_seq from another writer (a zombie's decision)
  broken_chain,  // seq == last_seq + 1 but built on a record that was not accepted
  gap,           // seq beyond last_seq + 1: never valid
};

const char* to_string(RecordVerdict verdict);

// The verdict for `record`; advances `position` only when accepted. A record
// at or below last_seq is a `duplicate` when it repeats the last accepted
// record_id, otherwise `stale`.
RecordVerdict admit(ChainPosition& position, const CommitRecordHeader& record);

}  // namespace lf
