// Commit records as a binary from before a schema change wrote them, for the
// upcasting tests (header-only, pure libraries only). Today's engine decides;
// these helpers rewrite its records into what the old binary would have put
// in the log for the same decisions: same header, seq, ids and chain, the
// changed events at their old schema_version and shape.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::testing {

inline const JsonLimits kOldRecordLimits{.max_bytes = 1 << 20, .max_depth = 64};

// activity.run_finished as version 1 wrote it: the members of `usage` at
// the top level, where `usage` stands (v1 had them last, as v2 has usage);
// what v3 added (error, usage.cost_usd_micros) v1 did not have.
inline std::string run_finished_v1_payload(const rapidjson::Value& current_payload) {
  JsonWriter writer;
  writer.begin_object();
  for (const auto& member : current_payload.GetObject()) {
    const std::string_view name = json_view(member.name);
    if (name == "error") continue;
    if (name != "usage") {
      writer.key(name);
      writer.value(member.value);
      continue;
    }
    for (const auto& meter : member.value.GetObject()) {
      if (json_view(meter.name) == "cost_usd_micros") continue;
      writer.key(json_view(meter.name));
      writer.value(meter.value);
    }
  }
  writer.end_object();
  return writer.str();
}

// `payload` without the members `dropped`, and with `renamed` values
// (member, from, to) as version 1 wrote them.
inline std::string v1_payload(const rapidjson::Value& payload,
                              std::initializer_list<std::string_view> dropped,
                              std::string_view member = {}, std::string_view from = {},
                              std::string_view to = {}) {
  JsonWriter writer;
  writer.begin_object();
  for (const auto& field : payload.GetObject()) {
    const std::string_view name = json_view(field.name);
    if (std::find(dropped.begin(), dropped.end(), name) != dropped.end()) continue;
    writer.key(name);
    if (name == member && field.value.IsString() && json_view(field.value) == from) {
      writer.string(to);
    } else {
      writer.value(field.value);
    }
  }
  writer.end_object();
  return writer.str();
}

struct OldRecord {
  std::string json;           // the record as the old binary wrote it
  int events_downgraded = 0;  // events written at an older version than today's
};

// `record_json` (written by today's engine) as written before
// activity.run_finished v2: its run_finished events at schema_version 1.
// With `catalogue_v1`, also activity.created (priority normal as medium, no
// input_data) and activity.run_started (no adapter, model or session) at
// version 1, as the binary before catalogue v2 wrote them.
inline OldRecord as_written_before_run_finished_v2(std::string_view record_json,
                                                   bool catalogue_v1 = false) {
  Result<DecodedRecord> decoded = decode_commit_record(record_json, kOldRecordLimits);
  EXPECT_TRUE(decoded.ok()) << record_json;
  if (!decoded.ok()) return {};
  OldRecord old;
  std::vector<OutgoingEvent> events;
  for (const DecodedEvent& event : decoded->events) {
    EXPECT_EQ(event.schema, UpcastOutcome::current) << event.header.type;
    OutgoingEvent outgoing{event.header, json_to_string(*event.payload)};
    if (event.header.type == "activity.run_finished") {
      EXPECT_EQ(event.header.schema_version, 3);
      outgoing.header.schema_version = 1;
      outgoing.payload_json = run_finished_v1_payload(*event.payload);
      ++old.events_downgraded;
    } else if (catalogue_v1 && event.header.type == "activity.created") {
      outgoing.header.schema_version = 1;
      outgoing.payload_json =
          v1_payload(*event.payload, {"input_data"}, "priority", "normal", "medium");
      ++old.events_downgraded;
    } else if (catalogue_v1 && event.header.type == "activity.run_started") {
      outgoing.header.schema_version = 1;
      outgoing.payload_json =
          v1_payload(*event.payload, {"adapter_type", "model_id", "session_id"});
      ++old.events_downgraded;
    }
    events.push_back(std::move(outgoing));
  }
  old.json = encode_commit_record(decoded->header, events);
  return old;
}

// A credits event's balance as version 1 wrote it: the period as two
// instants, the end exclusive. Exact for a UTC calendar period, whose start
// is the UTC midnight of period_start (what the tests downgrade).
inline void write_credits_v1_balance(JsonWriter& writer, const rapidjson::Value& balance) {
  writer.begin_object();
  const rapidjson::Value* next_reset_at = json_member(balance, "next_reset_at");
  for (const auto& member : balance.GetObject()) {
    const std::string_view name = json_view(member.name);
    if (name == "next_reset_at") continue;
    writer.key(name);
    if (name == "period_start") {
      const std::optional<int32_t> day = parse_date_days(json_view(member.value));
      EXPECT_TRUE(day.has_value());
      writer.string(format_rfc3339_ms(int64_t{day.value_or(0)} * kMillisPerDay));
    } else if (name == "period_end") {
      EXPECT_NE(next_reset_at, nullptr);
      writer.value(*next_reset_at);
    } else {
      writer.value(member.value);
    }
  }
  writer.end_object();
}

// A credits event of version 2 as version 1 wrote it (UTC calendar periods):
// credits.allocated's period as period_starts_at and next_reset_at under
// the old names, without timezone and series; the balance as above.
inline std::string credits_v1_payload(const rapidjson::Value& v2_payload) {
  JsonWriter writer;
  writer.begin_object();
  for (const auto& member : v2_payload.GetObject()) {
    const std::string_view name = json_view(member.name);
    if (name == "timezone") {
      EXPECT_EQ(json_view(member.value), "UTC");
      continue;
    }
    if (name == "period_starts_at" || name == "next_reset_at" || name == "series") continue;
    writer.key(name);
    if (name == "balance") {
      write_credits_v1_balance(writer, member.value);
    } else if (name == "period_start") {
      writer.value(*json_member(v2_payload, "period_starts_at"));
    } else if (name == "period_end") {
      writer.value(*json_member(v2_payload, "next_reset_at"));
    } else {
      writer.value(member.value);
    }
  }
  writer.end_object();
  return writer.str();
}

// `record_json` (written by today's engine, or already rewritten by
// as_written_before_run_finished_v2) as written before the credits events'
// version 2: its credits events at schema_version 1, every other event as
// the record holds it.
inline OldRecord as_written_before_credits_v2(std::string_view record_json) {
  Result<DecodedRecord> decoded = decode_commit_record(record_json, kOldRecordLimits);
  EXPECT_TRUE(decoded.ok()) << record_json;
  if (!decoded.ok()) return {};
  OldRecord old;
  std::vector<OutgoingEvent> events;
  for (const DecodedEvent& event : decoded->events) {
    OutgoingEvent outgoing{event.header, json_to_string(*json_member(*event.object, "payload"))};
    outgoing.header.schema_version = event.written_schema_version;
    if (event.header.type.starts_with("credits.")) {
      EXPECT_EQ(event.schema, UpcastOutcome::current) << event.header.type;
      EXPECT_EQ(event.header.schema_version, 2);
      outgoing.header.schema_version = 1;
      outgoing.payload_json = credits_v1_payload(*event.payload);
      ++old.events_downgraded;
    }
    events.push_back(std::move(outgoing));
  }
  old.json = encode_commit_record(decoded->header, events);
  return old;
}

}  // namespace lf::testing
