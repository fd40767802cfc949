// The import runtime (consumers/import/import_run.hpp): the sender, and the
// run that loads and plans (planning.cpp), paces (pacer.hpp) and sends.
#include "consumers/import/import_run.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "consumers/client/command_client.hpp"
#include "consumers/import/engine_state.hpp"
#include "consumers/import/internal.hpp"
#include "consumers/import/pacer.hpp"
#include "consumers/import/planning.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"

namespace lf::import_run {

namespace {

// ---- sending --------------------------------------------------------------------

struct TenantWork {
  const importer::TenantPlan* plan = nullptr;
  int32_t partition = 0;
  std::size_t next_chunk = 0;  // the next to send
  std::optional<std::string> in_flight;
  Clock::time_point sent_at;
  bool done = false;
};

class Sender {
 public:
  Sender(const Options& options, const importer::KindSpec& kind, PlanQueue& plans,
         int64_t total_rows, Outcome& outcome)
      : options_(options),
        kind_(kind),
        outcome_(outcome),
        plans_(plans),
        client_(options.kafka, options.topics, options.client_id),
        total_rows_(total_rows) {
    partitions_ = client_.partition_count();
    if (partitions_ <= 0)
      throw std::runtime_error("the commands topic " + options.topics.commands() +
                               " has no partitions");
    queues_.resize(static_cast<std::size_t>(partitions_));
    active_.resize(static_cast<std::size_t>(partitions_));
    if (options.projector_lag_max > 0) pacer_ = std::make_unique<Pacer>(options, partitions_);
  }

  void run() {
    start_ = Clock::now();
    if (pacer_) pacer_->refresh();
    bool planned = false;
    std::size_t remaining = 0;  // tenants taken and not finished
    while (!planned || remaining > 0) {
      if (options_.stop != nullptr && options_.stop->load()) {
        outcome_.stopped = true;
        break;
      }
      planned = absorb(remaining);
      if (pacer_) pacer_->refresh_if_due();
      fill();
      client_.poll_results(remaining > 0 ? 20 : 5);
      const std::vector<ResultEnvelope>& results = client_.results();
      for (; handled_ < results.size(); ++handled_) remaining -= handle(results[handled_]);
      check_timeouts();
      report(false);
    }
    client_.flush();
    if (!outcome_.stopped) catch_up();
    report(true);
  }

 private:
  // Takes the tenants the planner has ready; true once it has finished.
  bool absorb(std::size_t& remaining) {
    const std::size_t before = plans_taken_.size();
    const bool finished = plans_.take(plans_taken_, rows_refused_);
    for (std::size_t i = before; i < plans_taken_.size(); ++i) {
      TenantWork work;
      work.plan = &plans_taken_[i];
      work.partition = partition_for_key(work.plan->tenant_id, partitions_);
      work_.push_back(work);
      queues_[static_cast<std::size_t>(work.partition)].push_back(&work_.back());
      ++remaining;
    }
    return finished;
  }

  // Sends what pacing and the in-flight bound allow.
  void fill() {
    for (int32_t partition = 0; partition < partitions_; ++partition) {
      const std::size_t p = static_cast<std::size_t>(partition);
      std::vector<TenantWork*>& active = active_[p];
      std::erase_if(active, [](const TenantWork* work) { return work->done; });
      while (active.size() < static_cast<std::size_t>(options_.in_flight_per_partition) &&
             !queues_[p].empty()) {
        active.push_back(queues_[p].front());
        queues_[p].pop_front();
      }
      for (TenantWork* work : active) {
        if (work->in_flight || work->done) continue;
        if (pacer_ && pacer_->lag(partition) > options_.projector_lag_max) {
          waiting_notice(partition);
          break;
        }
        send(*work);
      }
    }
  }

  void send(TenantWork& work) {
    const int64_t chunk = static_cast<int64_t>(work.next_chunk);
    const std::string id = importer::import_command_id(
        kind_.name, work.plan->tenant_id, work.plan->import_id, chunk, options_.append);
    JsonWriter command;
    command.begin_object();
    command.field("command_id", id);
    command.field("type", kind_.command_type);
    command.field("tenant_id", work.plan->tenant_id);
    command.field("actor", "system");
    command.timestamp_field("issued_at", system_now_ms());
    command.key("payload");
    command.raw(work.plan->payloads[work.next_chunk]);
    command.end_object();
    client_.send(work.plan->tenant_id, command.view());
    work.in_flight = id;
    work.sent_at = Clock::now();
    by_id_[id] = &work;
    ++outcome_.chunks_sent;
  }

