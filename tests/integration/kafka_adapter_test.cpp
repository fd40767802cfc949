// The Kafka adapter against librdkafka's mock cluster: bytes survive the
// round trip, delivery reports, Java-compatible partitioning, consumer-group
// rebalances, positions, truncation, the duplicate recipe, broker outages.
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consumers/kafka/kafka.hpp"
#include "consumers/kafka/mock_cluster.hpp"
#include "events/partitioner.hpp"
#include "tests/support/kafka_fixture.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;
using kafka::TopicPartition;
using kafka::TopicPartitionOffset;

// Records what a consumer in a group is told, and optionally starts every
// assigned partition at a fixed offset.
class RecordingListener : public kafka::RebalanceListener {
 public:
  struct Event {
    bool assigned = false;
    std::vector<TopicPartition> partitions;
  };

  std::vector<TopicPartitionOffset> on_assigned(
      const std::vector<TopicPartition>& partitions) override {
    events.push_back(Event{true, partitions});
    std::vector<TopicPartitionOffset> offsets;
    for (const TopicPartition& partition : partitions) {
      owned.insert(partition);
      if (start_offset)
        offsets.push_back(
            TopicPartitionOffset{partition.topic, partition.partition, *start_offset});
    }
    return offsets;
  }

  void on_revoked(const std::vector<TopicPartition>& partitions, bool lost) override {
    events.push_back(Event{false, partitions});
    lost_any = lost_any || lost;
    for (const TopicPartition& partition : partitions) owned.erase(partition);
  }

  std::optional<int64_t> start_offset;
  std::vector<Event> events;
  std::set<TopicPartition> owned;
  bool lost_any = false;
};

// Polls and keeps what arrives.
void drain_into(kafka::Consumer& consumer, std::vector<kafka::MessagePtr>& kept,
                int timeout_ms = 20) {
  consumer.poll_batch(kept, 1000, timeout_ms);
}

std::vector<OutgoingRecord> numbered(int count, int32_t partition,
                                     const std::string& prefix = "m") {
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < count; ++i) {
    records.push_back(
        OutgoingRecord{"key-" + std::to_string(i), prefix + std::to_string(i), {}, partition});
  }
  return records;
}

TEST(KafkaAdapter, RoundTripKeepsKeysHeadersAndValuesByteExact) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(2);
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::string with_nuls("a\0b\0\0c\0", 7);
  const std::vector<OutgoingRecord> records = {
      {"tenant-1", "plain", {{"h1", "v1"}, {"h2", std::string("x\0y", 3)}, {"h1", "v1-again"}}, 1},
      {"tenant-2", with_nuls, {}, 1},
      {std::string("k\0ey", 4), every_byte, {{"empty", ""}}, 1},
  };
  kafka.produce(topic, records);

  const std::vector<KafkaRecord> read = kafka.read_partition(topic, 1);
  ASSERT_EQ(read.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(read[i].topic, topic);
    EXPECT_EQ(read[i].partition, 1);
    EXPECT_EQ(read[i].offset, static_cast<int64_t>(i));
    EXPECT_EQ(read[i].key, records[i].key);
    EXPECT_EQ(read[i].value, records[i].value);
    EXPECT_EQ(read[i].headers, records[i].headers);
  }
  EXPECT_EQ(read[0].header("h1"), "v1-again");
  EXPECT_EQ(read[0].header("h2"), std::string("x\0y", 3));
  EXPECT_EQ(read[1].value.size(), 7u);
  EXPECT_EQ(read[2].value.size(), 256u);

  // The accessors on a message as the consumer hands it out.
  kafka::Consumer consumer(kafka.settings(), "round-trip", "");
  consumer.assign({TopicPartitionOffset{topic, 1, 0}});
  std::vector<kafka::MessagePtr> messages;
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return messages.size() >= records.size();
      },
      30s));
  const rd_kafka_message_t& first = *messages[0];
  EXPECT_EQ(kafka::message_topic(first), topic);
  EXPECT_EQ(kafka::message_key(first), "tenant-1");
  EXPECT_EQ(kafka::message_value(first), "plain");
  EXPECT_EQ(kafka::message_header(first, "h1"), std::optional<std::string>("v1-again"));
  EXPECT_EQ(kafka::message_header(first, "absent"), std::nullopt);
  EXPECT_EQ(kafka::message_headers(*messages[1]).size(), 0u);
  EXPECT_EQ(kafka::message_header(*messages[1], "h1"), std::nullopt);
  EXPECT_EQ(kafka::message_value(*messages[1]), with_nuls);
  EXPECT_EQ(kafka::message_header(*messages[2], "empty"), std::optional<std::string>(""));
  consumer.close();
  consumer.close();  // idempotent
}

