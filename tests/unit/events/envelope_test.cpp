// The wire envelopes: command decoding rules, commit record and result round
// trips, and agreement with the envelope JSON Schemas.
#include "events/envelope.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/pointer.h>

#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "events/ulid.hpp"
#include "tests/support/json.hpp"

namespace lf {
namespace {

using testing::parse_json;

constexpr const char* kTenant = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

// A valid command envelope, as a document the tests can change.
std::unique_ptr<rapidjson::Document> good_command() {
  return parse_json(
      R"({"command_id":"cmd-1","type":"credits.reserve",)"
      R"("tenant_id":"3F2504E0-4F89-11D3-9A0C-0305E82C3301","actor":"agent:copywriter",)"
      R"("issued_at":"2024-02-29T10:00:00.123+01:00","correlation_id":"corr-9",)"
      R"("expected_version":4,"payload":{"reservation_id":"r-1","credits":300},)"
      R"("unknown_field":{"ignored":true}})");
}

void set_string(rapidjson::Document& document, const char* field, std::string_view text) {
  rapidjson::Value value(text.data(), static_cast<rapidjson::SizeType>(text.size()),
                         document.GetAllocator());
  document.RemoveMember(field);
  document.AddMember(rapidjson::StringRef(field), value, document.GetAllocator());
}

template <typename T>
void set_value(rapidjson::Document& document, const char* field, T value) {
  document.RemoveMember(field);
  document.AddMember(rapidjson::StringRef(field), rapidjson::Value(value), document.GetAllocator());
}

// Decoding must fail with invalid_envelope and a message naming `field`.
void expect_rejected(const rapidjson::Document& document, const std::string& field) {
  const auto decoded = decode_command(document);
  ASSERT_FALSE(decoded) << field << " in " << json_to_string(document);
  EXPECT_EQ(decoded.error().code, "invalid_envelope");
  EXPECT_NE(decoded.error().message.find(field), std::string::npos)
      << "message does not name " << field << ": " << decoded.error().message;
}

TEST(Envelope, DecodesAGoodCommand) {
  const auto document = good_command();
  const auto decoded = decode_command(*document);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->command_id, "cmd-1");
  EXPECT_EQ(decoded->type, "credits.reserve");
  EXPECT_EQ(decoded->tenant_id, kTenant);  // normalised to lower case
  EXPECT_EQ(decoded->actor, "agent:copywriter");
  EXPECT_EQ(decoded->issued_at_ms, *parse_rfc3339_ms("2024-02-29T09:00:00.123Z"));
  EXPECT_EQ(decoded->correlation_id, "corr-9");
  EXPECT_EQ(decoded->expected_version, 4);
  ASSERT_NE(decoded->payload, nullptr);
  EXPECT_EQ(decoded->payload, &(*document)["payload"]);  // points into the document
  EXPECT_EQ(json_int64(*decoded->payload, "credits"), 300);
  EXPECT_EQ(SchemaRegistry::embedded().validate_envelope("command", *document), std::nullopt);
}

TEST(Envelope, OptionalCommandFieldsMayBeAbsent) {
  auto document = good_command();
  document->RemoveMember("correlation_id");
  document->RemoveMember("expected_version");
  const auto decoded = decode_command(*document);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->correlation_id, std::nullopt);
  EXPECT_EQ(decoded->expected_version, std::nullopt);
  set_value(*document, "expected_version", 0);
  EXPECT_TRUE(decode_command(*document));
}

TEST(Envelope, RejectsACommandThatIsNotAnObject) {
  for (const char* text : {"[]", "\"x\"", "1", "null"}) {
    const auto decoded = decode_command(*parse_json(text));
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error().code, "invalid_envelope");
  }
}