  // Returns 1 when the tenant is finished by this result.
  std::size_t handle(const ResultEnvelope& result) {
    auto found = by_id_.find(result.command_id);
    if (found == by_id_.end()) return 0;  // another client's, or an answer already handled
    TenantWork& work = *found->second;
    by_id_.erase(found);
    if (!work.in_flight || *work.in_flight != result.command_id) return 0;
    work.in_flight.reset();
    const int64_t chunk = static_cast<int64_t>(work.next_chunk);
    const int64_t rows = work.plan->chunk_rows[work.next_chunk];
    const bool duplicate = result.status == ResultStatus::duplicate;
    const bool accepted_before =
        (duplicate && result.message.find("(accepted)") != std::string::npos) ||
        (result.status == ResultStatus::rejected && result.reason == "already_imported");
    if (result.status == ResultStatus::accepted || accepted_before) {
      (accepted_before ? outcome_.rows_already_imported : outcome_.rows_imported) += rows;
      rows_answered_ += rows;
      if (++work.next_chunk < work.plan->payloads.size()) return 0;
      work.done = true;
      ++outcome_.tenants_imported;
      return 1;
    }
    std::string reason = result.reason;
    std::string message = result.message;
    if (duplicate) {
      reason = "refused_before";
      message = "an earlier run of this import was refused at this chunk (" + result.message +
                "); its reason is in that run's log and in audit_log";
    }
    work.done = true;
    rows_answered_ += work.plan->rows - rows_answered_of(work);
    const int64_t chunks = static_cast<int64_t>(work.plan->payloads.size());
    if (chunk == 0) {
      ++outcome_.tenants_refused;
      logger()->error("tenant {} refused: {}: {}", work.plan->tenant_id, reason, message);
    } else {
      ++outcome_.tenants_incomplete;
      logger()->error(
          "tenant {} incomplete: chunk {} of {} refused: {}: {}; chunks 0 to {} are committed and "
          "the tenant's "
          "timers wait until the import is finished: remove the cause, then run the same import "
          "again to resume "
          "at chunk {}",
          work.plan->tenant_id, chunk, chunks, reason, message, chunk - 1, chunk);
    }
    return 1;
  }

  int64_t rows_answered_of(const TenantWork& work) const {
    int64_t rows = 0;
    for (std::size_t i = 0; i < work.next_chunk; ++i) rows += work.plan->chunk_rows[i];
    return rows;
  }

  void check_timeouts() {
    const auto now = Clock::now();
    for (const auto& [id, work] : by_id_) {
      if (now - work->sent_at > std::chrono::milliseconds(options_.result_timeout_ms)) {
        throw std::runtime_error(
            "no result for " + id + " within " + std::to_string(options_.result_timeout_ms) +
            " ms (is an engine running on " + options_.topics.commands() + "?)");
      }
    }
  }

  void waiting_notice(int32_t partition) {
    const auto now = Clock::now();
    if (now - last_notice_ < std::chrono::milliseconds(kWaitingNoticeEveryMs)) return;
    last_notice_ = now;
    logger()->info(
        "waiting for the projectors: partition {} of {} is {} records ahead of the slowest",
        partition, options_.topics.events(), pacer_->lag(partition));
  }

  void catch_up() {
    if (options_.database_url.empty()) return;
    std::unique_ptr<Pacer> own;
    Pacer* pacer = pacer_.get();
    if (pacer == nullptr) {
      own = std::make_unique<Pacer>(options_, partitions_);
      pacer = own.get();
    }
    wait_caught_up(*pacer, options_, [this] {
      report(false);
      client_.poll_results(50);
    });
  }

  void report(bool finished) {
    if (!options_.progress) return;
    const auto now = Clock::now();
    if (!finished && now - last_progress_ < std::chrono::milliseconds(kProgressEveryMs)) return;
    last_progress_ = now;
    options_.progress(rows_answered_ + rows_refused_, total_rows_, seconds_between(start_, now),
                      finished);
  }