TEST(KafkaAdapter, DeliveryReportsCarryPartitionOffsetAndToken) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(2);
  kafka::Producer producer(kafka.settings(), "reports");
  std::vector<kafka::DeliveryReport> reports;
  producer.on_delivery([&](const kafka::DeliveryReport& report) { reports.push_back(report); });
  EXPECT_EQ(producer.partition_count(topic), 2);
  constexpr int kMessages = 50;
  for (int i = 0; i < kMessages; ++i) {
    producer.produce(topic, 1, "key", "value-" + std::to_string(i), {},
                     1000 + static_cast<uint64_t>(i));
  }
  ASSERT_TRUE(producer.flush(30'000));
  EXPECT_EQ(producer.outstanding(), 0);
  ASSERT_EQ(reports.size(), static_cast<std::size_t>(kMessages));
  std::sort(reports.begin(), reports.end(),
            [](const auto& a, const auto& b) { return a.token < b.token; });
  for (int i = 0; i < kMessages; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(reports[i].error, RD_KAFKA_RESP_ERR_NO_ERROR);
    EXPECT_EQ(reports[i].topic, topic);
    EXPECT_EQ(reports[i].partition, 1);
    EXPECT_EQ(reports[i].offset, i);  // one producer, in order, into an empty partition
    EXPECT_EQ(reports[i].token, 1000u + static_cast<uint64_t>(i));
  }
}

TEST(KafkaAdapter, Murmur2RandomPartitionerAgreesWithPartitionForKey) {
  MockKafka kafka;
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  constexpr int kKeys = 2000;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) {
    std::string key(1 + random() % 48, '\0');
    for (char& c : key) c = static_cast<char>(random() % 256);
    keys.push_back(std::move(key));
  }
  kafka::Producer producer(kafka.settings(), "partitioner");
  std::map<uint64_t, kafka::DeliveryReport> reports;
  producer.on_delivery(
      [&](const kafka::DeliveryReport& report) { reports[report.token] = report; });
  std::map<int32_t, std::string> topics;
  for (int32_t count = 1; count <= 16; ++count) {
    topics[count] = kafka.unique_topic(count);
    for (int i = 0; i < kKeys; ++i) {
      producer.produce(topics[count], -1, keys[i], "v", {},
                       static_cast<uint64_t>(count) * 100'000 + i);
    }
  }
  ASSERT_TRUE(producer.flush(60'000));
  ASSERT_EQ(reports.size(), static_cast<std::size_t>(16 * kKeys));
  int disagreements = 0;
  for (int32_t count = 1; count <= 16; ++count) {
    for (int i = 0; i < kKeys; ++i) {
      const kafka::DeliveryReport& report = reports.at(static_cast<uint64_t>(count) * 100'000 + i);
      ASSERT_EQ(report.error, RD_KAFKA_RESP_ERR_NO_ERROR);
      if (report.partition != partition_for_key(keys[i], count) && ++disagreements <= 5) {
        ADD_FAILURE() << "key #" << i << " with " << count << " partitions: librdkafka chose "
                      << report.partition << ", partition_for_key "
                      << partition_for_key(keys[i], count);
      }
    }
  }
  EXPECT_EQ(disagreements, 0);
}

TEST(KafkaAdapter, ASecondGroupMemberTriggersRevokeThenAssignAndThePartitionsAreShared) {
  MockKafka kafka;
  constexpr int kPartitions = 4;
  const std::string topic = kafka.unique_topic(kPartitions);
  const std::string group = topic + ".group";
  std::vector<kafka::MessagePtr> ignored;

  // With auto.offset.reset=error a partition without a committed offset
  // cannot start "at the committed offset": say where to start.
  RecordingListener first_listener;
  first_listener.start_offset = RD_KAFKA_OFFSET_BEGINNING;
  kafka::Consumer first(kafka.settings(), "member-1", group);
  first.subscribe({topic}, &first_listener);
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(first, ignored);
        return first_listener.owned.size() == kPartitions;
      },
      30s))
      << "the first member never got every partition";
  ASSERT_EQ(first_listener.events.size(), 1u);
  EXPECT_TRUE(first_listener.events[0].assigned);
  EXPECT_EQ(first.assignment().size(), static_cast<std::size_t>(kPartitions));

  RecordingListener second_listener;
  second_listener.start_offset = RD_KAFKA_OFFSET_BEGINNING;
  kafka::Consumer second(kafka.settings(), "member-2", group);
  second.subscribe({topic}, &second_listener);
  auto shared = [&] {
    if (first_listener.owned.empty() || second_listener.owned.empty()) return false;
    if (first_listener.owned.size() + second_listener.owned.size() != kPartitions) return false;
    for (const TopicPartition& partition : first_listener.owned) {
      if (second_listener.owned.count(partition) != 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(first, ignored, 10);
        drain_into(second, ignored, 10);
        return shared();
      },
      60s))
      << "first owns " << first_listener.owned.size() << ", second owns "
      << second_listener.owned.size();

  // The first member gave everything back (eager protocol) and got its share.
  ASSERT_GE(first_listener.events.size(), 3u);
  EXPECT_FALSE(first_listener.events[1].assigned);
  EXPECT_EQ(first_listener.events[1].partitions.size(), static_cast<std::size_t>(kPartitions));
  EXPECT_TRUE(first_listener.events.back().assigned);
  EXPECT_FALSE(first_listener.lost_any);
  std::set<TopicPartition> all(first_listener.owned);
  all.insert(second_listener.owned.begin(), second_listener.owned.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kPartitions));
  for (const TopicPartition& partition : all) EXPECT_EQ(partition.topic, topic);

  second.close();
  EXPECT_TRUE(second_listener.owned.empty()) << "close() revokes";
}

