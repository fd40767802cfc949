// The approvals kind (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kApprovalsRequiredColumns;
extern const std::vector<std::string_view> kApprovalsOptionalColumns;
std::variant<ConvertedRow, RowError> convert_approval_row(const Columns& columns,
                                                          const CsvRecord& record);
std::optional<engine::Rejection> precheck_approvals(const PrecheckInput& input);

}  // namespace lf::importer
