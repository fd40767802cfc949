// Expiry escalates (docs/domains/workflow.md "Expiry escalates"): one timer
// record expires, escalates and opens the follow-up for the escalation
// target, reassigning the review step; targets, follow-up ids, chains, ended
// subjects and the batch cap.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");
const int64_t kTtl = 72 * kHourMs;

// Fires the one timer record due `kTtl` from now; returns it.
DecodedRecord expire(Harness& h) {
  h.advance(kTtl);
  std::vector<Decided> fired = h.tick();
  EXPECT_EQ(fired.size(), 1u);
  if (fired.empty()) return {};
  return decode(fired[0]);
}

void submitted_work(Harness& h, const std::string& id, const std::string& submit_extra = "") {
  h.accept("activity.create", activity_payload(id, false));
  h.accept("activity.start", activity_move(id));
  h.accept("activity.submit_for_approval", activity_move(id, submit_extra));
}

TEST(Escalation, ExpiryOpensAFollowUpForTheTargetAndReassignsTheReviewStep) {
  Harness h(kNow);
  submitted_work(
      h, "work",
      ",\"reviewer_id\":\"user:rita\",\"escalate_to\":\"user:boss\",\"risk_level\":\"high\","
      "\"content_ref\":\"doc-1\",\"review_title\":\"Check copy\",\"approval_type\":\"hire_agent\"");
  const DecodedRecord record = expire(h);
  EXPECT_TRUE(record.header.command_id.starts_with("timer/"));
  EXPECT_EQ(types_of(record),
            (std::vector<std::string>{"approval.expired", "approval.escalated",
                                      "approval.requested", "activity.reassigned"}));
  EXPECT_EQ(record.events[0].header.actor, "system");
  const rapidjson::Value& escalated = *record.events[1].payload;
  EXPECT_EQ(record.events[1].header.schema_version, 2);
  EXPECT_EQ(parse_rfc3339_ms(json_string(escalated, "escalated_at").value_or("")), kNow + kTtl);
  EXPECT_EQ(json_string(escalated, "escalated_to"), "user:boss");
  EXPECT_EQ(json_string(escalated, "follow_up_approval_id"), "work:approval:1:escalation:1");
  const rapidjson::Value& follow_up = *record.events[2].payload;
  EXPECT_EQ(record.events[2].header.stream, "approval/work:approval:1:escalation:1");
  EXPECT_EQ(json_string(follow_up, "escalated_from"), "work:approval:1");
  EXPECT_EQ(json_string(follow_up, "reviewer_id"), "user:boss");
  EXPECT_EQ(json_member(follow_up, "escalate_to"), nullptr);
  EXPECT_EQ(json_string(follow_up, "activity_id"), "work:review:1");
  EXPECT_EQ(json_string(*json_member(follow_up, "subject"), "id"), "work");
  EXPECT_EQ(json_string(follow_up, "type"), "hire_agent");
  EXPECT_EQ(json_string(follow_up, "risk_level"), "high");
  EXPECT_EQ(json_string(follow_up, "title"), "Check copy");
  EXPECT_EQ(json_string(follow_up, "content_ref"), "doc-1");
  EXPECT_EQ(parse_rfc3339_ms(json_string(follow_up, "expires_at").value_or("")), kNow + 2 * kTtl);
  const rapidjson::Value& reassigned = *record.events[3].payload;
  EXPECT_EQ(record.events[3].header.stream, "activity/work:review:1");
  EXPECT_EQ(json_string(reassigned, "assignee_user_id"), "user:boss");
  EXPECT_EQ(json_string(reassigned, "reason"), "escalated");
  EXPECT_EQ(json_string(reassigned, "approval_id"), "work:approval:1:escalation:1");
  // Nothing strands: the work and its step still wait, on the follow-up.
  EXPECT_EQ(h.approval("work:approval:1").status, ApprovalStatus::expired);
  EXPECT_EQ(h.status_of("work"), ActivityStatus::awaiting_approval);
  EXPECT_EQ(h.status_of("work:review:1"), ActivityStatus::awaiting_approval);
  EXPECT_TRUE(in_human_queue(h.status_of("work:review:1")));
  EXPECT_EQ(h.workflow().activities.at("work").pending_approval_id, "work:approval:1:escalation:1");
  EXPECT_EQ(h.workflow().activities.at("work:review:1").pending_approval_id,
            "work:approval:1:escalation:1");
  h.refuse("approval.approve", approval_decision("work:approval:1"), "expired");
  EXPECT_EQ(
      h.accept("approval.approve", approval_decision("work:approval:1:escalation:1")),
      (std::vector<std::string>{"approval.approved", "activity.completed", "activity.approved"}));
  EXPECT_EQ(h.status_of("work"), ActivityStatus::approved);
}

