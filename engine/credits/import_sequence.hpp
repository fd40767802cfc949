// What every import kind on the credits stream shares (docs/migrating.md
// "Commands, chunks and resuming"): a chunk is decided only as the next one
// of its import, re-runs answer already_imported, a second import of a kind
// needs --append, live events need --append; and the progress each
// accepted chunk records. Internal to engine/credits.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/credits/import_codec.hpp"
#include "engine/credits/state.hpp"
#include "engine/domain.hpp"

namespace lf::engine::credits {

// already_imported, chunk_out_of_order, import_conflict or
// tenant_has_live_events; nullopt when `header` is the kind's next chunk.
std::optional<Rejection> refuse_import_sequence(const State& state, int64_t credits_stream_version,
                                                const ImportHeader& header, std::string_view kind);

// Counts the chunk (and its one event) as committed; asserts it is the next.
const ImportProgress& record_import_progress(State& state, const ImportHeader& header,
                                             std::string_view kind);

}  // namespace lf::engine::credits
