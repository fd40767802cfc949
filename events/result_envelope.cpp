// Results (ledgerflow.results): encoding and decoding. The format is
// described at the top of envelope.cpp.
#include "events/envelope.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include "events/envelope_fields.hpp"
#include "events/time.hpp"
#include "events/ulid.hpp"

namespace lf {

using namespace envelope_fields;

// ---- results -----------------------------------------------------------------

std::string_view to_string(ResultStatus status) {
  switch (status) {
    case ResultStatus::accepted:
      return "accepted";
    case ResultStatus::rejected:
      return "rejected";
    case ResultStatus::duplicate:
      return "duplicate";
  }
  LF_ASSERT_MSG(false, "unknown ResultStatus");
  return "unknown";
}

std::string encode_result(const ResultEnvelope& result) {
  // This runs for every command: the writer and its buffer are reused (the
  // function calls no other encoder while it writes).
  thread_local JsonWriter writer;
  writer.reuse();
  writer.begin_object();
  writer.field("command_id", result.command_id);
  writer.field("tenant_id", result.tenant_id);
  if (!result.type.empty()) writer.field("type", result.type);
  writer.field("status", to_string(result.status));
  if (!result.reason.empty()) writer.field("reason", result.reason);
  writer.field("message", result.message);
  writer.key("event_ids");
  writer.begin_array();
  for (const std::string& event_id : result.event_ids) writer.string(event_id);
  writer.end_array();
  writer.field("seq", result.seq);
  writer.field("correlation_id", result.correlation_id);
  writer.end_object();
  return writer.str();
}

Result<ResultEnvelope> decode_result(std::string_view bytes) {
  // A reader decodes results one after another: parsed into memory kept
  // between them (a fresh document allocates 64 KiB for each). Everything
  // is copied out before the next parse.
  thread_local ReusableDocument document;
  Result<const rapidjson::Value*> parsed = document.parse_bounded(bytes, JsonLimits{});
  if (!parsed) return parsed.error();
  const rapidjson::Value& root = **parsed;
  if (!root.IsObject()) return make_error("invalid_result", "a result must be a JSON object");

  const FieldReader reader(root, "invalid_result", "result ");
  std::optional<Error> failure;
  ResultEnvelope result;
  LF_TRY_FIELD(result.command_id, reader.string("command_id", failure));
  LF_TRY_FIELD(result.tenant_id, reader.string("tenant_id", failure));
  if (reader.find("type") != nullptr) LF_TRY_FIELD(result.type, reader.string("type", failure));

  std::string_view status;
  LF_TRY_FIELD(status, reader.string("status", failure));
  if (status == "accepted") {
    result.status = ResultStatus::accepted;
  } else if (status == "rejected") {
    result.status = ResultStatus::rejected;
  } else if (status == "duplicate") {
    result.status = ResultStatus::duplicate;
  } else {
    return reader.error("status", "must be accepted, rejected or duplicate");
  }
  if (reader.find("reason") != nullptr)
    LF_TRY_FIELD(result.reason, reader.string("reason", failure));
  LF_TRY_FIELD(result.message, reader.string("message", failure));

  const rapidjson::Value* event_ids = reader.find("event_ids");
  if (event_ids == nullptr) return reader.error("event_ids", "is missing");
  if (!event_ids->IsArray()) return reader.error("event_ids", "must be an array");
  for (const rapidjson::Value& event_id : event_ids->GetArray()) {
    if (!event_id.IsString()) return reader.error("event_ids", "must hold only strings");
    result.event_ids.emplace_back(json_view(event_id));
  }
  if (reader.find("seq") != nullptr) {
    int64_t seq = 0;
    LF_TRY_FIELD(seq, reader.int64("seq", failure));
    if (seq < 1) return reader.error("seq", "must be at least 1");
    result.seq = seq;
  }
  if (reader.find("correlation_id") != nullptr) {
    LF_TRY_FIELD(result.correlation_id, reader.string("correlation_id", failure));
  }
  return result;
}

}  // namespace lf
