// tenant.configure (docs/domains/workflow.md "Tenant settings"): the
// tenant's default escalation reviewer, set by the platform or its staff.
#include "engine/workflow/decide.hpp"
#include "engine/workflow/emitter.hpp"

namespace lf::engine::workflow {

namespace {

bool may_configure(std::string_view actor) {
  return actor == "system" || actor.starts_with("admin:") || actor.starts_with("support:");
}

}  // namespace

Decision decide_configure_tenant(const DecisionInput& in, const ConfigureTenant& command) {
  if (!may_configure(in.command.actor)) {
    return Decision::reject(
        "forbidden",
        "tenant.configure is for system, admin: and support: actors, not " + in.command.actor);
  }
  Emitter out(in.command.tenant_id);
  out.emit(TenantConfigured{command.escalation_reviewer_id});
  return out.accept();
}

}  // namespace lf::engine::workflow
