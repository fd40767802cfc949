// Engine snapshots and a partition changing hands: every pending deadline
// survives a snapshot or a fold of the log, a snapshot reads back equal, and a
// snapshot the previous binary wrote (no review details, assignees or
// priorities) still loads and decides with their defaults.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

void working_tenant(Harness& h) {
  h.accept("credits.allocate", allocate_payload(1000));
  h.accept("activity.create", activity_payload("act", false));
  h.accept("activity.start", activity_move("act"));
}

PartitionImage image_of(Harness& h, const std::string& tenant_state_json) {
  PartitionImage image;
  image.seq = h.core().chain().last_seq;
  image.record_id = h.core().chain().last_record_id;
  image.tenants.emplace_back(kTenant, tenant_state_json);
  return image;
}

// A tenant state JSON as the binary before catalogue v2 wrote its workflow
// part: no version, no review details, assignees, priorities, escalation
// chains or tenant settings.
std::string as_previous_binary_wrote(const std::string& tenant_state_json) {
  Result<std::unique_ptr<rapidjson::Document>> parsed = parse_json_trusted(tenant_state_json);
  EXPECT_TRUE(parsed.ok());
  rapidjson::Document& document = *parsed.value();
  rapidjson::Value& workflow = document["workflow"];
  workflow.RemoveMember("version");
  workflow.RemoveMember("escalation_reviewer_id");
  for (auto& approval : workflow["approvals"].GetObject()) {
    for (const char* name : {"review", "chain_root_id", "escalation_number"})
      approval.value.RemoveMember(name);
  }
  for (auto& activity : workflow["activities"].GetObject()) {
    for (const char* name : {"assignee_type", "priority"}) activity.value.RemoveMember(name);
  }
  return json_to_string(document);
}

TEST(Snapshots, ASnapshotReadsBackEqualAndCarriesEveryPendingDeadline) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("tenant.configure", "{\"escalation_reviewer_id\":\"user:lead\"}", "system");
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.accept("activity.create", activity_payload("gate", true));
  h.accept("activity.submit_for_approval", activity_move("gate"));
  h.accept("activity.create", activity_payload("work", false));
  h.accept("activity.start", activity_move("work"));
  h.accept("activity.submit_for_approval", activity_move("work", ",\"reviewer_id\":\"user:rita\""));
  h.accept("activity.start_run", start_run("act", "run-1", 100));
  PartitionCore restored = Harness::make_core(5);
  ASSERT_TRUE(restored.restore(image_of(h, h.core().tenant_state_json(kTenant))).ok());
  EXPECT_EQ(restored.tenant(kTenant)->workflow, h.workflow());
  EXPECT_EQ(restored.next_timer_ms(), h.core().next_timer_ms());
  const int64_t later = kNow + 73 * kHourMs;
  std::vector<Decided> fired = restored.fire_timers(later, 1000);
  ASSERT_EQ(fired.size(), 1u);
  // The run's hold (1 h) first, then the three approvals (72 h), each
  // escalated to the tenant's default with a follow-up.
  const std::vector<std::string> types = types_of(fired[0]);
  ASSERT_EQ(types.size(), 2u + 3 + 4 + 4);  // the buy's approval has no review step
  EXPECT_EQ(types[0], "credits.released");
  EXPECT_EQ(types[1], "activity.run_finished");
  EXPECT_TRUE(restored.fire_timers(later, 1000).empty());
}

