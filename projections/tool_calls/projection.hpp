// tool_calls: one row per tool call (Leadmetrics tool_calls).
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class ToolCalls final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "tool_calls"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"usage.tool_call_recorded"});
  }
};

}  // namespace lf::projections