TEST(Escalation, TheTargetIsEscalateToThenTheTenantsDefaultThenTheSameReviewer) {
  struct Case {
    std::string escalate_to;     // "" for none
    std::string tenant_default;  // "" for none
    std::string reviewer;        // "" for none
    std::optional<std::string> target;
  };
  const std::vector<Case> cases = {
      {"user:boss", "user:lead", "user:rita", "user:boss"},
      {"", "user:lead", "user:rita", "user:lead"},
      {"", "", "user:rita", "user:rita"},
      {"", "", "", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target.value_or("(none)"));
    Harness h(kNow);
    if (!c.tenant_default.empty()) {
      h.accept("tenant.configure", "{\"escalation_reviewer_id\":" + quoted(c.tenant_default) + "}",
               "admin:ops");
    }
    std::string extra;
    if (!c.escalate_to.empty()) extra += ",\"escalate_to\":" + quoted(c.escalate_to);
    if (!c.reviewer.empty()) extra += ",\"reviewer_id\":" + quoted(c.reviewer);
    submitted_work(h, "work", extra);
    const DecodedRecord record = expire(h);
    const rapidjson::Value& escalated = *event_of(record, "approval.escalated").payload;
    const std::optional<std::string_view> target = json_string(escalated, "escalated_to");
    EXPECT_EQ(target ? std::optional<std::string>(std::string(*target)) : std::nullopt, c.target);
    // A follow-up opens either way; the step moves only to a known target.
    EXPECT_EQ(json_string(escalated, "follow_up_approval_id"), "work:approval:1:escalation:1");
    EXPECT_EQ(types_of(record).size(), c.target ? 4u : 3u);
  }
}

TEST(Escalation, AnAssignedReviewerIsTheFallbackTarget) {
  Harness h(kNow);
  submitted_work(h, "work");
  h.accept("approval.assign", "{\"approval_id\":\"work:approval:1\",\"reviewer_id\":\"user:sam\"}");
  const DecodedRecord record = expire(h);
  EXPECT_EQ(json_string(*event_of(record, "approval.escalated").payload, "escalated_to"),
            "user:sam");
}

TEST(Escalation, ClearingTheTenantDefaultFallsBackToTheReviewer) {
  Harness h(kNow);
  h.accept("tenant.configure", "{\"escalation_reviewer_id\":\"user:lead\"}", "system");
  h.accept("tenant.configure", "{\"escalation_reviewer_id\":null}", "support:joe");
  EXPECT_EQ(h.workflow().escalation_reviewer_id, std::nullopt);
  submitted_work(h, "work", ",\"reviewer_id\":\"user:rita\"");
  EXPECT_EQ(json_string(*event_of(expire(h), "approval.escalated").payload, "escalated_to"),
            "user:rita");
}

TEST(Escalation, AChainOfExpiriesCountsFromItsRoot) {
  Harness h(kNow);
  h.accept("tenant.configure", "{\"escalation_reviewer_id\":\"user:lead\"}", "system");
  h.accept("media_buy.create",
           buy_payload("mb-1", true, "2026-12-01", "2026-12-31", ",\"escalate_to\":\"user:boss\""));
  const DecodedRecord first = expire(h);
  EXPECT_EQ(json_string(*event_of(first, "approval.escalated").payload, "escalated_to"),
            "user:boss");
  EXPECT_EQ(json_string(*event_of(first, "approval.escalated").payload, "follow_up_approval_id"),
            "mb-1:approval:escalation:1");
  // The follow-up names no escalate_to: its own expiry goes to the tenant's default.
  const DecodedRecord second = expire(h);
  EXPECT_EQ(json_string(*event_of(second, "approval.escalated").payload, "escalated_to"),
            "user:lead");
  EXPECT_EQ(json_string(*event_of(second, "approval.escalated").payload, "follow_up_approval_id"),
            "mb-1:approval:escalation:2");
  EXPECT_EQ(json_string(*event_of(second, "approval.requested").payload, "escalated_from"),
            "mb-1:approval:escalation:1");
  const DecodedRecord third = expire(h);
  EXPECT_EQ(json_string(*event_of(third, "approval.escalated").payload, "follow_up_approval_id"),
            "mb-1:approval:escalation:3");
  EXPECT_EQ(h.approval("mb-1:approval:escalation:3").escalation_number, 3);
  EXPECT_EQ(h.approval("mb-1:approval:escalation:3").chain_root_id, "mb-1:approval");
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").pending_approval_id, "mb-1:approval:escalation:3");
  EXPECT_EQ(h.accept("approval.approve", approval_decision("mb-1:approval:escalation:3")),
            (std::vector<std::string>{"approval.approved", "media_buy.approved"}));
}

TEST(Escalation, ALongRootGetsAHashedFollowUpId) {
  Harness h(kNow);
  const std::string root(120, 'a');
  h.accept("approval.request", approval_request(root, "creative", "cr-1"));
  const DecodedRecord first = expire(h);
  const std::string follow_up(
      json_string(*event_of(first, "approval.escalated").payload, "follow_up_approval_id")
          .value_or(""));
  ASSERT_EQ(follow_up.size(), std::string("escalation:").size() + 16 + 2);
  EXPECT_EQ(follow_up.rfind("escalation:", 0), 0u);
  EXPECT_EQ(follow_up.substr(follow_up.size() - 2), ":1");
  EXPECT_EQ(follow_up.find_first_not_of("0123456789abcdef", 11), follow_up.size() - 2);
  // The chain keeps its root: the next one is the same hash, number 2.
  const DecodedRecord second = expire(h);
  EXPECT_EQ(json_string(*event_of(second, "approval.escalated").payload, "follow_up_approval_id"),
            follow_up.substr(0, follow_up.size() - 1) + "2");
}

