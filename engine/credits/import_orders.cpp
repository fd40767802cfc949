// Deciding and evolving import.credit_topup_orders chunks (import_orders.hpp,
// docs/migrating.md "credit_topup_orders"): each order's lifecycle as the
// platform left it, checked against what the tenant's imported ledger
// credited; the order is recorded, no credits move.
#include "engine/credits/import_orders.hpp"

#include <algorithm>

#include "engine/credits/events.hpp"
#include "engine/credits/import_codec.hpp"
#include "engine/credits/import_reader.hpp"
#include "engine/credits/import_sequence.hpp"
#include "events/time.hpp"

namespace lf::engine::credits {

namespace {

namespace why = import_reason;

constexpr int64_t kAmountMinorMax = kCreditsPerCommandMax;  // 10^15 minor units

std::string order_text(const OrderRow& row) {
  return "top-up order " + row.topup_order_id + " (" + std::string(to_string(row.status)) + ")";
}

bool credited_status(TopupOrderStatus status) {
  return status == TopupOrderStatus::paid || status == TopupOrderStatus::refunded;
}

// What the row alone must be: the times its status needs, in order.
std::optional<Rejection> shape_problem(const OrderRow& row) {
  const bool credited = credited_status(row.status);
  const bool refunded = row.status == TopupOrderStatus::refunded;
  if (credited != row.paid_at_ms.has_value()) {
    return Rejection{why::kInvalidRow,
                     order_text(row) + (credited ? " has no paid_at" : " has a paid_at")};
  }
  if (refunded != row.refunded_at_ms.has_value()) {
    return Rejection{
        why::kInvalidRow,
        order_text(row) + (refunded ? " has no refund time (refunded_at, else updated_at)"
                                    : " has a refunded_at")};
  }
  if (row.paid_at_ms && *row.paid_at_ms < row.created_at_ms) {
    return Rejection{why::kInvalidRow,
                     order_text(row) + " was paid at " + format_rfc3339_ms(*row.paid_at_ms) +
                         ", before it was created at " + format_rfc3339_ms(row.created_at_ms)};
  }
  if (row.refunded_at_ms && row.paid_at_ms && *row.refunded_at_ms < *row.paid_at_ms) {
    return Rejection{why::kInvalidRow, order_text(row) + " was refunded at " +
                                           format_rfc3339_ms(*row.refunded_at_ms) +
                                           ", before it was paid at " +
                                           format_rfc3339_ms(*row.paid_at_ms)};
  }
  return std::nullopt;
}

// The order against the tenant: unknown so far, and as the ledger has it.
std::optional<Rejection> state_problem(const State& state, const OrderRow& row) {
  if (auto found = state.topup_orders.find(row.topup_order_id); found != state.topup_orders.end()) {
    return Rejection{why::kDuplicateTopupOrder, "top-up order " + row.topup_order_id + " exists (" +
                                                    std::string(to_string(found->second.status)) +
                                                    ")"};
  }
  if (state.topup_orders.size() >= kTopupOrdersMax) {
    return Rejection{why::kLimitExceeded, "the tenant would have more than " +
                                              std::to_string(kTopupOrdersMax) + " top-up orders"};
  }
  const bool credited = state.topup_orders_seen.contains(row.topup_order_id);
  if (credited_status(row.status) && !credited) {
    return Rejection{why::kOrderNotCredited,
                     order_text(row) +
                         ": no topup entry of the tenant's ledger credited it; import "
                         "the tenant's credit_ledger before its credit_topup_orders"};
  }
  if (!credited_status(row.status) && credited) {
    return Rejection{why::kOrderMismatch,
                     order_text(row) + ": the tenant's ledger credited this order"};
  }
  auto lot = state.book.topup_lots.find(row.topup_order_id);
  if (lot == state.book.topup_lots.end()) return std::nullopt;
  if (row.status == TopupOrderStatus::refunded) {
    return Rejection{why::kOrderMismatch, order_text(row) + ": its top-up lot still has " +
                                              std::to_string(lot->second.remaining_credits) +
                                              " credits in the tenant's ledger"};
  }
  if (lot->second.remaining_credits > row.credits) {
    return Rejection{why::kOrderMismatch, order_text(row) + " is for " +
                                              std::to_string(row.credits) +
                                              " credits, but its top-up lot still has " +
                                              std::to_string(lot->second.remaining_credits)};
  }
  return std::nullopt;
}

void record_order(State& state, const OrderRow& row) {
  TopupOrder order{row.topup_order_id, row.status,         row.credits,
                   row.amount_minor,   row.currency,       row.expires_at_ms,
                   row.paid_at_ms,     row.refunded_at_ms, 0};
  const bool inserted = state.topup_orders.emplace(row.topup_order_id, std::move(order)).second;
  LF_ASSERT(inserted);
}

ImportHeader header_of(const OrdersChunk& chunk) {
  return ImportHeader{chunk.import_id, chunk.chunk, chunk.chunks, chunk.append, chunk.source};
}

std::optional<Rejection> decide_on(State& state, int64_t credits_stream_version,
                                   const OrdersChunk& chunk, bool assume_ledger_credits_paid) {
  const ImportHeader header = header_of(chunk);
  if (std::optional<Rejection> refused =
          refuse_import_sequence(state, credits_stream_version, header, kOrdersKind))
    return refused;
  for (const OrderRow& row : chunk.rows) {
    std::optional<Rejection> refused = shape_problem(row);
    if (!refused && assume_ledger_credits_paid && credited_status(row.status) &&
        !state.topup_orders.contains(row.topup_order_id)) {
      state.topup_orders_seen.insert(row.topup_order_id);
    }
    if (!refused) refused = state_problem(state, row);
    if (refused) {
      refused->message =
          chunk.source.file + ":" + std::to_string(row.line) + ": " + refused->message;
      return refused;
    }
    record_order(state, row);
  }
  record_import_progress(state, header, kOrdersKind);
  return std::nullopt;
}

// ---- JSON ----------------------------------------------------------------------

OrderRow read_order(ImportReader& in, const rapidjson::Value& row) {
  OrderRow order;
  order.line = in.integer(row, "line", 1, kLineMax);
  in.at_line(order.line);
  order.topup_order_id = in.text(row, "topup_order_id", kIdLengthMax);
  const std::optional<std::string> status = in.optional_text(row, "status", 16);
  if (const std::optional<TopupOrderStatus> parsed =
          status ? parse_topup_order_status(*status) : std::nullopt) {
    order.status = *parsed;
  } else {
    in.fail("status must be one of pending, paid, failed, refunded");
  }
  order.credits = in.integer(row, "credits", 1, kCreditsPerCommandMax);
  order.amount_minor = in.integer(row, "amount_minor", 0, kAmountMinorMax);
  order.currency = in.text(row, "currency", 3);
  if (!in.failed() &&
      (order.currency.size() != 3 || !std::all_of(order.currency.begin(), order.currency.end(),
                                                  [](char c) { return c >= 'A' && c <= 'Z'; }))) {
    in.fail("currency must be three capital letters (ISO 4217)");
  }
  order.created_at_ms = in.timestamp(row, "created_at");
  order.paid_at_ms = in.optional_timestamp(row, "paid_at");
  order.expires_at_ms = in.optional_timestamp(row, "expires_at");
  order.refunded_at_ms = in.optional_timestamp(row, "refunded_at");
  in.at_line(0);
  return order;
}

void write_order(JsonWriter& writer, const OrderRow& row) {
  writer.begin_object();
  writer.field("line", row.line);
  writer.field("topup_order_id", row.topup_order_id);
  writer.field("status", to_string(row.status));
  writer.field("credits", row.credits);
  writer.field("amount_minor", row.amount_minor);
  writer.field("currency", row.currency);
  writer.timestamp_field("created_at", row.created_at_ms);
  writer.timestamp_field("paid_at", row.paid_at_ms);
  writer.timestamp_field("expires_at", row.expires_at_ms);
  writer.timestamp_field("refunded_at", row.refunded_at_ms);
  writer.end_object();
}

// The rows of a command ("rows") or an event ("orders").
std::vector<OrderRow> read_orders(ImportReader& in, const rapidjson::Value& payload,
                                  std::string_view name) {
  std::vector<OrderRow> rows;
  const rapidjson::Value* items = json_member(payload, name);
  if (items == nullptr || !items->IsArray() || items->Empty() ||
      items->Size() > kImportChunkRowsMax) {
    in.fail(std::string(name) + " must be an array of 1 to " + std::to_string(kImportChunkRowsMax) +
            " orders");
    return rows;
  }
  rows.reserve(items->Size());
  for (const rapidjson::Value& item : items->GetArray()) {
    if (!item.IsObject()) {
      in.fail("every order is an object");
      break;
    }
    rows.push_back(read_order(in, item));
    if (in.failed()) break;
  }
  return rows;
}

std::string encode_imported(const OrdersChunk& chunk) {
  JsonWriter writer;
  writer.begin_object();
  writer.field("kind", kOrdersKind);
  write_import_header(writer, header_of(chunk));
  writer.key("orders");
  writer.begin_array();
  for (const OrderRow& row : chunk.rows) write_order(writer, row);
  writer.end_array();
  writer.end_object();
  return writer.str();
}

}  // namespace

std::string encode_order_row(const OrderRow& row) {
  JsonWriter writer;
  write_order(writer, row);
  return writer.str();
}

std::string encode_orders_chunk(const OrdersChunk& chunk) {
  JsonWriter writer;
  writer.begin_object();
  write_import_header(writer, header_of(chunk));
  writer.key("rows");
  writer.begin_array();
  for (const OrderRow& row : chunk.rows) write_order(writer, row);
  writer.end_array();
  writer.end_object();
  return writer.str();
}

Result<OrdersChunk> parse_orders_chunk(const rapidjson::Value* payload) {
  if (payload == nullptr || !payload->IsObject())
    return make_error("invalid_payload", "the payload is not an object");
  std::optional<Error> error;
  ImportReader in(error);
  ImportHeader header;
  read_import_header(in, *payload, header);
  OrdersChunk chunk{header.import_id, header.chunk,  header.chunks,
                    header.append,    header.source, {}};
  if (!in.failed()) chunk.rows = read_orders(in, *payload, "rows");
  if (error) return *error;
  return chunk;
}

Decision decide_orders_chunk(const State& state, int64_t credits_stream_version,
                             const OrdersChunk& chunk, const std::string& stream) {
  State scratch = state;
  return chunk_decision(decide_on(scratch, credits_stream_version, chunk, false),
                        kOrdersImportedEvent, stream, [&] { return encode_imported(chunk); });
}

void evolve_orders_imported(State& state, const rapidjson::Value& payload) {
  std::optional<Error> error;
  ImportReader in(error);
  OrdersChunk chunk;
  ImportHeader header;
  read_import_header(in, payload, header);
  chunk.import_id = header.import_id;
  chunk.chunk = header.chunk;
  chunk.chunks = header.chunks;
  chunk.append = header.append;
  chunk.source = header.source;
  chunk.rows = read_orders(in, payload, "orders");
  LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
  for (const OrderRow& row : chunk.rows) {
    const std::optional<Rejection> refused = shape_problem(row);
    LF_ASSERT_MSG(!refused.has_value(), refused ? refused->message.c_str() : "");
    const std::optional<Rejection> conflict = state_problem(state, row);
    LF_ASSERT_MSG(!conflict.has_value(), conflict ? conflict->message.c_str() : "");
    record_order(state, row);
  }
  record_import_progress(state, header, kOrdersKind);
}

std::optional<Rejection> precheck_orders_chunks(State state, int64_t credits_stream_version,
                                                const std::vector<OrdersChunk>& chunks,
                                                bool assume_ledger_credits_paid) {
  for (const OrdersChunk& chunk : chunks) {
    if (std::optional<Rejection> refused =
            decide_on(state, credits_stream_version, chunk, assume_ledger_credits_paid))
      return refused;
    ++credits_stream_version;  // the chunk's one event
  }
  return std::nullopt;
}

}  // namespace lf::engine::credits
