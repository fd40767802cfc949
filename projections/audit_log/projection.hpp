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
  int32_t version() const override { return 2; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  // Its own types need their own mapping; any other event gets the generic
  // row every event of another domain gets, so the trail stays complete.
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"audit.", "command."}) == UnknownEventPolicy::park
               ? UnknownEventPolicy::park
               : UnknownEventPolicy::apply;
  }
};

// A stream name split at its first '/' into (resource_type, resource_id):
// "media_buy/mb-1/x" -> ("media_buy", "mb-1/x"). The id is null when there
// is no '/' or nothing follows it.
std::pair<Value, Value> stream_resource(std::string_view stream);

}  // namespace lf::projections
