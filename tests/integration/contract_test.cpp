// Contract defects an independent client found, each kept as a test through
// the whole path (mock cluster, engine, projector, PostgreSQL): what the
// producer sees on ledgerflow.results, the dead letter with its origin, the
// command.rejected event on ledgerflow.events and the audit_log row.
#include <gtest/gtest.h>

#include "events/dead_letter.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kPartitions = 2;
const JsonLimits kRecordReadLimits{.max_bytes = 1 << 20, .max_depth = 64};

// A command's JSON with every envelope field under the test's control.
std::string envelope(const std::string& fields) {
  return "{" + fields + "}";
}

std::string field(const std::string& name, const std::string& text) {
  return "\"" + name + "\":\"" + text + "\"";
}

class Contract : public ::testing::Test {
 protected:
  Contract() : pipeline_(options()) {}

  static PipelineOptions options() {
    PipelineOptions options;
    options.partitions = kPartitions;
    return options;
  }

  int32_t home(const std::string& tenant) const { return partition_for_key(tenant, kPartitions); }

  // Produces one message to the commands topic (partition -1: by key) and
  // returns where it landed.
  kafka::DeliveryReport send(OutgoingRecord record) {
    return pipeline_.kafka().produce(pipeline_.topics().commands(), {std::move(record)}).front();
  }
  kafka::DeliveryReport send(const std::string& key, const std::string& value,
                             int32_t partition = -1) {
    return send(OutgoingRecord{key, value, {}, partition});
  }

  // The `count`-th result for `command_id` (1: the first), waiting for it.
  ResultEnvelope result(const std::string& command_id, int count = 1) {
    std::optional<ResultEnvelope> found;
    wait_until(
        [&] {
          pipeline_.client().poll_results(10);
          int seen = 0;
          for (const ResultEnvelope& result : pipeline_.client().results()) {
            if (result.command_id == command_id && ++seen == count) found = result;
          }
          return found.has_value();
        },
        30s);
    EXPECT_TRUE(found) << "no result " << count << " for " << command_id
                       << "; services: " << pipeline_.service_failures();
    return found.value_or(ResultEnvelope{});
  }

  // Every dead letter whose origin is `topic`/`partition`/`offset`.
  std::vector<KafkaRecord> dead_letters_from(int32_t partition, int64_t offset) {
    std::vector<KafkaRecord> letters;
    for (int32_t p = 0; p < kPartitions; ++p) {
      for (KafkaRecord& record :
           pipeline_.kafka().read_partition(pipeline_.topics().deadletter(), p)) {
        if (record.header(std::string(kDlqTopicHeader)) == pipeline_.topics().commands() &&
            record.header(std::string(kDlqPartitionHeader)) == std::to_string(partition) &&
            record.header(std::string(kDlqOffsetHeader)) == std::to_string(offset)) {
          letters.push_back(std::move(record));
        }
      }
    }
    return letters;
  }

  // The one dead letter of the command at `at`, waiting for it.
  KafkaRecord dead_letter(const kafka::DeliveryReport& at) {
    std::vector<KafkaRecord> letters;
    wait_until(
        [&] {
          letters = dead_letters_from(at.partition, at.offset);
          return !letters.empty();
        },
        30s, 50ms);
    EXPECT_EQ(letters.size(), 1u) << "dead letters of offset " << at.offset << " in partition "
                                  << at.partition << "; services: " << pipeline_.service_failures();
    return letters.empty() ? KafkaRecord{} : letters.front();
  }

  // The command.rejected events of `command_id` in the tenant's partition
  // of ledgerflow.events, as JSON (the event envelope), in log order.
  std::vector<std::string> rejected_events(const std::string& tenant,
                                           const std::string& command_id) {
    std::vector<std::string> events;
    for (const KafkaRecord& record :
         pipeline_.kafka().read_partition(pipeline_.topics().events(), home(tenant))) {
      Result<DecodedRecord> decoded = decode_commit_record(record.value, kRecordReadLimits);
      EXPECT_TRUE(decoded) << decoded.error().message;
      if (!decoded || decoded->header.command_id != command_id ||
          decoded->header.tenant_id != tenant)
        continue;
      for (const DecodedEvent& event : decoded->events) {
        if (event.header.type == "command.rejected")
          events.push_back(json_to_string(*event.object));
      }
    }
    return events;
  }

