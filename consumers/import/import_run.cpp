// The import runtime (consumers/import/import_run.hpp).
#include "consumers/import/import_run.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <fstream>
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
#include "engine/dry_run.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"

namespace lf::import_run {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPacingRefreshMs = 100;
constexpr int kProgressEveryMs = 200;
constexpr int kWaitingNoticeEveryMs = 10'000;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::shared_ptr<spdlog::logger> logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("import");
    return existing ? existing : spdlog::default_logger()->clone("import");
  }();
  return instance;
}

// ---- reading and planning -----------------------------------------------------

std::ifstream open_file(const std::string& name) {
  std::ifstream in(name, std::ios::binary);
  if (!in) throw UsageError("cannot read " + name);
  return in;
}

[[noreturn]] void throw_input_error(const Error& error) {
  if (error.code == "missing_columns") throw UsageError(error.message);
  throw std::runtime_error(error.message);
}

// Every row read and converted, and the balances: a tenant's rows may be
// anywhere in the files, so all are read before any tenant is planned.
struct Loaded {
  importer::LoadedRows rows;
  std::map<std::string, std::string> balances;
  std::map<std::string, std::vector<const importer::RefusedRow*>> refused_rows;  // by tenant
  int64_t rows_without_tenant = 0;
};

// The rows of `kind`; a kind with a second file (media_buys' packages)
// reads it first, and its rows nobody took are refused.
importer::LoadedRows load_rows(const Options& options, const importer::KindSpec& kind) {
  const importer::ChildSpec* child_spec = importer::find_child_spec(kind.name);
  std::optional<importer::ChildRows> children;
  if (child_spec != nullptr) {
    LF_ASSERT(options.packages_file.has_value());
    std::ifstream in = open_file(*options.packages_file);
    Result<importer::ChildRows> read =
        importer::load_children(*child_spec, *options.packages_file, in);
    if (!read) throw_input_error(read.error());
    children = std::move(read).value();
  }
  importer::RowLoader loader =
      children ? importer::RowLoader(kind, *child_spec, *children) : importer::RowLoader(kind);
  for (const std::string& file : options.files) {
    std::ifstream in = open_file(file);
    Result<bool> added = loader.add(file, in);
    if (!added) throw_input_error(added.error());
  }
  importer::LoadedRows rows = loader.take();
  if (children) {
    for (importer::RefusedRow& row : importer::untaken_children(*children))
      rows.refused.push_back(std::move(row));
  }
  return rows;
}

Loaded load(const Options& options, const importer::KindSpec& kind) {
  Loaded loaded;
  loaded.rows = load_rows(options, kind);
  if (options.balances_file) {
    std::ifstream in = open_file(*options.balances_file);
    Result<std::map<std::string, std::string>> balances =
        importer::load_balances(*options.balances_file, in);
    if (!balances) throw_input_error(balances.error());
    loaded.balances = std::move(balances).value();
  }
  // Rows that could not be converted refuse their tenant, once.
  for (const importer::RefusedRow& row : loaded.rows.refused) {
    if (!row.tenant_id) {
      ++loaded.rows_without_tenant;
      logger()->error("{}:{}: row without a tenant: {}", row.file, row.line, row.message);
      continue;
    }
    loaded.refused_rows[*row.tenant_id].push_back(&row);
    if (!loaded.rows.by_tenant.contains(*row.tenant_id)) {
      loaded.rows.by_tenant[*row.tenant_id];
      loaded.rows.tenant_order.push_back(*row.tenant_id);
    }
  }
  return loaded;
}

// Tenants planned and pre-checked, handed from the planning thread to the
// sender as they are ready, so sending starts with the first tenant.
class PlanQueue {
 public:
  void push(importer::TenantPlan plan) {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.push_back(std::move(plan));
  }
  void refused(int64_t rows) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++tenants_refused_;
    rows_refused_ += rows;
  }
  void finish(std::exception_ptr error = nullptr) {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    error_ = error;
  }
  // Moves what is ready into `out`; true once the planner has finished and
  // everything was taken.
  bool take(std::deque<importer::TenantPlan>& out, int64_t& rows_refused) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
    for (importer::TenantPlan& plan : ready_) out.push_back(std::move(plan));
    ready_.clear();
    rows_refused = rows_refused_;
    return finished_;
  }
  int64_t tenants_refused() {
    std::lock_guard<std::mutex> lock(mutex_);
    return tenants_refused_;
  }

 private:
  std::mutex mutex_;
  std::vector<importer::TenantPlan> ready_;
  int64_t tenants_refused_ = 0;
  int64_t rows_refused_ = 0;
  bool finished_ = false;
  std::exception_ptr error_;
};

using EngineStates = std::unordered_map<std::string, engine::TenantState>;

// The tenant's chunks decided in a dry run on its state as the engine holds
// it (empty for a tenant it does not know): nullopt when the engine would
// take every chunk (or has taken it: already_imported), else the first
// refusal.
std::optional<engine::Rejection> refusal_by_engine_state(const importer::KindSpec& kind,
                                                         const importer::TenantPlan& plan,
                                                         const Options& options,
                                                         EngineStates& states, int64_t now_ms) {
  engine::TenantState state;
  if (auto found = states.find(plan.tenant_id); found != states.end()) {
    state = std::move(found->second);
    states.erase(found);
  }
  engine::DryRun run(plan.tenant_id, std::move(state));
  for (std::size_t chunk = 0; chunk < plan.payloads.size(); ++chunk) {
    Result<std::unique_ptr<rapidjson::Document>> payload = parse_json_trusted(plan.payloads[chunk]);
    LF_ASSERT_MSG(payload.ok(), "the importer wrote a payload that is not JSON");
    CommandEnvelope command;
    command.command_id = importer::import_command_id(kind.name, plan.tenant_id, plan.import_id,
                                                     static_cast<int64_t>(chunk), options.append);
    command.type = std::string(kind.command_type);
    command.tenant_id = plan.tenant_id;
    command.actor = "system";
    command.issued_at_ms = now_ms;
    command.payload = payload->get();
    const engine::Decision decision = run.decide(command, engine::Context{now_ms, nullptr});
    if (!decision.accepted() && decision.rejection().reason != "already_imported")
      return decision.rejection();
  }
  return std::nullopt;
}

