// The review flow end to end in the pure core (docs/domains/workflow.md "The
// review flow"): work -> review step -> approval -> each outcome -> back to
// the work, with the queue each status lists the work and the step in; a
// review step that reviews itself; ending work with its review open.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

// An agent's work `id` of `priority`, started.
void started_work(Harness& h, const std::string& id, const std::string& priority = "high") {
  h.accept("activity.create",
           "{\"activity_id\":" + quoted(id) +
               ",\"title\":\"Write copy\",\"type\":\"copywriting\",\"assignee_type\":\"agent\","
               "\"assignee_agent_role\":\"copywriter\",\"priority\":" +
               quoted(priority) + "}");
  h.accept("activity.start", activity_move(id));
}

TEST(ReviewFlow, SubmittingWorkOpensAReviewStepAndItsApprovalInOneRecord) {
  Harness h(kNow);
  started_work(h, "work", "urgent");
  const DecodedRecord record = h.accept_record(
      "activity.submit_for_approval",
      activity_move(
          "work", ",\"reviewer_id\":\"user:rita\",\"note\":\"draft 1\",\"content_ref\":\"doc-1\""));
  std::vector<std::string> types;
  for (const DecodedEvent& event : record.events)
    types.push_back(event.header.type + "@" + event.header.stream);
  EXPECT_EQ(types,
            (std::vector<std::string>{"activity.submitted_for_approval@activity/work",
                                      "activity.created@activity/work:review:1",
                                      "activity.submitted_for_approval@activity/work:review:1",
                                      "approval.requested@approval/work:approval:1"}));
  const rapidjson::Value& submitted = *record.events[0].payload;
  EXPECT_EQ(json_string(submitted, "approval_id"), "work:approval:1");
  EXPECT_EQ(json_string(submitted, "review_activity_id"), "work:review:1");
  EXPECT_EQ(json_string(submitted, "note"), "draft 1");
  const rapidjson::Value& step = *record.events[1].payload;
  EXPECT_EQ(json_string(step, "assignee_type"), "human");
  EXPECT_EQ(json_string(step, "assignee_user_id"), "user:rita");
  EXPECT_EQ(json_bool(step, "is_approval_gate"), true);
  EXPECT_EQ(json_string(step, "parent_activity_id"), "work");
  EXPECT_EQ(json_string(step, "type"), "review");
  EXPECT_EQ(json_string(step, "title"), "Review: work");
  EXPECT_EQ(json_string(step, "priority"), "urgent");  // the work's
  const rapidjson::Value& approval = *record.events[3].payload;
  EXPECT_EQ(json_string(approval, "activity_id"), "work:review:1");
  EXPECT_EQ(json_string(*json_member(approval, "subject"), "id"), "work");
  EXPECT_EQ(json_string(approval, "type"), "content_review");
  EXPECT_EQ(json_string(approval, "reviewer_id"), "user:rita");
  EXPECT_EQ(json_string(approval, "content_ref"), "doc-1");
  // The work waits, out of the agent's queue; the step heads the reviewer's.
  EXPECT_EQ(h.status_of("work"), ActivityStatus::awaiting_approval);
  EXPECT_FALSE(in_agent_queue(h.status_of("work")));
  EXPECT_EQ(h.status_of("work:review:1"), ActivityStatus::awaiting_approval);
  EXPECT_TRUE(in_human_queue(h.status_of("work:review:1")));
}

TEST(ReviewFlow, SubmissionOptionsNameTheStepAndTheApproval) {
  Harness h(kNow);
  started_work(h, "work");
  const DecodedRecord record = h.accept_record(
      "activity.submit_for_approval",
      activity_move(
          "work",
          ",\"approval_id\":\"appr-7\",\"review_activity_id\":\"rev-7\",\"review_title\":\"Check "
          "it\","
          "\"approval_type\":\"strategy_review\",\"risk_level\":\"high\",\"priority\":\"low\","
          "\"due_date\":\"2026-11-22\",\"escalate_to\":\"user:boss\","
          "\"approval_expires_at\":\"2026-11-21T09:00:00Z\""));
  const rapidjson::Value& step = *event_of(record, "activity.created").payload;
  EXPECT_EQ(json_string(step, "activity_id"), "rev-7");
  EXPECT_EQ(json_string(step, "title"), "Check it");
  EXPECT_EQ(json_string(step, "priority"), "low");
  EXPECT_EQ(json_string(step, "due_date"), "2026-11-22");
  EXPECT_EQ(json_member(step, "assignee_user_id"), nullptr);  // unassigned until approval.assign
  const rapidjson::Value& approval = *event_of(record, "approval.requested").payload;
  EXPECT_EQ(json_string(approval, "approval_id"), "appr-7");
  EXPECT_EQ(json_string(approval, "type"), "strategy_review");
  EXPECT_EQ(json_string(approval, "risk_level"), "high");
  EXPECT_EQ(json_string(approval, "escalate_to"), "user:boss");
  EXPECT_EQ(json_string(approval, "title"), "Check it");
}

