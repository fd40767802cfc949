// The media buy and activity transition tables.
#include "engine/workflow/transitions.hpp"
#include "events/assert.hpp"

namespace lf::engine::workflow {

bool buy_move_allowed(BuyMove move, BuyStatus from) {
  using S = BuyStatus;
  switch (move) {
    case BuyMove::approved:
      return from == S::pending;
    case BuyMove::activated:
      return from == S::approved;
    case BuyMove::paused:
      return from == S::active;
    case BuyMove::resumed:
      return from == S::paused;
    case BuyMove::completed:
      return from == S::active || from == S::paused;
    case BuyMove::failed:
      return !is_final(from);
  }
  return false;
}

BuyStatus buy_status_after(BuyMove move) {
  switch (move) {
    case BuyMove::approved:
      return BuyStatus::approved;
    case BuyMove::activated:
    case BuyMove::resumed:
      return BuyStatus::active;
    case BuyMove::paused:
      return BuyStatus::paused;
    case BuyMove::completed:
      return BuyStatus::completed;
    case BuyMove::failed:
      return BuyStatus::failed;
  }
  LF_ASSERT_MSG(false, "unknown media buy move");
  return BuyStatus::failed;
}

bool may_assign(const Activity& activity) {
  using S = ActivityStatus;
  const S s = activity.status;
  return s == S::created || s == S::assigned || s == S::in_progress || s == S::rejected;
}

bool may_start(const Activity& activity) {
  using S = ActivityStatus;
  const S s = activity.status;
  return s == S::created || s == S::assigned || s == S::rejected;
}

bool may_end(const Activity& activity) {
  return !is_final(activity.status);
}

bool may_complete(const Activity& activity) {
  using S = ActivityStatus;
  const S s = activity.status;
  if (activity.is_approval_gate) return s == S::approved;
  return s == S::in_progress || s == S::awaiting_approval || s == S::approved;
}

bool may_submit(const Activity& activity) {
  using S = ActivityStatus;
  const S s = activity.status;
  if (activity.pending_approval_id) return false;
  if (activity.is_approval_gate) return s == S::created || s == S::assigned || s == S::in_progress;
  return s == S::in_progress;
}

ActivityStatus to_do_status(AssigneeType assignee) {
  return assignee == AssigneeType::agent ? ActivityStatus::assigned : ActivityStatus::created;
}

}  // namespace lf::engine::workflow
