// Payload schemas, the ledger sign of each event, typed event round trips,
// and the snapshot codec.
#include <gtest/gtest.h>

#include "engine/credits/codec.hpp"
#include "engine/credits/period.hpp"
#include "tests/unit/credits/harness.hpp"

namespace lf::engine::credits::testing {
namespace {

std::optional<std::string> command_problem(const std::string& type,
                                           const std::string& payload_json) {
  return SchemaRegistry::embedded().validate_command_payload(type, *parse_json(payload_json));
}

TEST(Credits, EveryCommandAndEventHasASchema) {
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  for (const char* type :
       {"allocate", "topup", "reserve", "consume", "release", "refund", "adjust"}) {
    EXPECT_TRUE(schemas.knows_command(std::string("credits.") + type)) << type;
  }
  for (const char* type : {"allocated", "topped_up", "reserved", "released", "consumed", "refunded",
                           "adjusted", "expired"}) {
    EXPECT_TRUE(schemas.knows_event(std::string("credits.") + type, 1)) << type;
    EXPECT_TRUE(schemas.knows_event(std::string("credits.") + type, kEventSchemaVersion)) << type;
  }
}

TEST(Credits, CommandSchemasHoldTheLimits) {
  EXPECT_FALSE(command_problem("credits.reserve", reserve_payload("r", 1)));
  EXPECT_TRUE(command_problem("credits.reserve", reserve_payload("r", 0)));
  EXPECT_TRUE(command_problem("credits.reserve", reserve_payload("r", kCreditsPerCommandMax + 1)));
  EXPECT_FALSE(command_problem("credits.reserve", reserve_payload("r", kCreditsPerCommandMax)));
  EXPECT_TRUE(command_problem("credits.reserve", reserve_payload("", 1)));
  EXPECT_TRUE(command_problem("credits.reserve", reserve_payload(std::string(129, 'r'), 1)));
  EXPECT_FALSE(command_problem("credits.reserve", reserve_payload(std::string(128, 'r'), 1)));
  EXPECT_TRUE(
      command_problem("credits.reserve", reserve_payload("r", 1, ",\"expires_at\":\"tomorrow\"")));
  EXPECT_TRUE(command_problem("credits.reserve", reserve_payload("r", 1, ",\"colour\":\"red\"")));
  EXPECT_TRUE(command_problem("credits.reserve", "{\"reservation_id\":\"r\",\"credits\":2.5}"));
  EXPECT_FALSE(command_problem("credits.consume", consume_payload("r", 0)));
  EXPECT_TRUE(command_problem("credits.consume", consume_payload("r", -1)));
  EXPECT_TRUE(command_problem("credits.adjust", amount_payload(0)));
  EXPECT_FALSE(command_problem("credits.adjust", amount_payload(-kCreditsPerCommandMax)));
  EXPECT_TRUE(command_problem("credits.adjust", amount_payload(-kCreditsPerCommandMax - 1)));
  EXPECT_TRUE(command_problem("credits.adjust", "{\"credits\":5}"));  // note is required
  EXPECT_TRUE(command_problem("credits.refund", amount_payload(5, "")));
  EXPECT_FALSE(command_problem("credits.allocate", allocate_payload(0, "2026-11-01T00:00:00Z",
                                                                    "2026-12-01T00:00:00+01:00")));
  EXPECT_TRUE(command_problem(
      "credits.allocate", allocate_payload(-1, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")));
  EXPECT_FALSE(
      command_problem("credits.allocate", allocate_payload(1, "2026-11-01", "2026-11-30")));
  EXPECT_FALSE(command_problem("credits.allocate",
                               allocate_payload(1, "2026-11-01", "2026-11-30", "Asia/Kolkata")));
  EXPECT_TRUE(command_problem("credits.allocate", allocate_payload(1, "2026-11-1", "2026-11-30")));
  EXPECT_TRUE(command_problem("credits.allocate", allocate_payload(1, "20261101", "2026-11-30")));
  EXPECT_TRUE(command_problem(
      "credits.allocate", allocate_payload(1, "2026-11-01", "2026-11-30", std::string(65, 'z'))));
  EXPECT_TRUE(command_problem("credits.topup", "{\"credits\":5}"));
  EXPECT_FALSE(command_problem("credits.release", release_payload("r")));
}

TEST(Credits, EffectiveDeltaSignsEachEventType) {
  auto delta = [](const char* type, const char* payload) {
    return effective_delta(type, *parse_json(payload));
  };
  EXPECT_EQ(delta("credits.allocated", "{\"credits\":10}"), 10);
  EXPECT_EQ(delta("credits.topped_up", "{\"credits\":10}"), 10);
  EXPECT_EQ(delta("credits.reserved", "{\"credits\":10}"), -10);
  EXPECT_EQ(delta("credits.released", "{\"credits\":10}"), 10);
  EXPECT_EQ(delta("credits.consumed", "{\"credits\":10}"), -10);
  EXPECT_EQ(delta("credits.refunded", "{\"credits\":10}"), 10);
  EXPECT_EQ(delta("credits.adjusted", "{\"credits\":-10}"), -10);
  EXPECT_EQ(delta("credits.expired", "{\"credits\":10}"), -10);
  EXPECT_EQ(delta("command.rejected", "{\"reason\":\"x\"}"), 0);
}

const PeriodSpan kKolkataDecember{
    day("2026-12-01"),          day("2026-12-31"), at("2026-11-30T18:30:00Z"),
    at("2026-12-31T18:30:00Z"), "Asia/Kolkata",    PeriodSeries::calendar};
const PeriodSpan kLegacyInstants{day("2026-11-01"),
                                 day("2026-12-01"),
                                 at("2026-11-01T06:00:00Z"),
                                 at("2026-12-01T06:00:00Z"),
                                 "UTC",
                                 PeriodSeries::instants};

TEST(Credits, TypedEventsSurviveEncodeAndDecode) {
  const Balance with_period{
      1, 2, 3, 4, 5, 7, day("2026-12-01"), day("2026-12-31"), at("2026-12-31T18:30:00Z")};
  const Balance without_period{1, 2, 3, 4, 5, 7, std::nullopt, std::nullopt, std::nullopt};
  const std::vector<Event> events{
      Allocated{1000, kKolkataDecember, AllocationReason::renewal, 0, LotCredits{"lapsing:3", 7}},
      Allocated{0, kLegacyInstants, AllocationReason::allocate, 12, std::nullopt},
      ToppedUp{"ord", 5, std::nullopt},
      ToppedUp{"ord", 5, 1'700'000'000'123},
      Reserved{"r", 5, 1'700'000'000'000, "run", std::nullopt},
      Released{"r", 5, ReleaseReason::expired, std::nullopt},
      Consumed{"r", 5, "run", "video", {LotCredits{"topup:a:b", 2}, LotCredits{"monthly", 3}}},
      Refunded{5, "why", std::nullopt},
      Adjusted{-5, "why", {LotCredits{"lapsing:1", 5}}},
      Adjusted{5, "why", {}},
      Expired{0, ExpiryReason::topup_expired, "topup:x", "x", LotCredits{"lapsing:2", 9}},
  };
  for (const Balance& balance : {with_period, without_period}) {
    for (const Event& event : events) {
      const std::string json = encode_event_payload(event, balance);
      auto payload = parse_json(json);
      EXPECT_EQ(SchemaRegistry::embedded().validate_event_payload(event_type(event),
                                                                  kEventSchemaVersion, *payload),
                std::nullopt)
          << json;
      EXPECT_EQ(decode_event(event_type(event), *payload), event) << json;
      EXPECT_EQ(decode_balance(*payload), balance) << json;
    }
  }
}

// A UTC period of instants, its dates those of its first and last millisecond.
Period instants_period(const char* start, const char* end) {
  const int64_t start_ms = at(start);
  const int64_t end_ms = at(end);
  return start_period(PeriodSpan{static_cast<int32_t>(start_ms / kMillisPerDay),
                                 static_cast<int32_t>((end_ms - 1) / kMillisPerDay), start_ms,
                                 end_ms, "UTC", PeriodSeries::instants});
}
// A UTC calendar period of dates.
Period calendar_period(const char* start, const char* end) {
  return start_period(PeriodSpan{day(start), day(end), int64_t{day(start)} * kMillisPerDay,
                                 (int64_t{day(end)} + 1) * kMillisPerDay, "UTC",
                                 PeriodSeries::calendar});
}

TEST(Credits, PeriodsOfWholeMonthsAreRecognised) {
  EXPECT_EQ(instants_period("2025-01-31T00:00:00Z", "2025-02-28T00:00:00Z").length_months, 1);
  EXPECT_EQ(instants_period("2025-01-31T00:00:00Z", "2025-03-01T00:00:00Z").length_months, 0);
  EXPECT_EQ(instants_period("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z").length_months, 12);
  EXPECT_EQ(instants_period("2025-01-01T00:00:00Z", "2025-02-01T00:00:01Z").length_months, 0);
  EXPECT_EQ(instants_period("2025-01-01T00:00:00Z", "2025-01-31T00:00:00Z").length_months, 0);
  EXPECT_EQ(calendar_period("2025-01-31", "2025-02-27").length_months, 1);
  EXPECT_EQ(calendar_period("2025-01-31", "2025-02-28").length_months, 0);
  EXPECT_EQ(calendar_period("2026-12-01", "2026-12-31").length_months, 1);
  EXPECT_EQ(calendar_period("2026-01-01", "2026-03-31").length_months, 3);
  EXPECT_EQ(calendar_period("2026-01-15", "2026-02-14").length_months, 1);
  EXPECT_EQ(calendar_period("2025-01-01", "2025-12-31").length_months, 12);
  EXPECT_EQ(calendar_period("2025-01-01", "2025-01-30").length_months, 0);
  EXPECT_EQ(calendar_period("2024-02-01", "2024-02-29").length_months, 1);
  EXPECT_EQ(calendar_period("2024-02-01", "2024-02-28").length_months, 0);
}

Harness busy_tenant() {
  Harness harness(at("2026-11-10T12:00:00Z"));
  harness.run("credits.topup", topup_payload("early", 40));
  harness.run("credits.allocate",
              allocate_payload(1000, "2026-10-31T00:00:00Z", "2026-11-30T00:00:00Z"));
  harness.run("credits.topup",
              topup_payload("t1", 500, ",\"expires_at\":\"2026-11-10T13:00:00Z\""));
  harness.run("credits.reserve",
              reserve_payload("r1", 1500,
                              ",\"activity_run_id\":\"run\",\"deliverable_type\":\"x\","
                              "\"expires_at\":\"2026-11-20T00:00:00Z\""));
  harness.run("credits.reserve", reserve_payload("r2", 10));
  harness.run("credits.consume", consume_payload("r2", 5));
  harness.set_now(at("2026-11-10T13:00:00Z"));
  harness.tick();
  return harness;
}

TEST(Credits, SnapshotRoundTripsTheState) {
  const Harness harness = busy_tenant();
  ASSERT_FALSE(harness.state().book.lapsing_lots.empty());
  JsonWriter writer;
  write_state(writer, harness.state());
  auto document = parse_json(writer.view());
  Result<State> read = read_state(*document);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, harness.state());
  EXPECT_EQ(next_due_ms(*read), next_due_ms(harness.state()));
}

TEST(Credits, SnapshotReadRefusesBrokenStates) {
  const Harness harness = busy_tenant();
  JsonWriter writer;
  write_state(writer, harness.state());
  const std::string good = writer.str();
  auto broken = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const std::size_t at_offset = text.find(from);
    EXPECT_NE(at_offset, std::string::npos) << from;
    if (at_offset != std::string::npos) text.replace(at_offset, from.size(), to);
    auto document = parse_json(text);
    Result<State> read = read_state(*document);
    EXPECT_FALSE(read.ok()) << text;
    if (!read.ok()) {
      EXPECT_EQ(read.error().code, "invalid_snapshot");
    }
  };
  broken("\"reserved_credits\":1500", "\"reserved_credits\":1499");
  broken("\"version\":2", "\"version\":3");
  broken("\"series\":\"calendar\"", "\"series\":\"lunar\"");
  broken("\"end_day\":", "\"end_day\":1,\"x\":");
  broken("\"recently_closed\":[\"r2\"]", "\"recently_closed\":[\"r2\",\"r2\"]");
  broken("\"recently_closed\":[\"r2\"]", "\"recently_closed\":[\"r1\"]");
  broken("\"monthly_remaining_credits\":", "\"monthly_remaining_credits\":\"x\",\"m\":");
  broken("\"topup_orders_seen\":[", "\"topup_orders_seen\":[1,");
  auto not_object = parse_json("[]");
  EXPECT_FALSE(read_state(*not_object).ok());
}

// ---- what the previous binary wrote -------------------------------------------

// A snapshot as the previous binary wrote it (version 1: a period of
// instants only), of a tenant with one allocation of 1,000.
std::string v1_snapshot(const char* start, const char* end) {
  const std::string start_ms = std::to_string(at(start));
  return R"({"version":1,"credits_monthly":1000,"period":{"start_ms":)" + start_ms +
         R"(,"end_ms":)" + std::to_string(at(end)) + R"(,"anchor_ms":)" + start_ms +
         R"(,"length_months":1,"end_months_from_anchor":1},"monthly_remaining_credits":1000,)"
         R"("topup_lots":[],"lapsing_lots":[],"lapsing_lot_number_next":1,"reserved_credits":0,)"
         R"("consumed_in_period_credits":0,"consumed_lifetime_credits":0,)"
         R"("refunded_lifetime_credits":0,"reservations":[],"recently_closed":[],)"
         R"("topup_orders_seen":[]})";
}

// The same tenant folded from the log the previous binary wrote: its v1
// credits.allocated, upcast as every reader upcasts it.
State folded_from_v1_allocated(const char* start, const char* end) {
  const std::string period = R"("period_start":")" + format_rfc3339_ms(at(start)) +
                             R"(","period_end":")" + format_rfc3339_ms(at(end)) + R"(")";
  auto document = parse_json(
      R"({"credits":1000,"credits_monthly":1000,)" + period +
      R"(,"reason":"allocate","carried_over":0,"balance":{"credits_monthly":1000,)"
      R"("credits_available":1000,"credits_reserved":0,"credits_consumed":0,"credits_topup":0,)"
      R"("effective_available":1000,)" +
      period + "}}");
  EXPECT_EQ(SchemaRegistry::embedded().validate_event_payload("credits.allocated", 1, *document),
            std::nullopt);
  EventHeader header;
  header.type = "credits.allocated";
  header.schema_version = 1;
  UpcasterRegistry::embedded().upcast(header.type, header.schema_version, *document,
                                      document->GetAllocator());
  EXPECT_EQ(header.schema_version, kEventSchemaVersion);
  State state;
  evolve(state, header, *document);
  return state;
}

TEST(Credits, SnapshotOfThePreviousVersionLoadsAsItsUpcastLog) {
  struct Case {
    const char* start;
    const char* end;
    const char* first_day;
    const char* last_day;
    PeriodSeries series;  // calendar for UTC midnights: v1 renewed those by the calendar too
  };
  for (const Case& test : {
           Case{"2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-11-01", "2026-11-30",
                PeriodSeries::calendar},
           Case{"2026-11-01T10:00:00Z", "2026-12-01T10:00:00Z", "2026-11-01", "2026-12-01",
                PeriodSeries::instants},
           Case{"1970-01-01T00:00:00Z", "1970-02-01T00:00:00Z", "1970-01-01", "1970-01-31",
                PeriodSeries::calendar},
       }) {
    SCOPED_TRACE(test.start);
    Result<State> read = read_state(*parse_json(v1_snapshot(test.start, test.end)));
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_TRUE(read->book.period.has_value());
    const PeriodSpan& span = read->book.period->span;
    EXPECT_EQ(span.series, test.series);
    EXPECT_EQ(span.time_zone, "UTC");
    EXPECT_EQ(span.start_ms, at(test.start));
    EXPECT_EQ(span.end_ms, at(test.end));
    EXPECT_EQ(span.start_day, day(test.first_day));
    EXPECT_EQ(span.end_day, day(test.last_day));
    EXPECT_EQ(read->book.period->length_months, 1);
    EXPECT_EQ(*read, folded_from_v1_allocated(test.start, test.end));
    // Written again, it is a snapshot of this version that reads back the same.
    JsonWriter writer;
    write_state(writer, *read);
    EXPECT_NE(writer.view().find("\"version\":2"), std::string::npos);
    Result<State> again = read_state(*parse_json(writer.view()));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *read);
  }
}