void plan_tenants(const Options& options, const importer::KindSpec& kind, const Loaded& loaded,
                  std::optional<EngineStates> states, PlanQueue& queue) {
  const bool check_balances =
      kind.takes_expected_balance && options.balances_file && !options.append;
  const int64_t now_ms = system_now_ms();
  for (const std::string& tenant : loaded.rows.tenant_order) {
    const std::vector<importer::SourceRow>& rows = loaded.rows.by_tenant.at(tenant);
    const int64_t row_count = static_cast<int64_t>(rows.size());
    if (auto bad = loaded.refused_rows.find(tenant); bad != loaded.refused_rows.end()) {
      const importer::RefusedRow& first = *bad->second.front();
      logger()->error("tenant {} refused: {}:{}: invalid_row: {}{}", tenant, first.file, first.line,
                      first.message,
                      bad->second.size() > 1
                          ? fmt::format(" (and {} more bad rows)", bad->second.size() - 1)
                          : "");
      queue.refused(row_count + static_cast<int64_t>(bad->second.size()));
      continue;
    }
    std::optional<std::string> expected;
    if (check_balances) {
      auto found = loaded.balances.find(tenant);
      if (found == loaded.balances.end()) {
        logger()->error("tenant {} refused: no credit_balances row for it in {}", tenant,
                        *options.balances_file);
        queue.refused(row_count);
        continue;
      }
      expected = found->second;
    }
    importer::TenantPlan plan = importer::plan_tenant(
        kind, tenant, rows, loaded.rows.files, options.append, expected, options.chunk_limits);
    const importer::PrecheckInput input{tenant, plan.payloads, options.append, now_ms};
    if (std::optional<engine::Rejection> refused = kind.precheck(input)) {
      logger()->error("tenant {} refused: {}: {}", tenant, refused->reason, refused->message);
      queue.refused(row_count);
      continue;
    }
    // What the file alone cannot show: a tenant the engine knows, or rows
    // that refer to what it holds, are decided on its state before sending.
    if (states && (kind.checks_engine_state || states->contains(tenant))) {
      if (std::optional<engine::Rejection> refused =
              refusal_by_engine_state(kind, plan, options, *states, now_ms)) {
        logger()->error("tenant {} refused: {}: {}", tenant, refused->reason, refused->message);
        queue.refused(row_count);
        continue;
      }
    }
    queue.push(std::move(plan));
  }
}

// ---- pacing ---------------------------------------------------------------------

// How far each partition of the events topic is ahead of the slowest
// projector (projection_checkpoints).
class Pacer {
 public:
  // `partitions`: the events topic's (0: ask the cluster).
  Pacer(const Options& options, int32_t partitions)
      : db_(options.database_url),
        probe_(options.kafka, options.client_id + "-pacer", ""),
        topic_(options.topics.events()),
        lag_(static_cast<std::size_t>(partitions > 0 ? partitions : probe_.partition_count(topic_)),
             0) {}

  void refresh() {
    std::map<int32_t, int64_t> positions;
    {
      pqxx::read_transaction work(db_);
      for (const pqxx::row& row : work.exec("SELECT partition, min(next_offset) FROM "
                                            "projection_checkpoints GROUP BY partition")) {
        positions[row[0].as<int32_t>()] = row[1].as<int64_t>();
      }
    }
    for (std::size_t partition = 0; partition < lag_.size(); ++partition) {
      const int32_t p = static_cast<int32_t>(partition);
      const int64_t high = probe_.watermarks(topic_, p).high;
      auto found = positions.find(p);
      lag_[partition] = std::max<int64_t>(0, high - (found == positions.end() ? 0 : found->second));
    }
    refreshed_ = Clock::now();
  }
  void refresh_if_due() {
    if (Clock::now() - refreshed_ >= std::chrono::milliseconds(kPacingRefreshMs)) refresh();
  }
  int64_t lag(int32_t partition) const { return lag_[static_cast<std::size_t>(partition)]; }
  int64_t total_lag() const {
    int64_t total = 0;
    for (const int64_t lag : lag_) total += lag;
    return total;
  }

 private:
  pqxx::connection db_;
  kafka::Consumer probe_;
  std::string topic_;
  std::vector<int64_t> lag_;
  Clock::time_point refreshed_{};
};

// Waits until every projection has read the events topic to its end;
// `waiting` runs between looks. Throws after options.catch_up_timeout_ms.
void wait_caught_up(Pacer& pacer, const Options& options, const std::function<void()>& waiting) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.catch_up_timeout_ms);
  while (true) {
    pacer.refresh();
    if (pacer.total_lag() == 0) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error("the read tables did not catch up with " + options.topics.events() +
                               " within " + std::to_string(options.catch_up_timeout_ms) + " ms (" +
                               std::to_string(pacer.total_lag()) + " records behind)");
    }
    waiting();
  }
}

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
      const std::vector<CommandResult>& results = client_.results();
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
  std::size_t handle(const CommandResult& result) {
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
