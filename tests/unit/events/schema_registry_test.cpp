// The embedded JSON Schemas: they all compile, every resource is known, and
// validation errors name the instance pointer, the keyword and the schema
// location.
#include "events/schema_registry.hpp"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "events/json.hpp"
#include "schemas/resources.hpp"
#include "tests/support/json.hpp"

namespace lf {
namespace {

using testing::parse_json;

std::string file_name(std::string_view path, std::string_view prefix) {
  std::string_view name = path.substr(prefix.size());
  return std::string(name.substr(0, name.size() - std::string_view(".json").size()));
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SchemaRegistry, CompilesEveryEmbeddedSchemaAndKnowsItsType) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  const auto commands = registry.command_types();
  for (const resources::Resource& resource : resources::under("commands/")) {
    const std::string type = file_name(resource.path, "commands/");
    EXPECT_TRUE(registry.knows_command(type)) << resource.path;
    EXPECT_TRUE(contains(commands, type)) << resource.path;
  }
  EXPECT_EQ(commands.size(), resources::under("commands/").size());
  const auto events = registry.event_types();
  EXPECT_EQ(events.size(), resources::under("events/").size());
  for (const resources::Resource& resource : resources::under("events/")) {
    EXPECT_TRUE(contains(events, file_name(resource.path, "events/"))) << resource.path;
  }
  EXPECT_TRUE(registry.knows_event("command.rejected", 1));
  EXPECT_FALSE(registry.knows_event("command.rejected", 2));
  EXPECT_FALSE(registry.knows_event("no.such_event", 1));
  EXPECT_FALSE(registry.knows_command("no.such_command"));
  EXPECT_EQ(&registry, &SchemaRegistry::embedded());
}

TEST(SchemaRegistry, EverySchemaIsDraft04WithTitleAndDescription) {
  for (const std::string_view prefix : {"commands/", "events/", "envelopes/"}) {
    for (const resources::Resource& resource : resources::under(prefix)) {
      const auto document = parse_json(resource.content);
      ASSERT_TRUE(document->IsObject()) << resource.path;
      EXPECT_EQ(json_string(*document, "$schema"), "http://json-schema.org/draft-04/schema#")
          << resource.path;
      EXPECT_TRUE(json_string(*document, "title")) << resource.path;
      EXPECT_TRUE(json_string(*document, "description")) << resource.path;
    }
  }
}

TEST(SchemaRegistry, KnowsEveryEnvelopeKind) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  const auto empty = parse_json("{}");
  for (const char* kind : {"command", "event", "commit_record", "result"}) {
    const auto error = registry.validate_envelope(kind, *empty);
    ASSERT_TRUE(error) << kind;  // every envelope has required fields
    EXPECT_NE(error->find("failed 'required'"), std::string::npos) << *error;
  }
  const auto unknown = registry.validate_envelope("no_such_kind", *empty);
  ASSERT_TRUE(unknown);
  EXPECT_NE(unknown->find("no_such_kind"), std::string::npos);
}

TEST(SchemaRegistry, CommitRecordInlinesTheEventEnvelope) {
  // commit_record.json carries a copy of event.json in #/definitions/event so
  // rapidjson needs no cross-file $ref: the two must not drift apart.
  auto event = parse_json(*resources::find("envelopes/event.json"));
  event->RemoveMember("$schema");
  const auto record = parse_json(*resources::find("envelopes/commit_record.json"));
  const rapidjson::Value* inlined = json_member(*json_member(*record, "definitions"), "event");
  ASSERT_NE(inlined, nullptr);
  EXPECT_TRUE(*inlined == *event) << json_to_string(*inlined) << "\n" << json_to_string(*event);
}

TEST(SchemaRegistry, ValidatesTheCommandRejectedPayload) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  const auto good = parse_json(
      R"({"command_type":"credits.reserve","reason":"insufficient_credits","message":"short"})");
  EXPECT_EQ(registry.validate_event_payload("command.rejected", 1, *good), std::nullopt);
}

TEST(SchemaRegistry, ErrorNamesMissingRequiredMembers) {
  const auto error = SchemaRegistry::embedded().validate_event_payload(
      "command.rejected", 1, *parse_json(R"({"command_type":"credits.reserve"})"));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind("/: failed 'required' at schema #", 0), 0u) << *error;
  EXPECT_NE(error->find("'reason'"), std::string::npos) << *error;
  EXPECT_NE(error->find("'message'"), std::string::npos) << *error;
  EXPECT_EQ(error->find("'command_type'"), std::string::npos) << *error;
}

TEST(SchemaRegistry, ErrorNamesPointerKeywordAndSchemaLocation) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  const auto wrong_type = registry.validate_event_payload(
      "command.rejected", 1, *parse_json(R"({"command_type":"a.b","reason":5,"message":"m"})"));
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(*wrong_type, "/reason: failed 'type' at schema #/properties/reason (expected string)");

  const auto pattern = registry.validate_event_payload(
      "command.rejected", 1,
      *parse_json(R"({"command_type":"a.b","reason":"Not-Snake","message":"m"})"));
  ASSERT_TRUE(pattern);
  EXPECT_EQ(pattern->rfind("/reason: failed 'pattern' at schema #/properties/reason", 0), 0u)
      << *pattern;

  const auto extra = registry.validate_event_payload(
      "command.rejected", 1,
      *parse_json(R"({"command_type":"a.b","reason":"r","message":"m","extra":1})"));
  ASSERT_TRUE(extra);
  EXPECT_NE(extra->find("failed 'additionalProperties' at schema #"), std::string::npos) << *extra;
  EXPECT_NE(extra->find("'extra'"), std::string::npos) << *extra;

  const auto root = registry.validate_event_payload("command.rejected", 1, *parse_json("[]"));
  ASSERT_TRUE(root);
  EXPECT_EQ(root->rfind("/: failed 'type' at schema #", 0), 0u) << *root;
}

