// The workflow domain (docs/domains/workflow.md): media buys, approvals,
// activities and their runs, audit records, tenant settings. decide, evolve,
// and the timers the engine fires on its own (approval expiry and
// escalation, runs whose hold reached its deadline). Pure. The narrow public
// face of engine/workflow: one file per sub-domain behind it (decide.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "engine/workflow/state.hpp"
#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::engine::workflow {

// Rejection reasons (docs/domains/workflow.md).
namespace reason {
inline constexpr const char* kInvalidPayload = "invalid_payload";
inline constexpr const char* kInvalidTransition = "invalid_transition";
inline constexpr const char* kInvalidDates = "invalid_dates";
inline constexpr const char* kInvalidExpiry = "invalid_expiry";
inline constexpr const char* kInvalidAmount = "invalid_amount";
inline constexpr const char* kInvalidCurrency = "invalid_currency";
inline constexpr const char* kInvalidOccurredAt = "invalid_occurred_at";
inline constexpr const char* kForbidden = "forbidden";
inline constexpr const char* kExpired = "expired";
inline constexpr const char* kApprovalRequired = "approval_required";
inline constexpr const char* kDuplicateMediaBuy = "duplicate_media_buy";
inline constexpr const char* kDuplicatePackage = "duplicate_package";
inline constexpr const char* kDuplicateApproval = "duplicate_approval";
inline constexpr const char* kDuplicateActivity = "duplicate_activity";
inline constexpr const char* kDuplicateRun = "duplicate_run";
inline constexpr const char* kUnknownMediaBuy = "unknown_media_buy";
inline constexpr const char* kUnknownApproval = "unknown_approval";
inline constexpr const char* kUnknownActivity = "unknown_activity";
inline constexpr const char* kUnknownParent = "unknown_parent";
inline constexpr const char* kUnknownSubject = "unknown_subject";
inline constexpr const char* kUnknownRun = "unknown_run";
inline constexpr const char* kExceedsReservation = "exceeds_reservation";
inline constexpr const char* kReservationOwnedByRun = "reservation_owned_by_run";
inline constexpr const char* kLimitExceeded = "limit_exceeded";
}  // namespace reason

// True for the command types this domain decides (media_buy.*, approval.*,
// activity.*, audit.*, tenant.configure).
bool handles_command(std::string_view command_type);
// True for the event types that change workflow state (media_buy.*,
// approval.*, activity.*, tenant.configured); audit.recorded changes none.
bool handles_event(std::string_view event_type);

// The stream a workflow command addresses (what expected_version checks):
// media_buy/<id>, approval/<id>, activity/<id> (a run's activity for
// activity.finish_run), audit/<tenant>, tenant/<tenant>.
std::string target_stream(const State& state, const CommandEnvelope& command);

// The decision for `command` (payload valid against its JSON Schema). Runs
// also read and change the tenant's credits: their holds are decided by the
// credits domain's own rules, in the same commit record.
Decision decide(const State& state, const credits::State& credits_state,
                const CommandEnvelope& command, const Context& context);

// A credits command that would close a running run's hold is refused: only
// the run may close it. nullopt when the command may go to the credits domain.
std::optional<Rejection> refuse_credits_command(const State& state, const CommandEnvelope& command);

// Applies one event of this domain. The log is trusted: an event that does
// not fit the state is a defect and aborts (LF_ASSERT).
void evolve(State& state, const EventHeader& header, const rapidjson::Value& payload);

// Timer events due at context.now_ms: expired approvals (approval.expired,
// approval.escalated, and the follow-up approval with its review step's
// reassignment) and runs whose hold reached its deadline
// (activity.run_finished, timed_out), at most kTimerBatchMax of them, in
// deadline order. The holds themselves are released by the credits timers.
std::vector<NewEvent> due(const State& state, std::string_view tenant_id, const Context& context);
std::optional<int64_t> next_due_ms(const State& state);

// Snapshot form of the state; read_state also reads what the previous
// binary wrote (missing fields take their defaults).
void write_state(JsonWriter& writer, const State& state);
Result<State> read_state(const rapidjson::Value& value);

}  // namespace lf::engine::workflow
