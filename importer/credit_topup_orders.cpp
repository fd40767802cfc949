// The credit_topup_orders kind (Leadmetrics credit_topup_orders,
// shared/seeds/001): rows to import.credit_topup_orders chunks, and their
// pre-check with the engine's own parse, schema and decision
// (engine/credits/import_orders.hpp).
#include "importer/credit_topup_orders.hpp"

#include "engine/credits/events.hpp"
#include "engine/credits/import_orders.hpp"
#include "engine/intake.hpp"
#include "events/json.hpp"
#include "events/schema_registry.hpp"
#include "events/time.hpp"
#include "importer/chunks.hpp"
#include "importer/values.hpp"

namespace lf::importer {

namespace {

// Leadmetrics prices its bundles in rupees: amount_inr is paise.
constexpr std::string_view kSeedCurrency = "INR";
constexpr int64_t kAmountMax = 1'000'000'000'000'000;   // 10^15, as the schema
constexpr int64_t kCreditsMax = 1'000'000'000'000'000;  // 10^15, as the schema

}  // namespace

const std::vector<std::string_view> kOrdersRequiredColumns{
    "tenant_id", "razorpay_order_id", "credits", "amount_inr", "status", "created_at"};
// refunded_at is no seed column: a refunded order's time is refunded_at
// when the export has it, else updated_at.
const std::vector<std::string_view> kOrdersOptionalColumns{"paid_at", "expires_at", "refunded_at",
                                                           "updated_at"};

std::variant<ConvertedRow, RowError> convert_order_row(const Columns& columns,
                                                       const CsvRecord& record) {
  const std::optional<std::string_view> tenant_text = field_text(columns, record, "tenant_id");
  const std::optional<std::string> tenant_id = tenant_text ? read_uuid(*tenant_text) : std::nullopt;
  if (!tenant_id) return row_error(std::nullopt, "column tenant_id: not a uuid");
  auto text = [&](std::string_view name) { return field_text(columns, record, name); };

  const std::optional<std::string_view> order_id = text("razorpay_order_id");
  if (!order_id || order_id->empty())
    return row_error(tenant_id, "column razorpay_order_id: empty (NULL or \"\")");
  const std::optional<std::size_t> order_id_length = utf8_length(*order_id);
  if (!order_id_length || *order_id_length > 128)
    return row_error(tenant_id,
                     "column razorpay_order_id: not UTF-8 text of at most 128 characters");
  const std::optional<std::string_view> status = text("status");
  if (!status || !engine::credits::parse_topup_order_status(*status)) {
    return row_error(tenant_id,
                     "column status: " +
                         (status ? "'" + printable_excerpt(*status) + "'" : std::string("NULL")) +
                         " is none of pending, paid, failed, refunded");
  }
  const std::optional<int64_t> credits =
      text("credits") ? read_integer(*text("credits")) : std::nullopt;
  if (!credits || *credits <= 0 || *credits > kCreditsMax)
    return row_error(tenant_id, "column credits: not an integer from 1 to 10^15");
  const std::optional<int64_t> amount =
      text("amount_inr") ? read_integer(*text("amount_inr")) : std::nullopt;
  if (!amount || *amount < 0 || *amount > kAmountMax)
    return row_error(tenant_id, "column amount_inr: not an integer (paise) from 0 to 10^15");

  // Timestamps: created_at required, the others when set.
  std::optional<int64_t> times[4];
  constexpr std::string_view kTimeColumns[] = {"created_at", "paid_at", "expires_at",
                                               "refunded_at"};
  for (std::size_t i = 0; i < 4; ++i) {
    std::optional<std::string_view> value = text(kTimeColumns[i]);
    if (i == 3 && !value && *status == "refunded") value = text("updated_at");
    if (!value) {
      if (i == 0) return row_error(tenant_id, "column created_at: NULL");
      continue;
    }
    times[i] = read_timestamp_ms(*value);
    if (!times[i]) {
      return row_error(
          tenant_id,
          "column " + std::string(i == 3 && !text("refunded_at") ? "updated_at" : kTimeColumns[i]) +
              ": not a timestamp with a time zone");
    }
  }

  JsonWriter writer;
  writer.begin_object();
  writer.field("topup_order_id", *order_id);
  writer.field("status", *status);
  writer.field("credits", *credits);
  writer.field("amount_minor", *amount);
  writer.field("currency", kSeedCurrency);
  writer.timestamp_field("created_at", *times[0]);
  writer.timestamp_field("paid_at", times[1]);
  writer.timestamp_field("expires_at", times[2]);
  writer.timestamp_field("refunded_at", times[3]);
  writer.end_object();
  return ConvertedRow{*tenant_id, writer.str(), *times[0]};
}

std::optional<engine::Rejection> precheck_orders(const PrecheckInput& input) {
  namespace credits = engine::credits;
  Result<std::vector<credits::OrdersChunk>> read =
      read_chunks(input, credits::kImportOrdersCommand, credits::parse_orders_chunk);
  if (!read) return refusal_of(read.error());
  const std::vector<credits::OrdersChunk>& chunks = *read;
  // The tenant's imported ledger is the engine's: what depends on it
  // (order_not_credited, order_mismatch) is checked when the engine decides.
  return credits::precheck_orders_chunks(credits::State{}, 0, chunks,
                                         /*assume_ledger_credits_paid=*/true);
}

}  // namespace lf::importer
