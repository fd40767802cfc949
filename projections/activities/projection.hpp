// activities: one row per activity, its status, assignee and review notes;
// the agent_queue and human_queue views read its open rows. Runs are in
// activity_runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "projections/projection.hpp"

namespace lf::projections {

class Activities final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "activities"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"activity."});
  }
};

// The queue order of a priority: 0 urgent, 1 high, 2 medium, 3 low.
std::optional<int64_t> priority_rank(std::string_view priority);

}  // namespace lf::projections
