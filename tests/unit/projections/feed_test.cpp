// The one feed (projections/feed.hpp): what the projector, the rebuild and
// verify's fold all do with an accepted record. A projection that writes one
// row per event it is handed shows which events it got.
#include "projections/feed.hpp"

#include <gtest/gtest.h>

#include "tests/support/records.hpp"

namespace lf::projections {
namespace {

const std::string kTenant = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

// One row per event handed to apply(): its index in the commit record.
class Seen : public Projection {
 public:
  Seen() {
    table_.name = "seen";
    table_.columns = {{"event_index", SqlType::int64}};
    table_.key = {0};
  }
  std::string_view name() const override { return "seen"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table_}; }
  void apply(const RecordAt& at, RowBatch& batch) const override {
    for (std::size_t i = 0; i < at.record->events.size(); ++i)
      batch.upsert(table_, {Value{static_cast<int64_t>(at.event_index(i))}});
  }
  // Unknown "credits." events park their stream; other unknown ones are skipped.
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"credits."});
  }

 private:
  TableSpec table_;
};

std::vector<int64_t> seen(const RowBatch& batch) {
  std::vector<int64_t> indexes;
  for (const auto& group : batch.tables()) {
    for (const RowOp& op : group.ops) indexes.push_back(std::get<int64_t>(op.values[0]));
  }
  return indexes;
}

const std::string kAdjust = R"({"credits":5,"note":"n"})";

class FeedTest : public ::testing::Test {
 protected:
  lf::testing::RecordLog log_{kTenant};
  Seen projection_;
  HeldStreamSet held_;
  RowBatch batch_;
};

TEST_F(FeedTest, ARecordOfKnownEventsIsAppliedWhole) {
  const DecodedRecord& record = log_.record(
      {{"credits.adjusted", "credits", kAdjust}, {"credits.adjusted", "credits", kAdjust}});
  EXPECT_TRUE(all_events_known(record));
  const Fed fed = feed_accepted(projection_, RecordAt{0, 0, &record}, held_, batch_);
  EXPECT_TRUE(fed.whole);
  EXPECT_TRUE(fed.held.empty());
  EXPECT_EQ(fed.skipped, 0);
  EXPECT_EQ(seen(batch_), (std::vector<int64_t>{0, 1}));
}

TEST_F(FeedTest, AnUnknownEventTheProjectionSkipsIsCountedAndTheRestApplied) {
  const DecodedRecord& record = log_.record({{"credits.adjusted", "credits", kAdjust},
                                             {"media_buy.teleported", "buy-1", "{}"},
                                             {"credits.adjusted", "credits", kAdjust}});
  EXPECT_FALSE(all_events_known(record));
  const Fed fed = feed_accepted(projection_, RecordAt{0, 0, &record}, held_, batch_);
  EXPECT_FALSE(fed.whole);
  EXPECT_EQ(fed.skipped, 1);
  EXPECT_TRUE(fed.held.empty());
  EXPECT_TRUE(held_.none());
  // The subset keeps each event's index in the commit record.
  EXPECT_EQ(seen(batch_), (std::vector<int64_t>{0, 2}));
}

TEST_F(FeedTest, ANewerVersionOfAKnownTypeIsUnknownToo) {
  const DecodedRecord& record =
      log_.record({{"credits.adjusted", "credits", kAdjust}, {"credits.adjusted", "c2", "{}", 99}});
  const Fed fed = feed_accepted(projection_, RecordAt{0, 0, &record}, held_, batch_);
  EXPECT_EQ(fed.held, (std::vector<int32_t>{1}));
  EXPECT_EQ(seen(batch_), (std::vector<int64_t>{0}));
}

