// The projector runtime.
#include "consumers/projector/projector.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "consumers/rebuild/rebuild.hpp"
#include "events/assert.hpp"
#include "events/chain.hpp"
#include "events/dead_letter.hpp"
#include "events/envelope.hpp"
#include "events/known_events.hpp"

namespace lf::projector {

namespace {

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("projector");
    return existing ? existing : spdlog::default_logger()->clone("projector");
  }();
  return instance;
}

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

// When `error` is about the data a batch writes — a data exception (SQLSTATE
// class 22), an integrity constraint violation (23), an error raised by a
// trigger or function (P0), or a patch finding no row — its reason and
// SQLSTATE. Connection loss, in-doubt commits, stale positions,
// serialization failures and deadlocks are not: they keep their own paths.
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

}  // namespace

void Projector::Parking::append(Parking&& other) {
  std::move(other.streams.begin(), other.streams.end(), std::back_inserter(streams));
  std::move(other.records.begin(), other.records.end(), std::back_inserter(records));
}

// Where a partition's reading resumes: the position of the projection that
// is furthest behind.
int64_t Projector::start_offset(const PartitionState& state) {
  int64_t start = state.checkpoints.front().next_offset;
  for (const pg::Checkpoint& checkpoint : state.checkpoints)
    start = std::min(start, checkpoint.next_offset);
  return start;
}

Projector::Projector(Options options) : options_(std::move(options)) {
  if (options_.projections.empty()) {
    projections_ = projections::all_projections();
  } else {
    for (const std::string& name : options_.projections) {
      std::unique_ptr<projections::Projection> projection = projections::make_projection(name);
      if (!projection) throw std::invalid_argument("unknown projection: " + name);
      projections_.push_back(std::move(projection));
    }
  }
  for (const auto& projection : projections_) projection_names_.emplace_back(projection->name());
  unknown_overrides_.resize(projections_.size());
  for (const auto& [name, policy] : options_.unknown_events) {
    auto found = std::find(projection_names_.begin(), projection_names_.end(), name);
    if (found == projection_names_.end()) {
      throw std::invalid_argument(
          "--unknown-events names a projection this projector does not run: " + name);
    }
    unknown_overrides_[static_cast<std::size_t>(found - projection_names_.begin())] = policy;
  }
  database_ = std::make_unique<pg::Reconnecting>(
      options_.database_url, "projector " + options_.client_id, database_health_);
  writer_ = std::make_unique<pg::BatchWriter>();
  check_versions();
  dead_letters_ = std::make_unique<kafka::Producer>(options_.kafka, options_.client_id + "-dlq");
  consumer_ = std::make_unique<kafka::Consumer>(options_.kafka, options_.client_id,
                                                options_.partitions ? "" : options_.group_id);
  if (options_.partitions) {
    std::vector<kafka::TopicPartition> manual;
    for (int32_t partition : *options_.partitions) {
      manual.push_back(kafka::TopicPartition{options_.topics.events(), partition});
    }
    consumer_->assign(on_assigned(manual));
  } else {
    consumer_->subscribe({options_.topics.events()}, this);
  }
}

Projector::~Projector() {
  try {
    finish_write();
    if (consumer_) consumer_->close();
  } catch (const std::exception& error) {
    logger()->warn("closing the consumer failed: {}", error.what());
  }
}

void Projector::database_failed(const std::exception& error) {
  database_->lost("writing a batch", error);
  // Statements the writer prepared went with the connection.
  writer_ = std::make_unique<pg::BatchWriter>();
}

void Projector::probe_database() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_database_contact_ < std::chrono::seconds(1)) return;
  last_database_contact_ = now;
  try {
    pqxx::nontransaction work(database_->get());
    work.exec("SELECT 1");
    database_health_.up();
  } catch (const std::exception& error) {
    if (!pg::is_transient_failure(std::current_exception(), nullptr)) throw;
    if (database_health_.is_up()) database_->lost("probing the database", error);
    database_->reset();
  }
}

