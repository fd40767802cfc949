// Commit records and row values for the projection tests, unit and
// integration alike (header-only, pure libraries only): a log that builds
// records event by event, encoded and decoded like any record on
// ledgerflow.events, and a readable, type-tagged form of a Value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "events/ulid.hpp"
#include "projections/row_batch.hpp"

namespace lf::testing {

// ---- records -----------------------------------------------------------------

struct EventSpec {
  std::string type;
  std::string stream;
  std::string payload;  // a JSON object, at schema_version
  int32_t schema_version = 1;
};

struct RecordLogOptions {
  bool check_payloads =
      false;               // each payload checked against its event schema (at its version) first
  uint64_t ulid_seed = 1;  // record and event ids, deterministic
};

// The time of a RecordLog's first record, and the limits its records are
// decoded with (those of a record read from ledgerflow.events).
inline const int64_t kRecordLogStartMs = *parse_rfc3339_ms("2026-11-10T12:00:00Z");
inline const JsonLimits kRecordLimits{.max_bytes = 1 << 20, .max_depth = 64};

// Commit records of one tenant, one second apart, in one partition's order:
// seq 1, 2, 3..., each naming the record before it and a position on
// ledgerflow.commands, as the engine writes them.
class RecordLog {
 public:
  explicit RecordLog(std::string tenant_id, RecordLogOptions options = {})
      : tenant_id_(std::move(tenant_id)),
        check_payloads_(options.check_payloads),
        ulids_(options.ulid_seed) {}

  // A record of `events`, all with the given actor; occurred_at is the
  // record's time (see time_of). Encoded, then decoded with kRecordLimits
  // and every check of a record read from the topic.
  const DecodedRecord& record(const std::vector<EventSpec>& events,
                              const std::string& actor = "user:ana") {
    const int64_t occurred_at_ms = time_of(records_.size());
    CommitRecordHeader header;
    header.tenant_id = tenant_id_;
    header.command_id = "cmd-" + std::to_string(records_.size() + 1);
    header.seq = static_cast<int64_t>(records_.size()) + 1;
    header.record_id = ulids_.next(occurred_at_ms);
    header.prev_record_id = last_record_id_;
    header.writer = "test";
    header.source = SourcePosition{"ledgerflow.commands", 0, header.seq - 1};
    std::vector<OutgoingEvent> outgoing;
    for (const EventSpec& spec : events) {
      if (check_payloads_) check_payload(spec);
      EventHeader event;
      event.event_id = ulids_.next(occurred_at_ms);
      event.type = spec.type;
      event.schema_version = spec.schema_version;
      event.tenant_id = tenant_id_;
      event.stream = spec.stream;
      event.stream_version = ++stream_versions_[spec.stream];
      event.command_id = header.command_id;
      event.actor = actor;
      event.occurred_at_ms = occurred_at_ms;
      outgoing.push_back(OutgoingEvent{std::move(event), spec.payload});
    }
    last_record_id_ = header.record_id;
    Result<DecodedRecord> decoded =
        decode_commit_record(encode_commit_record(header, outgoing), kRecordLimits);
    EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
    records_.push_back(std::move(decoded).value());
    return records_.back();
  }

  static int64_t time_of(std::size_t record_index) {
    return kRecordLogStartMs + static_cast<int64_t>(record_index) * kMillisPerSecond;
  }
  const std::deque<DecodedRecord>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  const DecodedRecord& at(std::size_t index) const { return records_.at(index); }

 private:
  static void check_payload(const EventSpec& spec) {
    Result<std::unique_ptr<rapidjson::Document>> payload = parse_json_trusted(spec.payload);
    ASSERT_TRUE(payload.ok()) << spec.payload;
    const std::optional<std::string> invalid = SchemaRegistry::embedded().validate_event_payload(
        spec.type, spec.schema_version, *payload.value());
    EXPECT_FALSE(invalid.has_value()) << spec.type << ": " << invalid.value_or("");
  }

  std::string tenant_id_;
  bool check_payloads_;
  UlidGenerator ulids_;
  std::deque<DecodedRecord> records_;  // a deque: record() hands out references
  std::map<std::string, int64_t> stream_versions_;
  std::string last_record_id_;
};

// ---- values ------------------------------------------------------------------

// A readable, type-tagged form of a value, for comparisons with good messages:
// "null", "int:7", "text:abc", "bool:true", "ts:2026-11-10T12:00:00.000Z",
// "date:2026-12-01", "json:{...}". A timestamp outside years 0000..9999 (one
// read back wrong, say) is given by its number of milliseconds instead.
inline std::string describe(const projections::Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, projections::Null>) {
          return "null";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return "int:" + std::to_string(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return "text:" + v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "bool:true" : "bool:false";
        } else if constexpr (std::is_same_v<T, projections::Timestamp>) {
          constexpr int64_t kFirstFormattableMs = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
          constexpr int64_t kLastFormattableMs = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
          if (v.unix_ms < kFirstFormattableMs || v.unix_ms > kLastFormattableMs) {
            return "ts:" + std::to_string(v.unix_ms);
          }
          return "ts:" + format_rfc3339_ms(v.unix_ms);
        } else if constexpr (std::is_same_v<T, projections::Date>) {
          return "date:" + format_date_days(v.days);
        } else {
          return "json:" + v.text;
        }
      },
      value);
}

}  // namespace lf::testing
