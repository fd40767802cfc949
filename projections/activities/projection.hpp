// activities: one row per activity (work and human review steps alike), its
// status, assignee, latest approval and review notes; the agent_queue and
// human_queue views read its to-do rows. Runs are in activity_runs. Besides
// activity.* it reads approval.requested, which links an approval to its
// subject and its review step.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "projections/projection.hpp"

namespace lf::projections {

class Activities final : public Projection {
 public:
  static const TableSpec& table();
  std::string_view name() const override { return "activities"; }
  int32_t version() const override { return 2; }
  std::vector<const TableSpec*> tables() const override { return {&table()}; }
  void apply(const RecordAt& at, RowBatch& batch) const override;
  // An unknown activity.* type, or a newer approval.requested than this
  // binary knows, parks: skipping either would leave the rows wrong.
  UnknownEventPolicy unknown_event_policy(std::string_view type) const override {
    if (type == "approval.requested") return UnknownEventPolicy::park;
    return park_prefixed(type, {"activity."});
  }
};

// The queues (docs/domains/workflow.md "Queues"; the views agent_queue and
// human_queue, schemas/migrations/006_seed_dialect.sql): the statuses in
// which each lists its assignees' activities, as the seed's queue indexes do.
inline constexpr std::array<std::string_view, 2> kAgentQueueStatuses{"created", "assigned"};
inline constexpr std::array<std::string_view, 2> kHumanQueueStatuses{"created",
                                                                     "awaiting_approval"};

// The view that lists an activity with this assignee type and status:
// "agent_queue", "human_queue", or none.
std::optional<std::string_view> queue_of(std::string_view assignee_type, std::string_view status);

}  // namespace lf::projections
