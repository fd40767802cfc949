// credit_ledger: one row per credits event; `credits` is its signed change to
// effective available and `balance_after` the effective available after it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "projections/projection.hpp"

namespace lf::projections {

class CreditLedger final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "credit_ledger"; }
  int32_t version() const override { return 1; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    return park_prefixed(type, {"credits."});
  }
};

// The ledger entry type ("reserved", ...) of a credits event type, if any.
std::optional<std::string_view> ledger_entry_type(std::string_view event_type);
// The signed change to effective available of a credits event.
int64_t ledger_credits(std::string_view event_type, const rapidjson::Value& payload);

}  // namespace lf::projections
