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

#include "consumers/projector/internal.hpp"
#include "events/assert.hpp"
#include "events/chain.hpp"
#include "events/dead_letter.hpp"
#include "events/envelope.hpp"
#include "events/known_events.hpp"
#include "projections/registry.hpp"

namespace lf::projector {

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("projector");
    return existing ? existing : spdlog::default_logger()->clone("projector");
  }();
  return instance;
}

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
  // A busy log is written in large transactions without waiting for them:
  // the batch fills for as long as the previous one is being written (up to
  // batch_wait_ms), and a quiet log's record is written at once.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.batch_wait_ms);
  while (messages_.size() < options_.batch_records_max && write_under_way() &&
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
    // deadlocking; a stale batch also fails as such (StalePosition), also
    // when its rows would fail after it.
    // In one round trip when nothing goes by COPY (a few rows per table,
    // no streams parked): the positions, then the rows.
    const bool pipelined =
        running->parking.streams.empty() && running->parking.records.empty() &&
        !running->to.empty() &&
        writer_->write_pipelined(
            work, {pg::advance_checkpoints_statement(running->from, running->to)}, running->batch);
    if (!pipelined) {
      pg::advance_checkpoints(work, running->from, running->to);
      pg::insert_parked_streams(work, running->parking.streams);
      pg::insert_parked_records(work, running->parking.records);
      writer_->write(work, running->batch);
    }
    work.commit();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
}

bool Projector::write_under_way() const {
  return writing_.valid() &&
         writing_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
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

}  // namespace lf::projector
