// The intake's checks on one command message (engine/intake.hpp).
#include "engine/intake.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "engine/tenant.hpp"
#include "events/schema_registry.hpp"

namespace lf::engine {

namespace {

// The part of a message key quoted in a key_mismatch sentence, at most.
constexpr std::size_t kQuotedKeyBytesMax = 64;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Parse errors after which the text is still JSON, so that who sent it may
// be read with the checks off.
bool readable_without_checks(const Error& error) {
  return error.code == "invalid_json" || error.code == "inexact_number";
}

}  // namespace

namespace {

// What read_command makes of `value` once parsed (into `document`, or not).
std::variant<ReadCommand, RefusedCommand> read_parsed(
    const Result<const rapidjson::Value*>& document, std::string_view value,
    const JsonLimits& limits) {
  if (!document) {
    std::optional<CommandIdentity> identity;
    if (readable_without_checks(document.error())) {
      Result<std::unique_ptr<rapidjson::Document>> lenient =
          parse_json_bounded(value, without_input_checks(limits));
      if (lenient) identity = identify_command(**lenient);
    }
    return RefusedCommand{document.error(), std::move(identity)};
  }
  Result<CommandEnvelope> command = decode_command(**document);
  if (!command) return RefusedCommand{command.error(), identify_command(**document)};
  return ReadCommand{nullptr, std::move(command).value()};
}

}  // namespace

std::variant<ReadCommand, RefusedCommand> read_command(std::string_view value,
                                                       const JsonLimits& limits) {
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(value, limits);
  const Result<const rapidjson::Value*> root =
      document ? Result<const rapidjson::Value*>(document->get())
               : Result<const rapidjson::Value*>(document.error());
  std::variant<ReadCommand, RefusedCommand> read = read_parsed(root, value, limits);
  // Moving the document keeps its values where the envelope points.
  if (auto* command = std::get_if<ReadCommand>(&read))
    command->document = std::move(document).value();
  return read;
}

std::variant<ReadCommand, RefusedCommand> read_command(std::string_view value,
                                                       const JsonLimits& limits,
                                                       ReusableDocument& into) {
  return read_parsed(into.parse_bounded(value, limits), value, limits);
}

std::optional<Error> check_command(const CommandEnvelope& command,
                                   std::optional<std::string_view> key) {
  LF_ASSERT(command.payload != nullptr && command.payload->IsObject());
  if (key && !key->empty() && lower(*key) != command.tenant_id) {
    return make_error("key_mismatch", "the message key '" +
                                          printable_excerpt(*key, kQuotedKeyBytesMax) +
                                          "' is not the command's tenant_id " + command.tenant_id +
                                          " (key each command by its tenant_id)");
  }
  const SchemaRegistry& schemas = SchemaRegistry::embedded();
  if (!schemas.knows_command(command.type) || !knows_command(command.type)) {
    return make_error("unknown_command_type", "no command type " + command.type);
  }
  if (std::optional<std::string> problem =
          schemas.validate_command_payload(command.type, *command.payload)) {
    return make_error("schema_violation", command.type + " payload: " + *problem);
  }
  return std::nullopt;
}

}  // namespace lf::engine
