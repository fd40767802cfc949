// Every transition of media buys and activities, allowed and refused, and
// the approval outcomes that move their subjects in the same record.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

// ---- media buys ---------------------------------------------------------------

// Runs the commands of a path; each must be accepted.
void walk(Harness& h, const std::vector<Step>& path) {
  for (const Step& step : path) h.accept(step.type, step.payload);
}

TEST(MediaBuyTransitions, EveryCommandFromEveryStatus) {
  int checked = 0;
  for (const auto& [command, moves] : buy_moves()) {
    for (BuyStatus from : buy_statuses()) {
      Harness h(kNow);
      const std::string id = "mb-" + std::string(to_string(from));
      walk(h, buy_path(id, from));
      ASSERT_EQ(h.workflow().media_buys.at(id).status, from);
      auto to = moves.find(from);
      if (to == moves.end()) {
        h.refuse(command, buy_move(id), "invalid_transition");
        EXPECT_EQ(h.workflow().media_buys.at(id).status, from) << command;
      } else {
        EXPECT_EQ(h.accept(command, buy_move(id)), std::vector<std::string>{buy_event_of(command)}) << command;
        EXPECT_EQ(h.workflow().media_buys.at(id).status, to->second) << command << " from " << to_string(from);
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 36);
}

TEST(MediaBuyTransitions, UnknownBuyIsRefused) {
  Harness h(kNow);
  h.refuse("media_buy.activate", buy_move("nope"), "unknown_media_buy");
}

TEST(MediaBuyCreate, RefusesDuplicatesAndImpossibleDates) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", false));
  h.refuse("media_buy.create", buy_payload("mb-1", false), "duplicate_media_buy");
  h.refuse("media_buy.create", buy_payload("mb-2", false, "2026-12-31", "2026-12-01"), "invalid_dates");
  h.refuse("media_buy.create", buy_payload("mb-3", false, "2026-02-30", "2026-03-31"), "invalid_dates");
  const std::string twice =
      "{\"media_buy_id\":\"mb-4\",\"principal_id\":\"adv-1\",\"campaign_name\":\"x\",\"start_date\":\"2026-12-01\","
      "\"end_date\":\"2026-12-02\",\"packages\":[{\"package_id\":\"p\",\"product_id\":\"a\",\"budget\":1},"
      "{\"package_id\":\"p\",\"product_id\":\"b\",\"budget\":2}],\"requires_approval\":false}";
  h.refuse("media_buy.create", twice, "duplicate_package");
  EXPECT_EQ(h.workflow().media_buys.size(), 1u);
}

TEST(MediaBuyCreate, BudgetTotalIsTheSumOfPackageBudgets) {
  Harness h(kNow);
  CommandOutcome outcome = h.run("media_buy.create", buy_payload("mb-1", false));
  DecodedRecord record = decode(outcome.records.back());
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(json_int64(*record.events[0].payload, "budget_total"), 750000);
  EXPECT_EQ(record.events[0].header.stream, "media_buy/mb-1");
}

// ---- media buys through their approval ------------------------------------

TEST(MediaBuyApproval, CreateOpensTheApprovalInTheSameRecord) {
  Harness h(kNow);
  CommandOutcome outcome = h.run("media_buy.create", buy_payload("mb-1", true));
  ASSERT_EQ(outcome.records.size(), 1u);
  DecodedRecord record = decode(outcome.records[0]);
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[0].header.type, "media_buy.created");
  EXPECT_EQ(record.events[1].header.type, "approval.requested");
  EXPECT_EQ(record.events[1].header.stream, "approval/mb-1:approval");
  // Default expiry: 72 h after issued_at.
  EXPECT_EQ(parse_rfc3339_ms(json_string(*record.events[1].payload, "expires_at").value_or("")), kNow + 72 * kHourMs);
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").pending_approval_id, "mb-1:approval");
  EXPECT_TRUE(h.workflow().approvals.at("mb-1:approval").linked);
}