TEST(KafkaAdapter, OffsetsReturnedByOnAssignedAreWhereConsumptionStarts) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(2);
  kafka.produce(topic, numbered(10, 0, "a"));
  kafka.produce(topic, numbered(10, 1, "b"));

  RecordingListener listener;
  listener.start_offset = 6;
  kafka::Consumer consumer(kafka.settings(), "mid-partition", topic + ".group");
  consumer.subscribe({topic}, &listener);
  std::vector<kafka::MessagePtr> messages;
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return messages.size() >= 8;
      },
      30s));
  std::map<int32_t, std::vector<int64_t>> offsets;
  for (const kafka::MessagePtr& message : messages)
    offsets[message->partition].push_back(message->offset);
  EXPECT_EQ(offsets[0], (std::vector<int64_t>{6, 7, 8, 9}));
  EXPECT_EQ(offsets[1], (std::vector<int64_t>{6, 7, 8, 9}));
}

TEST(KafkaAdapter, ManualAssignmentSeekPauseAndWatermarks) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(1);
  kafka.produce(topic, numbered(20, 0));

  kafka::Consumer consumer(kafka.settings(), "manual", "");
  EXPECT_EQ(consumer.partition_count(topic), 1);
  const kafka::Watermarks marks = consumer.watermarks(topic, 0);
  EXPECT_EQ(marks.low, 0);
  EXPECT_EQ(marks.high, 20);
  consumer.assign({TopicPartitionOffset{topic, 0, 3}});
  EXPECT_EQ(consumer.assignment(), (std::vector<TopicPartition>{{topic, 0}}));

  std::vector<kafka::MessagePtr> messages;
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return !messages.empty();
      },
      30s));
  EXPECT_EQ(messages.front()->offset, 3);
  EXPECT_EQ(kafka::message_value(*messages.front()), "m3");

  consumer.seek(TopicPartitionOffset{topic, 0, 15});
  messages.clear();
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return !messages.empty() && messages.back()->offset == 19;
      },
      30s));
  EXPECT_EQ(messages.front()->offset, 15)
      << "messages fetched before the seek must not be delivered";
  EXPECT_EQ(messages.size(), 5u);

  // A paused partition delivers nothing new until resumed.
  consumer.pause({TopicPartition{topic, 0}});
  kafka.produce(topic, numbered(5, 0, "late"));
  messages.clear();
  EXPECT_FALSE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return !messages.empty();
      },
      1s));
  consumer.resume({TopicPartition{topic, 0}});
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return messages.size() >= 5;
      },
      30s));
  EXPECT_EQ(messages.front()->offset, 20);
  EXPECT_EQ(consumer.watermarks(topic, 0).high, 25);

  // No group: nothing to commit to, nothing committed.
  EXPECT_THROW(consumer.commit({TopicPartitionOffset{topic, 0, 5}}, false), kafka::KafkaError);
  EXPECT_EQ(consumer.committed({TopicPartition{topic, 0}}).at(0).offset, RD_KAFKA_OFFSET_INVALID);
}

