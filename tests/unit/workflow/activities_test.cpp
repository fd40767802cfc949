// Activities: every transition of work and of review steps, allowed and
// refused; creation's refusals; assignment leading to each queue's to-do
// status; the seed's priorities.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

void walk(Harness& h, const std::vector<Step>& path) {
  for (const Step& step : path) h.accept(step.type, step.payload);
}

TEST(ActivityTransitions, EveryCommandFromEveryStatus) {
  int checked = 0;
  for (bool gate : {false, true}) {
    for (ActivityStatus from : activity_statuses()) {
      if (!reachable(from, gate)) continue;
      for (const ActivityRule& rule : activity_rules(gate)) {
        SCOPED_TRACE(std::string(gate ? "review step " : "work ") + rule.command + " from " +
                     std::string(to_string(from)));
        Harness h(kNow);
        walk(h, activity_path("act", from, gate));
        ASSERT_EQ(h.status_of("act"), from);
        const std::string payload = activity_move("act", rule.payload_extra);
        if (rule.from.contains(from)) {
          h.accept(rule.command, payload);
          EXPECT_EQ(h.status_of("act"), rule.to);
        } else {
          h.refuse(rule.command, payload, "invalid_transition");
          EXPECT_EQ(h.status_of("act"), from);
        }
        ++checked;
      }
      Harness h(kNow);
      walk(h, activity_path("act", from, gate));
      if (complete_allowed(from, gate)) {
        h.accept("activity.complete", activity_move("act"));
        EXPECT_EQ(h.status_of("act"), ActivityStatus::completed);
      } else {
        h.refuse("activity.complete", activity_move("act"), "invalid_transition");
      }
    }
  }
  EXPECT_EQ(checked, 5 * (9 + 8));
}

TEST(ActivityCreate, Refusals) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("a-1", false));
  h.refuse("activity.create", activity_payload("a-1", false), "duplicate_activity");
  h.refuse("activity.create", activity_payload("a-2", false, ",\"parent_activity_id\":\"missing\""),
           "unknown_parent");
  h.accept("activity.create",
           activity_payload("a-3", false,
                            ",\"parent_activity_id\":\"a-1\",\"due_date\":\"2026-11-30\""));
  h.refuse("activity.create", activity_payload("a-4", false, ",\"due_date\":\"2026-13-01\""),
           "invalid_payload");
  h.refuse(
      "activity.create",
      "{\"activity_id\":\"a-5\",\"title\":\"t\",\"type\":\"review\",\"assignee_type\":\"human\","
      "\"priority\":\"low\"}",
      "invalid_payload");
  h.refuse("activity.create",
           "{\"activity_id\":\"a-6\",\"title\":\"t\",\"type\":\"copy\",\"assignee_type\":\"agent\","
           "\"assignee_user_id\":\"user:kim\",\"priority\":\"low\"}",
           "invalid_payload");
  // A review step is a human's.
  h.refuse(
      "activity.create",
      "{\"activity_id\":\"a-7\",\"title\":\"t\",\"type\":\"review\",\"assignee_type\":\"agent\","
      "\"assignee_agent_role\":\"reviewer\",\"priority\":\"low\",\"is_approval_gate\":true}",
      "invalid_payload");
  h.refuse("activity.start", activity_move("missing"), "unknown_activity");
  EXPECT_EQ(h.workflow().activities.size(), 2u);
}

TEST(ActivityCreate, SeedPrioritiesWithMediumReadAsNormalAndTheGateOptional) {
  Harness h(kNow);
  for (const char* priority : {"low", "normal", "high", "urgent", "medium"}) {
    const std::string id = std::string("a-") + priority;
    const DecodedRecord record =
        h.accept_record("activity.create",
                        "{\"activity_id\":\"" + id +
                            "\",\"title\":\"t\",\"type\":\"blog_post\",\"assignee_type\":\"agent\","
                            "\"assignee_agent_role\":\"writer\",\"priority\":\"" +
                            priority + "\",\"input_data\":{\"topic\":\"spring\"}}");
    ASSERT_EQ(record.events.size(), 1u);
    const rapidjson::Value& created = *record.events[0].payload;
    EXPECT_EQ(record.events[0].header.schema_version, 2);
    EXPECT_EQ(json_string(created, "priority"),
              std::string(priority) == "medium" ? "normal" : priority);
    EXPECT_EQ(json_bool(created, "is_approval_gate"), false);
    EXPECT_EQ(json_to_string(*json_member(created, "input_data")), R"({"topic":"spring"})");
    EXPECT_EQ(json_member(created, "assignee_user_id"), nullptr);
  }
  EXPECT_EQ(h.workflow().activities.at("a-medium").priority, Priority::normal);
  EXPECT_EQ(h.workflow().activities.at("a-urgent").priority, Priority::urgent);
}

TEST(ActivityAssign, AnAgentGetsItAssignedAHumanCreated) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("act", false));
  const DecodedRecord human = h.accept_record(
      "activity.assign",
      activity_move("act", ",\"assignee_type\":\"human\",\"assignee_user_id\":\"user:kim\""));
  EXPECT_EQ(json_string(*human.events[0].payload, "status"), "created");
  EXPECT_EQ(h.status_of("act"), ActivityStatus::created);
  EXPECT_TRUE(in_human_queue(h.status_of("act")));
  EXPECT_EQ(h.workflow().activities.at("act").assignee_type, AssigneeType::human);
  const DecodedRecord agent = h.accept_record(
      "activity.assign",
      activity_move("act", ",\"assignee_type\":\"agent\",\"assignee_agent_role\":\"designer\""));
  EXPECT_EQ(json_string(*agent.events[0].payload, "status"), "assigned");
  EXPECT_EQ(h.status_of("act"), ActivityStatus::assigned);
  EXPECT_TRUE(in_agent_queue(h.status_of("act")));
  h.refuse("activity.assign", activity_move("act", ",\"assignee_type\":\"agent\""),
           "invalid_payload");
}

TEST(ActivityAssign, AReviewStepStaysAHumans) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("gate", true));
  h.refuse("activity.assign",
           activity_move("gate", ",\"assignee_type\":\"agent\",\"assignee_agent_role\":\"x\""),
           "invalid_payload");
  h.accept("activity.assign",
           activity_move("gate", ",\"assignee_type\":\"human\",\"assignee_user_id\":\"user:lee\""));
  EXPECT_EQ(h.status_of("gate"), ActivityStatus::created);
}

TEST(ActivityComplete, CarriesTheOutput) {
  Harness h(kNow);
  h.accept("activity.create", activity_payload("act", false));
  h.accept("activity.start", activity_move("act"));
  const DecodedRecord record = h.accept_record(
      "activity.complete",
      activity_move("act", ",\"output_summary\":{\"words\":410},\"output_ref\":\"doc-78\""));
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(record.events[0].header.schema_version, 2);
  EXPECT_EQ(json_string(*record.events[0].payload, "output_ref"), "doc-78");
  EXPECT_EQ(json_to_string(*json_member(*record.events[0].payload, "output_summary")),
            R"({"words":410})");
  EXPECT_EQ(json_member(*record.events[0].payload, "review_outcome"), nullptr);
}

}  // namespace
}  // namespace lf::engine::workflow::testing
