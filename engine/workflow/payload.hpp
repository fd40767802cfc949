// Read access to a command payload that passed its JSON Schema: required
// fields are there with their types, so a missing one is a defect (the
// schema and the decider disagree), reported as an empty value, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/workflow/state.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::engine::workflow {

class Payload {
 public:
  explicit Payload(const rapidjson::Value& value) : value_(value) { LF_ASSERT(value.IsObject()); }

  const rapidjson::Value& value() const { return value_; }
  std::string text(std::string_view name) const {
    return std::string(json_string(value_, name).value_or(""));
  }
  std::optional<std::string> optional_text(std::string_view name) const {
    std::optional<std::string_view> text = json_string(value_, name);
    if (!text) return std::nullopt;
    return std::string(*text);
  }
  bool flag(std::string_view name) const { return json_bool(value_, name).value_or(false); }
  int64_t integer(std::string_view name) const { return json_int64(value_, name).value_or(0); }
  std::optional<int64_t> optional_integer(std::string_view name) const { return json_int64(value_, name); }
  // A member the schema requires (an object or array); aborts when absent.
  const rapidjson::Value& member(std::string_view name) const {
    const rapidjson::Value* found = json_member(value_, name);
    LF_ASSERT_MSG(found != nullptr, "a payload lacks a member its schema requires");
    return *found;
  }

 private:
  const rapidjson::Value& value_;
};

// The version of activity.run_finished the engine writes (docs/domains/
// workflow.md "Event versions"): v2 carries what the run reported in `usage`.
inline constexpr int32_t kRunFinishedSchemaVersion = 2;

// activity.run_finished's "usage": {"input_tokens"?, "output_tokens"?,
// "duration_ms"?}, always present, empty when the run reported nothing.
inline void write_run_usage(JsonWriter& out, std::optional<int64_t> input_tokens,
                            std::optional<int64_t> output_tokens, std::optional<int64_t> duration_ms) {
  out.key("usage");
  out.begin_object();
  out.field("input_tokens", input_tokens);
  out.field("output_tokens", output_tokens);
  out.field("duration_ms", duration_ms);
  out.end_object();
}

// An approval's subject as its events carry it: "subject": {"kind", "id"}.
inline void write_subject(JsonWriter& out, SubjectKind kind, std::string_view id) {
  out.key("subject");
  out.begin_object();
  out.field("kind", to_string(kind));
  out.field("id", id);
  out.end_object();
}

}  // namespace lf::engine::workflow