// A projection whose stored version differs from this binary's is rebuilt
// first (or, with rebuild_outdated off, stops the projector): this binary
// must never write tables another mapping built.
void Projector::check_versions() {
  // Waits for the database if it is not up yet (INSERT ... DO NOTHING: safe to repeat).
  std::vector<std::string> outdated = database_->run(
      "registering the projections",
      [&](pqxx::connection& connection) {
        std::vector<std::string> found;
        pqxx::work work(connection);
        for (const auto& projection : projections_) {
          const std::string name(projection->name());
          work.exec_params(
              "INSERT INTO projections (name, version) VALUES ($1, $2) "
              "ON CONFLICT (name) DO NOTHING",
              name, projection->version());
          const int stored =
              work.exec_params1("SELECT version FROM projections WHERE name = $1", name)[0]
                  .as<int>();
          if (stored == projection->version()) continue;
          const std::string problem = "projection " + name + " is at version " +
                                      std::to_string(stored) +
                                      " in the database but this binary writes version " +
                                      std::to_string(projection->version());
          if (!options_.rebuild_outdated)
            throw std::runtime_error(problem + ": rebuild it (ledgerflow rebuild " + name + ")");
          logger()->warn("{}: rebuilding it from {} before projecting", problem,
                         options_.rebuild_from);
          found.push_back(name);
        }
        work.commit();
        return found;
      },
      nullptr);
  for (const std::string& name : outdated) {
    rebuild::Options rebuild;
    rebuild.kafka = options_.kafka;
    rebuild.topics = options_.topics;
    rebuild.database_url = options_.database_url;
    rebuild.projection = name;
    rebuild.record_limits = options_.record_limits;
    const std::optional<rebuild::Source> source = rebuild::parse_source(options_.rebuild_from);
    if (!source)
      throw std::invalid_argument("rebuild source must be kafka or archive, not " +
                                  options_.rebuild_from);
    rebuild.source = *source;
    rebuild.progress = [name](const rebuild::Progress& progress) {
      if (progress.finished) {
        logger()->info("rebuild of {}: {} done, {} records", name, progress.phase, progress.done);
      }
    };
    // Several new projectors may start at once: one rebuilds, the others
    // wait for its lock and find the version already current.
    while (true) {
      int stored = 0;
      {
        pqxx::nontransaction work(database_->get());
        work.exec_params("SELECT pg_advisory_lock(hashtext('ledgerflow.rebuild'), hashtext($1))",
                         name);
        stored =
            work.exec_params1("SELECT version FROM projections WHERE name = $1", name)[0].as<int>();
        work.exec_params("SELECT pg_advisory_unlock(hashtext('ledgerflow.rebuild'), hashtext($1))",
                         name);
      }
      if (stored == projection_version(name)) {
        logger()->info("projection {} was rebuilt at version {} by another process", name, stored);
        break;
      }
      try {
        rebuild::run(rebuild);
        break;
      } catch (const rebuild::RebuildBusy& busy) {
        logger()->info("{}; waiting for it", busy.what());
      }
    }
  }
}

int Projector::projection_version(const std::string& name) const {
  for (const auto& projection : projections_) {
    if (projection->name() == name) return projection->version();
  }
  LF_ASSERT_MSG(false, "not a projection of this projector");
  return 0;
}

// Another process may have rebuilt a projection to another version while
// this one ran (its compare-and-set then failed): stop rather than write
// tables another mapping built.
void Projector::recheck_versions() {
  database_->run(
      "checking the projections' versions",
      [this](pqxx::connection& connection) {
        pqxx::work work(connection);
        for (const auto& projection : projections_) {
          const pqxx::result stored = work.exec_params(
              "SELECT version FROM projections WHERE name = $1", std::string(projection->name()));
          if (!stored.empty() && stored[0][0].as<int>() != projection->version()) {
            throw std::runtime_error("projection " + std::string(projection->name()) +
                                     " was rebuilt at version " + stored[0][0].as<std::string>() +
                                     "; this binary writes version " +
                                     std::to_string(projection->version()) + " and stops");
          }
        }
        work.commit();
      },
      stop_);
}