TEST(ReviewFlow, ApprovalCompletesTheStepAndApprovesTheWork) {
  Harness h(kNow);
  started_work(h, "work");
  h.accept("activity.submit_for_approval", activity_move("work", ",\"reviewer_id\":\"user:rita\""));
  const DecodedRecord record =
      h.accept_record("approval.approve", approval_decision("work:approval:1", "ship it"));
  ASSERT_EQ(record.events.size(), 3u);
  EXPECT_EQ(record.events[0].header.type, "approval.approved");
  EXPECT_EQ(json_string(*record.events[0].payload, "activity_id"), "work:review:1");
  EXPECT_EQ(record.events[1].header.type, "activity.completed");
  EXPECT_EQ(record.events[1].header.stream, "activity/work:review:1");
  EXPECT_EQ(json_string(*record.events[1].payload, "review_outcome"), "approved");
  EXPECT_EQ(json_string(*record.events[1].payload, "approval_id"), "work:approval:1");
  EXPECT_EQ(record.events[2].header.type, "activity.approved");
  EXPECT_EQ(json_string(*record.events[2].payload, "notes"), "ship it");
  EXPECT_EQ(h.status_of("work"), ActivityStatus::approved);
  EXPECT_EQ(h.status_of("work:review:1"), ActivityStatus::completed);
  EXPECT_EQ(h.accept("activity.complete", activity_move("work")),
            std::vector<std::string>{"activity.completed"});
}

TEST(ReviewFlow, RejectionTakesTheWorkOutOfEveryQueue) {
  Harness h(kNow);
  started_work(h, "work");
  h.accept("activity.submit_for_approval", activity_move("work"));
  const DecodedRecord record =
      h.accept_record("approval.reject", approval_decision("work:approval:1", "off brand"));
  EXPECT_EQ(json_string(*event_of(record, "activity.completed").payload, "review_outcome"),
            "rejected");
  EXPECT_EQ(json_string(*event_of(record, "activity.rejected").payload, "rejection_note"),
            "off brand");
  EXPECT_EQ(h.status_of("work"), ActivityStatus::rejected);
  EXPECT_FALSE(in_agent_queue(h.status_of("work")));
  EXPECT_FALSE(in_human_queue(h.status_of("work")));
  // The orchestrator decides what next: work again, or give up.
  h.accept("activity.start", activity_move("work"));
  EXPECT_EQ(h.accept("activity.submit_for_approval", activity_move("work")).size(), 4u);
  EXPECT_EQ(h.workflow().activities.at("work").pending_approval_id, "work:approval:2");
  EXPECT_EQ(h.status_of("work:review:2"), ActivityStatus::awaiting_approval);
}

TEST(ReviewFlow, RevisionSendsAnAgentsWorkBackToItsQueue) {
  Harness h(kNow);
  started_work(h, "work");
  h.accept("activity.submit_for_approval", activity_move("work"));
  const DecodedRecord record =
      h.accept_record("approval.request_revision", approval_decision("work:approval:1", "shorter"));
  ASSERT_EQ(record.events.size(), 3u);
  const rapidjson::Value& revision = *event_of(record, "activity.revision_requested").payload;
  EXPECT_EQ(event_of(record, "activity.revision_requested").header.schema_version, 2);
  EXPECT_EQ(json_string(revision, "status"), "assigned");
  EXPECT_EQ(json_string(revision, "revision_note"), "shorter");
  EXPECT_EQ(json_string(*event_of(record, "activity.completed").payload, "review_outcome"),
            "revision_requested");
  EXPECT_EQ(h.status_of("work"), ActivityStatus::assigned);
  EXPECT_TRUE(in_agent_queue(h.status_of("work")));
  EXPECT_EQ(h.status_of("work:review:1"), ActivityStatus::completed);
  // Back to work, and round again.
  h.accept("activity.start", activity_move("work"));
  h.accept("activity.submit_for_approval", activity_move("work"));
  EXPECT_EQ(
      h.accept("approval.approve", approval_decision("work:approval:2")),
      (std::vector<std::string>{"approval.approved", "activity.completed", "activity.approved"}));
}

TEST(ReviewFlow, RevisionSendsAHumansWorkBackToCreated) {
  Harness h(kNow);
  h.accept(
      "activity.create",
      "{\"activity_id\":\"copy\",\"title\":\"t\",\"type\":\"copy\",\"assignee_type\":\"human\","
      "\"assignee_user_id\":\"user:kim\",\"priority\":\"normal\"}");
  h.accept("activity.start", activity_move("copy"));
  h.accept("activity.submit_for_approval", activity_move("copy"));
  const DecodedRecord record =
      h.accept_record("approval.request_revision", approval_decision("copy:approval:1"));
  const rapidjson::Value& revision = *event_of(record, "activity.revision_requested").payload;
  EXPECT_EQ(json_string(revision, "status"), "created");
  EXPECT_EQ(json_string(revision, "revision_note"), "revision requested by user:rita");
  EXPECT_EQ(h.status_of("copy"), ActivityStatus::created);
  EXPECT_TRUE(in_human_queue(h.status_of("copy")));
}

