// credit_ledger: one row per credits event (per entry of an imported chunk); `credits` is its
// signed change to effective available and `balance_after` the effective available after it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// The key (event_id column) of the index-th entry of a credits.ledger_imported
// event: "<event_id>:<index, 4 digits>", so rows sort in log order.
inline constexpr std::size_t kImportedEntryKeyDigits = 4;
std::string imported_entry_key(std::string_view event_id, std::size_t index);

// The ledger entry type ("reserved", ...) of a credits event type, if any.
std::optional<std::string_view> ledger_entry_type(std::string_view event_type);
// The signed change to effective available of a credits event.
int64_t ledger_credits(std::string_view event_type, const rapidjson::Value& payload);

}  // namespace lf::projections