std::map<int32_t, Projector::PartitionState> Projector::load_positions(
    const std::vector<int32_t>& partitions) {
  std::vector<pg::Checkpoint> loaded;
  std::vector<pg::ParkedStream> parked;
  // Waits for the database when it is down (a rebalance waits with it).
  database_->run(
      "loading positions",
      [&](pqxx::connection& connection) {
        pqxx::work work(connection);
        loaded = pg::load_checkpoints(work, projection_names_, partitions);
        // Read in the same transaction as the positions they go with.
        pg::ParkedFilter filter;
        filter.partitions = partitions;
        parked = pg::load_parked_streams(work, filter);
        work.commit();
      },
      stop_);
  last_database_contact_ = std::chrono::steady_clock::now();
  std::map<int32_t, PartitionState> states;
  for (int32_t partition : partitions) {
    PartitionState& state = states[partition];
    for (const std::string& name : projection_names_) {
      auto found =
          std::find_if(loaded.begin(), loaded.end(), [&](const pg::Checkpoint& checkpoint) {
            return checkpoint.projection == name && checkpoint.partition == partition;
          });
      LF_ASSERT(found != loaded.end());
      state.checkpoints.push_back(*found);
    }
    state.parked.resize(projection_names_.size());
  }
  for (const pg::ParkedStream& stream : parked) {
    auto name = std::find(projection_names_.begin(), projection_names_.end(), stream.projection);
    if (name == projection_names_.end()) continue;  // a projection this process does not run
    const auto index = static_cast<std::size_t>(name - projection_names_.begin());
    states.at(stream.partition)
        .parked[index]
        .insert(pg::parked_key(stream.tenant_id, stream.stream));
    logger()->info(
        "stream {} of tenant {} is parked for projection {} (partition {}, since offset {})",
        stream.stream, stream.tenant_id, stream.projection, stream.partition, stream.first_offset);
  }
  return states;
}

std::vector<kafka::TopicPartitionOffset> Projector::on_assigned(
    const std::vector<kafka::TopicPartition>& partitions) {
  finish_write();
  std::vector<int32_t> numbers;
  for (const kafka::TopicPartition& partition : partitions) numbers.push_back(partition.partition);
  std::map<int32_t, PartitionState> states = load_positions(numbers);
  std::vector<kafka::TopicPartitionOffset> offsets;
  for (auto& [partition, state] : states) {
    const int64_t start = start_offset(state);
    offsets.push_back(kafka::TopicPartitionOffset{options_.topics.events(), partition, start});
    logger()->info("assigned partition {} from offset {} (last seq {})", partition, start,
                   state.checkpoints.front().last_seq);
    partitions_[partition] = std::move(state);
  }
  assigned_.store(static_cast<int>(partitions_.size()), std::memory_order_release);
  return offsets;
}

void Projector::on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) {
  finish_write();  // the batch under way commits (or fails) before the hand-over
  for (const kafka::TopicPartition& partition : partitions) {
    partitions_.erase(partition.partition);
    logger()->info("{} partition {}", lost ? "lost" : "revoked", partition.partition);
  }
  assigned_.store(static_cast<int>(partitions_.size()), std::memory_order_release);
}

void Projector::run(const std::atomic<bool>& stop) {
  pthread_setname_np(pthread_self(), "lf-projector");
  stop_ = &stop;
  try {
    while (!stop.load(std::memory_order_relaxed)) step(100);
  } catch (const pg::StopRequested&) {
    // Nothing is lost: the positions in PostgreSQL say where to resume.
    logger()->warn("projector {}: stopped while waiting for the database", options_.client_id);
    consumer_->close();
    return;
  }
  finish_write();
  publish_stats();
  consumer_->close();
}

std::size_t Projector::step(int poll_timeout_ms) {
  messages_.clear();
  consumer_->poll_batch(messages_, options_.batch_records_max, poll_timeout_ms);
  if (messages_.empty()) {
    finish_write();  // nothing to overlap with: let the positions land
    probe_database();
    publish_stats();
    return 0;
  }
  // Fill the batch for up to batch_wait_ms so a busy log is written in large
  // transactions.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.batch_wait_ms);
  while (messages_.size() < options_.batch_records_max &&
         std::chrono::steady_clock::now() < deadline) {
    if (consumer_->poll_batch(messages_, options_.batch_records_max - messages_.size(), 1) == 0)
      break;
  }
  const std::size_t consumed = messages_.size();
  write_batch(messages_);
  publish_stats();
  return consumed;
}

