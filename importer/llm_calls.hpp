// The llm_calls kind (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kLlmCallsRequiredColumns;
extern const std::vector<std::string_view> kLlmCallsOptionalColumns;
std::variant<ConvertedRow, RowError> convert_llm_call_row(const Columns& columns,
                                                          const CsvRecord& record);
std::optional<engine::Rejection> precheck_llm_calls(const PrecheckInput& input);

}  // namespace lf::importer
