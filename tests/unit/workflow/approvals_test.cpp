// Approvals: request (subjects, review steps), assign (the review step
// follows), send to the client, every decision from every status, and the
// deadline that refuses a decision even before the timer fires.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

std::string assign(const std::string& id, const std::string& reviewer) {
  return "{\"approval_id\":" + quoted(id) + ",\"reviewer_id\":" + quoted(reviewer) + "}";
}

TEST(ApprovalRequest, Refusals) {
  Harness h(kNow);
  h.refuse("approval.request", approval_request("a-1", "media_buy", "missing"), "unknown_subject");
  h.refuse("approval.request", approval_request("a-1", "activity", "missing"), "unknown_subject");
  h.accept("media_buy.create", buy_payload("mb-free", false));
  h.refuse("approval.request", approval_request("a-1", "media_buy", "mb-free"),
           "invalid_transition");
  h.accept("activity.create", activity_payload("work", false));
  h.refuse("approval.request", approval_request("a-1", "activity", "work"), "invalid_transition");
  h.refuse("approval.request",
           approval_request("a-1", "creative", "cr-1", ",\"expires_at\":\"2026-11-20T08:00:00Z\""),
           "invalid_expiry");
  h.refuse("approval.request",
           approval_request("a-1", "creative", "cr-1", ",\"activity_id\":\"nope\""),
           "unknown_activity");
  h.refuse("approval.request",
           approval_request("a-1", "creative", "cr-1", ",\"activity_id\":\"work\""),
           "invalid_transition");  // not a review step
  h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
  EXPECT_FALSE(h.approval("a-1").linked);
  h.refuse("approval.request", approval_request("a-1", "creative", "cr-2"), "duplicate_approval");
  h.refuse("approval.assign", assign("nope", "user:rita"), "unknown_approval");
  h.refuse("approval.approve", approval_decision("nope"), "unknown_approval");
  h.refuse("approval.send_to_client", "{\"approval_id\":\"nope\"}", "unknown_approval");
}

TEST(ApprovalRequest, ANamedReviewStepMustBeOpenForReview) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("step", true));
  h.accept("approval.request",
           approval_request("a-1", "creative", "cr-1", ",\"activity_id\":\"step\""));
  EXPECT_EQ(h.status_of("step"), ActivityStatus::awaiting_approval);
  EXPECT_EQ(h.workflow().activities.at("step").pending_approval_id, "a-1");
  // One pending approval per review step.
  h.refuse("approval.request",
           approval_request("a-2", "creative", "cr-2", ",\"activity_id\":\"step\""),
           "invalid_transition");
  h.accept("activity.create", activity_payload("done-step", true));
  h.accept("activity.cancel", activity_move("done-step"));
  h.refuse("approval.request",
           approval_request("a-3", "creative", "cr-3", ",\"activity_id\":\"done-step\""),
           "invalid_transition");
}

TEST(ApprovalRequest, TakesTheSeedsReviewTypes) {
  Harness h(kNow);
  for (const char* type : {"content_review", "strategy_review", "brand_direction",
                           "content_direction", "hire_agent", "media_buy", "creative", "product"}) {
    const std::string id = std::string("a-") + type;
    const DecodedRecord record = h.accept_record(
        "approval.request", "{\"approval_id\":\"" + id +
                                "\",\"subject\":{\"kind\":\"creative\",\"id\":\"c\"},"
                                "\"type\":\"" +
                                type + "\",\"risk_level\":\"low\",\"title\":\"t\"}");
    EXPECT_EQ(json_string(*record.events[0].payload, "type"), type);
  }
}

// Catalogue v1's free-text types stay accepted for one version, read as the
// seed type of the subject (as the approval.requested upcaster reads v1
// events).
TEST(ApprovalRequest, ReadsCatalogueV1TypesAsTheSubjectsSeedType) {
  Harness h(kNow);
  auto request = [&](const std::string& id, const std::string& subject, const std::string& type) {
    const DecodedRecord record =
        h.accept_record("approval.request",
                        "{\"approval_id\":\"" + id + "\",\"subject\":" + subject + ",\"type\":\"" +
                            type + "\",\"risk_level\":\"low\",\"title\":\"t\"}");
    return std::string(json_string(*record.events.back().payload, "type").value_or(""));
  };
  EXPECT_EQ(request("v1-a", R"({"kind":"creative","id":"c"})", "creative_review"), "creative");
  EXPECT_EQ(request("v1-b", R"({"kind":"creative","id":"c"})", "brand_check"), "creative");
  EXPECT_EQ(request("v1-c", R"({"kind":"creative","id":"c"})", "product"),
            "product");  // a seed type stays
  // A buy sent back for revision waits for a new approval.
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.accept("approval.request_revision", approval_decision("mb-1:approval"));
  EXPECT_EQ(request("v1-d", R"({"kind":"media_buy","id":"mb-1"})", "campaign_review"), "media_buy");
  h.accept("activity.create", activity_payload("work", false));
  h.accept("activity.start", activity_move("work"));
  const DecodedRecord submitted =
      h.accept_record("activity.submit_for_approval",
                      activity_move("work", ",\"approval_type\":\"activity_review\""));
  EXPECT_EQ(json_string(*submitted.events.back().payload, "type"), "content_review");
}

