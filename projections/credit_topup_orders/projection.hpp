// credit_topup_orders: one row per top-up order, in the seed's shape
// (Leadmetrics credit_topup_orders: razorpay_order_id, credits, amount_inr
// in paise, status pending | paid | failed | refunded, paid_at, expires_at)
// and how a refund divided the order's credits.
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class CreditTopupOrders final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "credit_topup_orders"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"topup_order."});
  }
};

}  // namespace lf::projections
