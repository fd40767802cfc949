// tenant_spend: one row per tenant that recorded usage or has a cap: the
// spend period in force, its USD spend and the monthly cap, as every usage
// event states them after it.
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class TenantSpend final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "tenant_spend"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"usage.", "tenant.spend_cap"});
  }
};

}  // namespace lf::projections