TEST_F(FeedTest, AParkedStreamHoldsItsLaterEventsWhileOtherStreamsGoOn) {
  const DecodedRecord& first = log_.record({{"credits.frozen", "wallet-a", "{}"},
                                            {"credits.adjusted", "wallet-a", kAdjust},
                                            {"credits.adjusted", "wallet-b", kAdjust}});
  const Fed fed = feed_accepted(projection_, RecordAt{0, 0, &first}, held_, batch_);
  EXPECT_EQ(fed.held, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(seen(batch_), (std::vector<int64_t>{2}));
  EXPECT_TRUE(held_.holds(first.events[0].header));
  EXPECT_FALSE(held_.holds(first.events[2].header));

  // A later record of known events: the parked stream's are held even so.
  RowBatch later_batch;
  const DecodedRecord& later = log_.record(
      {{"credits.adjusted", "wallet-b", kAdjust}, {"credits.adjusted", "wallet-a", kAdjust}});
  const Fed later_fed = feed_accepted(projection_, RecordAt{0, 1, &later}, held_, later_batch);
  EXPECT_EQ(later_fed.held, (std::vector<int32_t>{1}));
  EXPECT_EQ(seen(later_batch), (std::vector<int64_t>{0}));
}

TEST_F(FeedTest, AnOverriddenPolicyWinsAndSkipsAreCountedEvenInAHeldStream) {
  const DecodedRecord& record = log_.record(
      {{"credits.frozen", "wallet-a", "{}"}, {"credits.adjusted", "wallet-a", kAdjust}});
  FeedOptions options;
  options.unknown_policy = UnknownEventPolicy::apply;
  Fed fed = feed_accepted(projection_, RecordAt{0, 0, &record}, held_, batch_, options);
  EXPECT_TRUE(fed.whole);
  EXPECT_EQ(seen(batch_), (std::vector<int64_t>{0, 1}));

  // The stream held (parked earlier), the policy skip: counted, not held.
  held_.park(record.events[0].header, RecordAt{0, 0, &record});
  RowBatch skipped_batch;
  options.unknown_policy = UnknownEventPolicy::skip;
  fed = feed_accepted(projection_, RecordAt{0, 0, &record}, held_, skipped_batch, options);
  EXPECT_EQ(fed.skipped, 1);
  EXPECT_EQ(fed.held, (std::vector<int32_t>{1}));
  EXPECT_TRUE(seen(skipped_batch).empty());
}

TEST_F(FeedTest, OnlyOneStreamIsFedWhenAsked) {
  const DecodedRecord& record = log_.record({{"credits.adjusted", "wallet-a", kAdjust},
                                             {"credits.adjusted", "wallet-b", kAdjust},
                                             {"credits.adjusted", "wallet-a", kAdjust}});
  const std::string only = stream_key(kTenant, "wallet-a");
  FeedOptions options;
  options.only_stream = &only;
  const Fed fed = feed_accepted(projection_, RecordAt{0, 0, &record}, held_, batch_, options);
  EXPECT_FALSE(fed.whole);
  EXPECT_EQ(seen(batch_), (std::vector<int64_t>{0, 2}));
}

// A rebuild's held streams: it cannot park, so the park is where it stops.
class RefusingParks : public HeldStreams {
 public:
  bool none() const override { return true; }
  bool holds(const EventHeader&) const override { return false; }
  void park(const EventHeader& event, const RecordAt& at) override {
    throw std::runtime_error(event.type + " at offset " + std::to_string(at.offset));
  }
};

TEST_F(FeedTest, AParkTheHolderRefusesStopsTheFeedBeforeAnythingIsMapped) {
  const DecodedRecord& record = log_.record(
      {{"credits.adjusted", "wallet-a", kAdjust}, {"credits.frozen", "wallet-a", "{}"}});
  RefusingParks refusing;
  try {
    feed_accepted(projection_, RecordAt{0, 7, &record}, refusing, batch_);
    FAIL() << "the park was not refused";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "credits.frozen at offset 7");
  }
  EXPECT_TRUE(seen(batch_).empty());
}

}  // namespace
}  // namespace lf::projections
