// Importing a seed platform's approvals (docs/migrating.md "approvals"): the
// `import.approvals` command as a typed chunk of approval rows (each the
// payload a live approval.request would carry, read by the same parser,
// plus the status the platform left it in, its reviewer's outcome and its
// times), the rules a row must pass as the live lifecycle would, and the
// one event a chunk becomes, `approval.imported`, on approvals/<tenant>. A
// pending approval enters the state pending and linked to its subject (a
// media buy or an activity waiting for it), so it is decided, assigned,
// sent to the client or expires live; a decided or expired one is history.
// The tenant's progress is TenantState::workflow_imports.approvals. Pure;
// the CLI pre-checks with these functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/import.hpp"
#include "engine/domain.hpp"
#include "engine/workflow/events.hpp"
#include "engine/workflow/import_buys.hpp"
#include "engine/workflow/state.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

inline constexpr std::string_view kImportApprovalsCommand = "import.approvals";
inline constexpr std::string_view kApprovalsImportedEvent = "approval.imported";
inline constexpr std::string_view kApprovalsKind = "approvals";

// approvals/<tenant>: where a tenant's approval imports go.
std::string approvals_import_stream(std::string_view tenant_id);

// One approval of a chunk: as approval.requested would carry it (its review
// step the subject when that is a review step, or the step named), its
// status, outcome and times, and whether it waits on its subject (linked:
// pending, of a media buy or an activity).
struct ImportedApproval {
  int64_t line = 0;
  ApprovalRequested approval;
  ApprovalStatus status = ApprovalStatus::pending;
  int64_t created_on_ms = 0;
  std::optional<int64_t> resolved_at_ms;
  std::optional<int64_t> sent_to_client_at_ms;
  std::optional<std::string> reviewed_by;
  std::optional<std::string> reviewer_notes;
  std::optional<std::string> chosen_option;
  bool linked = false;  // set by the decision
  bool operator==(const ImportedApproval&) const = default;
};

struct ApprovalsChunk {
  std::string import_id;
  int64_t chunk = 0;
  int64_t chunks = 0;
  bool append = false;
  credits::ImportSource source;
  std::vector<ImportedApproval> rows;
  bool operator==(const ApprovalsChunk&) const = default;
};

// Never throws; the error code is the rejection reason (invalid_payload,
// invalid_row naming file:line and the live parser's reason).
Result<ApprovalsChunk> parse_approvals_chunk(const rapidjson::Value* payload);

// The decision on one chunk at now_ms: duplicate_approval, unknown_subject,
// unknown_activity, invalid_transition (a status its fields or its subject
// contradict), expired (decided after its expiry), timestamps_out_of_order,
// invalid_created_on, and the shared chunk order and live-event rules.
Decision decide_approvals_chunk(const State& state, const KindImports& imports,
                                const ApprovalsChunk& chunk, const std::string& stream,
                                int64_t now_ms);

// Applies an approval.imported payload (the log is trusted: asserts).
void evolve_approvals_imported(State& state, KindImports& imports, const rapidjson::Value& payload);

// The CLI's pre-check: every chunk in order on a fresh tenant at now_ms
// (whose subjects, imported or live before, the engine checks).
std::optional<Rejection> precheck_approvals_chunks(const std::vector<ApprovalsChunk>& chunks,
                                                   int64_t now_ms);

}  // namespace lf::engine::workflow