  struct AuditRow {
    std::string operation, principal_id, error_message;
    bool success = true;
  };
  std::vector<AuditRow> audit_rows(const std::string& tenant, const std::string& command_id) {
    EXPECT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
    pqxx::work work(pipeline_.db());
    const pqxx::result rows = work.exec_params(
        "SELECT operation, principal_id, success, error_message FROM audit_log "
        "WHERE tenant_id = $1 AND command_id = $2 ORDER BY event_id",
        tenant, command_id);
    std::vector<AuditRow> found;
    for (const pqxx::row& row : rows) {
      found.push_back(AuditRow{row[0].as<std::string>(), row[1].as<std::string>(""),
                               row[3].as<std::string>(""), row[2].as<bool>()});
    }
    return found;
  }

  // Everything a rejection must leave: the result, one command.rejected
  // event (with `actor` and `command_type`) and one audit row.
  void expect_rejected_everywhere(const std::string& tenant, const std::string& command_id,
                                  const std::string& reason, const std::string& actor,
                                  const std::string& command_type) {
    SCOPED_TRACE(command_id);
    const std::vector<std::string> events = rejected_events(tenant, command_id);
    ASSERT_EQ(events.size(), 1u) << "command.rejected events of " << command_id;
    Result<std::unique_ptr<rapidjson::Document>> event =
        parse_json_bounded(events[0], kRecordReadLimits);
    ASSERT_TRUE(event);
    EXPECT_EQ(json_string(**event, "actor"), actor);
    EXPECT_EQ(json_string(**event, "stream"), "audit/" + tenant);
    const rapidjson::Value& payload = (**event)["payload"];
    EXPECT_EQ(json_string(payload, "reason"), reason);
    EXPECT_EQ(json_string(payload, "command_type"), command_type);
    const std::vector<AuditRow> rows = audit_rows(tenant, command_id);
    ASSERT_EQ(rows.size(), 1u) << "audit_log rows of " << command_id;
    EXPECT_EQ(rows[0].operation, command_type);
    EXPECT_FALSE(rows[0].success);
    EXPECT_EQ(rows[0].principal_id, actor);
    EXPECT_EQ(rows[0].error_message.rfind(reason + ": ", 0), 0u) << rows[0].error_message;
  }

  // The dead letter keeps the command unchanged and names its origin.
  void expect_dead_letter(const kafka::DeliveryReport& at, const OutgoingRecord& sent,
                          const std::string& code) {
    const KafkaRecord letter = dead_letter(at);
    EXPECT_EQ(letter.value, sent.value);
    EXPECT_EQ(letter.null_value, sent.null_value);
    EXPECT_EQ(letter.key, sent.key);
    EXPECT_EQ(letter.null_key, sent.null_key);
    EXPECT_EQ(letter.header(std::string(kDlqCodeHeader)), code);
    EXPECT_EQ(letter.header(std::string(kDlqStageHeader)), "engine");
    EXPECT_FALSE(letter.header(std::string(kDlqMessageHeader)).empty());
  }

  void expect_consistent() {
    ASSERT_TRUE(pipeline_.wait_projected()) << pipeline_.service_failures();
    for (const verify::Difference& difference : pipeline_.verify())
      ADD_FAILURE() << verify::to_string(difference);
    EXPECT_EQ(pipeline_.service_failures(), "");
  }

  Pipeline pipeline_;
};

// ---- 1. a dead letter keeps key and value exactly: null stays null, empty stays empty

