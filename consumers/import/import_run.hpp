// `ledgerflow import`'s runtime (docs/migrating.md): reads the files, plans
// and pre-checks every tenant (importer/), then sends each tenant's chunks
// to the commands topic in order, a bounded number in flight per partition
// and never far ahead of the projectors (the mock cluster keeps ~5 MiB per
// partition), and waits until every chunk is answered and the read tables
// have caught up. The engine decides every chunk; nothing here writes the
// events topic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "consumers/kafka/kafka.hpp"
#include "importer/plan.hpp"

namespace lf::import_run {

struct Options {
  kafka::Settings kafka;
  kafka::Topics topics;
  std::string database_url;
  std::string kind;                          // "credit_ledger"
  std::vector<std::string> files;            // CSV with a header row, in order
  std::optional<std::string> balances_file;  // credit_balances CSV
  std::optional<std::string> packages_file;  // media_buys' packages CSV (--packages)
  bool append = false;
  bool dry_run = false;  // read and pre-check only; send nothing
  importer::ChunkLimits chunk_limits;
  int in_flight_per_partition = 4;  // chunks sent and not yet answered
  // Records of the events topic a partition may be ahead of the slowest
  // projector before more is sent there (0: no pacing).
  int64_t projector_lag_max = 8;
  int result_timeout_ms = 120'000;  // per chunk, from when it was sent
  int catch_up_timeout_ms = 600'000;
  std::string client_id = "ledgerflow-import";
  const std::atomic<bool>* stop = nullptr;  // set: stop sending, report what is done
  // Progress: rows answered, rows in all, seconds since sending began.
  std::function<void(int64_t done, int64_t total, double seconds, bool finished)> progress;
};

// Exceptions: ConfigError-like usage problems come back as UsageError.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Outcome {
  int64_t rows_read = 0;
  int64_t tenants = 0;             // with rows
  int64_t tenants_imported = 0;    // every chunk accepted now or before
  int64_t tenants_refused = 0;     // nothing of them sent, or the first chunk refused
  int64_t tenants_incomplete = 0;  // refused after earlier chunks were committed
  int64_t rows_without_tenant = 0;
  int64_t rows_imported = 0;  // accepted in this run
  int64_t rows_already_imported = 0;
  int64_t chunks_sent = 0;
  double seconds = 0;       // from reading the files to the read tables caught up
  double send_seconds = 0;  // from the first chunk sent to the read tables caught up
  bool stopped = false;     // interrupted by `stop`
  bool failed() const {
    return tenants_refused > 0 || tenants_incomplete > 0 || rows_without_tenant > 0 || stopped;
  }
};

// Throws UsageError (missing columns, unknown kind, unreadable file),
// std::runtime_error (Kafka, PostgreSQL, a result that never came).
Outcome run(const Options& options);

}  // namespace lf::import_run