TEST(MediaBuyApproval, ApprovalOutcomeMovesTheBuyAtomically) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.refuse("media_buy.approve", buy_move("mb-1"), "approval_required");
  EXPECT_EQ(h.accept("approval.approve", approval_decision("mb-1:approval", "looks good")),
            (std::vector<std::string>{"approval.approved", "media_buy.approved"}));
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").status, BuyStatus::approved);
  EXPECT_EQ(h.workflow().approvals.at("mb-1:approval").status, ApprovalStatus::approved);
  h.refuse("approval.reject", approval_decision("mb-1:approval"), "invalid_transition");
  h.accept("media_buy.activate", buy_move("mb-1"));
}

TEST(MediaBuyApproval, RejectionFailsTheBuyWithTheReviewersNotes) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  CommandOutcome outcome = h.run("approval.reject", approval_decision("mb-1:approval", "budget too high"));
  DecodedRecord record = decode(outcome.records.back());
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[1].header.type, "media_buy.failed");
  EXPECT_EQ(json_string(*record.events[1].payload, "reason"), "budget too high");
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").status, BuyStatus::failed);
}

TEST(MediaBuyApproval, RevisionLeavesThePendingBuyFreeForANewApproval) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  // While its approval is pending, a second approval cannot take the buy.
  h.refuse("approval.request", approval_request("a-2", "media_buy", "mb-1"), "invalid_transition");
  EXPECT_EQ(h.accept("approval.request_revision", approval_decision("mb-1:approval", "fix targeting")),
            std::vector<std::string>{"approval.revision_requested"});
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").status, BuyStatus::pending);
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").pending_approval_id, std::nullopt);
  h.accept("approval.request", approval_request("a-2", "media_buy", "mb-1"));
  EXPECT_EQ(h.accept("approval.approve", approval_decision("a-2")),
            (std::vector<std::string>{"approval.approved", "media_buy.approved"}));
}

TEST(MediaBuyApproval, OutcomeAfterTheBuyEndedTouchesOnlyTheApproval) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.accept("media_buy.fail", "{\"media_buy_id\":\"mb-1\",\"reason\":\"advertiser withdrew\"}");
  EXPECT_EQ(h.accept("approval.approve", approval_decision("mb-1:approval")),
            std::vector<std::string>{"approval.approved"});
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").status, BuyStatus::failed);
}

// ---- approvals ----------------------------------------------------------------

TEST(Approvals, RequestRefusals) {
  Harness h(kNow);
  h.refuse("approval.request", approval_request("a-1", "media_buy", "missing"), "unknown_subject");
  h.refuse("approval.request", approval_request("a-1", "activity", "missing"), "unknown_subject");
  h.accept("media_buy.create", buy_payload("mb-free", false));
  h.refuse("approval.request", approval_request("a-1", "media_buy", "mb-free"), "invalid_transition");
  h.refuse("approval.request",
           approval_request("a-1", "creative", "cr-1", ",\"expires_at\":\"2026-11-20T08:00:00Z\""),
           "invalid_expiry");
  h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
  EXPECT_FALSE(h.workflow().approvals.at("a-1").linked);
  h.refuse("approval.request", approval_request("a-1", "creative", "cr-2"), "duplicate_approval");
  h.refuse("approval.assign", "{\"approval_id\":\"nope\",\"reviewer_id\":\"user:rita\"}", "unknown_approval");
  h.refuse("approval.approve", approval_decision("nope"), "unknown_approval");
}

TEST(Approvals, EveryDecisionFromEveryStatus) {
  const std::vector<std::string> decisions{"approval.assign", "approval.approve", "approval.reject",
                                           "approval.request_revision"};
  const std::vector<std::string> closers{"approval.approve", "approval.reject", "approval.request_revision"};
  for (const std::string& closer : closers) {
    for (const std::string& next : decisions) {
      Harness h(kNow);
      h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
      h.accept("approval.assign", "{\"approval_id\":\"a-1\",\"reviewer_id\":\"user:rita\"}");
      h.accept(closer, approval_decision("a-1"));
      const std::string payload = next == "approval.assign"
                                      ? "{\"approval_id\":\"a-1\",\"reviewer_id\":\"user:rita\"}"
                                      : approval_decision("a-1");
      h.refuse(next, payload, "invalid_transition");
    }
  }
}