TEST(ReviewFlow, AReviewStepSubmittedItselfNeedsNoSecondStep) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("approve-strategy", true));
  // From created: a review step is reviewed as it is.
  const DecodedRecord record =
      h.accept_record("activity.submit_for_approval", activity_move("approve-strategy"));
  EXPECT_EQ(types_of(record),
            (std::vector<std::string>{"activity.submitted_for_approval", "approval.requested"}));
  EXPECT_EQ(json_string(*record.events[0].payload, "review_activity_id"), "approve-strategy");
  EXPECT_EQ(json_string(*record.events[1].payload, "activity_id"), "approve-strategy");
  EXPECT_EQ(json_string(*json_member(*record.events[1].payload, "subject"), "id"),
            "approve-strategy");
  EXPECT_TRUE(in_human_queue(h.status_of("approve-strategy")));
  EXPECT_EQ(
      h.accept("approval.request_revision", approval_decision("approve-strategy:approval:1")),
      (std::vector<std::string>{"approval.revision_requested", "activity.revision_requested"}));
  EXPECT_EQ(h.status_of("approve-strategy"), ActivityStatus::created);
  h.accept("activity.submit_for_approval", activity_move("approve-strategy"));
  EXPECT_EQ(h.accept("approval.approve", approval_decision("approve-strategy:approval:2")),
            (std::vector<std::string>{"approval.approved", "activity.approved"}));
  h.accept("activity.complete", activity_move("approve-strategy"));
}

TEST(ReviewFlow, ApprovalRequestRefusesWorkThatNoLongerWaits) {
  Harness h(kNow);
  started_work(h, "work");
  h.accept("activity.submit_for_approval", activity_move("work"));
  h.accept("approval.reject", approval_decision("work:approval:1"));
  h.refuse("approval.request", approval_request("ext", "activity", "work"), "invalid_transition");
  h.accept("activity.create", activity_payload("gate", true));
  h.accept("activity.submit_for_approval", activity_move("gate"));
  h.accept("approval.reject", approval_decision("gate:approval:1"));
  h.refuse("approval.request", approval_request("ext", "activity", "gate"), "invalid_transition");
}

TEST(ReviewFlow, CancellingOrFailingWorkEndsItsOpenReviewStep) {
  for (const char* end : {"activity.cancel", "activity.fail", "activity.complete"}) {
    SCOPED_TRACE(end);
    Harness h(kNow);
    started_work(h, "work");
    h.accept("activity.submit_for_approval",
             activity_move("work", ",\"reviewer_id\":\"user:rita\""));
    const DecodedRecord record = h.accept_record(end, activity_move("work"));
    ASSERT_EQ(record.events.size(), 2u);
    EXPECT_EQ(record.events[1].header.type, "activity.cancelled");
    EXPECT_EQ(record.events[1].header.stream, "activity/work:review:1");
    EXPECT_EQ(h.status_of("work:review:1"), ActivityStatus::cancelled);
    EXPECT_FALSE(in_human_queue(h.status_of("work:review:1")));
    // The approval stays pending; decided later, it moves nothing.
    EXPECT_EQ(h.approval("work:approval:1").status, ApprovalStatus::pending);
    EXPECT_EQ(h.accept("approval.approve", approval_decision("work:approval:1")),
              std::vector<std::string>{"approval.approved"});
    EXPECT_NE(h.status_of("work"), ActivityStatus::approved);
  }
}

TEST(ReviewFlow, SubmitRefusesTakenIds) {
  Harness h(kNow);
  h.refuse("activity.submit_for_approval", activity_move("missing"), "unknown_activity");
  h.accept("approval.request", approval_request("work:approval:1", "creative", "cr"));
  started_work(h, "work");
  h.refuse("activity.submit_for_approval", activity_move("work"), "duplicate_approval");
  h.accept("activity.create", activity_payload("work:review:1", false));
  h.refuse("activity.submit_for_approval", activity_move("work", ",\"approval_id\":\"a-2\""),
           "duplicate_activity");
  h.refuse(
      "activity.submit_for_approval",
      activity_move("work",
                    ",\"approval_id\":\"a-2\",\"approval_expires_at\":\"2026-11-20T08:00:00Z\","
                    "\"review_activity_id\":\"r-2\""),
      "invalid_expiry");
  h.accept("activity.submit_for_approval",
           activity_move("work", ",\"approval_id\":\"a-2\",\"review_activity_id\":\"r-2\""));
}

TEST(ReviewFlow, ADerivedIdPastTheLimitIsRefused) {
  Harness h(kNow);
  const std::string id(120, 'w');
  started_work(h, id);
  h.refuse("activity.submit_for_approval", activity_move(id), "invalid_payload");
  h.accept("activity.submit_for_approval",
           activity_move(id, ",\"approval_id\":\"a-1\",\"review_activity_id\":\"r-1\""));
}

}  // namespace
}  // namespace lf::engine::workflow::testing
