// Which status each media buy and activity move leaves from and leads to
// (docs/domains/workflow.md "Media buys", "Activities"): the deciders refuse
// what these tables refuse, and evolve asserts the log keeps to them.
// Internal to engine/workflow.
#pragma once

#include <string_view>

#include "engine/workflow/events.hpp"
#include "engine/workflow/state.hpp"

namespace lf::engine::workflow {

bool buy_move_allowed(BuyMove move, BuyStatus from);
BuyStatus buy_status_after(BuyMove move);

// activity.assign, activity.start, activity.fail / cancel, activity.complete,
// activity.submit_for_approval from `activity`'s status.
bool may_assign(const Activity& activity);
bool may_start(const Activity& activity);
bool may_end(const Activity& activity);  // fail, cancel: any open state
bool may_complete(const Activity& activity);
bool may_submit(const Activity& activity);

// Where revision sends work back to (the statuses in which each queue lists
// to-do work), and where an assignment leads: assigned for an agent, created
// for a human.
ActivityStatus to_do_status(AssigneeType assignee);

}  // namespace lf::engine::workflow