TEST(KafkaAdapter, CommittedOffsetsSurviveAConsumerRestart) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(1);
  const std::string group = topic + ".group";
  kafka.produce(topic, numbered(10, 0));
  {
    RecordingListener listener;
    listener.start_offset = RD_KAFKA_OFFSET_BEGINNING;  // nothing committed yet
    kafka::Consumer consumer(kafka.settings(), "before-restart", group);
    consumer.subscribe({topic}, &listener);
    std::vector<kafka::MessagePtr> messages;
    ASSERT_TRUE(wait_until(
        [&] {
          drain_into(consumer, messages);
          return messages.size() >= 7;
        },
        30s));
    EXPECT_EQ(consumer.committed({TopicPartition{topic, 0}}).at(0).offset, RD_KAFKA_OFFSET_INVALID);
    consumer.commit({TopicPartitionOffset{topic, 0, 7}}, false);
    EXPECT_EQ(consumer.committed({TopicPartition{topic, 0}}).at(0).offset, 7);
    consumer.close();
  }
  RecordingListener listener;  // returns no offsets: start at the committed ones
  kafka::Consumer consumer(kafka.settings(), "after-restart", group);
  consumer.subscribe({topic}, &listener);
  std::vector<kafka::MessagePtr> messages;
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return !messages.empty() && messages.back()->offset == 9;
      },
      30s));
  EXPECT_EQ(messages.front()->offset, 7);
  EXPECT_EQ(consumer.committed({TopicPartition{topic, 0}}).at(0).offset, 7);
  consumer.commit({TopicPartitionOffset{topic, 0, 10}}, true);
  EXPECT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);  // serves the asynchronous commit's result
        return consumer.committed({TopicPartition{topic, 0}}).at(0).offset == 10;
      },
      10s));
}

