// llm_calls: one row per LLM call (Leadmetrics llm_calls), its cost exact as
// numeric(10,6) dollars, in the monthly partition of its created_on.
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class LlmCalls final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "llm_calls"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"usage.llm_call_recorded"});
  }
};

}  // namespace lf::projections
