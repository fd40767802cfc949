// usage_records: one row per usage record (Agent Factory usage_records),
// quantities and prices exact.
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class UsageRecords final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "usage_records"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"usage.recorded"});
  }
};

}  // namespace lf::projections