TEST(Escalation, ATakenFollowUpIdGetsASuffix) {
  Harness h(kNow);
  h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
  h.accept("approval.request", approval_request("a-1:escalation:1", "creative", "cr-2",
                                                ",\"expires_at\":\"2026-12-31T00:00:00Z\""));
  const DecodedRecord record = expire(h);
  EXPECT_EQ(json_string(*event_of(record, "approval.escalated").payload, "follow_up_approval_id"),
            "a-1:escalation:1:2");
}

TEST(Escalation, NoFollowUpWhenTheSubjectNoLongerWaits) {
  Harness h(kNow);
  // A media buy that failed meanwhile, with a review step named for it.
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.accept("approval.request_revision", approval_decision("mb-1:approval"));
  h.accept("activity.create", activity_payload("check", true));
  h.accept("approval.request",
           approval_request("a-2", "media_buy", "mb-1", ",\"activity_id\":\"check\""));
  h.accept("media_buy.fail", buy_move("mb-1"));
  // Work cancelled meanwhile (its review step went with it).
  submitted_work(h, "work", ",\"reviewer_id\":\"user:rita\"");
  h.accept("activity.cancel", activity_move("work"));
  h.advance(kTtl);
  std::vector<Decided> fired = h.tick();
  ASSERT_EQ(fired.size(), 1u);
  const DecodedRecord record = decode(fired[0]);
  EXPECT_EQ(types_of(record), (std::vector<std::string>{"approval.expired", "approval.escalated",
                                                        "activity.cancelled", "approval.expired",
                                                        "approval.escalated"}));
  EXPECT_EQ(record.events[2].header.stream, "activity/check");
  for (int i : {1, 4}) {
    EXPECT_EQ(json_member(*record.events[i].payload, "follow_up_approval_id"), nullptr);
  }
  EXPECT_EQ(h.status_of("check"), ActivityStatus::cancelled);
  EXPECT_EQ(h.workflow().approvals.size(), 3u);
}

TEST(Escalation, AReviewStepReviewingItselfIsReassignedToo) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("gate", true));
  h.accept("activity.submit_for_approval", activity_move("gate", ",\"escalate_to\":\"user:boss\""));
  const DecodedRecord record = expire(h);
  EXPECT_EQ(types_of(record),
            (std::vector<std::string>{"approval.expired", "approval.escalated",
                                      "approval.requested", "activity.reassigned"}));
  EXPECT_EQ(record.events[3].header.stream, "activity/gate");
  EXPECT_EQ(h.status_of("gate"), ActivityStatus::awaiting_approval);
  EXPECT_EQ(h.accept("approval.approve", approval_decision("gate:approval:1:escalation:1")),
            (std::vector<std::string>{"approval.approved", "activity.approved"}));
}

TEST(Escalation, ManyExpiringTogetherFireInBoundedRecords) {
  Harness h(kNow);
  for (int i = 0; i < 120; ++i) {
    h.accept("approval.request", approval_request("a-" + std::to_string(i), "creative", "cr"));
  }
  h.advance(kTtl);
  std::vector<Decided> fired = h.tick();
  ASSERT_EQ(fired.size(), 3u);  // 50 + 50 + 20 approvals
  EXPECT_EQ(decode(fired[0]).events.size(), 3 * kTimerBatchMax);
  EXPECT_EQ(decode(fired[2]).events.size(), 3u * 20);
  std::size_t expired = 0;
  for (const auto& [id, approval] : h.workflow().approvals)
    expired += approval.status == ApprovalStatus::expired;
  EXPECT_EQ(expired, 120u);
  EXPECT_EQ(h.workflow().approvals.size(), 240u);  // each with its follow-up
  EXPECT_TRUE(h.tick().empty());
}

TEST(Escalation, OnlyStaffMayConfigureTheTenant) {
  Harness h(kNow);
  h.refuse("tenant.configure", "{\"escalation_reviewer_id\":\"user:lead\"}", "forbidden",
           "user:alice");
  h.refuse("tenant.configure", "{\"escalation_reviewer_id\":\"user:lead\"}", "forbidden",
           "agent:planner");
  const DecodedRecord record = h.accept_record(
      "tenant.configure", "{\"escalation_reviewer_id\":\"user:lead\"}", "admin:ops");
  EXPECT_EQ(record.events[0].header.stream, std::string("tenant/") + kTenant);
  EXPECT_EQ(h.workflow().escalation_reviewer_id, "user:lead");
}

}  // namespace
}  // namespace lf::engine::workflow::testing