TEST(Approvals, ExpiryIsAnEventFiredOnceWithEscalation) {
  Harness h(kNow);
  h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
  const int64_t deadline = kNow + 72 * kHourMs;
  h.advance_to(deadline - 1);
  EXPECT_TRUE(h.tick().empty());
  h.accept("approval.assign", "{\"approval_id\":\"a-1\",\"reviewer_id\":\"user:sam\"}");
  h.advance_to(deadline);
  std::vector<Decided> fired = h.tick();
  ASSERT_EQ(fired.size(), 1u);
  DecodedRecord record = decode(fired[0]);
  EXPECT_TRUE(record.header.command_id.starts_with("timer/"));
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[0].header.type, "approval.expired");
  EXPECT_EQ(record.events[1].header.type, "approval.escalated");
  EXPECT_EQ(record.events[0].header.actor, "system");
  EXPECT_EQ(parse_rfc3339_ms(json_string(*record.events[1].payload, "escalated_at").value_or("")), deadline);
  EXPECT_EQ(h.workflow().approvals.at("a-1").status, ApprovalStatus::expired);
  h.advance(kHourMs);
  EXPECT_TRUE(h.tick().empty());  // once
  h.refuse("approval.approve", approval_decision("a-1"), "expired");
  h.refuse("approval.assign", "{\"approval_id\":\"a-1\",\"reviewer_id\":\"user:sam\"}", "expired");
}

TEST(Approvals, ADecisionAtTheDeadlineFindsTheApprovalExpired) {
  Harness h(kNow);
  h.accept("approval.request", approval_request("a-1", "creative", "cr-1", ",\"expires_at\":\"2026-11-21T09:00:00Z\""));
  h.advance_to(at("2026-11-21T09:00:00Z"));
  // No tick: the expiry fires in front of the command, in its own record.
  CommandOutcome outcome = h.run("approval.approve", approval_decision("a-1"));
  ASSERT_EQ(outcome.records.size(), 2u);
  EXPECT_EQ(types_of(outcome.records[0]), (std::vector<std::string>{"approval.expired", "approval.escalated"}));
  EXPECT_EQ(outcome.result.reason, "expired");
}

TEST(Approvals, ExpiryLeavesTheSubjectWaitingAndFreeForANewApproval) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.advance(72 * kHourMs);
  ASSERT_EQ(h.tick().size(), 1u);
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").status, BuyStatus::pending);
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").pending_approval_id, std::nullopt);
  h.accept("approval.request", approval_request("mb-1:escalated", "media_buy", "mb-1"));
  EXPECT_EQ(h.accept("approval.approve", approval_decision("mb-1:escalated")),
            (std::vector<std::string>{"approval.approved", "media_buy.approved"}));
}

TEST(Approvals, ManyExpiringTogetherFireInBoundedRecords) {
  Harness h(kNow);
  for (int i = 0; i < 250; ++i) {
    h.accept("approval.request", approval_request("a-" + std::to_string(i), "creative", "cr"));
  }
  h.advance(72 * kHourMs);
  std::vector<Decided> fired = h.tick();
  ASSERT_EQ(fired.size(), 3u);  // 100 + 100 + 50 approvals
  EXPECT_EQ(decode(fired[0]).events.size(), 2 * kTimerBatchMax);
  EXPECT_EQ(decode(fired[2]).events.size(), 2u * 50);
  for (const auto& [id, approval] : h.workflow().approvals) EXPECT_EQ(approval.status, ApprovalStatus::expired) << id;
}

// ---- activities ---------------------------------------------------------------

