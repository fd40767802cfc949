// Lots by name ("monthly", "topup:<order id>", "lapsing:<n>") and the draw
// order of consumptions and negative adjustments: lapsing lots (earliest
// expiry first), then top-up lots (earliest expiry first, no expiry last,
// then by order id), then the monthly lot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/credits/state.hpp"

namespace lf::engine::credits {

inline constexpr std::string_view kMonthlyLotName = "monthly";
inline constexpr std::string_view kTopupLotPrefix = "topup:";
inline constexpr std::string_view kLapsingLotPrefix = "lapsing:";

std::string topup_lot_name(std::string_view topup_order_id);
std::string lapsing_lot_name(int64_t lot_number);

// An amount taken from (or lapsed from, or moved to) one lot.
struct LotCredits {
  std::string lot;
  int64_t credits = 0;
  bool operator==(const LotCredits&) const = default;
};

// Top-up lots in draw order.
std::vector<const TopupLot*> topups_in_draw_order(const Book& book);

// The lots `credits` are drawn from, in draw order, each with a positive
// amount. Precondition: 0 <= credits <= available_credits(book).
std::vector<LotCredits> plan_draw(const Book& book, int64_t credits);

// Takes each amount of `drawn` from its lot; emptied top-up and lapsing lots
// are removed. Asserts every lot exists and holds enough.
void take_draw(Book& book, const std::vector<LotCredits>& drawn);

// The top-up lot / lapsing lot of that name; nullptr when there is none.
TopupLot* find_topup_lot(Book& book, std::string_view lot_name);
const TopupLot* find_topup_lot(const Book& book, std::string_view lot_name);
LapsingLot* find_lapsing_lot(Book& book, std::string_view lot_name);
const LapsingLot* find_lapsing_lot(const Book& book, std::string_view lot_name);

// Inserts `lot` at its place in the lapsing lots' draw order.
void insert_lapsing_lot(Book& book, LapsingLot lot);

}  // namespace lf::engine::credits
