// credit_balances: one row per tenant, the figures after its last credits
// event (every credits event carries them in `balance`).
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class CreditBalances final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "credit_balances"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"credits."});
  }
};

}  // namespace lf::projections
