// The partition core's real commit records for the commands a projection
// test runs, decoded as a projector receives them, and projected.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/partition.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "tests/support/built_command.hpp"

namespace lf::testing {

class PartitionRecords {
 public:
  // `ulid_seed` fixes the ids the core gives events and records.
  PartitionRecords(std::string tenant, int64_t now_ms, uint64_t ulid_seed)
      : tenant_(std::move(tenant)),
        now_ms_(now_ms),
        core_(0, "engine", engine::PartitionOptions{}, UlidGenerator(ulid_seed)) {}

  // Decides the command at the test's time and keeps every record it writes.
  void run(const std::string& type, const std::string& payload,
           const std::string& actor = "system") {
    auto outcome = core_.decide(
        build_command(type, tenant_, "c" + std::to_string(offset_), payload, actor).envelope,
        SourcePosition{"ledgerflow.commands", 0, offset_}, now_ms_);
    ++offset_;
    for (engine::Decided& record : outcome.records) keep(record.json);
  }
  // The same, expecting the command's one record to accept it.
  void run_accepted(const std::string& type, const std::string& payload) {
    auto outcome = core_.decide(
        build_command(type, tenant_, "c" + std::to_string(offset_), payload, "system").envelope,
        SourcePosition{"ledgerflow.commands", 0, offset_}, now_ms_);
    ++offset_;
    ASSERT_EQ(outcome.records.size(), 1u);
    EXPECT_EQ(outcome.result.status, ResultStatus::accepted)
        << type << ": " << outcome.result.message;
    keep(outcome.records[0].json);
  }
  // Fires the timers due at `now_ms`, keeping their records.
  void timers(int64_t now_ms) {
    for (engine::Decided& record : core_.fire_timers(now_ms, 10)) keep(record.json);
  }
  // Applies every record so far to `projection`.
  projections::RowBatch project(const projections::Projection& projection) const {
    projections::RowBatch batch;
    int64_t offset = 0;
    for (const DecodedRecord& record : records_)
      projection.apply(projections::RecordAt{0, offset++, &record}, batch);
    return batch;
  }
  const std::vector<DecodedRecord>& records() const { return records_; }

 private:
  void keep(const std::string& json) {
    Result<DecodedRecord> decoded =
        decode_commit_record(json, JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
    ASSERT_TRUE(decoded.ok());
    records_.push_back(std::move(decoded).value());
  }

  std::string tenant_;
  int64_t now_ms_;
  engine::PartitionCore core_;
  int64_t offset_ = 0;
  std::vector<DecodedRecord> records_;
};

}  // namespace lf::testing
