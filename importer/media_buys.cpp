// The media_buys kind (the Prebid sales agent's media_buys and packages,
// shared/seeds/000): each buy row with its packages from the --packages file
// becomes a row of import.media_buys, the buy as the payload a live
// media_buy.create would carry plus its status and created_at; pre-checked
// with the engine's own parse, schema and decision
// (engine/workflow/import_buys.hpp).
#include "importer/media_buys.hpp"

#include "engine/intake.hpp"
#include "engine/workflow/import_buys.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

namespace {

constexpr std::size_t kIdLengthMax = 128;
constexpr std::size_t kCampaignNameLengthMax = 500;
constexpr std::size_t kBudgetLengthMax = 64;
constexpr std::size_t kJsonBytesMax = 64 * 1024;
// Nesting of pricing and targeting: the command around them (import.media_buys
// row, buy, packages) stays within the engine's command depth of 32.
constexpr uint32_t kJsonDepthMax = 20;

// Text of 1 to `length_max` characters; nullopt and `error` set otherwise.
std::optional<std::string_view> bounded_text(std::optional<std::string_view> value,
                                             std::string_view name, std::size_t length_max,
                                             bool required, std::string& error) {
  if (!value) {
    if (required) error = "column " + std::string(name) + ": NULL";
    return std::nullopt;
  }
  const std::optional<std::size_t> length = utf8_length(*value);
  if (value->empty() || !length || *length > length_max) {
    error = "column " + std::string(name) + ": not UTF-8 text of 1 to " +
            std::to_string(length_max) + " characters";
    return std::nullopt;
  }
  return value;
}

}  // namespace

// The seed's media_buys columns (id, the buy's; currency is not the seed's:
// without it a buy is in USD).
const std::vector<std::string_view> kBuysRequiredColumns{
    "id",     "tenant_id",  "principal_id", "campaign_name",
    "status", "start_date", "end_date",     "created_at"};
const std::vector<std::string_view> kBuysOptionalColumns{"buyer_ref", "currency"};
// The seed's packages columns; tenant_id is not the seed's (a join with
// media_buys adds it, so a package of an unknown buy refuses its tenant).
const std::vector<std::string_view> kPackagesRequiredColumns{"id", "media_buy_id", "product_id",
                                                             "budget"};
const std::vector<std::string_view> kPackagesOptionalColumns{"pricing", "targeting", "tenant_id"};

std::variant<std::pair<std::string, ChildRow>, RowError> convert_package_row(
    const Columns& columns, const CsvRecord& record) {
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };
  std::optional<std::string> tenant_id;
  if (const std::optional<std::string_view> tenant_text = text("tenant_id")) {
    tenant_id = read_uuid(*tenant_text);
    if (!tenant_id) return RowError{std::nullopt, "column tenant_id: not a uuid"};
  }
  std::string error;
  const std::optional<std::string_view> parent =
      bounded_text(text("media_buy_id"), "media_buy_id", kIdLengthMax, true, error);
  if (!parent) return RowError{tenant_id, error};
  ChildRow row{record.line, tenant_id, {}, std::nullopt};
  JsonWriter writer;
  writer.begin_object();
  for (const auto& [column, field] :
       {std::pair<std::string_view, std::string_view>{"id", "package_id"},
        {"product_id", "product_id"}}) {
    const std::optional<std::string_view> value =
        bounded_text(text(column), column, kIdLengthMax, true, error);
    if (!value) {
      row.error = error;
      return std::make_pair(std::string(*parent), std::move(row));
    }
    writer.field(field, *value);
  }
  // The seed's float as PostgreSQL prints it, read exactly by the engine.
  const std::optional<std::string_view> budget =
      bounded_text(text("budget"), "budget", kBudgetLengthMax, true, error);
  if (!budget) {
    row.error = error;
    return std::make_pair(std::string(*parent), std::move(row));
  }
  writer.field("budget", *budget);
  for (const std::string_view name : {"pricing", "targeting"}) {
    const std::optional<std::string_view> value = text(name);
    if (!value || *value == "null") continue;
    Result<std::unique_ptr<rapidjson::Document>> parsed = parse_json_bounded(
        *value, JsonLimits{.max_bytes = kJsonBytesMax, .max_depth = kJsonDepthMax});
    if (!parsed || !(*parsed)->IsObject()) {
      row.error = "column " + std::string(name) + ": not a JSON object";
      return std::make_pair(std::string(*parent), std::move(row));
    }
    writer.key(name);
    writer.raw(json_to_string(**parsed));
  }
  writer.end_object();
  row.json = writer.str();
  return std::make_pair(std::string(*parent), std::move(row));
}