// A consumer given a partition asks for its committed offset (the engine
// does, in on_assigned); a coordinator that is moving answers NOT_COORDINATOR,
// which librdkafka does not retry itself. It is asked again, not thrown.
TEST(KafkaAdapter, CommittedOffsetsAreAskedAgainWhileTheCoordinatorMoves) {
  constexpr int16_t kOffsetFetch = 9;
  constexpr int32_t kCoordinator = 1;
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(1);
  const std::string group = topic + ".group";
  kafka.cluster().set_group_coordinator(group, kCoordinator);
  kafka.produce(topic, numbered(3, 0));
  RecordingListener listener;
  listener.start_offset = RD_KAFKA_OFFSET_BEGINNING;
  kafka::Consumer consumer(kafka.settings(), "coordinator-moves", group);
  consumer.subscribe({topic}, &listener);
  std::vector<kafka::MessagePtr> messages;
  ASSERT_TRUE(wait_until(
      [&] {
        drain_into(consumer, messages);
        return messages.size() >= 3;
      },
      30s));
  consumer.commit({TopicPartitionOffset{topic, 0, 2}}, false);
  kafka.cluster().push_broker_errors(kCoordinator, kOffsetFetch, 2,
                                     RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 0);
  EXPECT_EQ(consumer.committed({TopicPartition{topic, 0}}).at(0).offset, 2);
  EXPECT_EQ(kafka.cluster().broker_errors_pending(kCoordinator, kOffsetFetch), 0u)
      << "the query never met the coordinator's errors";
  // Past the timeout it gives up, with the coordinator's answer.
  kafka.cluster().push_broker_errors(kCoordinator, kOffsetFetch, 1000,
                                     RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 0);
  try {
    consumer.committed({TopicPartition{topic, 0}}, 500);
    ADD_FAILURE() << "a coordinator that never answers did not end the query";
  } catch (const kafka::KafkaError& error) {
    EXPECT_EQ(error.code(), RD_KAFKA_RESP_ERR_NOT_COORDINATOR) << error.what();
  }
}

TEST(KafkaAdapter, AGroupPartitionWithNeitherACommittedOffsetNorAStartThrows) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(1);
  kafka.produce(topic, numbered(3, 0));
  RecordingListener listener;  // returns no offsets, and the group never committed
  kafka::Consumer consumer(kafka.settings(), "no-position", topic + ".group");
  consumer.subscribe({topic}, &listener);
  std::vector<kafka::MessagePtr> messages;
  std::optional<kafka::KafkaError> thrown;
  wait_until(
      [&] {
        try {
          drain_into(consumer, messages);
        } catch (const kafka::KafkaError& error) {
          thrown = error;
        }
        return thrown.has_value();
      },
      30s);
  ASSERT_TRUE(thrown.has_value()) << "auto.offset.reset=error did not stop the read";
  EXPECT_EQ(thrown->code(), RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) << thrown->what();
  EXPECT_TRUE(messages.empty());
}

TEST(KafkaAdapter, ReadingBelowTheLowWatermarkThrowsInsteadOfSkipping) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(1);
  // 60 x 100 KB: more than the ~5 MiB the mock keeps per partition.
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 60; ++i)
    records.push_back(OutgoingRecord{"k", std::string(100 * 1024, 'a' + i % 26), {}, 0});
  kafka.produce(topic, records);

  kafka::Consumer consumer(kafka.settings(), "truncated", "");
  const kafka::Watermarks marks = consumer.watermarks(topic, 0);
  ASSERT_GT(marks.low, 0) << "the mock did not truncate the partition";
  EXPECT_EQ(marks.high, 60);

  consumer.assign({TopicPartitionOffset{topic, 0, 0}});
  std::vector<kafka::MessagePtr> messages;
  std::optional<kafka::KafkaError> thrown;
  wait_until(
      [&] {
        try {
          drain_into(consumer, messages, 100);
        } catch (const kafka::KafkaError& error) {
          thrown = error;
        }
        return thrown.has_value();
      },
      30s);
  ASSERT_TRUE(thrown.has_value()) << "reading from offset 0 did not fail";
  EXPECT_TRUE(thrown->code() == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
              thrown->code() == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
      << rd_kafka_err2name(thrown->code());
  EXPECT_NE(std::string(thrown->what()).find(topic + " [0]"), std::string::npos) << thrown->what();
  EXPECT_TRUE(messages.empty()) << "delivered messages from offset " << messages.front()->offset;

  // From the low watermark on, everything the broker holds is readable.
  const std::vector<KafkaRecord> held = kafka.read_partition(topic, 0);
  ASSERT_EQ(held.size(), static_cast<std::size_t>(marks.high - marks.low));
  EXPECT_EQ(held.front().offset, marks.low);
}

