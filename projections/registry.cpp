// The registry of projections (registry.hpp).
#include "projections/registry.hpp"

#include "projections/activities/projection.hpp"
#include "projections/activity_runs/projection.hpp"
#include "projections/approvals/projection.hpp"
#include "projections/audit_log/projection.hpp"
#include "projections/credit_balances/projection.hpp"
#include "projections/credit_ledger/projection.hpp"
#include "projections/credit_reservations/projection.hpp"
#include "projections/credit_topup_orders/projection.hpp"
#include "projections/event_log/projection.hpp"
#include "projections/llm_calls/projection.hpp"
#include "projections/media_buys/projection.hpp"
#include "projections/tenant_spend/projection.hpp"
#include "projections/tool_calls/projection.hpp"
#include "projections/usage_records/projection.hpp"

namespace lf::projections {

std::vector<std::unique_ptr<Projection>> all_projections() {
  std::vector<std::unique_ptr<Projection>> projections;
  projections.push_back(std::make_unique<CreditBalances>());
  projections.push_back(std::make_unique<CreditLedger>());
  projections.push_back(std::make_unique<CreditReservations>());
  projections.push_back(std::make_unique<EventLog>());
  projections.push_back(std::make_unique<MediaBuys>());
  projections.push_back(std::make_unique<Approvals>());
  projections.push_back(std::make_unique<Activities>());
  projections.push_back(std::make_unique<ActivityRuns>());
  projections.push_back(std::make_unique<AuditLog>());
  projections.push_back(std::make_unique<CreditTopupOrders>());
  projections.push_back(std::make_unique<LlmCalls>());
  projections.push_back(std::make_unique<ToolCalls>());
  projections.push_back(std::make_unique<UsageRecords>());
  projections.push_back(std::make_unique<TenantSpend>());
  return projections;
}

std::unique_ptr<Projection> make_projection(std::string_view name) {
  for (std::unique_ptr<Projection>& projection : all_projections()) {
    if (projection->name() == name) return std::move(projection);
  }
  return nullptr;
}

}  // namespace lf::projections
