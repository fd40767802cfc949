// media_buys: one row per media buy and its status (pending -> approved ->
// active <-> paused -> completed, or failed), and media_buy_packages: one row
// per package of a buy, written once when the buy is created. Budgets are in
// the buy's currency twice: the seed's amount (numeric, major units, exact)
// and the event's integer minor units.
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class MediaBuys final : public Projection {
 public:
  static const TableSpec& buys_table();
  static const TableSpec& packages_table();
  std::string_view name() const override { return "media_buys"; }
  int32_t version() const override { return 2; }
  std::vector<const TableSpec*> tables() const override {
    return {&buys_table(), &packages_table()};
  }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"media_buy."});
  }
};

}  // namespace lf::projections