class DuplicateRecipe : public ::testing::TestWithParam<std::map<std::string, std::string>> {};

TEST_P(DuplicateRecipe, StoresTheNextBatchTwice) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(2);
  const std::map<std::string, std::string> properties = GetParam();
  kafka.produce(topic, {OutgoingRecord{"tenant", "before", {}, 0}}, properties);

  inject_duplicate_produce(kafka.cluster(), topic, 0, 1);
  const auto started = std::chrono::steady_clock::now();
  const std::vector<kafka::DeliveryReport> reports =
      kafka.produce(topic, {OutgoingRecord{"tenant", "twice", {{"h", "1"}}, 0}}, properties);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(elapsed, std::chrono::milliseconds(kMockSocketTimeoutMs))
      << "the response was not delayed";

  const std::vector<KafkaRecord> read = kafka.read_partition(topic, 0);
  std::vector<int64_t> copies;
  for (const KafkaRecord& record : read) {
    if (record.value == "twice") {
      copies.push_back(record.offset);
      EXPECT_EQ(record.key, "tenant");
      EXPECT_EQ(record.header("h"), "1");
    }
  }
  ASSERT_EQ(copies.size(), 2u) << "the recipe did not duplicate the batch";
  EXPECT_NE(copies[0], copies[1]);
  EXPECT_EQ(reports.at(0).offset, copies[1])
      << "the delivery report names the copy the retry wrote";
  EXPECT_EQ(read.size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(
    KafkaAdapter, DuplicateRecipe,
    ::testing::Values(
        MockKafka::duplicate_prone_producer_properties(),
        [] {
          std::map<std::string, std::string> properties =
              MockKafka::duplicate_prone_producer_properties();
          properties["enable.idempotence"] = "false";
          return properties;
        }(),
        std::map<std::string, std::string>{}),
    [](const ::testing::TestParamInfo<std::map<std::string, std::string>>& info) {
      if (info.param.empty()) return std::string("FixtureSettingsOnly");
      return std::string(info.param.count("enable.idempotence") ? "NotIdempotent" : "Idempotent");
    });

TEST(KafkaAdapter, TheDuplicateRecipeSparesTheOtherPartitionsOfTheLeader) {
  MockKafka kafka;
  constexpr int kPartitions = 6;  // on 3 brokers: the leader of partition 0 leads others too
  const kafka::Topics topics = kafka.unique_topics(kPartitions);
  const int32_t leader = kafka.cluster().leader_of(topics.events(), 0);
  // The mock places each partition's leader at random: make sure another
  // partition shares partition 0's (without it the test would prove nothing).
  kafka.cluster().set_partition_leader(topics.events(), 1, leader);
  ASSERT_TRUE(wait_until([&] { return kafka.cluster().leader_of(topics.events(), 1) == leader; },
                         std::chrono::seconds(10)));
  int shared = 0;
  for (int32_t partition = 1; partition < kPartitions; ++partition) {
    shared += kafka.cluster().leader_of(topics.events(), partition) == leader;
    shared += kafka.cluster().leader_of(topics.results(), partition) == leader;
  }
  ASSERT_GT(shared, 0) << "no other partition shares the leader: the test would prove nothing";
  inject_duplicate_produce(kafka.cluster(), topics.events(), 0, 1);
  EXPECT_EQ(kafka.cluster().leader_of(topics.events(), 0), leader) << "the target keeps its leader";
  for (int32_t partition = 1; partition < kPartitions; ++partition) {
    kafka.produce(topics.events(), {OutgoingRecord{"k", "other", {}, partition}});
    kafka.produce(topics.results(), {OutgoingRecord{"k", "other", {}, partition}});
  }
  kafka.produce(topics.events(), {OutgoingRecord{"k", "target", {}, 0}});
  EXPECT_EQ(kafka.read_partition(topics.events(), 0).size(), 2u);
  for (int32_t partition = 1; partition < kPartitions; ++partition) {
    EXPECT_EQ(kafka.read_partition(topics.events(), partition).size(), 1u) << partition;
    EXPECT_EQ(kafka.read_partition(topics.results(), partition).size(), 1u) << partition;
  }
}

TEST(KafkaAdapter, MessagesProducedWhileTheLeaderIsDownAreDeliveredWhenItReturns) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(1);
  const int32_t leader = kafka.cluster().leader_of(topic, 0);
  ASSERT_GE(leader, 1);

  kafka::Producer producer(kafka.settings(), "outage");
  std::vector<kafka::DeliveryReport> reports;
  producer.on_delivery([&](const kafka::DeliveryReport& report) { reports.push_back(report); });
  producer.produce(topic, 0, "k", "before", {}, 0);
  ASSERT_TRUE(producer.flush(30'000));

  kafka.cluster().set_broker_down(leader);
  constexpr int kMessages = 20;
  for (int i = 1; i <= kMessages; ++i)
    producer.produce(topic, 0, "k", "during-" + std::to_string(i), {}, i);
  EXPECT_FALSE(wait_until(
      [&] {
        producer.poll(50);
        return producer.outstanding() == 0;
      },
      2s))
      << "delivered while the leader was down";

  kafka.cluster().set_broker_up(leader);
  ASSERT_TRUE(producer.flush(60'000));
  ASSERT_EQ(reports.size(), static_cast<std::size_t>(kMessages + 1));
  for (const kafka::DeliveryReport& report : reports) {
    EXPECT_EQ(report.error, RD_KAFKA_RESP_ERR_NO_ERROR) << "token " << report.token;
  }
  std::set<std::string> values;
  for (const KafkaRecord& record : kafka.read_partition(topic, 0)) values.insert(record.value);
  for (int i = 1; i <= kMessages; ++i)
    EXPECT_EQ(values.count("during-" + std::to_string(i)), 1u) << i;
}

TEST(KafkaAdapter, AFatalClientErrorEndsProduceAndPoll) {
  MockKafka kafka;
  const std::string topic = kafka.unique_topic(1);
  kafka::Producer producer(kafka.settings(), "fatal");
  producer.produce(topic, 0, "k", "v");
  ASSERT_TRUE(producer.flush(30'000));
  ASSERT_EQ(
      rd_kafka_test_fatal_error(producer.handle(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                "injected by the test"),
      RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_THROW(producer.poll(0), kafka::KafkaError);
  try {
    producer.produce(topic, 0, "k", "v");
    FAIL() << "produce after a fatal error";
  } catch (const kafka::KafkaError& error) {
    EXPECT_EQ(error.code(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    EXPECT_NE(std::string(error.what()).find("injected by the test"), std::string::npos)
        << error.what();
  }

  kafka::Consumer consumer(kafka.settings(), "fatal", "");
  consumer.assign({TopicPartitionOffset{topic, 0, 0}});
  ASSERT_EQ(rd_kafka_test_fatal_error(consumer.handle(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
                                      "injected"),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<kafka::MessagePtr> messages;
  EXPECT_THROW(consumer.poll_batch(messages, 10, 100), kafka::KafkaError);
}

TEST(KafkaAdapter, BadConfigurationThrowsWithLibrdkafkasMessage) {
  kafka::Settings settings;
  settings.bootstrap = "127.0.0.1:1";
  try {
    kafka::Producer producer(settings, "bad", {{"no.such.property", "1"}});
    FAIL() << "no exception";
  } catch (const kafka::KafkaError& error) {
    EXPECT_NE(std::string(error.what()).find("no.such.property"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(kafka::Consumer(settings, "bad", "", {{"auto.offset.reset", "sometimes"}}),
               kafka::KafkaError);
  EXPECT_THROW(kafka::Producer(settings, "bad", {{"acks", "1"}}), kafka::KafkaError)
      << "idempotence requires acks=all";
}

}  // namespace
}  // namespace lf::testing