void Projector::publish_stats() {
  const std::lock_guard<std::mutex> lock(published_mutex_);
  published_ = stats_;
}

Stats Projector::published_stats() const {
  const std::lock_guard<std::mutex> lock(published_mutex_);
  return published_;
}

void Projector::dead_letter(const rd_kafka_message_t& message, const Error& error) {
  const DeadLetterOrigin origin{kafka::message_topic(message), message.partition, message.offset};
  // Key and value exactly as they came, null or empty alike.
  dead_letters_->produce(options_.topics.deadletter(), -1, kafka::nullable_key(message),
                         kafka::nullable_value(message),
                         dead_letter_headers(origin, "projector", error.code, error.message));
  logger()->warn("dead-lettered {}[{}]@{}: {}: {}", origin.topic, origin.partition, origin.offset,
                 error.code, error.message);
  ++stats_.deadlettered;
}

void Projector::write_batch(std::vector<kafka::MessagePtr>& messages) {
  const auto map_start = std::chrono::steady_clock::now();
  batch_.clear();
  Parking parking;
  std::map<int32_t, std::vector<pg::Checkpoint>> before;
  bool dead_lettered = false;
  int64_t accepted = 0;
  int64_t ignored = 0;
  int64_t unknown_skipped = 0;
  for (const kafka::MessagePtr& message : messages) {
    auto found = partitions_.find(message->partition);
    if (found == partitions_.end()) continue;  // revoked while the batch was filled
    PartitionState& state = found->second;
    before.try_emplace(message->partition, state.checkpoints);
    std::vector<pg::Checkpoint>& checkpoints = state.checkpoints;
    const std::string_view value = kafka::message_value(*message);
    Result<DecodedRecord> record = decode_commit_record(value, options_.record_limits);
    if (!record) {
      dead_letter(*message, record.error());
      dead_lettered = true;
    }
    const bool all_known = record && projections::all_events_known(*record);
    bool counted = false;
    for (std::size_t i = 0; i < checkpoints.size(); ++i) {
      pg::Checkpoint& checkpoint = checkpoints[i];
      if (message->offset < checkpoint.next_offset) continue;
      checkpoint.next_offset = message->offset + 1;
      if (!record) {
        ++checkpoint.deadlettered_count;
        continue;
      }
      ChainPosition chain{checkpoint.last_seq, checkpoint.last_record_id};
      const RecordVerdict verdict = admit(chain, record->header);
      if (verdict != RecordVerdict::accepted) {
        ++checkpoint.ignored_count;
        if (!counted) {
          logger()->info("ignored record seq {} at {}[{}]@{}: {}", record->header.seq,
                         options_.topics.events(), message->partition, message->offset,
                         to_string(verdict));
          ++ignored;
          counted = true;
        }
        continue;
      }
      checkpoint.last_seq = chain.last_seq;
      checkpoint.last_record_id = chain.last_record_id;
      const projections::RecordAt at{message->partition, message->offset, &*record, nullptr};
      const int64_t skipped_before = checkpoint.unknown_skipped_count;
      map_with_parking(i, at, value, state.parked[i], checkpoint, nullptr, batch_, parking,
                       all_known);
      unknown_skipped += checkpoint.unknown_skipped_count - skipped_before;
      if (!counted) {
        ++accepted;
        counted = true;
      }
    }
  }
  if (before.empty()) return;
  if (dead_lettered && !dead_letters_->flush(30'000)) {
    throw std::runtime_error("dead letters could not be delivered; not advancing past them");
  }

  std::vector<pg::Checkpoint> from;
  std::vector<pg::Checkpoint> to;
  for (const auto& [partition, checkpoints] : before) {
    const std::vector<pg::Checkpoint>& now = partitions_.at(partition).checkpoints;
    for (std::size_t i = 0; i < now.size(); ++i) {
      if (now[i].next_offset == checkpoints[i].next_offset) continue;
      from.push_back(checkpoints[i]);
      to.push_back(now[i]);
    }
  }
  stats_.map_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - map_start).count();
  // One write at a time: this batch was mapped while the previous one was
  // written; it is valid only if that write committed.
  if (!finish_write()) return;
  WriteJob job;
  job.batch = std::move(batch_);
  batch_ = projections::RowBatch{};
  job.from = std::move(from);
  job.to = std::move(to);
  job.parking = std::move(parking);
  job.messages = std::move(messages);
  job.accepted = accepted;
  job.ignored = ignored;
  job.unknown_skipped = unknown_skipped;
  start_write(std::move(job));
}

