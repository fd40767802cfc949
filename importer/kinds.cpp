// The table of import kinds, and what converters share.
#include "importer/kinds.hpp"

#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/activities.hpp"
#include "importer/activity_runs.hpp"
#include "importer/approvals.hpp"
#include "importer/audit_logs.hpp"
#include "importer/credit_ledger.hpp"
#include "importer/credit_topup_orders.hpp"
#include "importer/llm_calls.hpp"
#include "importer/media_buys.hpp"
#include "importer/values.hpp"

namespace lf::importer {

namespace {

const std::vector<KindSpec>& kinds() {
  static const std::vector<KindSpec> table{
      KindSpec{"credit_ledger", "import.credit_ledger", kLedgerRequiredColumns,
               kLedgerOptionalColumns, &convert_ledger_row, &precheck_ledger, true},
      KindSpec{"credit_topup_orders", "import.credit_topup_orders", kOrdersRequiredColumns,
               kOrdersOptionalColumns, &convert_order_row, &precheck_orders, false, true},
      KindSpec{"llm_calls", "import.llm_calls", kLlmCallsRequiredColumns, kLlmCallsOptionalColumns,
               &convert_llm_call_row, &precheck_llm_calls, false},
      KindSpec{"audit_logs", "import.audit_logs", kAuditRequiredColumns, kAuditOptionalColumns,
               &convert_audit_row, &precheck_audit_logs, false},
      KindSpec{"media_buys", "import.media_buys", kBuysRequiredColumns, kBuysOptionalColumns,
               &convert_buy_row_alone, &precheck_media_buys, false},
      KindSpec{"approvals", "import.approvals", kApprovalsRequiredColumns,
               kApprovalsOptionalColumns, &convert_approval_row, &precheck_approvals, false, true},
      KindSpec{"activities", "import.activities", kActivitiesRequiredColumns,
               kActivitiesOptionalColumns, &convert_activity_row, &precheck_activities, false},
      KindSpec{"activity_runs", "import.activity_runs", kActivityRunsRequiredColumns,
               kActivityRunsOptionalColumns, &convert_activity_run_row, &precheck_activity_runs,
               false, true},
  };
  return table;
}

}  // namespace

Columns::Columns(const CsvHeader& header, const std::vector<std::string_view>& names) {
  positions_.reserve(names.size());
  for (const std::string_view name : names) positions_.emplace_back(name, header.find(name));
}

const CsvField* Columns::get(const CsvRecord& record, std::string_view name) const {
  for (const auto& [column, position] : positions_) {
    if (column != name) continue;
    if (!position || *position >= record.fields.size()) return nullptr;
    return &record.fields[*position];
  }
  return nullptr;
}

std::optional<std::string_view> field_text(const Columns& columns, const CsvRecord& record,
                                           std::string_view name) {
  const CsvField* field = columns.get(record, name);
  if (field == nullptr || !*field) return std::nullopt;
  return std::string_view(**field);
}

std::optional<std::string> write_text_columns(JsonWriter& writer, const Columns& columns,
                                              const CsvRecord& record,
                                              std::span<const TextColumn> texts) {
  for (const TextColumn& column : texts) {
    const std::optional<std::string_view> value = field_text(columns, record, column.column);
    const std::string name(column.column);
    if (!value) {
      if (column.required) return "column " + name + ": NULL";
      continue;
    }
    const std::optional<std::size_t> length = utf8_length(*value);
    if (value->empty() || !length || *length > column.length_max) {
      return "column " + name + ": not UTF-8 text of 1 to " + std::to_string(column.length_max) +
             " characters";
    }
    writer.field(column.field, *value);
  }
  return std::nullopt;
}

const KindSpec* find_kind(std::string_view name) {
  for (const KindSpec& kind : kinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

std::vector<std::string_view> kind_names() {
  std::vector<std::string_view> names;
  for (const KindSpec& kind : kinds()) names.push_back(kind.name);
  return names;
}

const std::vector<std::string_view> kBalanceRequiredColumns{"tenant_id",         "credits_monthly",
                                                            "credits_available", "credits_reserved",
                                                            "credits_consumed",  "credits_topup"};
const std::vector<std::string_view> kBalanceOptionalColumns{"period_start", "period_end"};

std::variant<std::pair<std::string, std::string>, RowError> convert_expected_balance(
    const Columns& columns, const CsvRecord& record) {
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return RowError{std::nullopt, "column tenant_id: not a uuid"};
  JsonWriter writer;
  writer.begin_object();
  for (std::size_t i = 1; i < kBalanceRequiredColumns.size(); ++i) {
    const std::string_view name = kBalanceRequiredColumns[i];
    const std::optional<std::string_view> text = field_text(columns, record, name);
    const std::optional<int64_t> value = text ? read_integer(*text) : std::nullopt;
    if (!value || *value < 0)
      return RowError{tenant_id, "column " + std::string(name) + ": not an integer >= 0"};
    writer.field(name, *value);
  }
  for (const std::string_view name : kBalanceOptionalColumns) {
    const std::optional<std::string_view> text = field_text(columns, record, name);
    if (!text) continue;
    const std::optional<int32_t> day = read_date_days(*text);
    if (!day)
      return RowError{tenant_id, "column " + std::string(name) + ": not a date (YYYY-MM-DD)"};
    writer.field(name, format_date_days(*day));
  }
  writer.end_object();
  return std::make_pair(*tenant_id, writer.str());
}

const ChildSpec* find_child_spec(std::string_view kind) {
  static const ChildSpec packages{
      "media_buys",         "--packages",    kPackagesRequiredColumns, kPackagesOptionalColumns,
      &convert_package_row, &convert_buy_row};
  return kind == packages.kind ? &packages : nullptr;
}

}  // namespace lf::importer
