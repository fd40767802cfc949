// approvals: one row per approval and its status (pending -> approved |
// rejected | revision_requested | expired), its review step, its reviewer and
// its outcome, and the escalation chain (escalated_from, follow_up_approval_id).
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class Approvals final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "approvals"; }
  int32_t version() const override { return 2; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"approval."});
  }
};

}  // namespace lf::projections
