// What a tenant's import stream (audit/<tenant>, activities/<tenant>,
// media_buys/<tenant>, approvals/<tenant>) remembers of its imports, and
// its snapshot form.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/credits/state.hpp"
#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

// Each kind's progress (credits::ImportProgress by kind), and how many of
// the stream's events are imports.
struct StreamImports {
  std::map<std::string, credits::ImportProgress> by_kind;
  int64_t events = 0;
  bool operator==(const StreamImports&) const = default;
};

void write_stream_imports(JsonWriter& writer, const StreamImports& imports);
// `what` names the imports in an invalid_snapshot error ("audit imports").
Result<StreamImports> read_stream_imports(const rapidjson::Value& value, std::string_view what);

}  // namespace lf::engine::workflow
