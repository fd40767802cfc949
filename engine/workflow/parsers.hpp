// The per-family command parsers behind parse_command (commands.hpp).
// Internal to engine/workflow.
#pragma once

#include <string_view>

#include "engine/workflow/commands.hpp"
#include "engine/workflow/fields.hpp"

namespace lf::engine::workflow {

// media_buy.*, approval.*: commands_review.cpp.
Result<Command> parse_buy_command(std::string_view type, Fields& in);
Result<Command> parse_approval_command(std::string_view type, Fields& in);
// activity.*: commands_activities.cpp.
Result<Command> parse_activity_command(std::string_view type, Fields& in);
// audit.record, tenant.configure: commands_audit.cpp.
Result<Command> parse_record_audit(Fields& in);
Result<Command> parse_configure_tenant(Fields& in);

// The options of the approval a subject's command opens; `expires_field`
// names its deadline (invalid_expiry when no instant).
ApprovalOptions parse_approval_options(Fields& in);

}  // namespace lf::engine::workflow