TEST(Envelope, NamesEachMissingRequiredField) {
  for (const char* field : {"command_id", "type", "tenant_id", "actor", "issued_at", "payload"}) {
    auto document = good_command();
    document->RemoveMember(field);
    expect_rejected(*document, field);
    const auto decoded = decode_command(*document);
    ASSERT_FALSE(decoded);
    EXPECT_NE(decoded.error().message.find("missing"), std::string::npos)
        << decoded.error().message;
  }
}

TEST(Envelope, NamesEachFieldOfTheWrongType) {
  for (const char* field : {"command_id", "type", "tenant_id", "actor", "issued_at", "payload",
                            "correlation_id", "expected_version"}) {
    auto document = good_command();
    set_string(*document, field, "");  // a string where some want another type
    if (std::string_view(field) == "expected_version" || std::string_view(field) == "payload") {
      expect_rejected(*document, field);
    }
    set_value(*document, field, true);
    expect_rejected(*document, field);
  }
  auto document = good_command();
  set_value(*document, "expected_version", 1.5);
  expect_rejected(*document, "expected_version");
  set_value(*document, "expected_version", 1.0);  // a double, even if integral
  expect_rejected(*document, "expected_version");
  set_value(*document, "expected_version", -1);
  expect_rejected(*document, "expected_version");
  document = good_command();
  (*document)["payload"].SetArray();
  expect_rejected(*document, "payload");
  (*document)["command_id"].SetNull();
  expect_rejected(*document, "command_id");
}

TEST(Envelope, EnforcesCommandIdLengthAndCharacters) {
  auto document = good_command();
  set_string(*document, "command_id", std::string(128, 'c'));
  EXPECT_TRUE(decode_command(*document));
  set_string(*document, "command_id", std::string(129, 'c'));
  expect_rejected(*document, "command_id");
  set_string(*document, "command_id", "");
  expect_rejected(*document, "command_id");
  set_string(*document, "command_id", "a\nb");
  expect_rejected(*document, "command_id");
  set_string(*document, "command_id", std::string("a\0b", 3));
  expect_rejected(*document, "command_id");
  set_string(*document, "command_id", "cmd-1");
  set_string(*document, "correlation_id", std::string(129, 'c'));
  expect_rejected(*document, "correlation_id");
}

TEST(Envelope, RejectsBadCommandTypes) {
  for (const std::string& type : std::vector<std::string>{
           "credits", "Credits.reserve", "credits.", ".credits", "credits..reserve",
           "credits.re-serve", "1credits.reserve", "credits._reserve", "credits.reserve ", "",
           "a." + std::string(63, 'b')}) {
    auto document = good_command();
    set_string(*document, "type", type);
    expect_rejected(*document, "type");
  }
  auto document = good_command();
  set_string(*document, "type", "media_buy.request_revision.v_two");
  EXPECT_TRUE(decode_command(*document));
  set_string(*document, "type", "a." + std::string(62, 'b'));  // 64 characters
  EXPECT_TRUE(decode_command(*document));
}

