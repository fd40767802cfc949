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

}  // namespace lf::testing