void Projector::start_write(WriteJob job) {
  writing_job_ = std::make_unique<WriteJob>(std::move(job));
  WriteJob* running = writing_job_.get();
  writing_ = std::async(std::launch::async, [this, running] {
    const auto start = std::chrono::steady_clock::now();
    pqxx::work work(database_->get());
    // Positions first: the compare-and-set locks this projection's
    // checkpoint rows before any read-table row, the same order rebuild and
    // replay-parked take, so they queue behind each other instead of
    // deadlocking; a stale batch also fails before writing anything.
    pg::advance_checkpoints(work, running->from, running->to);
    pg::insert_parked_streams(work, running->parking.streams);
    pg::insert_parked_records(work, running->parking.records);
    writer_->write(work, running->batch);
    work.commit();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
}

bool Projector::finish_write() {
  if (!writing_.valid()) return true;
  const std::unique_ptr<WriteJob> job = std::move(writing_job_);
  std::exception_ptr failure;
  try {
    stats_.write_seconds += writing_.get();
    ++stats_.batches;
    stats_.records_accepted += job->accepted;
    stats_.records_ignored += job->ignored;
    stats_.unknown_skipped += job->unknown_skipped;
    account_parked(job->parking);
    return true;
  } catch (...) {
    failure = std::current_exception();
  }
  if (const auto refused = data_error(failure)) {
    logger()->warn(
        "batch of {} messages refused for its data ({}{}); re-applying it stream by stream",
        job->messages.size(), refused->first,
        refused->second.empty() ? "" : ", SQLSTATE " + refused->second);
    try {
      isolate(*job);
      failure = nullptr;
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const pg::StalePosition& stale) {
      ++stats_.stale_commits;
      logger()->warn("batch refused, another writer moved the positions: {}", stale.what());
    } catch (const pqxx::in_doubt_error& doubt) {
      // The commit may or may not have happened: the stored positions say which.
      logger()->warn("commit outcome unknown ({}); re-reading positions", doubt.what());
      database_failed(doubt);
    } catch (const std::exception& error) {
      // A lost connection, a terminated backend (also in the middle of a
      // COPY), a server shutting down: wait for the database and resume from
      // the positions it holds. Anything else is a bug and stops us.
      if (!pg::is_transient_failure(failure, database_->connected() ? &database_->get() : nullptr))
        throw;
      database_failed(error);
    }
  }
  // Whatever was mapped since is void too (it may hold events of a stream
  // parked just now): resume every partition from what PostgreSQL holds.
  std::vector<int32_t> owned;
  for (const auto& [partition, state] : partitions_) owned.push_back(partition);
  recover_positions(owned);
  return false;
}

void Projector::flush() {
  finish_write();
  publish_stats();
}

// Forget what this process believed and resume every partition from what
// PostgreSQL holds.
void Projector::recover_positions(const std::vector<int32_t>& partitions) {
  std::vector<int32_t> owned;
  for (int32_t partition : partitions) {
    if (partitions_.count(partition) != 0) owned.push_back(partition);
  }
  if (owned.empty()) return;
  recheck_versions();
  std::map<int32_t, PartitionState> states = load_positions(owned);
  for (auto& [partition, state] : states) {
    const int64_t start = start_offset(state);
    consumer_->seek(kafka::TopicPartitionOffset{options_.topics.events(), partition, start});
    logger()->info("partition {} resumes at offset {}", partition, start);
    partitions_[partition] = std::move(state);
  }
}

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
