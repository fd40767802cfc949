// audit_log: one row per event of every accepted commit record, credits
// included (docs/domains/workflow.md "Audit"): what was done to which
// resource, by whom, and whether it succeeded.
#pragma once

#include <string_view>
#include <utility>

#include "projections/projection.hpp"

namespace lf::projections {

class AuditLog final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "audit_log"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
};

// A stream name split at its first '/' into (resource_type, resource_id):
// "media_buy/mb-1/x" -> ("media_buy", "mb-1/x"). The id is null when there
// is no '/' or nothing follows it.
std::pair<Value, Value> stream_resource(std::string_view stream);

}  // namespace lf::projections
