// The activities kind (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kActivitiesRequiredColumns;
extern const std::vector<std::string_view> kActivitiesOptionalColumns;
std::variant<ConvertedRow, RowError> convert_activity_row(const Columns& columns,
                                                          const CsvRecord& record);
std::optional<engine::Rejection> precheck_activities(const PrecheckInput& input);

}  // namespace lf::importer