TEST(Snapshots, ASnapshotThePreviousBinaryWroteLoadsWithDefaults) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("media_buy.create",
           buy_payload("mb-1", true, "2026-12-01", "2026-12-31", ",\"reviewer_id\":\"user:rita\""));
  h.accept("activity.create", activity_payload("copy", false));  // priority high
  const std::string old_json = as_previous_binary_wrote(h.core().tenant_state_json(kTenant));
  ASSERT_EQ(old_json.find("\"review\""), std::string::npos);
  PartitionCore restored = Harness::make_core(5);
  ASSERT_TRUE(restored.restore(image_of(h, old_json)).ok());
  const State& state = restored.tenant(kTenant)->workflow;
  // What the old snapshot lacks takes its default...
  EXPECT_EQ(state.activities.at("copy").priority, Priority::normal);
  EXPECT_EQ(state.activities.at("copy").assignee_type, AssigneeType::agent);
  const Approval& pending = state.approvals.at("mb-1:approval");
  ASSERT_TRUE(pending.review.has_value());
  EXPECT_EQ(pending.review->type, ApprovalType::media_buy);
  EXPECT_EQ(pending.review->risk_level, RiskLevel::medium);
  EXPECT_EQ(pending.review->title, "Approval mb-1:approval");
  EXPECT_EQ(pending.review->reviewer_id, std::nullopt);
  // ...and everything else is as it was.
  EXPECT_EQ(state.media_buys, h.workflow().media_buys);
  EXPECT_EQ(state.runs, h.workflow().runs);
  EXPECT_EQ(state.approval_deadlines, h.workflow().approval_deadlines);
  // It goes on deciding: the approval expires into a follow-up.
  std::vector<Decided> fired = restored.fire_timers(kNow + 72 * kHourMs, 10);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(types_of(fired[0]), (std::vector<std::string>{"approval.expired", "approval.escalated",
                                                          "approval.requested"}));
}

// A partition restored from a snapshot of the binary before catalogue v2, in
// which activity "legacy" awaits approval without one: v1 submitted work that
// was no gate without opening an approval.
class LegacyWaitingWork {
 public:
  explicit LegacyWaitingWork(const std::vector<Step>& before = {})
      : h_(kNow), core_(Harness::make_core(5)) {
    working_tenant(h_);
    h_.accept("activity.create", activity_payload("legacy", false));
    for (const Step& step : before) h_.accept(step.type, step.payload);
    const std::string json = h_.core().tenant_state_json(kTenant);
    const std::string from = "\"legacy\":{\"status\":\"created\"";
    const std::size_t at_legacy = json.find(from);
    EXPECT_NE(at_legacy, std::string::npos);
    const std::string waiting = json.substr(0, at_legacy) +
                                "\"legacy\":{\"status\":\"awaiting_approval\"" +
                                json.substr(at_legacy + from.size());
    EXPECT_TRUE(core_.restore(image_of(h_, as_previous_binary_wrote(waiting))).ok());
  }

  CommandOutcome decide(const std::string& type, const std::string& payload) {
    const lf::testing::BuiltCommand built = lf::testing::build_command(
        type, kTenant, "c-" + std::to_string(offset_), payload, "user:maya", kNow);
    return core_.decide(built.envelope, SourcePosition{"ledgerflow.commands", 0, offset_++}, kNow);
  }
  const State& state() const { return core_.tenant(kTenant)->workflow; }

 private:
  Harness h_;
  PartitionCore core_;
  int64_t offset_ = 1000;
};

TEST(Snapshots, WorkThePreviousBinaryLeftWaitingWithoutAnApprovalGetsAReviewStepOnRequest) {
  LegacyWaitingWork legacy;
  const CommandOutcome outcome =
      legacy.decide("approval.request", approval_request("ext-1", "activity", "legacy"));
  ASSERT_EQ(outcome.result.status, ResultStatus::accepted) << outcome.result.message;
  EXPECT_EQ(types_of(outcome.records.back()),
            (std::vector<std::string>{"activity.created", "activity.submitted_for_approval",
                                      "approval.requested"}));
  EXPECT_EQ(legacy.state().activities.at("legacy:review:1").status,
            ActivityStatus::awaiting_approval);
  EXPECT_EQ(legacy.state().approvals.at("ext-1").review->activity_id, "legacy:review:1");
  const CommandOutcome approved = legacy.decide("approval.approve", approval_decision("ext-1"));
  EXPECT_EQ(
      types_of(approved.records.back()),
      (std::vector<std::string>{"approval.approved", "activity.completed", "activity.approved"}));
}

