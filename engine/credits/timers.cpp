// Timers the engine fires on its own: reservation deadlines, top-up expiry,
// lapsing lots, period end (docs/domains/credits.md "Timers").
#include "engine/credits/decider.hpp"

#include <algorithm>
#include <tuple>

#include "engine/credits/allocation.hpp"
#include "engine/credits/emitter.hpp"
#include "engine/credits/lots.hpp"
#include "engine/credits/period.hpp"

namespace lf::engine::credits {

namespace {

// Renewals in one firing; further missed periods follow in the next ones.
constexpr int32_t kRenewalsPerFiringMax = 120;
// Events in one firing (one commit record): keeps a record far below the
// Kafka message size however many reservations expire at once.
constexpr std::size_t kEventsPerFiringMax = 256;
// Events of a period end: expired + allocated.
constexpr std::size_t kEventsPerPeriodEnd = 2;

enum class DueKind { reservation, lapsing_lot, topup_lot, period_end };

// Ties at one instant: reservation deadlines, then lots, then period end.
int tier(DueKind kind) {
  switch (kind) {
    case DueKind::reservation:
      return 0;
    case DueKind::lapsing_lot:
    case DueKind::topup_lot:
      return 1;
    case DueKind::period_end:
      return 2;
  }
  return 3;
}

struct DueItem {
  int64_t due_at_ms = 0;
  DueKind kind = DueKind::reservation;
  std::size_t rank = 0;  // lots: their draw order
  std::string_view key;  // the reservation id or the lot's name, pointing into the state
  int64_t lapsing_lot_number = 0;

  bool operator<(const DueItem& other) const {
    return std::make_tuple(due_at_ms, tier(kind), rank, key) <
           std::make_tuple(other.due_at_ms, tier(other.kind), other.rank, other.key);
  }
};

// Calls `visit` with every item that falls due at some time, whether or not
// that time has come.
template <typename Visit>
void for_each_due(const State& state, Visit&& visit) {
  // While an import has chunks to come its rows decide the tenant's credits:
  // nothing expires in between (docs/migrating.md).
  if (state.imports.in_progress()) return;
  for (const auto& [id, reservation] : state.reservations) {
    visit(DueItem{reservation.expires_at_ms, DueKind::reservation, 0, id, 0});
  }
  const Book& book = state.book;
  std::size_t rank = 0;
  // A lapsing lot lapses as soon as something of it is no longer held.
  if (effective_available(book) > 0) {
    for (const LapsingLot& lot : book.lapsing_lots) {
      visit(DueItem{lot.expired_at_ms, DueKind::lapsing_lot, rank++, "", lot.lot_number});
    }
  }
  for (const TopupLot* lot : topups_in_draw_order(book)) {
    if (!lot->expires_at_ms) continue;
    visit(DueItem{*lot->expires_at_ms, DueKind::topup_lot, rank++, lot->topup_order_id, 0});
  }
  if (book.period && renewable(*book.period)) {
    visit(DueItem{book.period->span.end_ms, DueKind::period_end, 0, "", 0});
  }
}

std::optional<DueItem> earliest_due(const State& state, int64_t now_ms) {
  std::optional<DueItem> earliest;
  for_each_due(state, [&](const DueItem& item) {
    if (item.due_at_ms <= now_ms && (!earliest || item < *earliest)) earliest = item;
  });
  return earliest;
}

void expire_reservation(Emitter<State>& out, std::string_view reservation_id) {
  const Reservation& reservation = out.scratch().reservations.at(std::string(reservation_id));
  out.emit(Released{reservation.reservation_id, reservation.credits, ReleaseReason::expired,
                    reservation.activity_run_id});
}

void expire_lapsing_lot(Emitter<State>& out, int64_t lot_number) {
  const std::string lot_name = lapsing_lot_name(lot_number);
  const LapsingLot* lot = find_lapsing_lot(out.book(), lot_name);
  LF_ASSERT(lot != nullptr);
  const int64_t lapsed = std::min(lot->remaining_credits, effective_available(out.book()));
  LF_ASSERT(lapsed > 0);
  out.emit(Expired{lapsed, ExpiryReason::lapsing, lot_name, lot->topup_order_id, std::nullopt});
}

void expire_topup_lot(Emitter<State>& out, std::string_view topup_order_id) {
  const Book& book = out.book();
  const std::string lot_name = topup_lot_name(topup_order_id);
  const TopupLot* lot = find_topup_lot(book, lot_name);
  LF_ASSERT(lot != nullptr);
  // Expiry never breaks a hold: what is held lapses later, from a lapsing lot.
  const int64_t lapsed = std::min(lot->remaining_credits, effective_available(book));
  const int64_t held = lot->remaining_credits - lapsed;
  std::optional<LotCredits> held_over;
  if (held > 0) held_over = LotCredits{lapsing_lot_name(book.lapsing_lot_number_next), held};
  out.emit(Expired{lapsed, ExpiryReason::topup_expired, lot_name, lot->topup_order_id,
                   std::move(held_over)});
}

// The next period starts where this one ends; the zone supplies what the
// series leaves to it (a calendar period's next_reset_at, an instants
// period's dates) and the event carries it, so replay never asks the zone.
void renew_period(Emitter<State>& out, const TimeZoneDb& time_zones) {
  const Book& book = out.book();
  LF_ASSERT(book.period.has_value() && renewable(*book.period));
  const Period& period = *book.period;
  const TimeZone* zone = time_zones.find(period.span.time_zone);
  const LocalCalendar calendar =
      zone != nullptr ? LocalCalendar(*zone) : LocalCalendar::without_zone(period);
  emit_allocation(out, book.credits_monthly, next_span(period, calendar),
                  AllocationReason::renewal);
}

// Emits the events of `item`; `item.key` points into the scratch state, so
// it is copied before the first emit changes that state.
void fire(Emitter<State>& out, const DueItem& item, const Context& context) {
  switch (item.kind) {
    case DueKind::reservation:
      return expire_reservation(out, item.key);
    case DueKind::lapsing_lot:
      return expire_lapsing_lot(out, item.lapsing_lot_number);
    case DueKind::topup_lot:
      return expire_topup_lot(out, item.key);
    case DueKind::period_end:
      return renew_period(out, context.time_zone_db());
  }
}

}  // namespace

std::vector<NewEvent> due(const State& state, std::string_view tenant_id, const Context& context) {
  Emitter<State> out(state, stream_name(tenant_id));
  int32_t renewals = 0;
  while (out.size() < kEventsPerFiringMax) {
    const std::optional<DueItem> item = earliest_due(out.scratch(), context.now_ms);
    if (!item) break;
    if (item->kind == DueKind::period_end) {
      // Stop at a cap rather than skip ahead, so items fire in time order.
      if (renewals == kRenewalsPerFiringMax ||
          out.size() + kEventsPerPeriodEnd > kEventsPerFiringMax)
        break;
      ++renewals;
    }
    fire(out, *item, context);
  }
  return out.take();
}

std::optional<int64_t> next_due_ms(const State& state) {
  std::optional<int64_t> earliest_ms;
  for_each_due(state, [&](const DueItem& item) {
    if (!earliest_ms || item.due_at_ms < *earliest_ms) earliest_ms = item.due_at_ms;
  });
  return earliest_ms;
}

}  // namespace lf::engine::credits