TEST(Envelope, RejectsBadTenantIds) {
  for (const char* tenant :
       {"3f2504e0-4f89-11d3-9a0c-0305e82c330", "3f2504e0-4f89-11d3-9a0c-0305e82c33011",
        "3f2504e04f8911d39a0c0305e82c3301", "3f2504e0_4f89_11d3_9a0c_0305e82c3301",
        "g f2504e0-4f89-11d3-9a0c-0305e82c330", "3g2504e0-4f89-11d3-9a0c-0305e82c3301",
        "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "tenant-1", ""}) {
    auto document = good_command();
    set_string(*document, "tenant_id", tenant);
    expect_rejected(*document, "tenant_id");
  }
  EXPECT_TRUE(is_uuid("3F2504E0-4f89-11D3-9a0c-0305e82c3301"));
  EXPECT_FALSE(is_uuid("3f2504e0-4f89-11d3-9a0c-0305e82c3301 "));
}

TEST(Envelope, RejectsBadActors) {
  for (const std::string& actor : std::vector<std::string>{
           "root", "user", "user:", "agent:", "admin:", "support:", "User:1", "system:", "systems",
           " user:1", "user:a\nb", "robot:1", "user:" + std::string(129, 'x')}) {
    auto document = good_command();
    set_string(*document, "actor", actor);
    expect_rejected(*document, "actor");
    EXPECT_FALSE(is_valid_actor(actor)) << actor;
  }
  for (const std::string& actor :
       std::vector<std::string>{"system", "user:42", "agent:copywriter", "admin:alice",
                                "support:bob", "user:" + std::string(128, 'x'), "user:a:b"}) {
    EXPECT_TRUE(is_valid_actor(actor)) << actor;
  }
}

TEST(Envelope, RejectsBadIssuedAt) {
  for (const char* issued_at : {"2024-02-30T00:00:00Z", "2024-02-29", "yesterday",
                                "2024-02-29T10:00:00", "1969-12-31T23:59:59Z", ""}) {
    auto document = good_command();
    set_string(*document, "issued_at", issued_at);
    expect_rejected(*document, "issued_at");
  }
  auto document = good_command();
  set_value(*document, "issued_at", int64_t{1700000000000});
  expect_rejected(*document, "issued_at");
}

// ---- refused commands: who sent them ------------------------------------------

std::unique_ptr<rapidjson::Document> parse_without_checks(std::string_view text) {
  auto parsed = parse_json_bounded(text, without_input_checks(JsonLimits{}));
  EXPECT_TRUE(parsed) << text;
  if (!parsed) return std::make_unique<rapidjson::Document>();
  return std::move(parsed.value());
}

TEST(Envelope, ABadEnvelopeWithReadableTenantAndCommandIdIsIdentified) {
  const auto document =
      parse_json(R"({"command_id":"c-7","tenant_id":"3F2504E0-4F89-11D3-9A0C-0305E82C3301",)"
                 R"("type":"credits.reserve","actor":"root","issued_at":"yesterday",)"
                 R"("correlation_id":"corr-1","payload":[]})");
  ASSERT_FALSE(decode_command(*document));
  const auto identity = identify_command(*document);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->command_id, "c-7");
  EXPECT_EQ(identity->tenant_id, kTenant);  // lower-cased
  EXPECT_EQ(identity->type, "credits.reserve");
  EXPECT_EQ(identity->actor, "system");  // "root" is no actor
  EXPECT_EQ(identity->correlation_id, "corr-1");
}

TEST(Envelope, AnUnreadableTypeIsThePlaceholderAndABadTypeIsKept) {
  const std::string base = std::string(R"({"command_id":"c","tenant_id":")") + kTenant + "\"";
  EXPECT_EQ(identify_command(*parse_json(base + "}"))->type, kUnreadableCommandType);
  EXPECT_EQ(identify_command(*parse_json(base + R"(,"type":7})"))->type, kUnreadableCommandType);
  EXPECT_EQ(identify_command(*parse_json(base + R"(,"type":""})"))->type, kUnreadableCommandType);
  EXPECT_EQ(identify_command(*parse_json(base + R"(,"type":"a\nb"})"))->type,
            kUnreadableCommandType);
  EXPECT_EQ(
      identify_command(*parse_json(base + R"(,"type":")" + std::string(129, 'x') + "\"}"))->type,
      kUnreadableCommandType);
  EXPECT_EQ(identify_command(*parse_json(base + R"(,"type":"Credits.Steal"})"))->type,
            "Credits.Steal");
  EXPECT_EQ(
      identify_command(*parse_json(base + R"(,"actor":"user:ann","correlation_id":5})"))->actor,
      "user:ann");
  EXPECT_FALSE(identify_command(*parse_json(base + R"(,"correlation_id":5})"))->correlation_id);
}

