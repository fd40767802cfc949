// The intake's checks on one command message (engine/intake.hpp): what is
// refused, with which reason, and who it is addressed to.
#include "engine/intake.hpp"

#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace lf::engine {
namespace {

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";

std::string command(const std::string& type, const std::string& payload,
                    const std::string& tenant = kTenant) {
  return R"({"command_id":"c1","type":")" + type + R"(","tenant_id":")" + tenant +
         R"(","actor":"system","issued_at":"2026-11-10T12:00:00Z","payload":)" + payload + "}";
}

// The refusal of `read` (a copy: `read` is often a temporary).
RefusedCommand refused(const std::variant<ReadCommand, RefusedCommand>& read) {
  const auto* refusal = std::get_if<RefusedCommand>(&read);
  EXPECT_NE(refusal, nullptr);
  if (refusal == nullptr) return RefusedCommand{make_error("none", "it was read"), std::nullopt};
  return *refusal;
}

TEST(Intake, AReadableCommandIsReadWithItsPayload) {
  const auto read =
      read_command(command("credits.release", R"({"reservation_id":"r1"})"), kCommandLimits);
  const auto* ok = std::get_if<ReadCommand>(&read);
  ASSERT_NE(ok, nullptr) << refused(read).error.message;
  EXPECT_EQ(ok->envelope.type, "credits.release");
  EXPECT_EQ(json_string(*ok->envelope.payload, "reservation_id"), "r1");
  EXPECT_EQ(check_command(ok->envelope, std::nullopt), std::nullopt);
  EXPECT_EQ(check_command(ok->envelope, ""), std::nullopt);
  // Keys compare without case.
  EXPECT_EQ(check_command(ok->envelope, "6F1C2A9E-3B4D-4E5F-8A7B-1C2D3E4F5A6B"), std::nullopt);
}

// The engine reads every command into one reusable document: each reads as
// it would into a document of its own, refusals and who sent them included.
TEST(Intake, ReadingIntoAReusableDocumentReadsTheSame) {
  ReusableDocument into;
  const std::vector<std::string> texts = {
      command("credits.release", R"({"reservation_id":"r1"})"),
      "{",
      command("credits.release", R"({"reservation_id":"r1","reservation_id":"r2"})"),
      command("credits.topup", R"({"credits":0.10000000000000001})"),
      R"({"command_id":"c2","tenant_id":"t"})",
      command("credits.reserve", R"({"credits":"12","reservation_id":"r9"})", "tenant-b")};
  for (int round = 0; round < 2; ++round) {
    for (const std::string& text : texts) {
      const auto own = read_command(text, kCommandLimits);
      const auto reused = read_command(text, kCommandLimits, into);
      ASSERT_EQ(own.index(), reused.index()) << text;
      if (const auto* ok = std::get_if<ReadCommand>(&reused)) {
        EXPECT_EQ(ok->document, nullptr);
        const CommandEnvelope& mine = std::get<ReadCommand>(own).envelope;
        EXPECT_EQ(ok->envelope.command_id, mine.command_id);
        EXPECT_EQ(ok->envelope.tenant_id, mine.tenant_id);
        EXPECT_EQ(ok->envelope.type, mine.type);
        EXPECT_EQ(json_to_string(*ok->envelope.payload), json_to_string(*mine.payload));
        continue;
      }
      const RefusedCommand a = refused(own);
      const RefusedCommand b = refused(reused);
      EXPECT_EQ(a.error.code, b.error.code) << text;
      EXPECT_EQ(a.error.message, b.error.message) << text;
      ASSERT_EQ(a.identity.has_value(), b.identity.has_value()) << text;
      if (a.identity) {
        EXPECT_EQ(a.identity->command_id, b.identity->command_id);
      }
    }
  }
}

TEST(Intake, TextThatIsNotJsonHasNobodyToAnswer) {
  for (const std::string text : {"", "{", "\xff", "[1,2]"}) {
    const RefusedCommand refusal = refused(read_command(text, kCommandLimits));
    EXPECT_FALSE(refusal.error.code.empty()) << text;
    EXPECT_EQ(refusal.identity, std::nullopt) << text;
  }
}