TEST_F(Contract, EmptyAndNullKeysAndValuesAreDeadLetteredAsTheyCame) {
  struct Case {
    std::string name;
    OutgoingRecord record;
    std::string code;
  };
  const std::string tenant = random_tenant();
  // A command whose ids are readable but whose actor is not: rejected and
  // dead-lettered, through the path that re-sends the key and value.
  auto readable = [&](const std::string& id) {
    return envelope(field("command_id", id) + "," + field("tenant_id", tenant) + "," +
                    field("actor", "root"));
  };
  std::vector<Case> cases = {
      {"null key, null value", OutgoingRecord{"", "", {}, 0, true, true}, "empty"},
      {"empty key, empty value", OutgoingRecord{"", "", {}, 0, false, false}, "empty"},
      {"null key, empty value", OutgoingRecord{"", "", {}, 1, true, false}, "empty"},
      {"empty key, null value", OutgoingRecord{"", "", {}, 1, false, true}, "empty"},
      {"empty key, not JSON", OutgoingRecord{"", "nope", {}, 0, false, false}, "invalid_json"},
      {"null key, not JSON", OutgoingRecord{"", "nope", {}, 1, true, false}, "invalid_json"},
      {"empty key, bad envelope",
       OutgoingRecord{"", readable("e1"), {}, home(tenant), false, false}, "invalid_envelope"},
      {"null key, bad envelope", OutgoingRecord{"", readable("n1"), {}, home(tenant), true, false},
       "invalid_envelope"},
  };
  for (const Case& each : cases) {
    SCOPED_TRACE(each.name);
    const kafka::DeliveryReport at = send(each.record);
    const KafkaRecord letter = dead_letter(at);
    // librdkafka: a NULL pointer is null; a non-NULL pointer with length 0 is empty.
    EXPECT_EQ(letter.null_key, each.record.null_key);
    EXPECT_EQ(letter.null_value, each.record.null_value);
    EXPECT_EQ(letter.key, "");
    EXPECT_EQ(letter.value, each.record.value);
    EXPECT_EQ(letter.header(std::string(kDlqCodeHeader)), each.code);
  }
  EXPECT_EQ(result("e1").reason, "invalid_envelope");
  EXPECT_EQ(result("n1").reason, "invalid_envelope");
  expect_rejected_everywhere(tenant, "e1", "invalid_envelope", "system",
                             kUnreadableCommandType.data());
  expect_consistent();
}

// ---- 2. readable tenant_id and command_id, bad envelope: a rejected result

TEST_F(Contract, ABadEnvelopeWithReadableIdsGetsARejectedResultAndADeadLetter) {
  const std::string tenant = random_tenant();
  const std::string issued = field("issued_at", format_rfc3339_ms(system_now_ms()));
  const std::string payload = R"("payload":{"reservation_id":"r","credits":1})";
  auto command = [&](const std::string& id, const std::string& rest) {
    return envelope(field("command_id", id) + "," + field("tenant_id", tenant) + "," + rest);
  };
  struct Case {
    std::string id, json, names, actor, command_type;
  };
  const std::vector<Case> cases = {
      {"actor-root",
       command("actor-root", field("type", "credits.reserve") + "," + field("actor", "root") + "," +
                                 issued + "," + payload),
       "actor", "system", "credits.reserve"},
      {"issued-yesterday",
       command("issued-yesterday", field("type", "credits.reserve") + "," +
                                       field("actor", "user:ann") + "," +
                                       field("issued_at", "yesterday") + "," + payload),
       "issued_at", "user:ann", "credits.reserve"},
      {"no-type", command("no-type", field("actor", "agent:writer") + "," + issued + "," + payload),
       "type", "agent:writer", "unknown"},
      {"payload-array",
       command("payload-array", field("type", "credits.reserve") + "," + field("actor", "system") +
                                    "," + issued + R"(,"payload":[1,2])"),
       "payload", "system", "credits.reserve"},
  };
  for (const Case& each : cases) {
    SCOPED_TRACE(each.id);
    const OutgoingRecord sent{tenant, each.json, {}, -1};
    const kafka::DeliveryReport at = send(sent);
    const ResultEnvelope rejected = result(each.id);
    EXPECT_EQ(rejected.status, ResultStatus::rejected);
    EXPECT_EQ(rejected.reason, "invalid_envelope");
    EXPECT_EQ(rejected.tenant_id, tenant);
    EXPECT_NE(rejected.message.find(each.names), std::string::npos) << rejected.message;
    EXPECT_EQ(rejected.event_ids.size(), 1u);
    EXPECT_EQ(rejected.type, each.command_type == "unknown" ? "" : each.command_type);
    expect_dead_letter(at, sent, "invalid_envelope");
    expect_rejected_everywhere(tenant, each.id, "invalid_envelope", each.actor, each.command_type);
  }
  // Unreadable ids: nothing to address a result to, the dead letter only.
  const OutgoingRecord anonymous{
      tenant, envelope(field("command_id", "x") + "," + field("tenant_id", "acme")), {}, -1};
  expect_dead_letter(send(anonymous), anonymous, "invalid_envelope");
  expect_consistent();
  for (const ResultEnvelope& each : pipeline_.client().results()) EXPECT_NE(each.command_id, "x");
}

// ---- 3. every rejection: one command.rejected event and one audit row