  const Options& options_;
  const importer::KindSpec& kind_;
  Outcome& outcome_;
  PlanQueue& plans_;
  client::CommandClient client_;
  int32_t partitions_ = 0;
  std::deque<importer::TenantPlan> plans_taken_;  // deques: TenantWork and queues point into them
  std::deque<TenantWork> work_;
  std::vector<std::deque<TenantWork*>> queues_;
  std::vector<std::vector<TenantWork*>> active_;
  std::unordered_map<std::string, TenantWork*> by_id_;
  std::size_t handled_ = 0;
  std::unique_ptr<Pacer> pacer_;
  int64_t total_rows_ = 0;
  int64_t rows_answered_ = 0;
  int64_t rows_refused_ = 0;  // rows of tenants the planner refused
  Clock::time_point start_;
  Clock::time_point last_progress_{};
  Clock::time_point last_notice_{};
};

}  // namespace

Outcome run(const Options& options) {
  const importer::KindSpec* kind = importer::find_kind(options.kind);
  if (kind == nullptr) {
    std::string kinds;
    for (const std::string_view name : importer::kind_names())
      kinds += (kinds.empty() ? "" : ", ") + std::string(name);
    throw UsageError("no import kind " + options.kind + " (kinds: " + kinds + ")");
  }
  if (options.files.empty()) throw UsageError("no file to import");
  if (!kind->takes_expected_balance && options.balances_file)
    throw UsageError("--balances belongs to credit_ledger, not to " + options.kind);
  if (const importer::ChildSpec* children = importer::find_child_spec(kind->name);
      (children != nullptr) != options.packages_file.has_value()) {
    throw UsageError(children != nullptr
                         ? options.kind + " needs " + std::string(children->option) + " FILE"
                         : "--packages belongs to media_buys, not to " + options.kind);
  }
  const auto started = Clock::now();
  if (kind->takes_expected_balance && !options.balances_file && !options.append) {
    logger()->warn(
        "no --balances file: the tenants' end balances are not checked and no billing period is "
        "set");
  }
  if (kind->takes_expected_balance && options.balances_file && options.append) {
    logger()->warn(
        "--balances is not checked with --append: a tenant's balance is then the seed's plus its "
        "live "
        "events (docs/migrating.md \"Cut-over\")");
  }
  const Loaded loaded = load(options, *kind);
  Outcome outcome;
  outcome.rows_read = loaded.rows.rows;
  outcome.tenants = static_cast<int64_t>(loaded.rows.tenant_order.size());
  outcome.rows_without_tenant = loaded.rows_without_tenant;
  logger()->info("{} rows of {} tenants read in {:.1f} s", outcome.rows_read, outcome.tenants,
                 seconds_between(started, Clock::now()));
  std::optional<EngineStates> states;
  if (!options.database_url.empty()) {
    const auto reading = Clock::now();
    {
      Pacer pacer(options, 0);
      wait_caught_up(pacer, options, [] {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPacingRefreshMs));
      });
    }
    pqxx::connection db(options.database_url);
    states = load_engine_states(db, loaded.rows.tenant_order);
    logger()->info("the engine's state of {} of the {} tenants read in {:.1f} s", states->size(),
                   outcome.tenants, seconds_between(reading, Clock::now()));
  }
  PlanQueue queue;
  std::thread planner([&] {
    try {
      plan_tenants(options, *kind, loaded, std::move(states), queue);
      queue.finish();
    } catch (...) {
      queue.finish(std::current_exception());
    }
  });
  try {
    if (options.dry_run) {
      planner.join();
      std::deque<importer::TenantPlan> plans;
      int64_t rows_refused = 0;
      queue.take(plans, rows_refused);
    } else {
      const auto sending = Clock::now();
      Sender sender(options, *kind, queue, outcome.rows_read, outcome);
      sender.run();
      outcome.send_seconds = seconds_between(sending, Clock::now());
    }
  } catch (...) {
    if (planner.joinable()) planner.join();
    throw;
  }
  if (planner.joinable()) planner.join();
  outcome.tenants_refused += queue.tenants_refused();
  outcome.seconds = seconds_between(started, Clock::now());
  return outcome;
}

}  // namespace lf::import_run
