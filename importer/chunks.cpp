#include "importer/chunks.hpp"

#include <memory>
#include <string>

#include "engine/intake.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"

namespace lf::importer {

std::optional<Error> for_each_payload(
    const PrecheckInput& input, std::string_view command,
    const std::function<std::optional<Error>(const rapidjson::Value&)>& read) {
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  for (const std::string& payload : input.payloads) {
    Result<std::unique_ptr<rapidjson::Document>> document =
        parse_json_bounded(payload, engine::kCommandLimits);
    if (!document) return document.error();
    if (std::optional<std::string> problem =
            schemas.validate_command_payload(std::string(command), **document)) {
      return make_error("schema_violation", std::string(command) + " payload: " + *problem);
    }
    if (std::optional<Error> failed = read(**document)) return failed;
  }
  return std::nullopt;
}

}  // namespace lf::importer
