// Importing a seed platform's credit history (docs/migrating.md): the
// `import.credit_ledger` command as a typed chunk of ledger rows, the pure
// rules each row must pass (as it would live), and the one event a chunk
// becomes, `credits.ledger_imported`. The CLI pre-checks with the very same
// functions (importer/precheck.hpp) before it sends anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/state.hpp"
#include "engine/domain.hpp"
#include "events/result.hpp"

namespace lf::engine::credits {

inline constexpr std::string_view kImportLedgerCommand = "import.credit_ledger";
inline constexpr std::string_view kLedgerImportedEvent = "credits.ledger_imported";
inline constexpr std::string_view kLedgerKind = "credit_ledger";
inline constexpr int32_t kImportEventSchemaVersion = 1;

// Rows in one chunk (the CLI also keeps a chunk's payload under
// kImportChunkBytesMax, so its event stays far below the record limit).
inline constexpr std::size_t kImportChunkRowsMax = 1000;
inline constexpr std::size_t kImportChunkBytesMax = 256 * 1024;
inline constexpr int64_t kImportChunksMax = 1'000'000;
// An imported open hold lasts this long after its entry or the import,
// whichever is later; then the engine releases it like any expired hold.
inline constexpr int64_t kImportedReservationTtlMs = 24 * 3'600'000;
// Reservations an imported `reserved` entry opens are named so.
inline constexpr std::string_view kImportedReservationPrefix = "import:";

// Rejection reasons of import commands (docs/migrating.md "Refusals").
namespace import_reason {
inline constexpr const char* kInvalidRow = "invalid_row";
inline constexpr const char* kRunningBalance = "running_balance_mismatch";
inline constexpr const char* kNegativeBalance = "negative_balance";
inline constexpr const char* kTimestampOrder = "timestamps_out_of_order";
inline constexpr const char* kUnknownReservation = "unknown_reservation";
inline constexpr const char* kExceedsReservation = "exceeds_reservation";
inline constexpr const char* kDuplicateReservation = "duplicate_reservation";
inline constexpr const char* kDuplicateTopupOrder = "duplicate_topup_order";
inline constexpr const char* kExceedsConsumed = "exceeds_consumed";
inline constexpr const char* kLimitExceeded = "limit_exceeded";
inline constexpr const char* kBalanceMismatch = "balance_mismatch";
inline constexpr const char* kInvalidPeriod = "invalid_period";
inline constexpr const char* kAlreadyImported = "already_imported";
inline constexpr const char* kChunkOutOfOrder = "chunk_out_of_order";
inline constexpr const char* kImportConflict = "import_conflict";
inline constexpr const char* kLiveEvents = "tenant_has_live_events";
}  // namespace import_reason

enum class EntryType {
  allocated,
  topup,
  reserved,
  consumed,
  released,
  refunded,
  adjusted,
  expired
};
std::string_view to_string(EntryType type);
std::optional<EntryType> parse_entry_type(std::string_view text);

// One credit_ledger row, typed. `credits` is its signed change to effective
// available and `balance_after` the effective available after it, as in the
// seed and in ledgerflow's credit_ledger.
struct LedgerEntry {
  int64_t line = 0;                      // where the row starts in its file
  std::optional<std::string> source_id;  // the seed row's id
  EntryType type = EntryType::allocated;
  int64_t credits = 0;
  int64_t balance_after = 0;
  int64_t created_at_ms = 0;
  std::optional<std::string> activity_run_id;
  std::optional<std::string> deliverable_type;
  std::optional<std::string> topup_order_id;
  std::optional<std::string> actor;
  std::optional<std::string> note;
  // Set by the decision, carried by the event: the reservation a
  // reserved/released/consumed entry is about, the lot a top-up opens, and
  // when an imported hold expires.
  std::optional<std::string> reservation_id;
  std::optional<int64_t> expires_at_ms;
  // reserved, released, consumed: the reservation's status after the entry
  // (open, released, consumed) and the credits consumed against it so far.
  std::optional<std::string> hold_status;
  std::optional<int64_t> hold_consumed;
  // When the tenant's balance differs from the seed's (an --append import
  // beside live events): balance_after is then the tenant's effective
  // available after the entry, and this the seed's running balance.
  std::optional<int64_t> source_balance_after;
  bool operator==(const LedgerEntry&) const = default;
};

// The tenant's credit_balances row: the end state the import must reach.
struct ExpectedBalance {
  int64_t credits_monthly = 0;
  int64_t credits_available = 0;
  int64_t credits_reserved = 0;
  int64_t credits_consumed = 0;
  int64_t credits_topup = 0;
  std::optional<int32_t> period_start_day;
  std::optional<int32_t> period_end_day;
  bool operator==(const ExpectedBalance&) const = default;
};

struct ImportSource {
  std::string file;
  int64_t first_line = 0;
  int64_t last_line = 0;
  bool operator==(const ImportSource&) const = default;
};

// The payload of one import.credit_ledger command.
struct LedgerChunk {
  std::string import_id;
  int64_t chunk = 0;
  int64_t chunks = 0;
  bool append = false;
  ImportSource source;
  std::vector<LedgerEntry> rows;
  std::optional<ExpectedBalance> expected_balance;  // the last chunk's, when given
  bool operator==(const LedgerChunk&) const = default;
};

// The command payload as JSON, and back. Parsing re-checks what the
// decision relies on and never throws; the error code is the rejection
// reason (invalid_payload, invalid_row).
std::string encode_ledger_chunk(const LedgerChunk& chunk);
Result<LedgerChunk> parse_ledger_chunk(const rapidjson::Value* payload);

// The decision on one chunk. `credits_stream_version` is the tenant's
// credits stream version (its events so far, imports included).
Decision decide_ledger_chunk(const State& state, int64_t credits_stream_version,
                             const LedgerChunk& chunk, const std::string& stream, int64_t now_ms);

// Applies a credits.ledger_imported payload (the log is trusted: asserts).
void evolve_ledger_imported(State& state, const rapidjson::Value& payload);

// What the CLI runs before sending: decides every chunk in order on a
// scratch state, starting from `state` (the empty one for a fresh tenant),
// evolving it with each accepted chunk's event exactly as the engine will.
// nullopt: every chunk would be accepted; else the first refusal.
std::optional<Rejection> precheck_ledger_chunks(State state, int64_t credits_stream_version,
                                                const std::vector<LedgerChunk>& chunks,
                                                const std::string& stream, int64_t now_ms);

}  // namespace lf::engine::credits