TEST(Envelope, NoIdentityWithoutAValidTenantIdAndCommandId) {
  const std::string tenant = std::string(R"("tenant_id":")") + kTenant + "\"";
  EXPECT_FALSE(identify_command(*parse_json("[]")));
  EXPECT_FALSE(identify_command(*parse_json("{" + tenant + "}")));
  EXPECT_FALSE(identify_command(*parse_json("{" + tenant + R"(,"command_id":7})")));
  EXPECT_FALSE(identify_command(*parse_json("{" + tenant + R"(,"command_id":""})")));
  EXPECT_FALSE(identify_command(*parse_json("{" + tenant + R"(,"command_id":"a\tb"})")));
  EXPECT_FALSE(identify_command(
      *parse_json("{" + tenant + R"(,"command_id":")" + std::string(129, 'c') + "\"}")));
  EXPECT_TRUE(identify_command(
      *parse_json("{" + tenant + R"(,"command_id":")" + std::string(128, 'c') + "\"}")));
  EXPECT_FALSE(identify_command(*parse_json(R"({"command_id":"c","tenant_id":"acme"})")));
  EXPECT_FALSE(identify_command(*parse_json(R"({"command_id":"c","tenant_id":7})")));
}

TEST(Envelope, ATenantIdOrCommandIdSentTwiceIdentifiesNobody) {
  const std::string tenant = std::string(R"("tenant_id":")") + kTenant + "\"";
  EXPECT_FALSE(identify_command(
      *parse_without_checks("{" + tenant + "," + tenant + R"(,"command_id":"c"})")));
  EXPECT_FALSE(identify_command(
      *parse_without_checks("{" + tenant + R"(,"command_id":"c","command_id":"d"})")));
  // A duplicate elsewhere leaves the identity readable; a twice-sent type is unreadable.
  const auto identity = identify_command(
      *parse_without_checks("{" + tenant + R"(,"command_id":"c","type":"a.b","type":"c.d"})"));
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->type, kUnreadableCommandType);
}

TEST(Envelope, AValidCommandIdentifiesItself) {
  const auto decoded = decode_command(*good_command());
  ASSERT_TRUE(decoded);
  const CommandIdentity identity = identity_of(*decoded);
  EXPECT_EQ(identity.command_id, "cmd-1");
  EXPECT_EQ(identity.tenant_id, kTenant);
  EXPECT_EQ(identity.type, "credits.reserve");
  EXPECT_EQ(identity.actor, "agent:copywriter");
  EXPECT_EQ(identity.correlation_id, "corr-9");
  EXPECT_EQ(identify_command(*good_command())->actor, identity.actor);
}

TEST(Envelope, CommitRecordsAreReadAsWrittenWithoutTheInputChecks) {
  // A record an older engine wrote may hold a payload's duplicate key or a
  // number the exact reading refuses: it must stay readable.
  const std::string record =
      std::string(R"({"tenant_id":")") + kTenant +
      R"(","command_id":"c","seq":1,"record_id":"01HZY3M9G6ZP8Q6F6G6J8K9M0N",)"
      R"("prev_record_id":"","writer":"w","events":[{"event_id":"01HZY3M9G6ZP8Q6F6G6J8K9M0P",)"
      R"("type":"audit.recorded","schema_version":1,"tenant_id":")" +
      kTenant +
      R"(","stream":"audit/x","stream_version":1,"command_id":"c","actor":"system",)"
      R"("occurred_at":"2024-01-01T00:00:00Z","payload":{"details":{"k":1,"k":2,)"
      R"("x":0.10000000000000001}}}]})";
  EXPECT_FALSE(parse_json_bounded(record, JsonLimits{}));
  const auto decoded = decode_commit_record(record, JsonLimits{});
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->events.size(), 1u);
}

