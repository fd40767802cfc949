// Expiry escalates (docs/domains/workflow.md "Expiry escalates"): the events
// of one pending approval's expiry, with its follow-up approval when the
// subject still waits. Internal to engine/workflow.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "engine/workflow/emitter.hpp"
#include "engine/workflow/state.hpp"

namespace lf::engine::workflow {

// Candidates tried for a follow-up id before the expiry opens none (each a
// map lookup): <base>, then <base>:2, <base>:3, ...
inline constexpr int32_t kFollowUpIdAttemptsMax = 16;

// Who an expired approval escalates to: its escalate_to, else the tenant's
// default escalation reviewer, else its reviewer; nullopt when none is known.
std::optional<std::string> escalation_target(const State& state, const Approval& approval);

// The follow-up's id: <root>:escalation:<n> (root the chain's first approval,
// n this follow-up's number in it), or escalation:<16 hex digits of the
// root's FNV-1a hash>:<n> when that would pass kIdLengthMax; a suffix :<k>
// when the id is taken. nullopt when every candidate is taken or the tenant
// has no room for another approval. `opened`: follow-ups opened earlier in
// the same record.
std::optional<std::string> follow_up_id(const State& state, const std::string& approval_id,
                                        const Approval& approval,
                                        const std::set<std::string>& opened);

// approval.expired, approval.escalated and, while the subject waits, the
// follow-up's approval.requested and its review step's activity.reassigned;
// when no follow-up opens, the review step's activity.cancelled. Adds the
// follow-up's id to `opened`.
void emit_expiry(Emitter& out, const State& state, const std::string& approval_id,
                 const Approval& approval, int64_t now_ms, std::set<std::string>& opened);

}  // namespace lf::engine::workflow
