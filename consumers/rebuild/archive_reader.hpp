// Reading event_log (the archive) back as commit records, in log order, for
// a rebuild: one partition through the (partition, seq) index, or every
// partition in one sequential scan when the heap holds them in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "consumers/pg/archive.hpp"
#include "events/chain.hpp"
#include "events/envelope.hpp"

namespace lf::rebuild {

// Archived records of `partition` at offsets [0, to), in order (one tenant's
// only, when `tenant` is set), through the (partition, seq) index.
void read_archive(pqxx::transaction_base& tx, int32_t partition, int64_t to,
                  const std::optional<std::string>& tenant, const pg::RecordAssembler::Sink& each);

// What one scan of the archive read.
struct ArchiveScan {
  int64_t rows = 0;
  int64_t held_back = 0;  // rows that came before their turn
  std::size_t most_kept_bytes = 0;
};

// Every partition's archived records, in log order, from one sequential
// scan in `tx`'s snapshot (a repeatable-read transaction; the scan runs on
// a second connection to `database_url`): rows found before their turn are
// held back until it comes. Nothing (after `each` may have seen a prefix)
// when more than `max_kept_bytes` would be held back at once, when a row
// comes after its place was passed, or when rows are missing.
inline constexpr std::size_t kMaxKeptBytes = std::size_t{256} << 20;
std::optional<ArchiveScan> read_archive_in_heap_order(
    pqxx::transaction_base& tx, const std::string& database_url,
    const std::function<void(int32_t, int64_t, const DecodedRecord&)>& each,
    std::size_t max_kept_bytes = kMaxKeptBytes);

// The chain position after the last archived record of `partition` below
// offset `to`.
ChainPosition archived_chain_before(pqxx::transaction_base& tx, int32_t partition, int64_t to);

}  // namespace lf::rebuild
