// Importing a seed platform's LLM calls (Leadmetrics llm_calls,
// docs/migrating.md "llm_calls"): the `import.llm_calls` command as a typed
// chunk of calls (each row the live usage.record_llm_call payload, read by
// the same parser), the rules a chunk must pass, and the one event it
// becomes, `usage.llm_calls_imported`, with each call's original
// created_on. A call counts into the tenant's spend only when it falls in
// the spend period in force when the engine decides its chunk; older calls
// are history (their month's spend was the platform's). The CLI pre-checks
// with these functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/import.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "engine/usage/commands.hpp"
#include "engine/usage/state.hpp"
#include "events/result.hpp"

namespace lf::engine::usage {

inline constexpr std::string_view kImportLlmCallsCommand = "import.llm_calls";
inline constexpr std::string_view kLlmCallsImportedEvent = "usage.llm_calls_imported";
inline constexpr std::string_view kLlmCallsKind = "llm_calls";

struct ImportedLlmCall {
  int64_t line = 0;
  RecordLlmCall call;  // created_on_ms set
  bool operator==(const ImportedLlmCall&) const = default;
};

struct LlmCallsChunk {
  std::string import_id;
  int64_t chunk = 0;
  int64_t chunks = 0;
  bool append = false;
  credits::ImportSource source;
  std::vector<ImportedLlmCall> rows;
  bool operator==(const LlmCallsChunk&) const = default;
};

std::string encode_llm_calls_chunk(const LlmCallsChunk& chunk);
// Never throws; the error code is the rejection reason (invalid_payload,
// invalid_row, invalid_amount).
Result<LlmCallsChunk> parse_llm_calls_chunk(const rapidjson::Value* payload);

// The decision on one chunk at now_ms (usage_stream_version: the tenant's
// usage events so far; credits: for the spend period in force).
Decision decide_llm_calls_chunk(const State& state, const credits::State& credits,
                                int64_t usage_stream_version, const LlmCallsChunk& chunk,
                                const std::string& stream, int64_t now_ms);

// Applies a usage.llm_calls_imported payload (the log is trusted: asserts).
void evolve_llm_calls_imported(State& state, const rapidjson::Value& payload);

// The CLI's pre-check: every chunk in order on a fresh tenant at now_ms;
// nullopt when all would be accepted, else the first refusal.
std::optional<Rejection> precheck_llm_calls_chunks(const std::vector<LlmCallsChunk>& chunks,
                                                   int64_t now_ms);

}  // namespace lf::engine::usage