std::variant<ConvertedRow, RowError> convert_buy_row(const Columns& columns,
                                                     const CsvRecord& record, ChildRows& packages) {
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };
  // Its packages, taken even when the buy is refused (their buy is known).
  if (const std::optional<std::string_view> raw_id = text("id"))
    packages.taken.insert(std::string(*raw_id));
  const std::optional<std::string_view> tenant_text = text("tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return RowError{std::nullopt, "column tenant_id: not a uuid"};
  std::string error;
  const std::optional<std::string_view> id =
      bounded_text(text("id"), "id", kIdLengthMax, true, error);
  if (!id) return RowError{tenant_id, error};
  const auto found = packages.by_parent.find(std::string(*id));
  if (found == packages.by_parent.end())
    return RowError{tenant_id, "no package in " + packages.file + " (a buy has 1 to 100)"};
  for (const ChildRow& package : found->second) {
    if (package.error)
      return RowError{tenant_id,
                      packages.file + ":" + std::to_string(package.line) + ": " + *package.error};
    if (package.tenant_id && *package.tenant_id != *tenant_id)
      return RowError{tenant_id, packages.file + ":" + std::to_string(package.line) +
                                     ": the package's tenant_id is " + *package.tenant_id};
  }

  JsonWriter writer;
  writer.begin_object();
  const std::optional<std::string_view> status = text("status");
  if (!status || !engine::workflow::parse_buy_status(*status)) {
    return RowError{tenant_id,
                    "column status: " +
                        (status ? "'" + printable_excerpt(*status) + "'" : std::string("NULL")) +
                        " is none of pending, approved, active, paused, completed, "
                        "failed"};
  }
  writer.field("status", *status);
  const std::optional<std::string_view> created_text = text("created_at");
  const std::optional<int64_t> created_at_ms =
      created_text ? read_timestamp_ms(*created_text) : std::nullopt;
  if (!created_at_ms)
    return RowError{tenant_id, "column created_at: not a timestamp with a time zone"};
  writer.timestamp_field("created_at", *created_at_ms);
  writer.key("package_lines");
  writer.begin_array();
  for (const ChildRow& package : found->second) writer.int64(package.line);
  writer.end_array();
  writer.key("media_buy");
  writer.begin_object();
  writer.field("media_buy_id", *id);
  struct TextColumn {
    std::string_view name;
    std::size_t length_max;
    bool required;
  };
  constexpr TextColumn kTexts[] = {{"principal_id", kIdLengthMax, true},
                                   {"campaign_name", kCampaignNameLengthMax, true},
                                   {"buyer_ref", kIdLengthMax, false},
                                   {"currency", 3, false}};
  for (const TextColumn& column : kTexts) {
    const std::optional<std::string_view> value =
        bounded_text(text(column.name), column.name, column.length_max, column.required, error);
    if (!error.empty()) return RowError{tenant_id, error};
    if (value) writer.field(column.name, *value);
  }
  for (const std::string_view name : {"start_date", "end_date"}) {
    const std::optional<std::string_view> value = text(name);
    if (!value || !read_date_days(*value))
      return RowError{tenant_id, "column " + std::string(name) + ": not a date (YYYY-MM-DD)"};
    writer.field(name, *value);
  }
  writer.key("packages");
  writer.begin_array();
  for (const ChildRow& package : found->second) writer.raw(package.json);
  writer.end_array();
  writer.field("requires_approval", false);
  writer.end_object();
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *created_at_ms};
}

std::variant<ConvertedRow, RowError> convert_buy_row_alone(const Columns& columns,
                                                           const CsvRecord& record) {
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  return RowError{tenant_text ? read_uuid(*tenant_text) : std::nullopt,
                  "a media buy comes with its packages (--packages FILE)"};
}

std::optional<engine::Rejection> precheck_media_buys(const PrecheckInput& input) {
  namespace workflow = engine::workflow;
  Result<std::vector<workflow::MediaBuysChunk>> read =
      read_chunks(input, workflow::kImportMediaBuysCommand, workflow::parse_media_buys_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<workflow::MediaBuysChunk>& chunks = *read;
  return workflow::precheck_media_buys_chunks(chunks, input.now_ms);
}

}  // namespace lf::importer