TEST(Envelope, EncodedCommandDecodesToTheSameFields) {
  CommandEnvelope command;
  command.command_id = "cmd-\"quoted\"";
  command.type = "credits.topup";
  command.tenant_id = kTenant;
  command.actor = "admin:alice";
  command.issued_at_ms = 1709200800123;
  command.correlation_id = "corr";
  command.expected_version = 0;
  const std::string text = encode_command(command, R"({"topup_order_id":"o-1","credits":50})");
  const auto document = parse_json(text);
  const auto decoded = decode_command(*document);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->command_id, command.command_id);
  EXPECT_EQ(decoded->type, command.type);
  EXPECT_EQ(decoded->tenant_id, command.tenant_id);
  EXPECT_EQ(decoded->actor, command.actor);
  EXPECT_EQ(decoded->issued_at_ms, command.issued_at_ms);
  EXPECT_EQ(decoded->correlation_id, command.correlation_id);
  EXPECT_EQ(decoded->expected_version, command.expected_version);
  EXPECT_EQ(json_to_string(*decoded->payload), R"({"topup_order_id":"o-1","credits":50})");
  EXPECT_EQ(SchemaRegistry::embedded().validate_envelope("command", *document), std::nullopt);

  command.correlation_id.reset();
  command.expected_version.reset();
  const std::string minimal = encode_command(command, "{}");
  EXPECT_EQ(minimal.find("correlation_id"), std::string::npos);
  EXPECT_EQ(minimal.find("expected_version"), std::string::npos);
  EXPECT_TRUE(decode_command(*parse_json(minimal)));
}

// ---- commit records ----------------------------------------------------------

struct RecordFixture {
  UlidGenerator ids{11};
  CommitRecordHeader header;
  std::vector<OutgoingEvent> events;

  RecordFixture() {
    header.tenant_id = kTenant;
    header.command_id = "cmd-7";
    header.seq = 42;
    header.record_id = ids.next(1709200800000);
    header.prev_record_id = ids.next(1709200800000);
    header.writer = "engine-host-1";
    header.source = SourcePosition{"ledgerflow.commands", 3, 123456789};

    OutgoingEvent reserved;
    reserved.header = EventHeader{ids.next(1709200800001),
                                  "credits.reserved",
                                  2,
                                  kTenant,
                                  std::string("credits/") + kTenant,
                                  17,
                                  "cmd-7",
                                  "corr-1",
                                  "agent:copywriter",
                                  1709200800001};
    reserved.payload_json = R"({"reservation_id":"r-1","credits":300})";
    OutgoingEvent started;
    started.header = EventHeader{ids.next(1709200800001),
                                 "activity.run_started",
                                 2,
                                 kTenant,
                                 "activity/a-1",
                                 1,
                                 "cmd-7",
                                 std::nullopt,
                                 "agent:copywriter",
                                 1709200800002};
    started.payload_json = R"({"run_id":"run-1","nested":{"list":[1,"two",null]}})";
    events = {reserved, started};
  }

  std::string encode() const { return encode_commit_record(header, events); }
};

void expect_same_header(const EventHeader& decoded, const EventHeader& original) {
  EXPECT_EQ(decoded.event_id, original.event_id);
  EXPECT_EQ(decoded.type, original.type);
  EXPECT_EQ(decoded.schema_version, original.schema_version);
  EXPECT_EQ(decoded.tenant_id, original.tenant_id);
  EXPECT_EQ(decoded.stream, original.stream);
  EXPECT_EQ(decoded.stream_version, original.stream_version);
  EXPECT_EQ(decoded.command_id, original.command_id);
  EXPECT_EQ(decoded.correlation_id, original.correlation_id);
  EXPECT_EQ(decoded.actor, original.actor);
  EXPECT_EQ(decoded.occurred_at_ms, original.occurred_at_ms);
}

