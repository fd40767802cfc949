// The credits decision state of one tenant (docs/domains/credits.md): lots,
// open reservations, the recently closed ones, seen top-up orders, the plan
// and period, and the counters. Plain data with value semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "events/string_hash.hpp"

namespace lf::engine::credits {

// ---- limits ------------------------------------------------------------------

// Largest amount one command may carry (the command schemas say the same).
inline constexpr int64_t kCreditsPerCommandMax = 1'000'000'000'000'000;  // 10^15
// Commands that would raise credits_available above this are refused
// (`limit_exceeded`), so no sum can come near INT64_MAX.
inline constexpr int64_t kCreditsAvailableMax = 100'000'000'000'000'000;  // 10^17
// What the invariants tolerate: renewals (which cannot be refused) may add a
// few monthly allocations on top of kCreditsAvailableMax.
inline constexpr int64_t kCreditsAvailableAbsoluteMax = 1'000'000'000'000'000'000;  // 10^18
// Closed reservation ids remembered to refuse their reuse.
inline constexpr std::size_t kRecentlyClosedMax = 10'000;
// Open top-up lots per tenant: bounds a consumption's `drawn` list.
inline constexpr std::size_t kTopupLotsMax = 1'000;
// Open reservations per tenant.
inline constexpr std::size_t kReservationsOpenMax = 10'000;
// Top-up orders kept per tenant (every status: a paid one may be refunded,
// and every id stays known so that it is never credited twice).
inline constexpr std::size_t kTopupOrdersMax = 100'000;

// ---- lots and periods --------------------------------------------------------

struct TopupLot {
  std::string topup_order_id;
  int64_t remaining_credits = 0;         // > 0 while the lot exists
  std::optional<int64_t> expires_at_ms;  // none: never expires
  bool operator==(const TopupLot&) const = default;
};

// What was still held by open reservations when a lot expired; consumed
// first, and lapses as soon as effective_available allows.
struct LapsingLot {
  int64_t lot_number = 0;                     // "lapsing:<lot_number>", per tenant from 1
  int64_t remaining_credits = 0;              // > 0 while the lot exists
  int64_t expired_at_ms = 0;                  // when its origin lot expired
  std::optional<std::string> topup_order_id;  // origin: a top-up, or none for the monthly lot
  bool operator==(const LapsingLot&) const = default;
};

// How a series of billing periods renews (docs/domains/credits.md "Billing
// periods").
enum class PeriodSeries {
  // By dates in the period's time zone: a period of n whole calendar months
  // counted from the series' anchor day renews as the next n months, any
  // other period with the same number of days.
  calendar,
  // Deprecated (v1's rule, for RFC 3339 periods that are not local
  // midnights): by instants, n whole months from the anchor instant (UTC
  // calendar, time of day kept), else the same length in milliseconds.
  instants,
};

// One billing period as events carry it: its dates, local to `time_zone`
// (days since 1970-01-01), and the instants it starts and ends at.
struct PeriodSpan {
  int32_t start_day = 0;  // period_start
  int32_t end_day = 0;    // period_end, inclusive: >= start_day
  int64_t start_ms = 0;   // period_starts_at: the start of start_day in the zone (calendar)
  int64_t end_ms = 0;     // next_reset_at, exclusive: > start_ms
  std::string time_zone;  // IANA name: the tenant's billing time zone
  PeriodSeries series = PeriodSeries::calendar;
  bool operator==(const PeriodSpan&) const = default;
};

struct Period {
  PeriodSpan span;
  // Where the series counts months from: its first period's start, as a day
  // (calendar; anchor_ms is 0) or an instant (instants; anchor_day is 0).
  int32_t anchor_day = 0;
  int64_t anchor_ms = 0;
  // Each period is length_months whole months (0: not whole months, so
  // renewed with the same number of days, or of milliseconds for instants);
  // this one ends end_months_from_anchor months after the anchor.
  int32_t length_months = 0;
  int32_t end_months_from_anchor = 0;
  bool operator==(const Period&) const = default;
};

// Everything the balance figures derive from. Kept apart from the rest of
// the state so a decision can work on a cheap scratch copy of it.
struct Book {
  int64_t credits_monthly = 0;            // the plan's allocation; 0 before the first
  std::optional<Period> period;           // none before the first allocation
  int64_t monthly_remaining_credits = 0;  // the monthly lot (no expiry before the first allocation)
  std::map<std::string, TopupLot> topup_lots;  // by topup_order_id
  std::vector<LapsingLot> lapsing_lots;        // in draw order: (expired_at_ms, lot_number)
  int64_t lapsing_lot_number_next = 1;
  int64_t reserved_credits = 0;  // sum of open reservations
  int64_t consumed_in_period_credits = 0;
  int64_t consumed_lifetime_credits = 0;
  int64_t refunded_lifetime_credits = 0;
  bool operator==(const Book&) const = default;
};

// ---- reservations ------------------------------------------------------------

struct Reservation {
  std::string reservation_id;
  int64_t credits = 0;  // > 0
  int64_t expires_at_ms = 0;
  std::optional<std::string> activity_run_id;
  std::optional<std::string> deliverable_type;
  bool operator==(const Reservation&) const = default;
};

// A hold released by a consumption, waiting for the credits.consumed event
// that follows it in the same record.
struct PendingConsumption {
  std::string reservation_id;
  int64_t held_credits = 0;
  bool operator==(const PendingConsumption&) const = default;
};

// The last kRecentlyClosedMax closed reservation ids, oldest first.
class RecentlyClosed {
 public:
  void push(const std::string& reservation_id);
  bool contains(std::string_view reservation_id) const;
  std::size_t size() const { return order_.size(); }
  const std::deque<std::string>& ids_oldest_first() const { return order_; }
  bool operator==(const RecentlyClosed& other) const { return order_ == other.order_; }