TEST(SchemaRegistry, AnIntegerBeyondSixtyFourBitsIsOutOfRangeNotANonInteger) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  for (const std::string_view credits : {"1e20", "-1e19", "18446744073709551616"}) {
    const std::string payload =
        R"({"reservation_id":"r-1","credits":)" + std::string(credits) + "}";
    const auto error = registry.validate_command_payload("credits.reserve", *parse_json(payload));
    ASSERT_TRUE(error) << credits;
    EXPECT_NE(error->find("/credits: failed 'type'"), std::string::npos) << *error;
    EXPECT_NE(error->find("out of range"), std::string::npos) << *error;
    EXPECT_EQ(error->find("expected integer"), std::string::npos) << *error;
  }
  // A fraction is still not an integer, and a size the schema bounds says so.
  const auto fraction = registry.validate_command_payload(
      "credits.reserve", *parse_json(R"({"reservation_id":"r-1","credits":2.5})"));
  ASSERT_TRUE(fraction);
  EXPECT_NE(fraction->find("(expected integer)"), std::string::npos) << *fraction;
  const auto too_many = registry.validate_command_payload(
      "credits.reserve", *parse_json(R"({"reservation_id":"r-1","credits":9223372036854775807})"));
  ASSERT_TRUE(too_many);
  EXPECT_NE(too_many->find("failed 'maximum'"), std::string::npos) << *too_many;
}

TEST(SchemaRegistry, ErrorPointsIntoNestedEventsOfACommitRecord) {
  const auto record = parse_json(
      R"({"tenant_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","command_id":"c","seq":1,)"
      R"("record_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","prev_record_id":"","writer":"w","events":[)"
      R"({"event_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","type":"a.b","schema_version":1,)"
      R"("tenant_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","stream":"s","stream_version":0,"command_id":"c",)"
      R"("actor":"system","occurred_at":"2024-01-01T00:00:00.000Z","payload":{}}]})");
  const auto error = SchemaRegistry::embedded().validate_envelope("commit_record", *record);
  ASSERT_TRUE(error);
  EXPECT_EQ(*error,
            "/events/0/stream_version: failed 'minimum' at schema "
            "#/definitions/event/properties/stream_version (minimum 1)");
}

TEST(SchemaRegistry, EnvelopePatternsAcceptWhatTheDecodersAccept) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  auto command = parse_json(
      R"({"command_id":"c","type":"credits.reserve","tenant_id":"3F2504E0-4F89-11D3-9A0C-0305E82C3301",)"
      R"("actor":"support:bob","issued_at":"2024-02-29t10:00:00.5-05:30","payload":{},"extra":1})");
  EXPECT_EQ(registry.validate_envelope("command", *command), std::nullopt);
  (*command)["issued_at"].SetString("2024-02-29 10:00:00Z");
  const auto bad_time = registry.validate_envelope("command", *command);
  ASSERT_TRUE(bad_time);
  EXPECT_EQ(bad_time->rfind("/issued_at: failed 'pattern'", 0), 0u) << *bad_time;
  (*command)["issued_at"].SetString("2024-02-29T10:00:00Z");
  (*command)["type"].SetString("Credits.reserve");
  const auto bad_type = registry.validate_envelope("command", *command);
  ASSERT_TRUE(bad_type);
  EXPECT_EQ(bad_type->rfind("/type: failed 'pattern'", 0), 0u) << *bad_type;
  (*command)["type"].SetString("credits.reserve");
  (*command)["actor"].SetString("robot:1");
  const auto bad_actor = registry.validate_envelope("command", *command);
  ASSERT_TRUE(bad_actor);
  EXPECT_EQ(bad_actor->rfind("/actor: failed 'pattern'", 0), 0u) << *bad_actor;
}

TEST(SchemaRegistry, UnknownTypesAreReportedNotValid) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  const auto payload = parse_json("{}");
  const auto command = registry.validate_command_payload("no.such_command", *payload);
  ASSERT_TRUE(command);
  EXPECT_NE(command->find("no.such_command"), std::string::npos);
  const auto event = registry.validate_event_payload("command.rejected", 9, *payload);
  ASSERT_TRUE(event);
  EXPECT_NE(event->find("version 9"), std::string::npos);
}

TEST(SchemaRegistry, ValidatesConcurrentlyFromManyThreads) {
  const SchemaRegistry& registry = SchemaRegistry::embedded();
  const auto good = parse_json(R"({"command_type":"a.b","reason":"r","message":"m"})");
  const auto bad = parse_json(R"({"command_type":"a.b","reason":"R","message":"m"})");
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (registry.validate_event_payload("command.rejected", 1, *good)) ++failures[t];
        if (!registry.validate_event_payload("command.rejected", 1, *bad)) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t t = 0; t < failures.size(); ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace lf