TEST(ActivityTransitions, EveryCommandFromEveryStatus) {
  for (bool gate : {false, true}) {
    for (ActivityStatus from : activity_statuses()) {
      if (!reachable(from, gate)) continue;
      for (const ActivityRule& rule : activity_rules()) {
        Harness h(kNow);
        walk(h, activity_path("act", from, gate));
        ASSERT_EQ(h.workflow().activities.at("act").status, from);
        const std::string payload = activity_move("act", rule.payload_extra);
        if (rule.from.contains(from)) {
          h.accept(rule.command, payload);
          EXPECT_EQ(h.workflow().activities.at("act").status, rule.to) << rule.command << " from " << to_string(from);
        } else {
          h.refuse(rule.command, payload, "invalid_transition");
          EXPECT_EQ(h.workflow().activities.at("act").status, from);
        }
      }
      Harness h(kNow);
      walk(h, activity_path("act", from, gate));
      if (complete_allowed(from, gate)) {
        h.accept("activity.complete", activity_move("act"));
        EXPECT_EQ(h.workflow().activities.at("act").status, ActivityStatus::completed);
      } else {
        h.refuse("activity.complete", activity_move("act"), "invalid_transition");
      }
    }
  }
}

TEST(ActivityCreate, Refusals) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("a-1", false));
  h.refuse("activity.create", activity_payload("a-1", false), "duplicate_activity");
  h.refuse("activity.create", activity_payload("a-2", false, ",\"parent_activity_id\":\"missing\""), "unknown_parent");
  h.accept("activity.create", activity_payload("a-3", false, ",\"parent_activity_id\":\"a-1\",\"due_date\":\"2026-11-30\""));
  h.refuse("activity.create", activity_payload("a-4", false, ",\"due_date\":\"2026-13-01\""), "invalid_payload");
  h.refuse("activity.create",
           "{\"activity_id\":\"a-5\",\"title\":\"t\",\"type\":\"review\",\"assignee_type\":\"human\","
           "\"priority\":\"low\",\"is_approval_gate\":false}",
           "invalid_payload");
  h.refuse("activity.start", activity_move("missing"), "unknown_activity");
}

TEST(ActivityGate, RejectionSendsItBackToWorkAndRevisionsRoundTrip) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("act", true));
  h.accept("activity.start", activity_move("act"));
  EXPECT_EQ(h.accept("activity.submit_for_approval", activity_move("act")),
            (std::vector<std::string>{"activity.submitted_for_approval", "approval.requested"}));
  EXPECT_EQ(h.accept("approval.reject", approval_decision("act:approval:1", "tone is off")),
            (std::vector<std::string>{"approval.rejected", "activity.rejected"}));
  EXPECT_EQ(h.workflow().activities.at("act").status, ActivityStatus::rejected);
  h.refuse("activity.complete", activity_move("act"), "invalid_transition");
  h.accept("activity.start", activity_move("act"));
  h.accept("activity.submit_for_approval", activity_move("act"));
  EXPECT_EQ(h.accept("approval.request_revision", approval_decision("act:approval:2", "shorter")),
            (std::vector<std::string>{"approval.revision_requested", "activity.revision_requested"}));
  EXPECT_EQ(h.workflow().activities.at("act").status, ActivityStatus::in_progress);
  h.accept("activity.submit_for_approval", activity_move("act"));
  EXPECT_EQ(h.accept("approval.approve", approval_decision("act:approval:3")),
            (std::vector<std::string>{"approval.approved", "activity.approved"}));
  EXPECT_EQ(h.accept("activity.complete", activity_move("act")), std::vector<std::string>{"activity.completed"});
}

TEST(ActivityGate, PlainActivitySubmitsWithoutOpeningAnApprovalButCanBeLinked) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("act", false));
  h.accept("activity.start", activity_move("act"));
  EXPECT_EQ(h.accept("activity.submit_for_approval", activity_move("act")),
            std::vector<std::string>{"activity.submitted_for_approval"});
  EXPECT_TRUE(h.workflow().approvals.empty());
  h.accept("approval.request", approval_request("ext-1", "activity", "act"));
  EXPECT_EQ(h.accept("approval.approve", approval_decision("ext-1")),
            (std::vector<std::string>{"approval.approved", "activity.approved"}));
}

