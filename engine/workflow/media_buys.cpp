// Media buy decisions (docs/domains/workflow.md "Media buys").
#include <set>

#include "engine/workflow/decide.hpp"
#include "engine/workflow/review.hpp"
#include "engine/workflow/text.hpp"
#include "engine/workflow/transitions.hpp"

namespace lf::engine::workflow {

namespace {

// 2^53 - 1: the largest integer every JSON reader holds exactly.
constexpr int64_t kBudgetTotalMinorMax = 9'007'199'254'740'991;

// The buy's own checks: the id, the dates' order, package ids, the total.
Result<int64_t> check_buy(const State& state, const CreateBuy& command) {
  if (state.media_buys.contains(command.media_buy_id)) {
    return make_error("duplicate_media_buy",
                      "media buy " + command.media_buy_id + " already exists");
  }
  Result<bool> room = check_room(state.media_buys.size(), "media buys");
  if (!room) return room.error();
  if (command.end_days < command.start_days) {
    return make_error("invalid_dates", "end_date " + command.end_date + " is before start_date " +
                                           command.start_date);
  }
  std::set<std::string_view> package_ids;
  int64_t budget_total_minor = 0;
  for (const Package& package : command.packages) {
    if (!package_ids.insert(package.package_id).second) {
      return make_error("duplicate_package", "package " + package.package_id + " appears twice");
    }
    budget_total_minor += package.budget_minor;  // <= 100 x 10^15: no overflow
  }
  if (budget_total_minor > kBudgetTotalMinorMax) {
    return make_error("limit_exceeded", "the packages' budgets add up to more than " +
                                            std::to_string(kBudgetTotalMinorMax) + " minor units");
  }
  return budget_total_minor;
}

// The approval a buy that requires one opens (type media_buy).
Result<ApprovalRequested> buy_approval(const DecisionInput& in, const CreateBuy& command) {
  ApprovalRequested approval;
  approval.approval_id = command.approval.approval_id.value_or(command.media_buy_id + ":approval");
  Result<bool> free = check_new_approval(in.state, approval.approval_id);
  if (!free) return free.error();
  Result<int64_t> deadline =
      approval_deadline(command.approval.expires_at_ms, in.command.issued_at_ms, in.now_ms);
  if (!deadline) return deadline.error();
  approval.subject = Subject{SubjectKind::media_buy, command.media_buy_id};
  approval.type = ApprovalType::media_buy;
  approval.risk_level = command.approval.risk_level.value_or(RiskLevel::medium);
  approval.title = truncated("Approve media buy " + command.campaign_name, kTitleLengthMax);
  approval.reviewer_id = command.approval.reviewer_id;
  approval.escalate_to = command.approval.escalate_to;
  approval.expires_at_ms = deadline.value();
  return approval;
}

}  // namespace

Decision decide_create_buy(const DecisionInput& in, const CreateBuy& command) {
  Result<int64_t> total = check_buy(in.state, command);
  if (!total) return refused(total.error());
  std::optional<ApprovalRequested> approval;
  if (command.requires_approval) {
    Result<ApprovalRequested> opened = buy_approval(in, command);
    if (!opened) return refused(opened.error());
    approval = std::move(opened).value();
  }
  Emitter out(in.command.tenant_id);
  out.emit(BuyCreated{command.media_buy_id, command.principal_id, command.campaign_name,
                      command.buyer_ref, command.start_date, command.end_date, command.currency,
                      command.packages, total.value(), command.requires_approval,
                      approval ? std::optional<std::string>(approval->approval_id) : std::nullopt});
  if (approval) emit_review(out, NewReview{*approval, std::nullopt, std::nullopt});
  return out.accept();
}

Decision decide_move_buy(const DecisionInput& in, const MoveBuy& command) {
  const auto found = in.state.media_buys.find(command.media_buy_id);
  if (found == in.state.media_buys.end()) {
    return Decision::reject("unknown_media_buy", "no media buy " + command.media_buy_id);
  }
  const MediaBuy& buy = found->second;
  if (!buy_move_allowed(command.move, buy.status)) {
    return refused(invalid_transition("media buy", command.media_buy_id, to_string(buy.status),
                                      in.command.type));
  }
  if (command.move == BuyMove::approved && buy.requires_approval) {
    return Decision::reject(
        "approval_required",
        "media buy " + command.media_buy_id + " is decided by its approval" +
            (buy.pending_approval_id ? " " + *buy.pending_approval_id : std::string()) +
            "; approve the approval instead");
  }
  Emitter out(in.command.tenant_id);
  out.emit(
      BuyMoved{command.move, command.media_buy_id, command.reason, std::nullopt, std::nullopt});
  return out.accept();
}

Result<int64_t> check_new_buy(const State& state, const CreateBuy& command) {
  return check_buy(state, command);
}

}  // namespace lf::engine::workflow
