// activity_runs: one row per run of an activity, from its start (running,
// with its credit hold) to its end (completed | failed | timed_out, with
// what it used and was charged).
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class ActivityRuns final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "activity_runs"; }
  int32_t version() const override { return 2; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"activity."});
  }
};

}  // namespace lf::projections