TEST(Snapshots, TheReviewStepARequestWouldOpenMustHaveAFreeId) {
  LegacyWaitingWork legacy({{"activity.create", activity_payload("legacy:review:1", true)}});
  EXPECT_EQ(legacy.decide("approval.request", approval_request("ext-0", "activity", "legacy"))
                .result.reason,
            "duplicate_activity");
  // A version-1 snapshot holds no assignee: its gate reads as plain work (as
  // the activity.created upcaster reads an agent's gate), so it is no review
  // step to name.
  EXPECT_EQ(
      legacy
          .decide("approval.request", approval_request("ext-0", "activity", "legacy",
                                                       ",\"activity_id\":\"legacy:review:1\""))
          .result.reason,
      "invalid_transition");
  // Naming a review step created since works.
  ASSERT_EQ(
      legacy.decide("activity.create", activity_payload("legacy:review:2", true)).result.status,
      ResultStatus::accepted);
  const CommandOutcome named = legacy.decide(
      "approval.request",
      approval_request("ext-1", "activity", "legacy", ",\"activity_id\":\"legacy:review:2\""));
  ASSERT_EQ(named.result.status, ResultStatus::accepted) << named.result.message;
  EXPECT_EQ(types_of(named.records.back()),
            (std::vector<std::string>{"activity.submitted_for_approval", "approval.requested"}));
}

TEST(Snapshots, AnUnreadableWorkflowStateIsRefused) {
  Harness h(kNow);
  working_tenant(h);
  const std::string json = h.core().tenant_state_json(kTenant);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"version\":2", "\"version\":3"},
           {"\"priority\":\"high\"", "\"priority\":\"highest\""}}) {
    const std::size_t at_from = json.find(from);
    ASSERT_NE(at_from, std::string::npos) << from;
    PartitionCore restored = Harness::make_core(5);
    const Result<bool> loaded = restored.restore(
        image_of(h, json.substr(0, at_from) + to + json.substr(at_from + from.size())));
    ASSERT_FALSE(loaded.ok()) << to;
    EXPECT_EQ(loaded.error().code, "invalid_snapshot");
  }
}

// ---- a partition changing hands ------------------------------------------------

TEST(Timers, ANewOwnerFoldingTheLogFiresEachTimerOnce) {
  Harness h(kNow);
  working_tenant(h);
  h.accept("approval.request", approval_request("a-1", "creative", "cr"));
  h.accept("approval.request",
           approval_request("a-2", "creative", "cr", ",\"expires_at\":\"2026-11-25T09:00:00Z\""));
  h.accept("activity.start_run",
           start_run("act", "run-1", 100, ",\"expires_at\":\"2026-11-21T09:00:00Z\""));
  // run-1 and a-1 (72 h) fire on the old owner, a-2 is still ahead.
  h.advance_to(kNow + 72 * kHourMs);
  ASSERT_EQ(h.tick().size(), 1u);
  PartitionCore next = h.fold_into_new_core();
  EXPECT_EQ(next.tenant(kTenant)->workflow, h.workflow());
  EXPECT_EQ(next.tenant(kTenant)->credits, h.credits());
  EXPECT_TRUE(next.fire_timers(h.now(), 1000).empty());  // nothing fires twice
  ASSERT_EQ(next.next_timer_ms(), at("2026-11-25T09:00:00Z"));
  std::vector<Decided> fired = next.fire_timers(at("2026-11-25T09:00:00Z"), 1000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(types_of(fired[0]), (std::vector<std::string>{"approval.expired", "approval.escalated",
                                                          "approval.requested"}));
  // a-1's follow-up (opened at +72 h) is next.
  EXPECT_EQ(next.next_timer_ms(), kNow + 144 * kHourMs);
}

}  // namespace
}  // namespace lf::engine::workflow::testing
