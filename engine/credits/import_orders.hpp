// Importing a seed platform's top-up orders (Leadmetrics credit_topup_orders,
// docs/migrating.md "credit_topup_orders"): the `import.credit_topup_orders`
// command as a typed chunk of orders, the rules each order must pass, and the
// one event a chunk becomes, `topup_order.imported`. An imported order is
// history: it grants no credits (a paid order's credits are the imported
// ledger's `topup` entry of the same order id); it makes the order known so
// that a later live webhook (topup_order.pay / refund) is answered as it
// would have been on the platform. The CLI pre-checks with these functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/import.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "events/result.hpp"

namespace lf::engine::credits {

inline constexpr std::string_view kImportOrdersCommand = "import.credit_topup_orders";
inline constexpr std::string_view kOrdersImportedEvent = "topup_order.imported";
inline constexpr std::string_view kOrdersKind = "credit_topup_orders";

// Refusals only this kind has (the others: import_reason).
namespace import_reason {
// A paid or refunded order whose credits no topup entry of the tenant's
// ledger brought in (import credit_ledger first).
inline constexpr const char* kOrderNotCredited = "order_not_credited";
// The order and the tenant's ledger disagree: a pending or failed order the
// ledger credited, a refunded one whose top-up lot still has credits, a lot
// holding more than its order's credits.
inline constexpr const char* kOrderMismatch = "order_mismatch";
}  // namespace import_reason

// One credit_topup_orders row, typed.
struct OrderRow {
  int64_t line = 0;
  std::string topup_order_id;  // razorpay_order_id
  TopupOrderStatus status = TopupOrderStatus::pending;
  int64_t credits = 0;       // > 0
  int64_t amount_minor = 0;  // amount_inr: paise
  std::string currency;      // "INR" for Leadmetrics
  int64_t created_at_ms = 0;
  std::optional<int64_t> paid_at_ms;      // paid and refunded orders, and only they
  std::optional<int64_t> expires_at_ms;   // as the platform set it
  std::optional<int64_t> refunded_at_ms;  // refunded orders, and only they
  bool operator==(const OrderRow&) const = default;
};

// The payload of one import.credit_topup_orders command (and, with the same
// rows, of its topup_order.imported event).
struct OrdersChunk {
  std::string import_id;
  int64_t chunk = 0;
  int64_t chunks = 0;
  bool append = false;
  ImportSource source;
  std::vector<OrderRow> rows;
  bool operator==(const OrdersChunk&) const = default;
};

// One row of a chunk's "rows" as JSON (the CLI writes them one by one).
std::string encode_order_row(const OrderRow& row);
std::string encode_orders_chunk(const OrdersChunk& chunk);
// Never throws; the error code is the rejection reason (invalid_payload,
// invalid_row).
Result<OrdersChunk> parse_orders_chunk(const rapidjson::Value* payload);

// The decision on one chunk (credits_stream_version: the tenant's credits
// events so far).
Decision decide_orders_chunk(const State& state, int64_t credits_stream_version,
                             const OrdersChunk& chunk, const std::string& stream);

// Applies a topup_order.imported payload (the log is trusted: asserts).
void evolve_orders_imported(State& state, const rapidjson::Value& payload);

// The CLI's pre-check: every chunk in order on `state`; nullopt when all
// would be accepted, else the first refusal. Checks that need the tenant's
// imported ledger (order_not_credited, order_mismatch) are the engine's:
// with `assume_ledger_credits_paid`, a paid or refunded order counts as
// credited by a ledger that has no lot left for it.
std::optional<Rejection> precheck_orders_chunks(State state, int64_t credits_stream_version,
                                                const std::vector<OrdersChunk>& chunks,
                                                bool assume_ledger_credits_paid);

}  // namespace lf::engine::credits