TEST(ApprovalAssign, TheOpenReviewStepFollowsTheReviewer) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("work", false));
  h.accept("activity.start", activity_move("work"));
  h.accept("activity.submit_for_approval", activity_move("work"));
  const DecodedRecord record =
      h.accept_record("approval.assign", assign("work:approval:1", "user:lee"));
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[0].header.type, "approval.assigned");
  const DecodedEvent& reassigned = record.events[1];
  EXPECT_EQ(reassigned.header.type, "activity.reassigned");
  EXPECT_EQ(reassigned.header.stream, "activity/work:review:1");
  EXPECT_EQ(json_string(*reassigned.payload, "assignee_user_id"), "user:lee");
  EXPECT_EQ(json_string(*reassigned.payload, "reason"), "assigned");
  EXPECT_EQ(json_string(*reassigned.payload, "approval_id"), "work:approval:1");
  EXPECT_EQ(h.status_of("work:review:1"), ActivityStatus::awaiting_approval);
  EXPECT_EQ(h.approval("work:approval:1").review->reviewer_id, "user:lee");
  // An approval without a review step is only assigned.
  h.accept("approval.request", approval_request("cr-review", "creative", "cr-1"));
  EXPECT_EQ(h.accept("approval.assign", assign("cr-review", "user:lee")),
            std::vector<std::string>{"approval.assigned"});
}

TEST(ApprovalSendToClient, RecordsWhenAPendingApprovalWentToTheClient) {
  Harness h(kNow);
  h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
  const DecodedRecord given =
      h.accept_record("approval.send_to_client",
                      "{\"approval_id\":\"a-1\",\"sent_to_client_at\":\"2026-11-20T08:30:00Z\"}");
  EXPECT_EQ(given.events[0].header.type, "approval.sent_to_client");
  EXPECT_EQ(
      parse_rfc3339_ms(json_string(*given.events[0].payload, "sent_to_client_at").value_or("")),
      at("2026-11-20T08:30:00Z"));
  const DecodedRecord defaulted =
      h.accept_record("approval.send_to_client", "{\"approval_id\":\"a-1\"}");
  EXPECT_EQ(
      parse_rfc3339_ms(json_string(*defaulted.events[0].payload, "sent_to_client_at").value_or("")),
      kNow);
  EXPECT_EQ(h.approval("a-1").status, ApprovalStatus::pending);
  h.accept("approval.approve", approval_decision("a-1"));
  h.refuse("approval.send_to_client", "{\"approval_id\":\"a-1\"}", "invalid_transition");
}

TEST(ApprovalDecisions, EveryDecisionFromEveryStatus) {
  const std::vector<std::string> decisions{"approval.assign", "approval.approve", "approval.reject",
                                           "approval.request_revision", "approval.send_to_client"};
  const std::vector<std::string> closers{"approval.approve", "approval.reject",
                                         "approval.request_revision"};
  for (const std::string& closer : closers) {
    for (const std::string& next : decisions) {
      Harness h(kNow);
      h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
      h.accept("approval.assign", assign("a-1", "user:rita"));
      h.accept(closer, approval_decision("a-1"));
      const std::string payload = next == "approval.assign"           ? assign("a-1", "user:rita")
                                  : next == "approval.send_to_client" ? "{\"approval_id\":\"a-1\"}"
                                                                      : approval_decision("a-1");
      h.refuse(next, payload, "invalid_transition");
    }
  }
}

TEST(ApprovalDecisions, ChosenOptionTakesTheSeedsLength) {
  Harness h(kNow);
  h.accept("approval.request", approval_request("a-1", "creative", "cr-1"));
  const std::string option(255, 'o');
  const DecodedRecord record = h.accept_record(
      "approval.approve",
      "{\"approval_id\":\"a-1\",\"reviewed_by\":\"user:rita\",\"chosen_option\":\"" + option +
          "\"}");
  EXPECT_EQ(record.events[0].header.schema_version, 2);
  EXPECT_EQ(json_string(*record.events[0].payload, "chosen_option"), option);
}

TEST(ApprovalDecisions, ADecisionAtTheDeadlineFindsTheApprovalExpired) {
  Harness h(kNow);
  h.accept("approval.request",
           approval_request("a-1", "creative", "cr-1", ",\"expires_at\":\"2026-11-21T09:00:00Z\""));
  h.advance_to(at("2026-11-21T09:00:00Z"));
  // No tick: the expiry fires in front of the command, in its own record.
  CommandOutcome outcome = h.run("approval.approve", approval_decision("a-1"));
  ASSERT_EQ(outcome.records.size(), 2u);
  EXPECT_EQ(
      types_of(outcome.records[0]),
      (std::vector<std::string>{"approval.expired", "approval.escalated", "approval.requested"}));
  EXPECT_EQ(outcome.result.reason, "expired");
  h.refuse("approval.assign", assign("a-1", "user:sam"), "expired");
  h.refuse("approval.send_to_client", "{\"approval_id\":\"a-1\"}", "expired");
}

}  // namespace
}  // namespace lf::engine::workflow::testing