TEST(Intake, JsonThatBreaksOnlyTheInputChecksStillNamesItsSender) {
  const std::string duplicate =
      command("credits.release", R"({"reservation_id":"r1","reservation_id":"r2"})");
  const RefusedCommand twice = refused(read_command(duplicate, kCommandLimits));
  EXPECT_EQ(twice.error.code, "invalid_json");
  ASSERT_TRUE(twice.identity.has_value());
  EXPECT_EQ(twice.identity->command_id, "c1");
  EXPECT_EQ(twice.identity->tenant_id, kTenant);
  const RefusedCommand inexact = refused(
      read_command(command("credits.topup", R"({"credits":0.10000000000000001})"), kCommandLimits));
  EXPECT_EQ(inexact.error.code, "inexact_number");
  EXPECT_TRUE(inexact.identity.has_value());
}

TEST(Intake, ABadEnvelopeIsRefusedToItsSender) {
  const RefusedCommand refusal = refused(read_command(
      command("credits.release", R"({"reservation_id":"r1"})", "not-a-uuid"), kCommandLimits));
  EXPECT_EQ(refusal.error.code, "invalid_envelope");
  EXPECT_EQ(refusal.identity, std::nullopt);  // no tenant to address it to
  const RefusedCommand no_type = refused(read_command(
      R"({"command_id":"c9","tenant_id":")" + std::string(kTenant) + R"("})", kCommandLimits));
  EXPECT_EQ(no_type.error.code, "invalid_envelope");
  ASSERT_TRUE(no_type.identity.has_value());
  EXPECT_EQ(no_type.identity->command_id, "c9");
}

TEST(Intake, TheLimitsAreTheEngines) {
  const std::string deep = std::string(33, '[') + std::string(33, ']');
  EXPECT_EQ(refused(read_command(deep, kCommandLimits)).error.code, "too_deep");
  const std::string big(kCommandLimits.max_bytes + 1, ' ');
  EXPECT_EQ(refused(read_command(big, kCommandLimits)).error.code, "too_large");
}

TEST(Intake, KeyTypeAndSchemaAreCheckedInThatOrder) {
  const auto wrong_everything = read_command(command("credits.explode", "{}"), kCommandLimits);
  ASSERT_TRUE(std::holds_alternative<ReadCommand>(wrong_everything));
  const CommandEnvelope& unknown = std::get<ReadCommand>(wrong_everything).envelope;
  const std::optional<Error> key = check_command(unknown, "someone-else");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->code, "key_mismatch");
  EXPECT_NE(key->message.find("someone-else"), std::string::npos) << key->message;
  const std::optional<Error> type = check_command(unknown, kTenant);
  ASSERT_TRUE(type.has_value());
  EXPECT_EQ(type->code, "unknown_command_type");

  const auto bad_payload =
      read_command(command("credits.reserve", R"({"credits":"many"})"), kCommandLimits);
  ASSERT_TRUE(std::holds_alternative<ReadCommand>(bad_payload));
  const std::optional<Error> schema =
      check_command(std::get<ReadCommand>(bad_payload).envelope, kTenant);
  ASSERT_TRUE(schema.has_value());
  EXPECT_EQ(schema->code, "schema_violation");
  EXPECT_NE(schema->message.find("credits.reserve payload"), std::string::npos) << schema->message;
}

TEST(Intake, AQuotedKeyIsPrintableAndBounded) {
  const auto read =
      read_command(command("credits.release", R"({"reservation_id":"r1"})"), kCommandLimits);
  ASSERT_TRUE(std::holds_alternative<ReadCommand>(read));
  const std::optional<Error> key =
      check_command(std::get<ReadCommand>(read).envelope, std::string(500, '\x01'));
  ASSERT_TRUE(key.has_value());
  EXPECT_LT(key->message.size(), 400u) << key->message;
  EXPECT_EQ(key->message.find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace lf::engine
