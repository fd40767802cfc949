// The rules one imported ledger entry must pass, and what it changes: shared
// by the decision (on a scratch copy), evolve (on the log, where a refusal is
// a defect) and the CLI's pre-check. Internal to engine/credits.
#pragma once

#include <optional>

#include "engine/credits/import.hpp"

namespace lf::engine::credits::import_rules {

// Checks `entry` (balance_after: the seed's) against `state` as the live
// commands would check it and applies it. Fills in what the event carries:
// the reservation a reserved, released or consumed entry is about and its
// status, and, when the tenant's balance is not the seed's (`append`:
// live events allowed beside the import), balance_after as the tenant's and
// source_balance_after as the seed's. On a refusal `state` may be partly
// changed: callers work on a scratch copy.
std::optional<Rejection> apply_entry(State& state, LedgerEntry& entry, bool append);

// What the last chunk does with the tenant's credit_balances row: sets the
// plan and the period (UTC dates), then refuses with balance_mismatch when
// a folded figure differs, naming each difference.
std::optional<Rejection> settle(State& state, const ExpectedBalance& expected);

// The period a credit_balances row names (UTC dates): a calendar span.
std::optional<PeriodSpan> expected_period(const ExpectedBalance& expected);

}  // namespace lf::engine::credits::import_rules