 private:
  std::deque<std::string> order_;
  StringSet ids_;
};

// ---- top-up orders -----------------------------------------------------------

// An order's life (docs/domains/credits.md "Top-up orders"): pending, then
// paid (its credits granted as the top-up lot "topup:<id>") or failed; a
// failed order may still be paid (a payment captured after a failed
// attempt); a paid order may be refunded. paid and refunded are final for
// payments, failed and refunded for failures.
enum class TopupOrderStatus { pending, paid, failed, refunded };

struct TopupOrder {
  std::string topup_order_id;  // the payment provider's order id (Razorpay)
  TopupOrderStatus status = TopupOrderStatus::pending;
  int64_t credits = 0;       // granted when paid; > 0
  int64_t amount_minor = 0;  // the price in minor units of `currency` (paise for INR)
  std::string currency;      // ISO 4217
  // As created; once paid, the expiry its top-up lot got (none: never).
  std::optional<int64_t> expires_at_ms;
  std::optional<int64_t> paid_at_ms;
  std::optional<int64_t> refunded_at_ms;
  // What its top-up lot still had when the lot expired (0 while it has not):
  // a refund after that takes back nothing, and did not count it consumed.
  int64_t lot_expired_credits = 0;
  bool operator==(const TopupOrder&) const = default;
};

// ---- imports (docs/migrating.md) -----------------------------------------------

// Closed imported runs remembered so that a consumption may follow the
// release of its hold (and the other way round).
inline constexpr std::size_t kImportedRunsClosedMax = 10'000;

// One import of one kind (e.g. "credit_ledger") into this tenant.
struct ImportProgress {
  std::string import_id;  // SHA-256 of the tenant's rows of the kind, hex
  int64_t chunks_committed = 0;
  int64_t chunks_total = 0;
  bool finished() const { return chunks_committed == chunks_total; }
  bool operator==(const ImportProgress&) const = default;
};

// A reservation made by an imported `reserved` entry, found again by its
// activity_run_id.
struct ImportedRun {
  std::string reservation_id;
  int64_t reserved_credits = 0;  // as reserved
  int64_t held_credits = 0;      // still held; 0: the reservation is closed
  int64_t consumed_credits = 0;  // consumed against it so far
  bool operator==(const ImportedRun&) const = default;
};

struct Imports {
  std::map<std::string, ImportProgress> by_kind;
  // Import events on the credits stream: any other event there is live.
  int64_t events = 0;
  std::optional<int64_t> last_entry_ms;        // the latest imported entry's created_at
  std::optional<int64_t> last_source_balance;  // its balance_after in the seed's ledger
  std::map<std::string, ImportedRun> runs;     // by activity_run_id
  std::deque<std::string> closed_runs;         // runs with held 0, oldest first
  // True while some import has chunks still to come: the tenant's timers wait.
  bool in_progress() const {
    for (const auto& [kind, progress] : by_kind) {
      if (!progress.finished()) return true;
    }
    return false;
  }
  bool operator==(const Imports&) const = default;
};

// ---- the state ---------------------------------------------------------------

struct State {
  Book book;
  std::map<std::string, Reservation> reservations;  // open ones, by reservation_id
  RecentlyClosed recently_closed;
  std::set<std::string> topup_orders_seen;         // every topup_order_id ever credited
  std::map<std::string, TopupOrder> topup_orders;  // by topup_order_id
  std::optional<PendingConsumption> pending_consumption;
  // An order the record being applied has paid or refunded, until the
  // credits event that follows its topup_order.paid (credits.topped_up) or
  // topup_order.refunded (credits.topup_refunded) in the same record.
  std::optional<std::string> pending_order;
  Imports imports;

  int64_t reserved_total() const { return book.reserved_credits; }
  bool operator==(const State&) const = default;
};

// The figures of docs/domains/credits.md "Definitions", as in every event's
// `balance` object.
struct Balance {
  int64_t credits_monthly = 0;
  int64_t credits_available = 0;
  int64_t credits_reserved = 0;
  int64_t credits_consumed = 0;
  int64_t credits_topup = 0;
  int64_t effective_available = 0;
  // Once the tenant has a period: its dates (local days, end inclusive) and
  // next_reset_at, the instant it ends.
  std::optional<int32_t> period_start_day;
  std::optional<int32_t> period_end_day;
  std::optional<int64_t> next_reset_at_ms;
  bool operator==(const Balance&) const = default;
};

int64_t available_credits(const Book& book);    // sum of remaining over all lots
int64_t topup_credits(const Book& book);        // top-up lots, lapsing top-up lots included
int64_t effective_available(const Book& book);  // available - reserved
Balance balance_of(const Book& book);

// nullopt when the invariants hold; otherwise what is broken. The book's own
// invariants (amounts in range, effective_available >= 0) and, for a State,
// those across its parts (reserved == sum of open reservations, ...).
std::optional<std::string> book_invariant_violation(const Book& book);
std::optional<std::string> state_invariant_violation(const State& state);

}  // namespace lf::engine::credits
