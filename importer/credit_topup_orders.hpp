// The credit_topup_orders kind (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kOrdersRequiredColumns;
extern const std::vector<std::string_view> kOrdersOptionalColumns;
std::variant<ConvertedRow, RowError> convert_order_row(const Columns& columns,
                                                       const CsvRecord& record);
std::optional<engine::Rejection> precheck_orders(const PrecheckInput& input);

}  // namespace lf::importer
