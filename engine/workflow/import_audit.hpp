// Importing a seed platform's audit rows (docs/migrating.md "audit_logs"):
// the `import.audit_logs` command as a typed chunk of rows (each row the
// payload a live audit.record would carry, read by the same parser: any of
// the seeds' four shapes), the rules a chunk must pass, and the one event it
// becomes, `audit.logs_imported`, on audit/<tenant>. The rows keep their
// original occurred_at with no 7-day limit (the live record's skew bound is
// for live delivery). The tenant's state remembers each audit import's
// progress (TenantState::audit_imports: audit/<tenant> is no domain's). Pure; the CLI pre-checks
// with these functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/import.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "engine/workflow/events.hpp"
#include "engine/workflow/import_stream.hpp"
#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

inline constexpr std::string_view kImportAuditLogsCommand = "import.audit_logs";
inline constexpr std::string_view kAuditLogsImportedEvent = "audit.logs_imported";
inline constexpr std::string_view kAuditLogsKind = "audit_logs";

struct ImportedAuditRow {
  int64_t line = 0;
  AuditRecorded row;  // occurred_at_ms set
  bool operator==(const ImportedAuditRow&) const = default;
};

struct AuditLogsChunk {
  std::string import_id;
  int64_t chunk = 0;
  int64_t chunks = 0;
  bool append = false;
  credits::ImportSource source;
  std::vector<ImportedAuditRow> rows;
  bool operator==(const AuditLogsChunk&) const = default;
};

// Never throws; the error code is the rejection reason (invalid_payload,
// invalid_row).
Result<AuditLogsChunk> parse_audit_logs_chunk(const rapidjson::Value* payload);

// The decision on one chunk at now_ms (audit_stream_version: the tenant's
// audit events so far).
Decision decide_audit_logs_chunk(const StreamImports& imports, int64_t audit_stream_version,
                                 const AuditLogsChunk& chunk, const std::string& stream,
                                 int64_t now_ms);

// Applies an audit.logs_imported payload (the log is trusted: asserts).
void evolve_audit_logs_imported(StreamImports& imports, const rapidjson::Value& payload);

// The CLI's pre-check: every chunk in order on a fresh tenant at now_ms.
std::optional<Rejection> precheck_audit_logs_chunks(const std::vector<AuditLogsChunk>& chunks,
                                                    int64_t now_ms);

}  // namespace lf::engine::workflow