TEST(Envelope, CommitRecordRoundTripsFieldByField) {
  const RecordFixture fixture;
  const auto decoded = decode_commit_record(fixture.encode(), JsonLimits{});
  ASSERT_TRUE(decoded) << decoded.error().message;
  const CommitRecordHeader& header = decoded->header;
  EXPECT_EQ(header.tenant_id, fixture.header.tenant_id);
  EXPECT_EQ(header.command_id, fixture.header.command_id);
  EXPECT_EQ(header.seq, fixture.header.seq);
  EXPECT_EQ(header.record_id, fixture.header.record_id);
  EXPECT_EQ(header.prev_record_id, fixture.header.prev_record_id);
  EXPECT_EQ(header.writer, fixture.header.writer);
  ASSERT_TRUE(header.source);
  EXPECT_EQ(header.source->topic, "ledgerflow.commands");
  EXPECT_EQ(header.source->partition, 3);
  EXPECT_EQ(header.source->offset, 123456789);
  ASSERT_EQ(decoded->events.size(), fixture.events.size());
  for (std::size_t i = 0; i < fixture.events.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    const DecodedEvent& event = decoded->events[i];
    expect_same_header(event.header, fixture.events[i].header);
    ASSERT_NE(event.payload, nullptr);
    EXPECT_EQ(json_to_string(*event.payload), fixture.events[i].payload_json);
    ASSERT_NE(event.object, nullptr);
    EXPECT_EQ(event.object, &(*decoded->document)["events"][static_cast<rapidjson::SizeType>(i)]);
  }
  // The correlation_id of the second event is omitted, not null.
  EXPECT_EQ(json_member(*decoded->events[1].object, "correlation_id"), nullptr);
}

TEST(Envelope, TimerRecordWithoutSourceRoundTrips) {
  RecordFixture fixture;
  fixture.header.source.reset();
  fixture.header.seq = 1;
  fixture.header.prev_record_id = "";
  fixture.header.command_id = "";
  const std::string text = fixture.encode();
  EXPECT_EQ(text.find("\"source\""), std::string::npos);
  const auto decoded = decode_commit_record(text, JsonLimits{});
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->header.source, std::nullopt);
  EXPECT_EQ(decoded->header.prev_record_id, "");
  EXPECT_EQ(SchemaRegistry::embedded().validate_envelope("commit_record", *decoded->document),
            std::nullopt);
}

TEST(Envelope, DecodedRecordPointersSurviveAMove) {
  const RecordFixture fixture;
  auto decoded = decode_commit_record(fixture.encode(), JsonLimits{});
  ASSERT_TRUE(decoded);
  DecodedRecord moved = std::move(decoded.value());
  std::vector<DecodedRecord> records;
  records.push_back(std::move(moved));
  records.reserve(16);  // reallocates: the events' pointers must not care
  EXPECT_EQ(json_string(*records[0].events[0].payload, "reservation_id"), "r-1");
  EXPECT_EQ(json_string(*records[0].events[1].object, "type"), "activity.run_started");
}

TEST(Envelope, EncodedCommitRecordMatchesTheEnvelopeSchemas) {
  const RecordFixture fixture;
  const auto decoded = decode_commit_record(fixture.encode(), JsonLimits{});
  ASSERT_TRUE(decoded);
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  EXPECT_EQ(registry.validate_envelope("commit_record", *decoded->document), std::nullopt);
  for (const DecodedEvent& event : decoded->events) {
    EXPECT_EQ(registry.validate_envelope("event", *event.object), std::nullopt);
  }
}

// Replaces the value at `pointer` in the encoded fixture (or removes it when
// `replacement` is empty) and expects decoding to fail naming `field`.
void expect_record_rejected(const std::string& encoded, const char* pointer,
                            const char* replacement, const std::string& field) {
  auto document = parse_json(encoded);
  const rapidjson::Pointer target(pointer);
  if (std::string_view(replacement).empty()) {
    ASSERT_TRUE(target.Erase(*document)) << pointer;
  } else {
    const auto parsed = parse_json(replacement);
    // A deep copy: the replacement's strings live in the other document.
    rapidjson::Value value(*parsed, document->GetAllocator());
    target.Set(*document, value, document->GetAllocator());
  }
  const auto decoded = decode_commit_record(json_to_string(*document), JsonLimits{});
  ASSERT_FALSE(decoded) << pointer << " = " << replacement;
  EXPECT_EQ(decoded.error().code, "invalid_record");
  EXPECT_NE(decoded.error().message.find(field), std::string::npos)
      << "message does not name " << field << ": " << decoded.error().message;
}

