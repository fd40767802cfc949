// Replaying parked streams.
#include "consumers/projector/replay_parked.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "consumers/pg/batch_writer.hpp"
#include "events/assert.hpp"
#include "events/envelope.hpp"
#include "events/known_events.hpp"

namespace lf::projector {

namespace {

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("replay");
    return existing ? existing : spdlog::default_logger()->clone("replay");
  }();
  return instance;
}

// A replay that cannot go on for a reason of its own (not PostgreSQL's).
class ReplayRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The error text and SQLSTATE of a failure about the data; nullopt for any
// other failure, which is rethrown.
std::optional<std::pair<std::string, std::string>> data_failure(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const ReplayRefused& refused) {
    return std::make_pair(std::string(refused.what()), std::string());
  } catch (const pg::PatchMissingRow& missing) {
    return std::make_pair(std::string(missing.what()), std::string());
  } catch (const pqxx::sql_error& sql) {
    const std::string& state = sql.sqlstate();
    if (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0 || state.rfind("P0", 0) == 0) {
      std::string text = sql.what();
      for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      return std::make_pair(text, state);
    }
    return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

// Maps the stream's parked records into `batch`, in log order.
void map_parked(const projections::Projection& projection,
                const std::vector<pg::ParkedRecord>& records, const ReplayOptions& options,
                projections::RowBatch& batch, ReplayOutcome& outcome) {
  const KnownEvents& known = KnownEvents::embedded();
  for (const pg::ParkedRecord& parked : records) {
    Result<DecodedRecord> record = decode_commit_record(parked.record, options.record_limits);
    if (!record) {
      throw ReplayRefused(fmt::format("the parked record at offset {} no longer decodes: {}",
                                      parked.offset, record.error().message));
    }
    std::vector<int32_t> applied;
    for (const int32_t index : parked.event_indexes) {
      LF_ASSERT(index >= 0 && static_cast<std::size_t>(index) < record->events.size());
      const EventHeader& header = record->events[static_cast<std::size_t>(index)].header;
      if (!known.knows(header.type, header.schema_version)) {
        const projections::UnknownEventPolicy policy =
            options.unknown_events.value_or(projection.unknown_event_policy(header.type));
        if (policy == projections::UnknownEventPolicy::skip) {
          ++outcome.events_skipped;
          continue;
        }
        if (policy == projections::UnknownEventPolicy::park) {
          throw ReplayRefused(
              fmt::format("event type {} v{} (offset {}) is still unknown to this binary",
                          header.type, header.schema_version, parked.offset));
        }
      }
      applied.push_back(index);
    }
    outcome.events_applied += static_cast<int64_t>(applied.size());
    if (applied.empty()) continue;
    const projections::RecordSubset subset(*record, std::move(applied));
    projection.apply(subset.at(parked.partition, parked.offset), batch);
  }
}

}  // namespace

std::vector<ReplayOutcome> replay_parked(pqxx::connection& connection,
                                         const projections::Projection& projection,
                                         const ReplayOptions& options) {
  const std::string name(projection.name());
  pg::ParkedFilter filter;
  filter.projection = name;
  filter.tenant_id = options.tenant_id;
  filter.stream = options.stream;
  std::vector<pg::ParkedStream> streams;
  {
    pqxx::read_transaction read(connection);
    streams = pg::load_parked_streams(read, filter);
  }
  pg::BatchWriter writer;
  std::vector<ReplayOutcome> outcomes;
  for (const pg::ParkedStream& stream : streams) {
    ReplayOutcome outcome;
    outcome.stream = stream;
    std::exception_ptr failure;
    try {
      pqxx::work work(connection);
      if (!pg::lock_and_bump_generation(work, name, stream.partition)) {
        throw ReplayRefused("no checkpoint row for partition " + std::to_string(stream.partition));
      }
      // Under the lock: every event parked so far, including any the live
      // projector parked while we waited.
      const std::vector<pg::ParkedRecord> records =
          pg::load_parked_records(work, name, stream.tenant_id, stream.stream);
      projections::RowBatch batch;
      map_parked(projection, records, options, batch, outcome);
      writer.write(work, batch);
      pg::unpark_stream(work, name, stream.tenant_id, stream.stream);
      work.commit();
      outcome.replayed = true;
      logger()->info(
          "replayed stream {} of tenant {} for projection {} (partition {}): {} events applied, {} "
          "skipped",
          stream.stream, stream.tenant_id, name, stream.partition, outcome.events_applied,
          outcome.events_skipped);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      const auto refused = data_failure(failure);
      if (!refused) std::rethrow_exception(failure);
      outcome.events_applied = 0;
      outcome.events_skipped = 0;
      outcome.error = refused->first;
      pqxx::work work(connection);
      pg::lock_and_bump_generation(work, name,
                                   stream.partition);  // the same lock order as every writer
      pg::update_park_reason(work, name, stream.tenant_id, stream.stream, refused->first,
                             refused->second);
      work.commit();
      logger()->warn("stream {} of tenant {} stays parked for projection {} (partition {}): {}",
                     stream.stream, stream.tenant_id, name, stream.partition, refused->first);
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace lf::projector
