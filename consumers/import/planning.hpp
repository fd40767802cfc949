// Reading and planning an import: every row of the files read and converted
// (a tenant's rows may be anywhere in them), then each tenant planned into
// chunks and pre-checked, by the file alone and on the engine's state, and
// handed to the sender through a PlanQueue as it is ready.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "consumers/import/import_run.hpp"
#include "engine/tenant.hpp"

namespace lf::import_run {

// Every row read and converted, and the balances: a tenant's rows may be
// anywhere in the files, so all are read before any tenant is planned.
struct Loaded {
  importer::LoadedRows rows;
  std::map<std::string, std::string> balances;
  std::map<std::string, std::vector<const importer::RefusedRow*>> refused_rows;  // by tenant
  int64_t rows_without_tenant = 0;
};

// Reads the files of `options` (and the balances file); throws UsageError
// for what the user must fix (a missing column), std::runtime_error else.
Loaded load(const Options& options, const importer::KindSpec& kind);

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

// Plans every loaded tenant into `queue`, refusing (and logging) a tenant
// with a bad row, without a balance when one is expected, refused by the
// kind's pre-check, or, given the engine's `states`, by a dry run on them.
void plan_tenants(const Options& options, const importer::KindSpec& kind, const Loaded& loaded,
                  std::optional<EngineStates> states, PlanQueue& queue);

}  // namespace lf::import_run
