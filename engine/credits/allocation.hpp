// Ending a monthly lot and starting the next allocation: shared by
// credits.allocate (a period ends now) and the period-end timer (renewal).
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine/credits/emitter.hpp"
#include "engine/credits/lots.hpp"

namespace lf::engine::credits {

// What the ending period's monthly lot lapses now: its unheld credits.
// Nothing when no period runs (the credits are carried into the first lot).
inline int64_t monthly_lapse_credits(const Book& book) {
  if (!book.period) return 0;
  return std::min(book.monthly_remaining_credits, effective_available(book));
}

// Emits [credits.expired (reason period_end)] and credits.allocated for
// `period`: the monthly lot's unheld credits lapse, its held rest becomes a
// lapsing lot, the new lot holds credits_monthly.
template <typename Scratch>
void emit_allocation(Emitter<Scratch>& out, int64_t credits_monthly, const PeriodSpan& period,
                     AllocationReason reason) {
  const int64_t lapsed = monthly_lapse_credits(out.book());
  if (lapsed > 0) {
    out.emit(Expired{lapsed, ExpiryReason::period_end, std::string(kMonthlyLotName), std::nullopt,
                     std::nullopt});
  }
  const Book& book = out.book();
  Allocated allocated{credits_monthly, period, reason, 0, std::nullopt};
  if (!book.period) {
    allocated.carried_over_credits = book.monthly_remaining_credits;
  } else if (book.monthly_remaining_credits > 0) {
    allocated.held_over =
        LotCredits{lapsing_lot_name(book.lapsing_lot_number_next), book.monthly_remaining_credits};
  }
  out.emit(allocated);
}

}  // namespace lf::engine::credits
