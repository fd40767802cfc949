// The reader rule for commit records: every verdict.
#include "events/chain.hpp"

#include <gtest/gtest.h>

#include "events/ulid.hpp"

namespace lf {
namespace {

CommitRecordHeader record(int64_t seq, std::string record_id, std::string prev_record_id) {
  CommitRecordHeader header;
  header.tenant_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  header.command_id = "c-" + std::to_string(seq);
  header.seq = seq;
  header.record_id = std::move(record_id);
  header.prev_record_id = std::move(prev_record_id);
  header.writer = "engine-a";
  return header;
}

class ChainTest : public ::testing::Test {
 protected:
  std::string id() { return ids_.next(1700000000000); }
  UlidGenerator ids_{7};
};

TEST_F(ChainTest, AcceptsTheFirstRecordWithEmptyPrev) {
  ChainPosition position;
  const std::string first = id();
  EXPECT_EQ(admit(position, record(1, first, "")), RecordVerdict::accepted);
  EXPECT_EQ(position.last_seq, 1);
  EXPECT_EQ(position.last_record_id, first);
}

TEST_F(ChainTest, AcceptsTheNextRecordLinkedToTheLast) {
  ChainPosition position;
  const std::string first = id();
  const std::string second = id();
  ASSERT_EQ(admit(position, record(1, first, "")), RecordVerdict::accepted);
  EXPECT_EQ(admit(position, record(2, second, first)), RecordVerdict::accepted);
  EXPECT_EQ(position.last_seq, 2);
  EXPECT_EQ(position.last_record_id, second);
}

TEST_F(ChainTest, RepeatedLastRecordIsDuplicate) {
  ChainPosition position;
  const std::string first = id();
  ASSERT_EQ(admit(position, record(1, first, "")), RecordVerdict::accepted);
  EXPECT_EQ(admit(position, record(1, first, "")), RecordVerdict::duplicate);
  EXPECT_EQ(position.last_seq, 1);
  EXPECT_EQ(position.last_record_id, first);
}

TEST_F(ChainTest, OtherRecordAtOrBelowLastSeqIsStale) {
  ChainPosition position;
  const std::string first = id();
  const std::string second = id();
  ASSERT_EQ(admit(position, record(1, first, "")), RecordVerdict::accepted);
  ASSERT_EQ(admit(position, record(2, second, first)), RecordVerdict::accepted);
  // A zombie's decision at seq 2, built on the same predecessor.
  EXPECT_EQ(admit(position, record(2, id(), first)), RecordVerdict::stale);
  EXPECT_EQ(admit(position, record(1, id(), "")), RecordVerdict::stale);
  // An older accepted record re-delivered is stale too (only the last is a duplicate).
  EXPECT_EQ(admit(position, record(1, first, "")), RecordVerdict::stale);
  EXPECT_EQ(position.last_seq, 2);
  EXPECT_EQ(position.last_record_id, second);
}

TEST_F(ChainTest, NextSeqOnAnotherPredecessorIsBrokenChain) {
  ChainPosition position;
  const std::string first = id();
  ASSERT_EQ(admit(position, record(1, first, "")), RecordVerdict::accepted);
  EXPECT_EQ(admit(position, record(2, id(), id())), RecordVerdict::broken_chain);
  EXPECT_EQ(admit(position, record(2, id(), "")), RecordVerdict::broken_chain);
  EXPECT_EQ(position.last_seq, 1);
  EXPECT_EQ(position.last_record_id, first);
}

TEST_F(ChainTest, FirstRecordWithAPrevIsBrokenChain) {
  ChainPosition position;
  EXPECT_EQ(admit(position, record(1, id(), id())), RecordVerdict::broken_chain);
  EXPECT_EQ(position.last_seq, 0);
  EXPECT_EQ(position.last_record_id, "");
}

TEST_F(ChainTest, SeqBeyondNextIsGap) {
  ChainPosition position;
  EXPECT_EQ(admit(position, record(2, id(), "")), RecordVerdict::gap);
  const std::string first = id();
  ASSERT_EQ(admit(position, record(1, first, "")), RecordVerdict::accepted);
  EXPECT_EQ(admit(position, record(3, id(), first)), RecordVerdict::gap);
  EXPECT_EQ(position.last_seq, 1);
}

TEST_F(ChainTest, ResumesFromAStoredPosition) {
  const std::string stored = id();
  ChainPosition position{41, stored};
  EXPECT_EQ(admit(position, record(42, id(), stored)), RecordVerdict::accepted);
  EXPECT_EQ(position.last_seq, 42);
}

TEST(Chain, VerdictNames) {
  EXPECT_STREQ(to_string(RecordVerdict::accepted), "accepted");
  EXPECT_STREQ(to_string(RecordVerdict::duplicate), "duplicate");
  EXPECT_STREQ(to_string(RecordVerdict::stale), "stale");
  EXPECT_STREQ(to_string(RecordVerdict::broken_chain), "broken_chain");
  EXPECT_STREQ(to_string(RecordVerdict::gap), "gap");
}

}  // namespace
}  // namespace lf
