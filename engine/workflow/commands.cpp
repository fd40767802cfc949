// parse_command: from a command type and its payload to the typed command.
#include "engine/workflow/commands.hpp"

#include "engine/workflow/parsers.hpp"

namespace lf::engine::workflow {

Result<Command> parse_command(std::string_view type, const rapidjson::Value* payload) {
  if (payload == nullptr || !payload->IsObject()) {
    return make_error(kInvalidPayloadCode, "the payload is not an object");
  }
  Fields in(*payload);
  if (type.starts_with("media_buy.")) return parse_buy_command(type, in);
  if (type.starts_with("approval.")) return parse_approval_command(type, in);
  if (type.starts_with("activity.")) return parse_activity_command(type, in);
  if (type == "audit.record") return parse_record_audit(in);
  if (type == "tenant.configure") return parse_configure_tenant(in);
  return make_error("unknown_command_type", "no workflow command is called " + std::string(type));
}

}  // namespace lf::engine::workflow
