// The activity_runs kind (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kActivityRunsRequiredColumns;
extern const std::vector<std::string_view> kActivityRunsOptionalColumns;
std::variant<ConvertedRow, RowError> convert_activity_run_row(const Columns& columns,
                                                              const CsvRecord& record);
std::optional<engine::Rejection> precheck_activity_runs(const PrecheckInput& input);

}  // namespace lf::importer
