// The approvals kind (Leadmetrics approvals, shared/seeds/001; a media-buy
// or creative approval names its subject with subject_kind and subject_id):
// each row becomes a row of import.approvals, the approval as the payload a
// live approval.request would carry plus its status, outcome and times;
// pre-checked with the engine's own parse, schema and decision
// (engine/workflow/import_approvals.hpp). The subjects are checked by the
// engine, which knows them.
#include "importer/approvals.hpp"

#include "engine/intake.hpp"
#include "engine/workflow/import_approvals.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

namespace {

namespace workflow = engine::workflow;

constexpr std::size_t kIdLengthMax = 128;

// Copied as text when not NULL, bounded as approval.request and the
// outcome commands bound them.
constexpr TextColumn kRequestTexts[] = {{"title", "title", 500, true},
                                        {"content_ref", "content_ref", 2000, false},
                                        {"reviewer_id", "reviewer_id", kIdLengthMax, false}};
constexpr TextColumn kOutcomeTexts[] = {{"reviewed_by", "reviewed_by", kIdLengthMax, false},
                                        {"reviewer_notes", "reviewer_notes", 2000, false},
                                        {"chosen_option", "chosen_option", 255, false}};

std::optional<std::string> text_problem(std::string_view name, std::string_view value,
                                        std::size_t length_max) {
  const std::optional<std::size_t> length = utf8_length(value);
  if (!value.empty() && length && *length <= length_max) return std::nullopt;
  return "column " + std::string(name) + ": not UTF-8 text of 1 to " + std::to_string(length_max) +
         " characters";
}

}  // namespace

const std::vector<std::string_view> kApprovalsRequiredColumns{
    "id", "tenant_id", "type", "risk_level", "status", "title", "expires_at"};
// created_on (Leadmetrics' base record) or created_at; activity_id is the
// activity the approval is for (Leadmetrics), subject_kind and subject_id
// name another subject (a media buy, a creative).
const std::vector<std::string_view> kApprovalsOptionalColumns{
    "created_on",     "created_at",    "activity_id", "subject_kind",
    "subject_id",     "content_ref",   "reviewer_id", "reviewed_by",
    "reviewer_notes", "chosen_option", "resolved_at", "sent_to_client_at"};

std::variant<ConvertedRow, RowError> convert_approval_row(const Columns& columns,
                                                          const CsvRecord& record) {
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return RowError{std::nullopt, "column tenant_id: not a uuid"};
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };
  auto refused = [&](std::string message) { return RowError{tenant_id, std::move(message)}; };

  // Enumerations as the seed spells them.
  const std::optional<std::string_view> status = text("status");
  if (!status || !workflow::parse_approval_status(*status))
    return refused(
        "column status: none of pending, approved, rejected, revision_requested, "
        "expired");
  const std::optional<std::string_view> type = text("type");
  if (!type || !workflow::parse_approval_type(*type))
    return refused("column type: none of the seeds' approval types");
  const std::optional<std::string_view> risk = text("risk_level");
  if (!risk || !workflow::parse_risk_level(*risk))
    return refused("column risk_level: none of low, medium, high, critical");

  // The subject: subject_kind and subject_id, else the activity.
  const std::optional<std::string_view> id = text("id");
  std::optional<std::string_view> subject_kind = text("subject_kind");
  std::optional<std::string_view> subject_id = text("subject_id");
  const std::optional<std::string_view> activity_id = text("activity_id");
  if (subject_kind.has_value() != subject_id.has_value())
    return refused("columns subject_kind and subject_id: both or neither");
  if (subject_kind && !workflow::parse_subject_kind(*subject_kind))
    return refused("column subject_kind: none of activity, media_buy, creative");
  if (!subject_kind && !activity_id)
    return refused("no subject (activity_id, or subject_kind and subject_id)");
  for (const auto& [name, value] : {std::pair{std::string_view("id"), id},
                                    std::pair{std::string_view("subject_id"), subject_id},
                                    std::pair{std::string_view("activity_id"), activity_id}}) {
    if (!value) continue;
    if (auto problem = text_problem(name, *value, kIdLengthMax)) return refused(*problem);
  }
  if (!id) return refused("column id: NULL");

  // Times.
  std::optional<int64_t> created_ms;
  for (const std::string_view name : {"created_on", "created_at"}) {
    if (const std::optional<std::string_view> value = text(name)) {
      created_ms = read_timestamp_ms(*value);
      if (!created_ms)
        return refused("column " + std::string(name) + ": not a timestamp with a time zone");
      break;
    }
  }
  if (!created_ms) return refused("no creation time (columns created_on or created_at)");
  JsonWriter writer;
  writer.begin_object();
  writer.key("request");
  writer.begin_object();
  writer.field("approval_id", *id);
  writer.key("subject");
  writer.begin_object();
  writer.field("kind", subject_kind.value_or("activity"));
  writer.field("id", subject_id ? *subject_id : *activity_id);
  writer.end_object();
  if (subject_kind && activity_id) writer.field("activity_id", *activity_id);  // the review step
  writer.field("type", *type);
  writer.field("risk_level", *risk);
  if (std::optional<std::string> problem =
          write_text_columns(writer, columns, record, kRequestTexts))
    return refused(*problem);
  const std::optional<std::string_view> expires_text = text("expires_at");
  const std::optional<int64_t> expires_ms =
      expires_text ? read_timestamp_ms(*expires_text) : std::nullopt;
  if (!expires_ms) return refused("column expires_at: not a timestamp with a time zone");
  writer.timestamp_field("expires_at", *expires_ms);
  writer.end_object();
  writer.field("status", *status);
  writer.timestamp_field("created_on", *created_ms);
  for (const std::string_view name : {"resolved_at", "sent_to_client_at"}) {
    const std::optional<std::string_view> value = text(name);
    if (!value) continue;
    const std::optional<int64_t> at = read_timestamp_ms(*value);
    if (!at) return refused("column " + std::string(name) + ": not a timestamp with a time zone");
    writer.timestamp_field(name, *at);
  }
  if (std::optional<std::string> problem =
          write_text_columns(writer, columns, record, kOutcomeTexts))
    return refused(*problem);
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *created_ms};
}

std::optional<engine::Rejection> precheck_approvals(const PrecheckInput& input) {
  Result<std::vector<workflow::ApprovalsChunk>> read =
      read_chunks(input, workflow::kImportApprovalsCommand, workflow::parse_approvals_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<workflow::ApprovalsChunk>& chunks = *read;
  return workflow::precheck_approvals_chunks(chunks, input.now_ms);
}

}  // namespace lf::importer
