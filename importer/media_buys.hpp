// The media_buys kind with its packages (importer/kinds.hpp).
#pragma once

#include "importer/kinds.hpp"

namespace lf::importer {

extern const std::vector<std::string_view> kBuysRequiredColumns;
extern const std::vector<std::string_view> kBuysOptionalColumns;
extern const std::vector<std::string_view> kPackagesRequiredColumns;
extern const std::vector<std::string_view> kPackagesOptionalColumns;
// A buy row with its packages (ChildSpec::convert_parent).
std::variant<ConvertedRow, RowError> convert_buy_row(const Columns& columns,
                                                     const CsvRecord& record, ChildRows& packages);
// A buy row without a packages file: refused (a buy comes with its packages).
std::variant<ConvertedRow, RowError> convert_buy_row_alone(const Columns& columns,
                                                           const CsvRecord& record);
// A packages row: (media_buy_id, the package as media_buy.create carries it).
std::variant<std::pair<std::string, ChildRow>, RowError> convert_package_row(
    const Columns& columns, const CsvRecord& record);
std::optional<engine::Rejection> precheck_media_buys(const PrecheckInput& input);

}  // namespace lf::importer
