// `ledgerflow rebuild`: rebuilds one projection's read tables from the start
// of the log without taking reads offline (DESIGN.md guarantee 6).
//
// Whole projection: the records are read from Kafka (offset 0 of every
// partition) or from the event_log archive in PostgreSQL, mapped by the
// projection and written into shadow tables (consumers/rebuild/shadow.hpp)
// while the live tables keep serving. The shadow then catches up with Kafka
// to the log's end, is verified against the fold of the log, and in one
// transaction — holding the projection's checkpoint rows, so no projector
// commits for it meanwhile — takes the last records, is renamed into place
// and the checkpoints move to the shadow's positions. A projector that had a
// batch under way fails its compare-and-set and resumes from there.
//
// One tenant (`tenant_id`): that tenant's rows are folded in memory and, in
// one transaction holding the checkpoint rows, deleted and written again at
// exactly the stored positions, then compared with the fold before commit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "consumers/kafka/kafka.hpp"
#include "events/json.hpp"

namespace lf::rebuild {

enum class Source { kafka, archive };
std::optional<Source> parse_source(std::string_view text);
std::string_view to_string(Source source);

// Where a rebuild is. `done` and `total` count commit records (Kafka
// offsets) of the current phase; total is 0 when not known.
struct Progress {
  std::string_view phase;  // "build", "catch-up", "verify", "swap"
  int64_t done = 0;
  int64_t total = 0;
  int64_t events = 0;     // events mapped so far, over all phases
  double seconds = 0;     // since the rebuild started
  bool finished = false;  // the phase's last report
};

struct Options {
  kafka::Settings kafka;
  kafka::Topics topics;
  std::string database_url;
  std::string projection;
  std::optional<std::string> tenant_id;
  Source source = Source::kafka;
  JsonLimits record_limits{.max_bytes = 1 << 20, .max_depth = 64};
  // Row changes per shadow transaction (changes of one key in a batch
  // count once: a projection folding into few rows, as balances do, is
  // written rarely instead of rewriting the same rows every few records).
  std::size_t batch_rows = 20'000;
  // The shadow is compared with the in-memory fold row by row while the fold
  // holds at most this many rows; past it, row counts per table (the keys
  // the log produced) are compared instead, to bound memory.
  std::size_t verify_rows_max = 1'000'000;
  // Catch-up rounds stop once fewer records than this remain; the rest is
  // taken inside the swap transaction.
  int64_t swap_lag_max = 5'000;
  int lock_timeout_ms = 2'000;
  int swap_attempts = 30;
  // Called from the rebuilding thread, at most every 200 ms per phase and at
  // each phase's end.
  std::function<void(const Progress&)> progress;
};

struct Outcome {
  int64_t records = 0;                  // commit records applied
  int64_t events = 0;                   // events mapped
  int64_t ignored = 0;                  // records the chain rule refused (Kafka source)
  int64_t undecodable = 0;              // messages that are not commit records
  std::map<std::string, int64_t> rows;  // table -> rows now live
  bool compared_rows = false;           // verified row by row (else by row counts)
  // --from archive read in one scan: the rows that came before their turn
  // and were held back (empty: read through the index).
  std::optional<int64_t> archive_held_back;
  int swap_attempts = 0;
  double build_seconds = 0;  // reading the source and writing the shadow
  double seconds = 0;
};

// A rebuild that cannot go on: the projection is unknown, the source lacks
// the start of the log, the shadow differs from the fold, another rebuild of
// the projection runs... The live tables are then untouched.
class RebuildError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Another rebuild of the same projection holds its lock.
class RebuildBusy : public RebuildError {
 public:
  using RebuildError::RebuildError;
};

Outcome run(const Options& options);

}  // namespace lf::rebuild
