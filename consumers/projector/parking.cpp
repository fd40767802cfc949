// The projector's parking: an accepted record's events held back for the
// streams its projections park (by unknown-event policy, or because
// PostgreSQL refused their rows), and a batch refused for its data
// re-applied stream by stream in savepoints until the failing streams are
// found and parked.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "consumers/projector/internal.hpp"
#include "consumers/projector/projector.hpp"
#include "events/assert.hpp"

namespace lf::projector {

namespace {

// A reason stored in parked_streams: PostgreSQL's message on one line, bounded.
constexpr std::size_t kParkReasonBytesMax = 2000;

std::string one_line(std::string_view text) {
  std::string line;
  for (const char c : text) {
    if (line.size() >= kParkReasonBytesMax) break;
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!line.empty() && line.back() != ' ') line.push_back(' ');
    } else {
      line.push_back(c);
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> data_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const pg::PatchMissingRow& missing) {
    return std::make_pair(one_line(missing.what()), std::string());
  } catch (const pqxx::sql_error& sql) {
    const std::string& state = sql.sqlstate();
    const bool about_data =
        state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0 || state.rfind("P0", 0) == 0;
    if (!about_data) return std::nullopt;
    return std::make_pair(one_line(sql.what()), state);
  } catch (...) {
    return std::nullopt;
  }
}

void Projector::Parking::append(Parking&& other) {
  std::move(other.streams.begin(), other.streams.end(), std::back_inserter(streams));
  std::move(other.records.begin(), other.records.end(), std::back_inserter(records));
}

// Where a partition's reading resumes: the position of the projection that
// is furthest behind.

void Projector::map_with_parking(std::size_t projection, const projections::RecordAt& at,
                                 std::string_view value, ParkedSet& parked,
                                 pg::Checkpoint& checkpoint, const std::string* only_key,
                                 projections::RowBatch& batch, Parking& parking,
                                 std::optional<bool> all_known) const {
  // The projection's parked streams; a park the policy asks for is recorded
  // for PostgreSQL with the event that parked it.
  class Held final : public projections::HeldStreams {
   public:
    Held(ParkedSet& parked, std::vector<pg::ParkedStream>& streams, const std::string& projection)
        : parked_(parked), streams_(streams), projection_(projection) {}
    bool none() const override { return parked_.empty(); }
    bool holds(const EventHeader& event) const override {
      return !parked_.empty() && parked_.count(pg::parked_key(event.tenant_id, event.stream)) != 0;
    }
    void park(const EventHeader& header, const projections::RecordAt& at) override {
      pg::ParkedStream stream;
      stream.projection = projection_;
      stream.tenant_id = header.tenant_id;
      stream.stream = header.stream;
      stream.partition = at.partition;
      stream.first_offset = at.offset;
      stream.first_event_id = header.event_id;
      stream.first_type = header.type;
      stream.reason =
          fmt::format("event type {} v{} is unknown to this binary (unknown-event policy: park)",
                      header.type, header.schema_version);
      streams_.push_back(std::move(stream));
      parked_.insert(pg::parked_key(header.tenant_id, header.stream));
    }

   private:
    ParkedSet& parked_;
    std::vector<pg::ParkedStream>& streams_;
    const std::string& projection_;
  };
  Held held(parked, parking.streams, projection_names_[projection]);
  projections::FeedOptions options;
  options.all_known = all_known;
  options.unknown_policy = unknown_overrides_[projection];
  options.only_stream = only_key;
  const projections::Fed fed =
      projections::feed_accepted(*projections_[projection], at, held, batch, options);
  checkpoint.unknown_skipped_count += fed.skipped;
  if (fed.held.empty()) return;
  // The held events, one parked record per stream in order of appearance.
  const DecodedRecord& record = *at.record;
  std::vector<std::pair<std::string, pg::ParkedRecord>> records;
  for (const int32_t index : fed.held) {
    const EventHeader& header = record.events[static_cast<std::size_t>(index)].header;
    const std::string key = pg::parked_key(header.tenant_id, header.stream);
    auto entry = std::find_if(records.begin(), records.end(),
                              [&](const auto& item) { return item.first == key; });
    if (entry == records.end()) {
      pg::ParkedRecord parked_record;
      parked_record.projection = projection_names_[projection];
      parked_record.tenant_id = header.tenant_id;
      parked_record.stream = header.stream;
      parked_record.partition = at.partition;
      parked_record.offset = at.offset;
      parked_record.seq = record.header.seq;
      parked_record.record_id = record.header.record_id;
      parked_record.record = std::string(value);
      records.emplace_back(key, std::move(parked_record));
      entry = std::prev(records.end());
    }
    entry->second.event_indexes.push_back(index);
    entry->second.event_ids.push_back(header.event_id);
    entry->second.types.push_back(header.type);
  }
  for (auto& [key, parked_record] : records) parking.records.push_back(std::move(parked_record));
}

void Projector::isolate(const WriteJob& job) {
  ++stats_.isolations;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Redecoded> decoded;
  decoded.reserve(job.messages.size());
  for (const kafka::MessagePtr& message : job.messages) {
    Redecoded entry;
    entry.message = message.get();
    Result<DecodedRecord> record =
        decode_commit_record(kafka::message_value(*message), options_.record_limits);
    if (record) {
      entry.all_known = projections::all_events_known(*record);
      entry.record = std::move(record).value();
    }
    decoded.push_back(std::move(entry));
  }

  pqxx::work work(database_->get());
  // Positions first, as in every write: the same compare-and-set, so a
  // stale projector (or a replay-parked that ran meanwhile) stops us here.
  // The positions do not depend on which streams end up parked.
  pg::advance_checkpoints(work, job.from, job.to);
  Parking parking;
  for (std::size_t i = 0; i < projections_.size(); ++i) {
    std::map<int32_t, pg::Checkpoint> chains;
    for (const pg::Checkpoint& checkpoint : job.from) {
      if (checkpoint.projection == projection_names_[i])
        chains.emplace(checkpoint.partition, checkpoint);
    }
    if (chains.empty()) continue;
    pg::ParkedFilter filter;
    filter.projection = projection_names_[i];
    filter.partitions.emplace();
    for (const auto& [partition, checkpoint] : chains) filter.partitions->push_back(partition);
    ParkedSet parked;
    for (const pg::ParkedStream& stream : pg::load_parked_streams(work, filter)) {
      parked.insert(pg::parked_key(stream.tenant_id, stream.stream));
    }
    // The records this projection accepted, by the chain rule from where
    // the batch began (the same verdicts as when it was mapped).
    std::vector<const Redecoded*> accepted;
    for (const Redecoded& entry : decoded) {
      auto found = chains.find(entry.message->partition);
      if (found == chains.end()) continue;
      pg::Checkpoint& checkpoint = found->second;
      if (entry.message->offset < checkpoint.next_offset) continue;
      checkpoint.next_offset = entry.message->offset + 1;
      if (!entry.record) continue;
      ChainPosition chain{checkpoint.last_seq, checkpoint.last_record_id};
      if (admit(chain, entry.record->header) != RecordVerdict::accepted) continue;
      checkpoint.last_seq = chain.last_seq;
      checkpoint.last_record_id = chain.last_record_id;
      accepted.push_back(&entry);
    }
    isolate_range(work, i, accepted, 0, accepted.size(), parked, parking);
  }
  pg::insert_parked_streams(work, parking.streams);
  pg::insert_parked_records(work, parking.records);
  work.commit();
  stats_.write_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++stats_.batches;
  stats_.records_accepted += job.accepted;
  stats_.records_ignored += job.ignored;
  stats_.unknown_skipped += job.unknown_skipped;
  account_parked(parking);
}

// Bisects [begin, end) until the records that fail stand alone.
void Projector::isolate_range(pqxx::work& work, std::size_t projection,
                              const std::vector<const Redecoded*>& records, std::size_t begin,
                              std::size_t end, ParkedSet& parked, Parking& parking) {
  if (begin == end) return;
  if (!try_apply(work, projection, records, begin, end, nullptr, parked, parking)) return;
  if (end - begin == 1) {
    isolate_record(work, projection, *records[begin], parked, parking);
    return;
  }
  const std::size_t middle = begin + (end - begin) / 2;
  isolate_range(work, projection, records, begin, middle, parked, parking);
  isolate_range(work, projection, records, middle, end, parked, parking);
}

// One record that fails: each of its streams on its own, in order of first
// appearance; those that still fail are parked with their events.
void Projector::isolate_record(pqxx::work& work, std::size_t projection, const Redecoded& entry,
                               ParkedSet& parked, Parking& parking) {
  const DecodedRecord& record = *entry.record;
  std::vector<std::string> keys;
  for (const DecodedEvent& event : record.events) {
    std::string key = pg::parked_key(event.header.tenant_id, event.header.stream);
    if (parked.count(key) == 0 && std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(std::move(key));
    }
  }
  const std::vector<const Redecoded*> one{&entry};
  for (const std::string& key : keys) {
    const std::optional<DataFailure> failure =
        try_apply(work, projection, one, 0, 1, &key, parked, parking);
    if (!failure) continue;
    // Park the stream from this record on: its events here are held as the
    // parked-stream path holds them (an unknown event skipped by policy
    // stays skipped).
    pg::ParkedStream stream;
    stream.projection = projection_names_[projection];
    stream.partition = entry.message->partition;
    stream.first_offset = entry.message->offset;
    stream.reason = failure->reason;
    stream.sqlstate = failure->sqlstate;
    for (const DecodedEvent& event : record.events) {
      if (pg::parked_key(event.header.tenant_id, event.header.stream) != key) continue;
      stream.tenant_id = event.header.tenant_id;
      stream.stream = event.header.stream;
      stream.first_event_id = event.header.event_id;
      stream.first_type = event.header.type;
      break;
    }
    parking.streams.push_back(std::move(stream));
    parked.insert(key);
    pg::Checkpoint scratch;
    projections::RowBatch nothing;
    map_with_parking(
        projection,
        projections::RecordAt{entry.message->partition, entry.message->offset, &record, nullptr},
        kafka::message_value(*entry.message), parked, scratch, &key, nothing, parking);
    LF_ASSERT_MSG(nothing.empty(), "a parked stream's events are held, not applied");
  }
}

std::optional<Projector::DataFailure> Projector::try_apply(
    pqxx::work& work, std::size_t projection, const std::vector<const Redecoded*>& records,
    std::size_t begin, std::size_t end, const std::string* only_key, ParkedSet& parked,
    Parking& parking) {
  ParkedSet attempt_parked = parked;
  Parking attempt_parking;
  pg::Checkpoint scratch;  // the batch's positions already count what this mapping skips
  projections::RowBatch batch;
  for (std::size_t k = begin; k < end; ++k) {
    const Redecoded& entry = *records[k];
    const projections::RecordAt at{entry.message->partition, entry.message->offset, &*entry.record,
                                   nullptr};
    map_with_parking(projection, at, kafka::message_value(*entry.message), attempt_parked, scratch,
                     only_key, batch, attempt_parking, entry.all_known);
  }
  try {
    pqxx::subtransaction savepoint(work, "lf_isolate");
    // libpqxx 6.4 sends the SAVEPOINT only before a statement that goes
    // through exec() or a COPY, not before exec_prepared(): a batch whose
    // first statement is prepared (an upsert, a patch, a few inserted rows)
    // would fail outside the savepoint and abort the whole transaction.
    savepoint.exec("SELECT 1");
    writer_->write(savepoint, batch);
    savepoint.commit();
  } catch (...) {
    const auto refused = data_error(std::current_exception());
    if (!refused) throw;
    return DataFailure{refused->first, refused->second};
  }
  parked = std::move(attempt_parked);
  parking.append(std::move(attempt_parking));
  return std::nullopt;
}

// Called once the parking has committed: one line per stream parked.
void Projector::account_parked(const Parking& parking) {
  for (const pg::ParkedStream& stream : parking.streams) {
    logger()->warn(
        "parked stream {} of tenant {} for projection {} at {}[{}]@{} (event {}, {}): {}{}",
        stream.stream, stream.tenant_id, stream.projection, options_.topics.events(),
        stream.partition, stream.first_offset, stream.first_event_id, stream.first_type,
        stream.reason, stream.sqlstate.empty() ? "" : " (SQLSTATE " + stream.sqlstate + ")");
  }
  stats_.streams_parked += static_cast<int64_t>(parking.streams.size());
  for (const pg::ParkedRecord& record : parking.records) {
    stats_.events_parked += static_cast<int64_t>(record.event_indexes.size());
  }
}

}  // namespace lf::projector
