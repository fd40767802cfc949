// The audit_logs kind (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kAuditRequiredColumns;
extern const std::vector<std::string_view> kAuditOptionalColumns;
std::variant<ConvertedRow, RowError> convert_audit_row(const Columns& columns,
                                                       const CsvRecord& record);
std::optional<engine::Rejection> precheck_audit_logs(const PrecheckInput& input);

}  // namespace lf::importer
