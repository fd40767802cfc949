// A tenant's chunk payloads read back as the engine reads a command's
// payload, for every kind's pre-check (importer/kinds.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "events/result.hpp"
#include "importer/kinds.hpp"

namespace lf::importer {

// Each payload parsed within the engine's command limits and checked
// against `command`'s schema, then handed to `read`; the first error
// (`read`'s own, or the parse's, or schema_violation), or nullopt.
std::optional<Error> for_each_payload(
    const PrecheckInput& input, std::string_view command,
    const std::function<std::optional<Error>(const rapidjson::Value&)>& read);

// The tenant's chunks, each read by `parse` (the engine's parser of the
// kind's command), or the first error.
template <typename Chunk>
Result<std::vector<Chunk>> read_chunks(const PrecheckInput& input, std::string_view command,
                                       Result<Chunk> (*parse)(const rapidjson::Value*)) {
  std::vector<Chunk> chunks;
  chunks.reserve(input.payloads.size());
  const std::optional<Error> failed = for_each_payload(
      input, command, [&](const rapidjson::Value& payload) -> std::optional<Error> {
        Result<Chunk> chunk = parse(&payload);
        if (!chunk) return chunk.error();
        chunks.push_back(std::move(chunk).value());
        return std::nullopt;
      });
  if (failed) return *failed;
  return chunks;
}

// An Error as the pre-check's refusal.
inline engine::Rejection refusal_of(const Error& error) {
  return engine::Rejection{error.code, error.message};
}

}  // namespace lf::importer