TEST(ActivityGate, SubmitRefusesATakenApprovalId) {
  Harness h(kNow);
  h.accept("approval.request", approval_request("act:approval:1", "creative", "cr"));
  h.accept("activity.create", activity_payload("act", true));
  h.accept("activity.start", activity_move("act"));
  h.refuse("activity.submit_for_approval", activity_move("act"), "duplicate_approval");
  h.accept("activity.submit_for_approval", activity_move("act", ",\"approval_id\":\"review-act\""));
}

// ---- audit and rejection records -----------------------------------------------

TEST(Audit, RecordIsWrittenToTheTenantsAuditStream) {
  Harness h(kNow);
  CommandOutcome outcome = h.run("audit.record",
                                 "{\"operation\":\"login\",\"resource_type\":\"session\",\"resource_id\":\"s-1\","
                                 "\"principal_id\":\"user:kim\",\"success\":false,\"error_message\":\"bad password\","
                                 "\"details\":{\"ip\":\"10.0.0.1\"}}");
  DecodedRecord record = decode(outcome.records.back());
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(record.events[0].header.type, "audit.recorded");
  EXPECT_EQ(record.events[0].header.stream, std::string("audit/") + kTenant);
  EXPECT_EQ(json_string(*record.events[0].payload, "error_message"), "bad password");
}

TEST(Audit, RejectionNamesTheStreamTheCommandAddressed) {
  Harness h(kNow);
  CommandOutcome outcome = h.run("media_buy.pause", buy_move("mb-9"));
  DecodedRecord record = decode(outcome.records.back());
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(json_string(*record.events[0].payload, "target_stream"), "media_buy/mb-9");
  EXPECT_EQ(json_string(*record.events[0].payload, "reason"), "unknown_media_buy");
}

TEST(ExpectedVersion, ChecksTheAddressedStream) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", false));
  lf::testing::BuiltCommand stale = lf::testing::build_command("media_buy.approve", kTenant, "v1", buy_move("mb-1"),
                                                               "user:alice", kNow, int64_t{2});
  CommandOutcome outcome = h.core().decide(stale.envelope, SourcePosition{"ledgerflow.commands", 0, 1000}, kNow);
  EXPECT_EQ(outcome.result.reason, "version_conflict");
  lf::testing::BuiltCommand current = lf::testing::build_command("media_buy.approve", kTenant, "v2", buy_move("mb-1"),
                                                                 "user:alice", kNow, int64_t{1});
  outcome = h.core().decide(current.envelope, SourcePosition{"ledgerflow.commands", 0, 1001}, kNow);
  EXPECT_EQ(outcome.result.status, ResultStatus::accepted);
}

TEST(Limits, ACommandWhoseRecordWouldBeTooLargeIsRejected) {
  Harness h(kNow);
  std::string packages;
  const std::string big(9'500, 'x');  // 100 x 9.5 kB: under the 1 MiB command limit, over the 900 KiB record limit
  for (int i = 0; i < 100; ++i) {
    if (i > 0) packages += ",";
    packages += "{\"package_id\":\"p" + std::to_string(i) + "\",\"product_id\":\"x\",\"budget\":1,\"targeting\":{\"note\":\"" + big + "\"}}";
  }
  const std::string payload =
      "{\"media_buy_id\":\"huge\",\"principal_id\":\"a\",\"campaign_name\":\"c\",\"start_date\":\"2026-12-01\","
      "\"end_date\":\"2026-12-02\",\"packages\":[" + packages + "],\"requires_approval\":false}";
  ASSERT_GT(payload.size(), 921'600u);
  ASSERT_LT(payload.size(), 1'048'576u);
  h.refuse("media_buy.create", payload, "limit_exceeded");
  EXPECT_TRUE(h.workflow().media_buys.empty());
}

}  // namespace
}  // namespace lf::engine::workflow::testing