TEST_F(Contract, EveryRejectionLeavesOneCommandRejectedEventAndAnAuditRow) {
  const std::string tenant = random_tenant();
  const std::string reserve = R"({"reservation_id":"r","credits":5})";
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"schema",
       command_json("credits.reserve", tenant, "schema",
                    R"({"reservation_id":"r","credits":"many"})"),
       "schema_violation"},
      {"unknown", command_json("credits.steal", tenant, "unknown", "{}"), "unknown_command_type"},
      {"short", command_json("credits.reserve", tenant, "short", reserve, "agent:writer"),
       "insufficient_credits"},
  };
  for (const auto& [id, json, reason] : cases) {
    SCOPED_TRACE(id);
    const OutgoingRecord sent{tenant, json, {}, -1};
    const kafka::DeliveryReport at = send(sent);
    EXPECT_EQ(result(id).reason, reason);
    const std::string type = id == "unknown" ? "credits.steal" : "credits.reserve";
    if (reason != "insufficient_credits") expect_dead_letter(at, sent, reason);
    expect_rejected_everywhere(tenant, id, reason, id == "short" ? "agent:writer" : "system", type);
  }

  // A key of another tenant in that tenant's partition: re-routed, key and
  // value unchanged, to the command's tenant's partition, and rejected there.
  std::string other = random_tenant();
  while (home(other) == home(tenant)) other = random_tenant();
  const std::string mismatched =
      command_json("credits.reserve", tenant, "mismatch", reserve, "user:ann");
  const kafka::DeliveryReport wrong = send(other, mismatched);
  ASSERT_EQ(wrong.partition, home(other));
  const ResultEnvelope rejected = result("mismatch");
  EXPECT_EQ(rejected.reason, "key_mismatch");
  EXPECT_NE(rejected.message.find(other), std::string::npos) << rejected.message;
  std::optional<KafkaRecord> letter;
  ASSERT_TRUE(wait_until(
      [&] {
        for (int32_t p = 0; p < kPartitions; ++p) {
          for (KafkaRecord& record :
               pipeline_.kafka().read_partition(pipeline_.topics().deadletter(), p)) {
            if (record.value == mismatched) letter = std::move(record);
          }
        }
        return letter.has_value();
      },
      30s, 50ms));
  EXPECT_EQ(letter->key, other);
  EXPECT_EQ(letter->header(std::string(kDlqCodeHeader)), "key_mismatch");
  EXPECT_EQ(letter->header(std::string(kDlqPartitionHeader)), std::to_string(home(tenant)));
  EXPECT_EQ(letter->header("ledgerflow.rerouted_from"), pipeline_.topics().commands() + "/" +
                                                            std::to_string(wrong.partition) + "/" +
                                                            std::to_string(wrong.offset));
  expect_rejected_everywhere(tenant, "mismatch", "key_mismatch", "user:ann", "credits.reserve");

  // The same refused command again: decided once (a duplicate), dead-lettered again.
  const OutgoingRecord again{
      tenant, command_json("credits.reserve", tenant, "schema", "{}"), {}, -1};
  const kafka::DeliveryReport second = send(again);
  const ResultEnvelope duplicate = result("schema", 2);
  EXPECT_EQ(duplicate.status, ResultStatus::duplicate);
  EXPECT_EQ(duplicate.event_ids, result("schema", 1).event_ids);
  expect_dead_letter(second, again, "schema_violation");
  expect_rejected_everywhere(tenant, "schema", "schema_violation", "system", "credits.reserve");
  expect_consistent();
}

// ---- 4. a duplicate key is invalid_json, and the command is still answered

TEST_F(Contract, ADuplicateKeyIsInvalidJsonNamingTheKey) {
  const std::string tenant = random_tenant();
  const std::string json = command_json("credits.reserve", tenant, "twice",
                                        R"({"reservation_id":"r","credits":1,"credits":900})");
  const OutgoingRecord sent{tenant, json, {}, -1};
  const kafka::DeliveryReport at = send(sent);
  const ResultEnvelope rejected = result("twice");
  EXPECT_EQ(rejected.status, ResultStatus::rejected);
  EXPECT_EQ(rejected.reason, "invalid_json");
  EXPECT_NE(rejected.message.find("duplicate key \"credits\""), std::string::npos)
      << rejected.message;
  EXPECT_NE(rejected.message.find("byte offset " + std::to_string(json.rfind("\"credits\"") + 9)),
            std::string::npos)
      << rejected.message;
  expect_dead_letter(at, sent, "invalid_json");
  expect_rejected_everywhere(tenant, "twice", "invalid_json", "system", "credits.reserve");
  // A duplicated tenant_id names nobody: the dead letter only.
  const OutgoingRecord ambiguous{tenant,
                                 "{" + field("tenant_id", tenant) + "," +
                                     field("tenant_id", random_tenant()) + "," +
                                     field("command_id", "ambiguous") + "}",
                                 {},
                                 -1};
  expect_dead_letter(send(ambiguous), ambiguous, "invalid_json");
  expect_consistent();
  for (const ResultEnvelope& each : pipeline_.client().results())
    EXPECT_NE(each.command_id, "ambiguous");
}

