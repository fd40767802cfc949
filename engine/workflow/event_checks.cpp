// check_event: what every workflow event must hold before it is encoded and
// after it is decoded (the event schemas' limits, and the pairings of fields
// their types imply).
#include "engine/workflow/codec.hpp"
#include "engine/workflow/text.hpp"
#include "events/assert.hpp"

namespace lf::engine::workflow {

namespace {

// The event schemas' numeric limits.
constexpr int64_t kCreditsMax = 1'000'000'000'000'000;
constexpr int64_t kBudgetMinorMax = 1'000'000'000'000'000;
constexpr int64_t kBudgetTotalMinorMax = 9'007'199'254'740'991;  // 2^53 - 1
constexpr int64_t kCostUsdMicrosMax = 9'999'999'999;             // 9999.999999 USD

void check_id(const std::string& id) {
  LF_ASSERT_MSG(fits(id, 1, kIdLengthMax), "a workflow id is 1 to 128 characters");
}
void check_id(const std::optional<std::string>& id) {
  LF_ASSERT_MSG(fits(id, 1, kIdLengthMax), "a workflow id is 1 to 128 characters");
}
void check_text(const std::string& text, std::size_t length_max) {
  LF_ASSERT_MSG(fits(text, 1, length_max), "a workflow text is too long or empty");
}
void check_text(const std::optional<std::string>& text, std::size_t length_max) {
  LF_ASSERT_MSG(fits(text, 1, length_max), "a workflow text is too long or empty");
}
void check_amount(int64_t amount, int64_t maximum) {
  LF_ASSERT_MSG(amount >= 0 && amount <= maximum, "a workflow amount is out of range");
}
void check_amount(const std::optional<int64_t>& amount, int64_t maximum) {
  if (amount) check_amount(*amount, maximum);
}

void check_assignee(const Assignee& assignee) {
  check_id(assignee.agent_role);
  check_id(assignee.user_id);
  LF_ASSERT_MSG(assignee.type != AssigneeType::agent || assignee.agent_role,
                "an agent assignee has a role");
}

struct Check {
  void operator()(const BuyCreated& e) const {
    check_id(e.media_buy_id);
    check_id(e.principal_id);
    check_id(e.buyer_ref);
    check_id(e.approval_id);
    check_text(e.campaign_name, kTitleLengthMax);
    LF_ASSERT(e.currency.size() == 3);
    LF_ASSERT(!e.packages.empty());
    int64_t total = 0;
    for (const Package& package : e.packages) {
      check_id(package.package_id);
      check_id(package.product_id);
      check_amount(package.budget_minor, kBudgetMinorMax);
      total += package.budget_minor;  // <= 100 x 10^15: no overflow
    }
    LF_ASSERT_MSG(total == e.budget_total_minor,
                  "budget_total_minor is the sum of the packages' budgets");
    check_amount(e.budget_total_minor, kBudgetTotalMinorMax);
    LF_ASSERT(e.requires_approval == e.approval_id.has_value());
  }
  void operator()(const BuyMoved& e) const {
    check_id(e.media_buy_id);
    check_id(e.approval_id);
    check_id(e.reviewed_by);
    check_text(e.reason, kNoteLengthMax);
    LF_ASSERT(!e.approval_id || e.move == BuyMove::approved || e.move == BuyMove::failed);
    LF_ASSERT(!e.reviewed_by || e.move == BuyMove::approved);
  }
  void operator()(const ApprovalRequested& e) const {
    check_id(e.approval_id);
    check_id(e.activity_id);
    check_id(e.subject.id);
    check_text(e.title, kTitleLengthMax);
    check_text(e.content_ref, kNoteLengthMax);
    check_id(e.reviewer_id);
    check_id(e.escalate_to);
    check_id(e.escalated_from);
    LF_ASSERT(e.expires_at_ms > 0);
  }
  void operator()(const ApprovalAssigned& e) const {
    check_id(e.approval_id);
    check_id(e.reviewer_id);
  }
  void operator()(const ApprovalSentToClient& e) const {
    check_id(e.approval_id);
    LF_ASSERT(e.sent_to_client_at_ms > 0);
  }
  void operator()(const ApprovalDecided& e) const {
    check_id(e.approval_id);
    check_id(e.activity_id);
    check_id(e.subject.id);
    check_id(e.reviewed_by);
    check_text(e.notes, kNoteLengthMax);
    check_text(e.chosen_option, kChosenOptionLengthMax);
  }
  void operator()(const ApprovalExpired& e) const {
    check_id(e.approval_id);
    check_id(e.subject.id);
  }
  void operator()(const ApprovalEscalated& e) const {
    check_id(e.approval_id);
    check_id(e.subject.id);
    check_id(e.escalated_to);
    check_id(e.follow_up_approval_id);
    LF_ASSERT(e.escalated_at_ms > 0);
  }
  void operator()(const ActivityCreated& e) const {
    check_id(e.activity_id);
    check_text(e.title, kTitleLengthMax);
    check_text(e.type, kTypeLengthMax);
    check_text(e.description, kNoteLengthMax);
    check_assignee(e.assignee);
    check_id(e.parent_activity_id);
    LF_ASSERT_MSG(!e.is_approval_gate || e.assignee.type == AssigneeType::human,
                  "a review step is a human's");
  }
  void operator()(const ActivityAssigned& e) const {
    check_id(e.activity_id);
    check_assignee(e.assignee);
    check_text(e.note, kNoteLengthMax);
    LF_ASSERT(e.status == ActivityStatus::assigned || e.status == ActivityStatus::created);
  }
  void operator()(const ActivityReassigned& e) const {
    check_id(e.activity_id);
    check_id(e.assignee_user_id);
    check_id(e.approval_id);
  }
  void operator()(const ActivityMoved& e) const {
    check_id(e.activity_id);
    check_text(e.note, kNoteLengthMax);
  }
  void operator()(const ActivityCompleted& e) const {
    check_id(e.activity_id);
    check_text(e.note, kNoteLengthMax);
    check_text(e.output_ref, kChosenOptionLengthMax);
    check_id(e.approval_id);
    LF_ASSERT_MSG(e.approval_id.has_value() == e.review_outcome.has_value(),
                  "a review step's completion names its approval and outcome");
  }
  void operator()(const ActivitySubmitted& e) const {
    check_id(e.activity_id);
    check_id(e.approval_id);
    check_id(e.review_activity_id);
    check_text(e.note, kNoteLengthMax);
    LF_ASSERT(!e.review_activity_id || e.approval_id);
  }
  void operator()(const ActivityApproved& e) const {
    check_id(e.activity_id);
    check_id(e.approval_id);
    check_id(e.reviewed_by);
    check_text(e.notes, kNoteLengthMax);
  }
  void operator()(const ActivityRejected& e) const {
    check_id(e.activity_id);
    check_id(e.approval_id);
    check_id(e.reviewed_by);
    LF_ASSERT(fits(e.rejection_note, 0, kNoteLengthMax));
  }
  void operator()(const ActivityRevisionRequested& e) const {
    check_id(e.activity_id);
    check_id(e.approval_id);
    check_id(e.reviewed_by);
    LF_ASSERT(fits(e.revision_note, 0, kNoteLengthMax));
    LF_ASSERT(e.status == ActivityStatus::assigned || e.status == ActivityStatus::created ||
              e.status == ActivityStatus::in_progress);
  }
  void operator()(const RunStarted& e) const {
    check_id(e.activity_id);
    check_id(e.run_id);
    check_id(e.reservation_id);
    LF_ASSERT(e.reservation_id == "run:" + e.run_id);
    LF_ASSERT(e.estimated_credits >= 1 && e.estimated_credits <= kCreditsMax);
    check_id(e.deliverable_type);
    check_text(e.model_id, 100);
    check_id(e.session_id);
    LF_ASSERT(e.expires_at_ms > 0);
  }
  void operator()(const RunFinished& e) const {
    check_id(e.activity_id);
    check_id(e.run_id);
    LF_ASSERT(e.status != RunStatus::running);
    check_amount(e.credits_used, kCreditsMax);
    check_amount(e.credits_released, kCreditsMax);
    LF_ASSERT_MSG(e.credits_charged == (e.status == RunStatus::completed ? e.credits_used : 0),
                  "a completed run is charged what it used, any other nothing");
    check_text(e.error, kRunErrorLengthMax);
    check_amount(e.usage.input_tokens, kCreditsMax);
    check_amount(e.usage.output_tokens, kCreditsMax);
    check_amount(e.usage.duration_ms, kCreditsMax);
    check_amount(e.usage.cost_usd_micros, kCostUsdMicrosMax);
  }
  void operator()(const AuditRecorded& e) const {
    check_id(e.operation);
    check_id(e.event_type);
    check_id(e.action);
    check_id(e.resource_type);
    check_text(e.resource_id, 255);
    check_id(e.principal_id);
    check_text(e.error_message, kNoteLengthMax);
  }
  void operator()(const TenantConfigured& e) const { check_id(e.escalation_reviewer_id); }
};

}  // namespace

void check_event(const Event& event) {
  std::visit(Check{}, event);
}

}  // namespace lf::engine::workflow