TEST(Credits, SnapshotOfThePreviousVersionRenewsAsV1Did) {
  Result<State> read =
      read_state(*parse_json(v1_snapshot("2026-11-01T10:00:00Z", "2026-12-01T10:00:00Z")));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(next_due_ms(*read), at("2026-12-01T10:00:00Z"));
  const std::vector<NewEvent> fired =
      due(*read, kTenant, Context{at("2026-12-01T10:00:00Z"), nullptr});
  ASSERT_EQ(fired.size(), 2u);  // the month's 1,000 lapse, the renewal
  auto renewal = parse_json(fired[1].payload_json);
  EXPECT_EQ(json_string(*renewal, "period_starts_at"), "2026-12-01T10:00:00.000Z");
  EXPECT_EQ(json_string(*renewal, "next_reset_at"), "2027-01-01T10:00:00.000Z");
  EXPECT_EQ(json_string(*renewal, "period_start"), "2026-12-01");
  EXPECT_EQ(json_string(*renewal, "period_end"), "2027-01-01");
  EXPECT_EQ(json_string(*renewal, "series"), "instants");
  // A broken one is still refused.
  Result<State> broken =
      read_state(*parse_json(v1_snapshot("2026-12-01T10:00:00Z", "2026-11-01T10:00:00Z")));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "invalid_snapshot");
}

}  // namespace
}  // namespace lf::engine::credits::testing