TEST(Envelope, CommitRecordDecodeNamesEachMissingField) {
  const std::string encoded = RecordFixture().encode();
  for (const char* field :
       {"tenant_id", "command_id", "seq", "record_id", "prev_record_id", "writer", "events"}) {
    expect_record_rejected(encoded, (std::string("/") + field).c_str(), "", field);
  }
  for (const char* field : {"event_id", "type", "schema_version", "tenant_id", "stream",
                            "stream_version", "command_id", "actor", "occurred_at", "payload"}) {
    expect_record_rejected(encoded, (std::string("/events/1/") + field).c_str(), "",
                           std::string("events[1].") + field);
  }
  for (const char* field : {"topic", "partition", "offset"}) {
    expect_record_rejected(encoded, (std::string("/source/") + field).c_str(), "", field);
  }
}

TEST(Envelope, CommitRecordDecodeChecksValues) {
  const std::string encoded = RecordFixture().encode();
  expect_record_rejected(encoded, "/seq", "0", "seq");
  expect_record_rejected(encoded, "/seq", "\"42\"", "seq");
  expect_record_rejected(encoded, "/seq", "42.0", "seq");
  expect_record_rejected(encoded, "/events", "[]", "events");
  expect_record_rejected(encoded, "/events", "{}", "events");
  expect_record_rejected(encoded, "/events/0", "7", "events[0]");
  expect_record_rejected(encoded, "/record_id", "\"not-a-ulid\"", "record_id");
  expect_record_rejected(encoded, "/prev_record_id", "\"not-a-ulid\"", "prev_record_id");
  expect_record_rejected(encoded, "/source", "\"ledgerflow.commands\"", "source");
  expect_record_rejected(encoded, "/source/partition", "-1", "partition");
  expect_record_rejected(encoded, "/events/0/tenant_id", "\"00000000-0000-0000-0000-000000000000\"",
                         "events[0].tenant_id");
  expect_record_rejected(encoded, "/events/0/event_id", "\"01arz3ndektsv4rrffq69g5fav\"",
                         "events[0].event_id");
  expect_record_rejected(encoded, "/events/1/stream_version", "0", "events[1].stream_version");
  expect_record_rejected(encoded, "/events/1/schema_version", "0", "events[1].schema_version");
  expect_record_rejected(encoded, "/events/1/occurred_at", "\"2024-02-30T00:00:00Z\"",
                         "events[1].occurred_at");
  expect_record_rejected(encoded, "/events/1/payload", "[]", "events[1].payload");
  expect_record_rejected(encoded, "/events/1/correlation_id", "null", "events[1].correlation_id");
}

TEST(Envelope, CommitRecordDecodeAppliesTheJsonLimits) {
  const std::string encoded = RecordFixture().encode();
  const auto too_large = decode_commit_record(encoded, JsonLimits{encoded.size() - 1, 32});
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, "too_large");
  const auto too_deep = decode_commit_record(encoded, JsonLimits{1 << 20, 3});
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().code, "too_deep");
  // record > events > event > payload > "nested" > "list": six levels.
  EXPECT_TRUE(decode_commit_record(encoded, JsonLimits{encoded.size(), 6}));
  EXPECT_EQ(decode_commit_record(encoded, JsonLimits{encoded.size(), 5}).error().code, "too_deep");
  const auto not_object = decode_commit_record("[1]", JsonLimits{});
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().code, "invalid_record");
}

// ---- results -----------------------------------------------------------------

