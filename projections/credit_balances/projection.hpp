// credit_balances: one row per tenant, the figures after its last credits
// event (every credits event carries them in `balance`): the period as its
// dates (period_end inclusive, in the tenant's billing time zone) and
// next_reset_at, the instant it ends.
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class CreditBalances final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "credit_balances"; }
  // 2: period_start and period_end are dates, next_reset_at is the
  // balance's own (version 1 wrote period_end's instant into both).
  int32_t version() const override { return 2; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"credits."});
  }
};

}  // namespace lf::projections
