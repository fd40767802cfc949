// event_log: the archive of every event of every accepted commit record,
// with its place in the log, so a rebuild can read from PostgreSQL when the
// broker no longer holds the start of the log.
#pragma once

#include "projections/projection.hpp"

namespace lf::projections {

class EventLog final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "event_log"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  // The archive keeps every event it can decode, known or not.
  UnknownEventPolicy unknown_event_policy(std::string_view) const override {
    return UnknownEventPolicy::apply;
  }
};

}  // namespace lf::projections