void expect_same_result(const ResultEnvelope& decoded, const ResultEnvelope& original) {
  EXPECT_EQ(decoded.command_id, original.command_id);
  EXPECT_EQ(decoded.tenant_id, original.tenant_id);
  EXPECT_EQ(decoded.type, original.type);
  EXPECT_EQ(decoded.status, original.status);
  EXPECT_EQ(decoded.reason, original.reason);
  EXPECT_EQ(decoded.message, original.message);
  EXPECT_EQ(decoded.event_ids, original.event_ids);
  EXPECT_EQ(decoded.seq, original.seq);
  EXPECT_EQ(decoded.correlation_id, original.correlation_id);
}

TEST(Envelope, ResultRoundTripsFieldByFieldAndMatchesTheSchema) {
  UlidGenerator ids(12);
  ResultEnvelope accepted{"cmd-1",
                          kTenant,
                          "credits.reserve",
                          ResultStatus::accepted,
                          "",
                          "reserved 300 credits",
                          {ids.next(1), ids.next(1)},
                          42,
                          "corr-1"};
  ResultEnvelope rejected{"cmd-2",
                          kTenant,
                          "credits.reserve",
                          ResultStatus::rejected,
                          "insufficient_credits",
                          "effective available is 10, 300 requested",
                          {ids.next(2)},
                          43,
                          std::nullopt};
  ResultEnvelope duplicate{"cmd-1",     kTenant,           "", ResultStatus::duplicate,
                           "",          "already applied", {}, std::nullopt,
                           std::nullopt};
  for (const ResultEnvelope& original : {accepted, rejected, duplicate}) {
    SCOPED_TRACE(std::string(to_string(original.status)));
    const std::string text = encode_result(original);
    const auto decoded = decode_result(text);
    ASSERT_TRUE(decoded) << decoded.error().message;
    expect_same_result(*decoded, original);
    EXPECT_EQ(SchemaRegistry::embedded().validate_envelope("result", *parse_json(text)),
              std::nullopt)
        << text;
  }
  const std::string minimal = encode_result(duplicate);
  for (const char* omitted : {"\"type\"", "\"reason\"", "\"seq\"", "\"correlation_id\"", "null"}) {
    EXPECT_EQ(minimal.find(omitted), std::string::npos) << omitted << " in " << minimal;
  }
}

TEST(Envelope, ResultDecodeRejectsBadFields) {
  const std::string good =
      R"({"command_id":"c","tenant_id":"t","status":"accepted","message":"m","event_ids":[]})";
  ASSERT_TRUE(decode_result(good));
  for (
      const auto& [text, field] : std::vector<std::pair<std::string, std::string>>{
          {R"({"tenant_id":"t","status":"accepted","message":"m","event_ids":[]})", "command_id"},
          {R"({"command_id":"c","tenant_id":"t","status":"ok","message":"m","event_ids":[]})",
           "status"},
          {R"({"command_id":"c","tenant_id":"t","status":"accepted","event_ids":[]})", "message"},
          {R"({"command_id":"c","tenant_id":"t","status":"accepted","message":"m"})", "event_ids"},
          {R"({"command_id":"c","tenant_id":"t","status":"accepted","message":"m","event_ids":[1]})",
           "event_ids"},
          {R"({"command_id":"c","tenant_id":"t","status":"accepted","message":"m","event_ids":[],"seq":0})",
           "seq"},
      }) {
    const auto decoded = decode_result(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error().code, "invalid_result");
    EXPECT_NE(decoded.error().message.find(field), std::string::npos) << decoded.error().message;
  }
  EXPECT_EQ(decode_result("").error().code, "empty");
  EXPECT_EQ(decode_result("[").error().code, "invalid_json");
}

TEST(Envelope, ResultStatusNames) {
  EXPECT_EQ(to_string(ResultStatus::accepted), "accepted");
  EXPECT_EQ(to_string(ResultStatus::rejected), "rejected");
  EXPECT_EQ(to_string(ResultStatus::duplicate), "duplicate");
}

}  // namespace
}  // namespace lf
