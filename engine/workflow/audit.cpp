// audit.record (docs/domains/workflow.md "Audit"): the seeds' audit rows on
// audit/<tenant>, their occurred_at bounded against the engine's clock.
#include "engine/workflow/decide.hpp"
#include "engine/workflow/emitter.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

// How far a producer's occurred_at may lie from the engine's clock: a little
// ahead (clock skew), a week behind (late delivery, replays of a backlog).
constexpr int64_t kOccurredAtAheadMaxMs = 5 * 60 * kMillisPerSecond;
constexpr int64_t kOccurredAtBehindMaxMs = 7 * kMillisPerDay;

}  // namespace

Decision decide_record_audit(const DecisionInput& in, const RecordAudit& command) {
  if (const std::optional<int64_t> occurred_at_ms = command.row.occurred_at_ms) {
    if (*occurred_at_ms > in.now_ms + kOccurredAtAheadMaxMs ||
        *occurred_at_ms < in.now_ms - kOccurredAtBehindMaxMs) {
      return Decision::reject(
          "invalid_occurred_at",
          "occurred_at " + format_rfc3339_ms(*occurred_at_ms) +
              " must lie between 7 days before and 5 minutes after the engine's clock (" +
              format_rfc3339_ms(in.now_ms) + ")");
    }
  }
  Emitter out(in.command.tenant_id);
  out.emit(command.row);
  return out.accept();
}

}  // namespace lf::engine::workflow
