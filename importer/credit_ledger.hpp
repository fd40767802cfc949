// The credit_ledger kind (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kLedgerRequiredColumns;
extern const std::vector<std::string_view> kLedgerOptionalColumns;
std::variant<ConvertedRow, RowError> convert_ledger_row(const Columns& columns,
                                                        const CsvRecord& record);
std::optional<engine::Rejection> precheck_ledger(const PrecheckInput& input);

}  // namespace lf::importer
