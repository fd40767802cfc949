// Reading and planning an import (planning.hpp).
#include "consumers/import/planning.hpp"

#include <fstream>

#include "consumers/import/internal.hpp"
#include "engine/dry_run.hpp"
#include "events/assert.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::import_run {
namespace {

std::ifstream open_file(const std::string& name) {
  std::ifstream in(name, std::ios::binary);
  if (!in) throw UsageError("cannot read " + name);
  return in;
}

[[noreturn]] void throw_input_error(const Error& error) {
  if (error.code == "missing_columns") throw UsageError(error.message);
  throw std::runtime_error(error.message);
}

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

}  // namespace

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

}  // namespace lf::import_run