// ---- 5. an out-of-range number says so

TEST_F(Contract, AnOutOfRangeNumberSaysOutOfRange) {
  const std::string tenant = random_tenant();
  const OutgoingRecord huge{
      tenant,
      command_json("credits.reserve", tenant, "huge",
                   R"({"reservation_id":"r","credits":99999999999999999999})"),
      {},
      -1};
  const kafka::DeliveryReport huge_at = send(huge);
  const ResultEnvelope huge_result = result("huge");
  EXPECT_EQ(huge_result.reason, "inexact_number");
  EXPECT_NE(huge_result.message.find("99999999999999999999"), std::string::npos)
      << huge_result.message;
  EXPECT_NE(huge_result.message.find("out of range"), std::string::npos) << huge_result.message;
  expect_dead_letter(huge_at, huge, "inexact_number");
  expect_rejected_everywhere(tenant, "huge", "inexact_number", "system", "credits.reserve");

  const OutgoingRecord exponent{tenant,
                                command_json("credits.reserve", tenant, "exponent",
                                             R"({"reservation_id":"r","credits":1e20})"),
                                {},
                                -1};
  const kafka::DeliveryReport exponent_at = send(exponent);
  const ResultEnvelope exponent_result = result("exponent");
  EXPECT_EQ(exponent_result.reason, "schema_violation");
  EXPECT_NE(exponent_result.message.find("out of range"), std::string::npos)
      << exponent_result.message;
  EXPECT_EQ(exponent_result.message.find("expected integer"), std::string::npos)
      << exponent_result.message;
  expect_dead_letter(exponent_at, exponent, "schema_violation");
  expect_rejected_everywhere(tenant, "exponent", "schema_violation", "system", "credits.reserve");
  expect_consistent();
}

// ---- 6. numbers are exact: a decimal is its literal, an inexact one is refused

TEST_F(Contract, ADecimalIsKeptExactlyAndAnInexactNumberIsRejected) {
  const std::string tenant = random_tenant();
  auto audit = [&](const std::string& id, const std::string& number) {
    return command_json(
        "audit.record", tenant, id,
        R"({"operation":"bid","resource_type":"campaign","resource_id":"c-1","success":true,)"
        R"("details":{"budget":)" +
            number + "}}",
        "user:ann");
  };
  EXPECT_EQ(pipeline_.submit_one(tenant, audit("exact", "5000.5")).status, ResultStatus::accepted);
  EXPECT_EQ(pipeline_.submit_one(tenant, audit("micro", "0.012345")).status,
            ResultStatus::accepted);

  const OutgoingRecord inexact{tenant, audit("inexact", "0.10000000000000001"), {}, -1};
  const kafka::DeliveryReport at = send(inexact);
  const ResultEnvelope rejected = result("inexact");
  EXPECT_EQ(rejected.status, ResultStatus::rejected);
  EXPECT_EQ(rejected.reason, "inexact_number");
  EXPECT_EQ(rejected.type, "audit.record");
  EXPECT_NE(rejected.message.find("0.10000000000000001"), std::string::npos) << rejected.message;
  EXPECT_NE(rejected.message.find("byte offset " + std::to_string(inexact.value.find("0.1000"))),
            std::string::npos)
      << rejected.message;
  EXPECT_NE(rejected.message.find("as a string"), std::string::npos) << rejected.message;
  expect_dead_letter(at, inexact, "inexact_number");
  expect_rejected_everywhere(tenant, "inexact", "inexact_number", "user:ann", "audit.record");

  ASSERT_TRUE(pipeline_.wait_projected());
  pqxx::work work(pipeline_.db());
  EXPECT_EQ(
      work.exec_params1(
              "SELECT (details->>'budget') FROM audit_log WHERE tenant_id = $1 AND command_id = $2",
              tenant, "exact")[0]
          .as<std::string>(),
      "5000.5");
  EXPECT_EQ(
      work.exec_params1(
              "SELECT (details->>'budget') FROM audit_log WHERE tenant_id = $1 AND command_id = $2",
              tenant, "micro")[0]
          .as<std::string>(),
      "0.012345");
  work.commit();
  expect_consistent();
}

}  // namespace
}  // namespace lf::testing
