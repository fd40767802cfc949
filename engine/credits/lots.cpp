// Lot names and the draw order.
#include "engine/credits/lots.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "events/assert.hpp"

namespace lf::engine::credits {

std::string topup_lot_name(std::string_view topup_order_id) {
  return std::string(kTopupLotPrefix) + std::string(topup_order_id);
}

std::string lapsing_lot_name(int64_t lot_number) {
  return std::string(kLapsingLotPrefix) + std::to_string(lot_number);
}

std::vector<const TopupLot*> topups_in_draw_order(const Book& book) {
  std::vector<const TopupLot*> lots;
  lots.reserve(book.topup_lots.size());
  for (const auto& [order_id, lot] : book.topup_lots) lots.push_back(&lot);
  // The map is ordered by order id and the sort is stable: ties stay by id.
  std::stable_sort(lots.begin(), lots.end(), [](const TopupLot* a, const TopupLot* b) {
    if (a->expires_at_ms.has_value() != b->expires_at_ms.has_value())
      return a->expires_at_ms.has_value();
    return a->expires_at_ms.value_or(0) < b->expires_at_ms.value_or(0);
  });
  return lots;
}

std::vector<LotCredits> plan_draw(const Book& book, int64_t credits) {
  LF_ASSERT(credits >= 0);
  LF_ASSERT(credits <= available_credits(book));
  std::vector<LotCredits> drawn;
  int64_t left = credits;
  auto take = [&](std::string lot, int64_t remaining) {
    const int64_t amount = std::min(left, remaining);
    if (amount > 0) drawn.push_back(LotCredits{std::move(lot), amount});
    left -= amount;
  };
  for (const LapsingLot& lot : book.lapsing_lots) {
    if (left == 0) break;
    take(lapsing_lot_name(lot.lot_number), lot.remaining_credits);
  }
  if (left > 0) {
    for (const TopupLot* lot : topups_in_draw_order(book)) {
      if (left == 0) break;
      take(topup_lot_name(lot->topup_order_id), lot->remaining_credits);
    }
  }
  take(std::string(kMonthlyLotName), book.monthly_remaining_credits);
  LF_ASSERT(left == 0);
  return drawn;
}

const TopupLot* find_topup_lot(const Book& book, std::string_view lot_name) {
  if (!lot_name.starts_with(kTopupLotPrefix)) return nullptr;
  auto found = book.topup_lots.find(std::string(lot_name.substr(kTopupLotPrefix.size())));
  return found == book.topup_lots.end() ? nullptr : &found->second;
}

TopupLot* find_topup_lot(Book& book, std::string_view lot_name) {
  return const_cast<TopupLot*>(find_topup_lot(std::as_const(book), lot_name));
}

const LapsingLot* find_lapsing_lot(const Book& book, std::string_view lot_name) {
  if (!lot_name.starts_with(kLapsingLotPrefix)) return nullptr;
  const std::string_view digits = lot_name.substr(kLapsingLotPrefix.size());
  int64_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size()) return nullptr;
  for (const LapsingLot& lot : book.lapsing_lots) {
    if (lot.lot_number == number) return &lot;
  }
  return nullptr;
}

LapsingLot* find_lapsing_lot(Book& book, std::string_view lot_name) {
  return const_cast<LapsingLot*>(find_lapsing_lot(std::as_const(book), lot_name));
}

void insert_lapsing_lot(Book& book, LapsingLot lot) {
  LF_ASSERT(lot.remaining_credits > 0);
  auto position = std::upper_bound(book.lapsing_lots.begin(), book.lapsing_lots.end(), lot,
                                   [](const LapsingLot& a, const LapsingLot& b) {
                                     if (a.expired_at_ms != b.expired_at_ms)
                                       return a.expired_at_ms < b.expired_at_ms;
                                     return a.lot_number < b.lot_number;
                                   });
  book.lapsing_lots.insert(position, std::move(lot));
}

namespace {

void take_from_lot(Book& book, const LotCredits& draw) {
  LF_ASSERT(draw.credits > 0);
  if (draw.lot == kMonthlyLotName) {
    LF_ASSERT(book.monthly_remaining_credits >= draw.credits);
    book.monthly_remaining_credits -= draw.credits;
    return;
  }
  if (TopupLot* lot = find_topup_lot(book, draw.lot)) {
    LF_ASSERT(lot->remaining_credits >= draw.credits);
    lot->remaining_credits -= draw.credits;
    if (lot->remaining_credits == 0) book.topup_lots.erase(lot->topup_order_id);
    return;
  }
  LapsingLot* lot = find_lapsing_lot(book, draw.lot);
  LF_ASSERT_MSG(lot != nullptr, "a draw names a lot that does not exist");
  LF_ASSERT(lot->remaining_credits >= draw.credits);
  lot->remaining_credits -= draw.credits;
  if (lot->remaining_credits == 0) {
    std::erase_if(book.lapsing_lots,
                  [](const LapsingLot& each) { return each.remaining_credits == 0; });
  }
}

}  // namespace

void take_draw(Book& book, const std::vector<LotCredits>& drawn) {
  for (const LotCredits& draw : drawn) take_from_lot(book, draw);
}

}  // namespace lf::engine::credits
