// Imported ledger entries, one at a time (docs/migrating.md "How rows are
// checked"): the running balance, the holds by activity_run_id, the lots.
#include "engine/credits/import_rules.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "engine/credits/decide.hpp"
#include "engine/credits/events.hpp"
#include "engine/credits/lots.hpp"
#include "engine/credits/period.hpp"
#include "events/time.hpp"
#include "events/timezone.hpp"

namespace lf::engine::credits::import_rules {

namespace {

namespace why = import_reason;

// The decision puts the file and line in front of the message.
Rejection refuse(const char* reason, const LedgerEntry& /*entry*/, const std::string& message) {
  return Rejection{reason, message};
}

int64_t add_saturating(int64_t total, int64_t credits) {
  if (total > std::numeric_limits<int64_t>::max() - credits)
    return std::numeric_limits<int64_t>::max();
  return total + credits;
}

// The sign and the fields each entry type must have.
std::optional<Rejection> shape_problem(const LedgerEntry& entry) {
  const std::string type(to_string(entry.type));
  const int64_t credits = entry.credits;
  if (credits < -kCreditsPerCommandMax || credits > kCreditsPerCommandMax) {
    return refuse(why::kInvalidRow, entry, "credits out of range: " + std::to_string(credits));
  }
  switch (entry.type) {
    case EntryType::allocated:
      if (credits < 0)
        return refuse(why::kInvalidRow, entry, "an allocated entry's credits are >= 0");
      break;
    case EntryType::topup:
    case EntryType::released:
    case EntryType::refunded:
      if (credits <= 0)
        return refuse(why::kInvalidRow, entry, "a " + type + " entry's credits are > 0");
      break;
    case EntryType::reserved:
      if (credits >= 0)
        return refuse(why::kInvalidRow, entry, "a reserved entry's credits are < 0");
      break;
    case EntryType::consumed:
    case EntryType::expired:
      if (credits > 0)
        return refuse(why::kInvalidRow, entry, "a " + type + " entry's credits are <= 0");
      break;
    case EntryType::adjusted:
      if (credits == 0)
        return refuse(why::kInvalidRow, entry, "an adjusted entry's credits are not 0");
      break;
  }
  const bool needs_run = entry.type == EntryType::reserved || entry.type == EntryType::released ||
                         entry.type == EntryType::consumed;
  if (needs_run && !entry.activity_run_id) {
    return refuse(why::kInvalidRow, entry,
                  "a " + type + " entry names its hold by activity_run_id, which is empty");
  }
  if (entry.type == EntryType::topup && !entry.topup_order_id) {
    return refuse(why::kInvalidRow, entry, "a topup entry needs its topup_order_id");
  }
  return std::nullopt;
}

// The end of the UTC calendar month of `unix_ms`: when an imported top-up
// expires (top-ups expire at the end of the billing month; imported
// periods are in UTC).
int64_t end_of_utc_month_ms(int64_t unix_ms) {
  const int32_t day = static_cast<int32_t>(unix_ms / kMillisPerDay);
  const std::string date = format_date_days(day);  // YYYY-MM-DD
  const std::optional<int32_t> first = parse_date_days(date.substr(0, 8) + "01");
  LF_ASSERT(first.has_value());
  return static_cast<int64_t>(add_months_days(*first, 1)) * kMillisPerDay;
}

// The run's hold: the one an import made for it (this one or an earlier
// one, whose hold may still be open). Live holds are not touched: they are
// closed by live commands (a run's by activity.finish_run).
ImportedRun* find_run(State& state, const std::string& run_id) {
  auto found = state.imports.runs.find(run_id);
  if (found != state.imports.runs.end()) return &found->second;
  const std::string reservation_id = std::string(kImportedReservationPrefix) + run_id;
  auto open = state.reservations.find(reservation_id);
  if (open == state.reservations.end()) return nullptr;
  ImportedRun run{reservation_id, open->second.credits, open->second.credits, 0};
  return &state.imports.runs.emplace(run_id, std::move(run)).first->second;
}

void describe_hold(LedgerEntry& entry, const ImportedRun& run) {
  entry.hold_status = run.held_credits > 0       ? "open"
                      : run.consumed_credits > 0 ? "consumed"
                                                 : "released";
  if (run.consumed_credits > 0) entry.hold_consumed = run.consumed_credits;
}

void remember_closed(State& state, const std::string& run_id) {
  state.imports.closed_runs.push_back(run_id);
  while (state.imports.closed_runs.size() > kImportedRunsClosedMax) {
    auto oldest = state.imports.runs.find(state.imports.closed_runs.front());
    if (oldest != state.imports.runs.end() && oldest->second.held_credits == 0)
      state.imports.runs.erase(oldest);
    state.imports.closed_runs.pop_front();
  }
}

std::optional<Rejection> reserve(State& state, LedgerEntry& entry) {
  const std::string& run_id = *entry.activity_run_id;
  const std::string reservation_id = std::string(kImportedReservationPrefix) + run_id;
  auto known = state.imports.runs.find(run_id);
  if ((known != state.imports.runs.end() && known->second.held_credits > 0) ||
      state.reservations.contains(reservation_id) ||
      state.recently_closed.contains(reservation_id)) {
    return refuse(why::kDuplicateReservation, entry,
                  "activity_run_id " + run_id + " already has a hold (" + reservation_id + ")");
  }
  if (state.reservations.size() >= kReservationsOpenMax) {
    return refuse(why::kLimitExceeded, entry,
                  "the tenant would have more than " + std::to_string(kReservationsOpenMax) +
                      " open reservations");
  }
  LF_ASSERT_MSG(entry.expires_at_ms.has_value(), "a decision gives an imported hold its expiry");
  const int64_t held = -entry.credits;
  entry.reservation_id = reservation_id;
  state.reservations.emplace(
      reservation_id, Reservation{reservation_id, held, *entry.expires_at_ms, entry.activity_run_id,
                                  entry.deliverable_type});
  state.book.reserved_credits += held;
  state.imports.runs[run_id] = ImportedRun{reservation_id, held, held, 0};
  entry.hold_status = "open";
  return std::nullopt;
}

std::optional<Rejection> release(State& state, LedgerEntry& entry) {
  const std::string& run_id = *entry.activity_run_id;
  ImportedRun* run = find_run(state, run_id);
  if (run == nullptr || run->held_credits == 0) {
    return refuse(why::kUnknownReservation, entry,
                  "released " + std::to_string(entry.credits) + " credits for activity_run_id " +
                      run_id + ", which holds none");
  }
  if (entry.credits > run->held_credits) {
    return refuse(why::kExceedsReservation, entry,
                  "released " + std::to_string(entry.credits) + " credits, more than the " +
                      std::to_string(run->held_credits) + " held for activity_run_id " + run_id);
  }
  entry.reservation_id = run->reservation_id;
  run->held_credits -= entry.credits;
  state.book.reserved_credits -= entry.credits;
  auto reservation = state.reservations.find(run->reservation_id);
  LF_ASSERT(reservation != state.reservations.end());
  reservation->second.credits -= entry.credits;
  describe_hold(entry, *run);
  if (run->held_credits == 0) {
    LF_ASSERT(reservation->second.credits == 0);
    state.reservations.erase(reservation);
    state.recently_closed.push(run->reservation_id);
    remember_closed(state, run_id);
  }
  return std::nullopt;
}

std::optional<Rejection> consume(State& state, LedgerEntry& entry) {
  const std::string& run_id = *entry.activity_run_id;
  const int64_t used = -entry.credits;
  ImportedRun* run = find_run(state, run_id);
  if (run == nullptr) {
    return refuse(why::kUnknownReservation, entry,
                  "consumed " + std::to_string(used) + " credits for activity_run_id " + run_id +
                      ", which has no hold");
  }
  if (run->consumed_credits + used > run->reserved_credits) {
    return refuse(why::kExceedsReservation, entry,
                  "consumed " + std::to_string(used) + " credits for activity_run_id " + run_id +
                      ": with the " + std::to_string(run->consumed_credits) +
                      " consumed before, more than the " + std::to_string(run->reserved_credits) +
                      " reserved");
  }
  entry.reservation_id = run->reservation_id;
  run->consumed_credits += used;
  describe_hold(entry, *run);
  take_draw(state.book, plan_draw(state.book, used));
  state.book.consumed_in_period_credits =
      add_saturating(state.book.consumed_in_period_credits, used);
  state.book.consumed_lifetime_credits = add_saturating(state.book.consumed_lifetime_credits, used);
  return std::nullopt;
}

std::optional<Rejection> top_up(State& state, LedgerEntry& entry) {
  const std::string& order_id = *entry.topup_order_id;
  if (state.topup_orders_seen.contains(order_id)) {
    return refuse(why::kDuplicateTopupOrder, entry,
                  "top-up order " + order_id + " was already credited");
  }
  // As credits.topup refuses an order's id: an order's credits come with
  // its payment, and an imported order is checked against the ledger
  // imported before it (docs/migrating.md "credit_topup_orders").
  if (auto order = state.topup_orders.find(order_id); order != state.topup_orders.end()) {
    return refuse(why::kDuplicateTopupOrder, entry,
                  "top-up order " + order_id + " is an order of this tenant (" +
                      std::string(to_string(order->second.status)) +
                      "): import the ledger before the orders");
  }
  if (state.book.topup_lots.size() >= kTopupLotsMax) {
    return refuse(why::kLimitExceeded, entry,
                  "the tenant would have more than " + std::to_string(kTopupLotsMax) +
                      " top-up lots with credits");
  }
  state.topup_orders_seen.insert(order_id);
  state.book.topup_lots.emplace(
      order_id, TopupLot{order_id, entry.credits, end_of_utc_month_ms(entry.created_at_ms)});
  return std::nullopt;
}

// An expiry lapses what had expired by the entry's time: top-up lots past
// their expiry (earliest first), lapsing lots, the monthly lot, then the
// other top-up lots in draw order.
void lapse(Book& book, int64_t credits, int64_t at_ms) {
  std::vector<LotCredits> drawn;
  int64_t left = credits;
  auto take = [&](std::string lot, int64_t remaining) {
    const int64_t amount = std::min(left, remaining);
    if (amount > 0) drawn.push_back(LotCredits{std::move(lot), amount});
    left -= amount;
  };
  const std::vector<const TopupLot*> topups = topups_in_draw_order(book);
  for (const TopupLot* lot : topups) {
    if (lot->expires_at_ms && *lot->expires_at_ms <= at_ms)
      take(topup_lot_name(lot->topup_order_id), lot->remaining_credits);
  }
  for (const LapsingLot& lot : book.lapsing_lots)
    take(lapsing_lot_name(lot.lot_number), lot.remaining_credits);
  take(std::string(kMonthlyLotName), book.monthly_remaining_credits);
  for (const TopupLot* lot : topups) {
    if (!lot->expires_at_ms || *lot->expires_at_ms > at_ms)
      take(topup_lot_name(lot->topup_order_id), lot->remaining_credits);
  }
  LF_ASSERT(left == 0);
  take_draw(book, drawn);
}

std::optional<Rejection> apply_typed(State& state, LedgerEntry& entry) {
  Book& book = state.book;
  switch (entry.type) {
    case EntryType::allocated:
      book.monthly_remaining_credits += entry.credits;
      book.credits_monthly = entry.credits;
      book.consumed_in_period_credits = 0;
      return std::nullopt;
    case EntryType::topup:
      return top_up(state, entry);
    case EntryType::reserved:
      return reserve(state, entry);
    case EntryType::released:
      return release(state, entry);
    case EntryType::consumed:
      return consume(state, entry);
    case EntryType::refunded: {
      const int64_t refundable = book.consumed_lifetime_credits - book.refunded_lifetime_credits;
      if (entry.credits > refundable) {
        return refuse(why::kExceedsConsumed, entry,
                      "refunded " + std::to_string(entry.credits) + " credits, more than the " +
                          std::to_string(refundable) + " consumed and not yet refunded");
      }
      book.monthly_remaining_credits += entry.credits;
      book.refunded_lifetime_credits += entry.credits;
      return std::nullopt;
    }
    case EntryType::adjusted:
      if (entry.credits > 0) {
        book.monthly_remaining_credits += entry.credits;
      } else {
        take_draw(book, plan_draw(book, -entry.credits));
      }
      return std::nullopt;
    case EntryType::expired:
      lapse(book, -entry.credits, entry.created_at_ms);
      return std::nullopt;
  }
  LF_ASSERT_MSG(false, "an entry type without rules");
  return std::nullopt;
}

}  // namespace

std::optional<Rejection> apply_entry(State& state, LedgerEntry& entry, bool append) {
  if (std::optional<Rejection> problem = shape_problem(entry)) return problem;
  if (state.imports.last_entry_ms && entry.created_at_ms < *state.imports.last_entry_ms) {
    return refuse(why::kTimestampOrder, entry,
                  "created_at " + format_rfc3339_ms(entry.created_at_ms) +
                      " is before the previous entry's, " +
                      format_rfc3339_ms(*state.imports.last_entry_ms));
  }
  // The seed's running balance goes on from its previous imported entry.
  const int64_t source_after = entry.balance_after;
  const int64_t source_before = state.imports.last_source_balance.value_or(0);
  if (source_after != source_before + entry.credits) {
    return refuse(why::kRunningBalance, entry,
                  "balance_after is " + std::to_string(source_after) +
                      ", but the balance before, " + std::to_string(source_before) +
                      ", plus credits, " + std::to_string(entry.credits) + ", is " +
                      std::to_string(source_before + entry.credits));
  }
  if (source_after < 0) {
    return refuse(why::kNegativeBalance, entry,
                  "the running balance would go negative: " + std::to_string(source_after));
  }
  // The tenant's own balance is the seed's, unless live events were
  // allowed beside the import (--append).
  const int64_t before = effective_available(state.book);
  if (!append && before != source_before) {
    return refuse(why::kRunningBalance, entry,
                  "the tenant's effective available is " + std::to_string(before) +
                      ", not the ledger's " + std::to_string(source_before) +
                      ": something else changed the tenant since the import began");
  }
  if (before + entry.credits < 0) {
    return refuse(why::kNegativeBalance, entry,
                  "the tenant's effective available, " + std::to_string(before) +
                      ", would go negative: " + std::to_string(before + entry.credits));
  }
  if (entry.credits > 0 && available_credits(state.book) + entry.credits > kCreditsAvailableMax) {
    return refuse(why::kLimitExceeded, entry,
                  "credits_available would exceed " + std::to_string(kCreditsAvailableMax));
  }
  if (std::optional<Rejection> refused = apply_typed(state, entry)) return refused;
  state.imports.last_entry_ms = entry.created_at_ms;
  state.imports.last_source_balance = source_after;
  entry.balance_after = effective_available(state.book);
  LF_ASSERT_MSG(entry.balance_after == before + entry.credits,
                "an imported entry changes effective available by its credits");
  if (entry.balance_after != source_after) entry.source_balance_after = source_after;
  return std::nullopt;
}

std::optional<PeriodSpan> expected_period(const ExpectedBalance& expected) {
  if (!expected.period_start_day || !expected.period_end_day) return std::nullopt;
  const int32_t start = *expected.period_start_day;
  const int32_t end = *expected.period_end_day;
  if (end < start || start < kPeriodDayMin || end > kPeriodDayMax) return std::nullopt;
  PeriodSpan span{start,
                  end,
                  static_cast<int64_t>(start) * kMillisPerDay,
                  static_cast<int64_t>(end + 1) * kMillisPerDay,
                  std::string(kDefaultTimeZone),
                  PeriodSeries::calendar};
  if (span_violation(span)) return std::nullopt;
  return span;
}

std::optional<Rejection> settle(State& state, const ExpectedBalance& expected) {
  if (expected.period_start_day.has_value() != expected.period_end_day.has_value()) {
    return Rejection{why::kInvalidPeriod,
                     "the credit_balances row has only one of period_start and period_end"};
  }
  if (expected.period_start_day) {
    const std::optional<PeriodSpan> span = expected_period(expected);
    if (!span) {
      return Rejection{
          why::kInvalidPeriod,
          "the credit_balances row's period " + format_date_days(*expected.period_start_day) +
              " to " + format_date_days(*expected.period_end_day) + " cannot be a billing period"};
    }
    state.book.period = start_period(*span);
  }
  if (expected.credits_monthly < 0 || expected.credits_monthly > kCreditsPerCommandMax) {
    return Rejection{why::kInvalidRow,
                     "credits_monthly out of range: " + std::to_string(expected.credits_monthly)};
  }
  state.book.credits_monthly = expected.credits_monthly;
  const Balance folded = balance_of(state.book);
  std::string differences;
  auto compare = [&](const char* name, int64_t found, int64_t wanted) {
    if (found == wanted) return;
    if (!differences.empty()) differences += "; ";
    differences += std::string(name) + " is " + std::to_string(found) + " after the ledger, " +
                   std::to_string(wanted) + " in credit_balances (off by " +
                   (found > wanted ? "+" : "") + std::to_string(found - wanted) + ")";
  };
  compare("credits_available", folded.credits_available, expected.credits_available);
  compare("credits_reserved", folded.credits_reserved, expected.credits_reserved);
  compare("credits_consumed", folded.credits_consumed, expected.credits_consumed);
  compare("credits_topup", folded.credits_topup, expected.credits_topup);
  if (!differences.empty()) return Rejection{why::kBalanceMismatch, differences};
  return std::nullopt;
}

}  // namespace lf::engine::credits::import_rules
