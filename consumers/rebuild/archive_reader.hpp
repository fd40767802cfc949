// Reading event_log (the archive) back as commit records, in log order, for
// a rebuild: one partition through the (partition, seq) index, or every
// partition in one sequential scan when the heap holds them in order.
#pragma once

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

// Every partition's archived records in one sequential scan; false (after
// `each` may have seen a prefix) when the heap is not in log order.
bool read_archive_in_heap_order(
    pqxx::transaction_base& tx,
    const std::function<void(int32_t, int64_t, const DecodedRecord&)>& each);

// The chain position after the last archived record of `partition` below
// offset `to`.
ChainPosition archived_chain_before(pqxx::transaction_base& tx, int32_t partition, int64_t to);

}  // namespace lf::rebuild
