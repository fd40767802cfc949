// The workflow projections (media_buys, approvals, activities, activity_runs,
// audit_log): commit records built event by event (each payload checked
// against its event schema, then encoded and decoded like any record on
// ledgerflow.events) in, exact row changes out. One test at the end drives
// the engine's partition core through a whole workflow.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/partition.hpp"
#include "events/envelope.hpp"
#include "events/time.hpp"
#include "events/ulid.hpp"
#include "projections/activities/projection.hpp"
#include "projections/activity_runs/projection.hpp"
#include "projections/approvals/projection.hpp"
#include "projections/audit_log/projection.hpp"
#include "projections/media_buys/projection.hpp"
#include "tests/support/records.hpp"
#include "tests/unit/engine/command_builder.hpp"

namespace lf::projections {
namespace {

constexpr const char* kTenant = "0b8e7c52-8a3f-4d0c-9b7e-2f1a3c4d5e6f";
const int64_t kNow = *parse_rfc3339_ms("2026-11-10T12:00:00Z");
using lf::testing::kRecordLimits;

// ------------------------------------------------------------------ records

// Commit records of kTenant, one second apart, each payload checked against
// its event schema (tests/support/records.hpp).
class Log : public lf::testing::RecordLog {
 public:
  Log() : RecordLog(kTenant, {.check_payloads = true, .ulid_seed = 17}) {}
};

RowBatch project(const Projection& projection, const std::vector<const DecodedRecord*>& records) {
  RowBatch batch;
  int64_t offset = 0;
  for (const DecodedRecord* record : records) projection.apply(RecordAt{0, offset++, record}, batch);
  return batch;
}

RowBatch project(const Projection& projection, const DecodedRecord& record) {
  return project(projection, std::vector<const DecodedRecord*>{&record});
}

RowBatch project_all(const Projection& projection, const Log& log) {
  std::vector<const DecodedRecord*> records;
  for (const DecodedRecord& record : log.records()) records.push_back(&record);
  return project(projection, records);
}

// ------------------------------------------------------------------ reading row ops

using lf::testing::describe;  // "text:abc", "ts:2026-11-10T12:00:00.000Z", ...

using Described = std::map<std::string, std::string>;  // column -> described value

// Every column of an insert or upsert; the set columns (keys included) of a patch.
Described columns_of(const RowOp& op) {
  Described out;
  for (std::size_t i = 0; i < op.values.size(); ++i) {
    if (op.kind == RowOpKind::patch && !op.present[i]) continue;
    out.emplace(op.table->columns[i].name, describe(op.values[i]));
  }
  return out;
}

std::vector<const RowOp*> ops_of(const RowBatch& batch, const TableSpec& table) {
  std::vector<const RowOp*> ops;
  for (const auto& group : batch.tables()) {
    if (group.table != &table) continue;
    for (const RowOp& op : group.ops) ops.push_back(&op);
  }
  return ops;
}

std::string ts(std::size_t record_index) { return "ts:" + format_rfc3339_ms(Log::time_of(record_index)); }
std::string text(const std::string& value) { return "text:" + value; }
const std::string kNull = "null";

// ------------------------------------------------------------------ event payloads

std::string buy_stream(const std::string& id) { return "media_buy/" + id; }
std::string approval_stream(const std::string& id) { return "approval/" + id; }
std::string activity_stream(const std::string& id) { return "activity/" + id; }
std::string audit_stream() { return std::string("audit/") + kTenant; }

const char* kBuyCreated =
    R"({"media_buy_id":"mb-1","principal_id":"acme","campaign_name":"Spring","buyer_ref":"PO-7",)"
    R"("start_date":"2026-12-01","end_date":"2026-12-31",)"
    R"("packages":[{"package_id":"p1","product_id":"display","budget":150000,)"
    R"("pricing":{"model":"cpm","rate":250},"targeting":{"geo":["FR","DE"]}},)"
    R"({"package_id":"p2","product_id":"video","budget":50000}],)"
    R"("budget_total":200000,"requires_approval":true,"approval_id":"mb-1:approval"})";

const char* kBuyApprovalRequested =
    R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"type":"media_buy",)"
    R"("risk_level":"medium","title":"Approve Spring","expires_at":"2026-11-13T12:00:00Z"})";

const char* kActivityCreated =
    R"({"activity_id":"a-1","title":"Write copy","type":"copywriting","description":"Three headlines",)"
    R"("assignee_type":"agent","assignee_agent_role":"copywriter","priority":"high",)"
    R"("is_approval_gate":true,"due_date":"2026-11-20","parent_activity_id":"a-0"})";

// ------------------------------------------------------------------ media_buys

TEST(MediaBuysProjection, CreatedInsertsThePendingBuyAndOneRowPerPackage) {
  Log log;
  const DecodedRecord& created = log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated},
                                             {"approval.requested", approval_stream("mb-1:approval"),
                                              kBuyApprovalRequested}});
  const RowBatch batch = project(MediaBuys{}, created);

  const std::vector<const RowOp*> buys = ops_of(batch, MediaBuys::buys_table());
  ASSERT_EQ(buys.size(), 1u);
  EXPECT_EQ(buys[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*buys[0]), (Described{{"tenant_id", text(kTenant)},
                                             {"media_buy_id", text("mb-1")},
                                             {"principal_id", text("acme")},
                                             {"campaign_name", text("Spring")},
                                             {"buyer_ref", text("PO-7")},
                                             {"status", text("pending")},
                                             {"status_reason", kNull},
                                             {"start_date", "date:2026-12-01"},
                                             {"end_date", "date:2026-12-31"},
                                             {"budget_total", "int:200000"},
                                             {"requires_approval", "bool:true"},
                                             {"approval_id", text("mb-1:approval")},
                                             {"created_at", ts(0)},
                                             {"updated_at", ts(0)}}));

  const std::vector<const RowOp*> packages = ops_of(batch, MediaBuys::packages_table());
  ASSERT_EQ(packages.size(), 2u);
  EXPECT_EQ(packages[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*packages[0]), (Described{{"tenant_id", text(kTenant)},
                                                 {"media_buy_id", text("mb-1")},
                                                 {"package_id", text("p1")},
                                                 {"product_id", text("display")},
                                                 {"budget", "int:150000"},
                                                 {"pricing", R"(json:{"model":"cpm","rate":250})"},
                                                 {"targeting", R"(json:{"geo":["FR","DE"]})"}}));
  EXPECT_EQ(packages[1]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*packages[1]), (Described{{"tenant_id", text(kTenant)},
                                                 {"media_buy_id", text("mb-1")},
                                                 {"package_id", text("p2")},
                                                 {"product_id", text("video")},
                                                 {"budget", "int:50000"},
                                                 {"pricing", kNull},
                                                 {"targeting", kNull}}));
  // The buy's table is touched first, so a batch writes it before its packages.
  ASSERT_EQ(batch.tables().size(), 2u);
  EXPECT_EQ(batch.tables()[0].table, &MediaBuys::buys_table());
}

TEST(MediaBuysProjection, EachStatusEventPatchesStatusReasonAndUpdatedAt) {
  struct Case {
    const char* type;
    const char* payload;
    Described expected;  // besides the keys and updated_at
  };
  const std::vector<Case> cases = {
      {"media_buy.approved", R"({"media_buy_id":"mb-1","reviewed_by":"rita"})",
       {{"status", text("approved")}, {"status_reason", kNull}}},
      {"media_buy.activated", R"({"media_buy_id":"mb-1","reason":"flight starts"})",
       {{"status", text("active")}, {"status_reason", text("flight starts")}}},
      {"media_buy.paused", R"({"media_buy_id":"mb-1","reason":"creative swap"})",
       {{"status", text("paused")}, {"status_reason", text("creative swap")}}},
      {"media_buy.resumed", R"({"media_buy_id":"mb-1"})", {{"status", text("active")}, {"status_reason", kNull}}},
      {"media_buy.completed", R"({"media_buy_id":"mb-1"})",
       {{"status", text("completed")}, {"status_reason", kNull}}},
      {"media_buy.failed", R"({"media_buy_id":"mb-1","reason":"publisher refused"})",
       {{"status", text("failed")}, {"status_reason", text("publisher refused")}}},
  };
  Log log;
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated}});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].type);
    const DecodedRecord& record = log.record({{cases[i].type, buy_stream("mb-1"), cases[i].payload}});
    const RowBatch batch = project(MediaBuys{}, record);
    ASSERT_EQ(batch.op_count(), 1u);
    const std::vector<const RowOp*> ops = ops_of(batch, MediaBuys::buys_table());
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
    Described expected = cases[i].expected;
    expected.emplace("tenant_id", text(kTenant));
    expected.emplace("media_buy_id", text("mb-1"));
    expected.emplace("updated_at", ts(i + 1));
    EXPECT_EQ(columns_of(*ops[0]), expected);
  }
}

TEST(MediaBuysProjection, AnOutcomeThatNamesItsApprovalRecordsIt) {
  Log log;
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated}});
  const DecodedRecord& failed = log.record(
      {{"media_buy.failed", buy_stream("mb-1"),
        R"({"media_buy_id":"mb-1","reason":"rejected by rita","approval_id":"mb-1:approval:2"})"}});
  const RowBatch batch = project(MediaBuys{}, failed);
  const std::vector<const RowOp*> ops = ops_of(batch, MediaBuys::buys_table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"media_buy_id", text("mb-1")},
                                            {"status", text("failed")},
                                            {"status_reason", text("rejected by rita")},
                                            {"approval_id", text("mb-1:approval:2")},
                                            {"updated_at", ts(1)}}));
}

TEST(MediaBuysProjection, CreateAndLaterMovesInOneBatchMergeIntoTheInsert) {
  Log log;
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated}});
  log.record({{"media_buy.approved", buy_stream("mb-1"), R"({"media_buy_id":"mb-1"})"}});
  log.record({{"media_buy.activated", buy_stream("mb-1"), R"({"media_buy_id":"mb-1","reason":"go"})"}});
  const RowBatch batch = project_all(MediaBuys{}, log);
  const std::vector<const RowOp*> buys = ops_of(batch, MediaBuys::buys_table());
  ASSERT_EQ(buys.size(), 1u);
  EXPECT_EQ(buys[0]->kind, RowOpKind::insert);
  const Described row = columns_of(*buys[0]);
  EXPECT_EQ(row.at("status"), text("active"));
  EXPECT_EQ(row.at("status_reason"), text("go"));
  EXPECT_EQ(row.at("created_at"), ts(0));
  EXPECT_EQ(row.at("updated_at"), ts(2));
  EXPECT_EQ(ops_of(batch, MediaBuys::packages_table()).size(), 2u);
}

// ------------------------------------------------------------------ approvals

TEST(ApprovalsProjection, RequestedInsertsAPendingApprovalOfItsSubject) {
  Log log;
  const DecodedRecord& record = log.record(
      {{"approval.requested", approval_stream("ap-1"),
        R"({"approval_id":"ap-1","subject":{"kind":"creative","id":"cr-9"},"type":"creative_review",)"
        R"("risk_level":"high","title":"Banner v2","content_ref":"s3://bucket/banner.png",)"
        R"("reviewer_id":"rita","expires_at":"2026-11-13T12:00:00.250Z"})"}});
  const RowBatch batch = project(Approvals{}, record);
  const std::vector<const RowOp*> ops = ops_of(batch, Approvals::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"approval_id", text("ap-1")},
                                            {"subject_kind", text("creative")},
                                            {"subject_id", text("cr-9")},
                                            {"type", text("creative_review")},
                                            {"risk_level", text("high")},
                                            {"status", text("pending")},
                                            {"title", text("Banner v2")},
                                            {"content_ref", text("s3://bucket/banner.png")},
                                            {"reviewer_id", text("rita")},
                                            {"reviewed_by", kNull},
                                            {"reviewer_notes", kNull},
                                            {"chosen_option", kNull},
                                            {"expires_at", "ts:2026-11-13T12:00:00.250Z"},
                                            {"requested_at", ts(0)},
                                            {"resolved_at", kNull},
                                            {"escalated_at", kNull},
                                            {"updated_at", ts(0)}}));
}

TEST(ApprovalsProjection, AssignedPatchesTheReviewer) {
  Log log;
  log.record({{"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested}});
  const DecodedRecord& assigned = log.record(
      {{"approval.assigned", approval_stream("mb-1:approval"), R"({"approval_id":"mb-1:approval","reviewer_id":"sam"})"}});
  const RowBatch batch = project(Approvals{}, assigned);
  const std::vector<const RowOp*> ops = ops_of(batch, Approvals::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"approval_id", text("mb-1:approval")},
                                            {"reviewer_id", text("sam")},
                                            {"updated_at", ts(1)}}));
}

TEST(ApprovalsProjection, EachOutcomePatchesStatusReviewerNotesOptionAndResolvedAt) {
  struct Case {
    const char* type;
    const char* payload;
    Described expected;  // besides the keys, resolved_at and updated_at
  };
  const std::vector<Case> cases = {
      {"approval.approved",
       R"({"approval_id":"ap","subject":{"kind":"creative","id":"c"},"reviewed_by":"rita","notes":"ok","chosen_option":"B"})",
       {{"status", text("approved")}, {"reviewed_by", text("rita")}, {"reviewer_notes", text("ok")},
        {"chosen_option", text("B")}}},
      {"approval.rejected", R"({"approval_id":"ap","subject":{"kind":"creative","id":"c"},"reviewed_by":"sam"})",
       {{"status", text("rejected")}, {"reviewed_by", text("sam")}, {"reviewer_notes", kNull},
        {"chosen_option", kNull}}},
      {"approval.revision_requested",
       R"({"approval_id":"ap","subject":{"kind":"creative","id":"c"},"reviewed_by":"kim","notes":"shorter"})",
       {{"status", text("revision_requested")}, {"reviewed_by", text("kim")}, {"reviewer_notes", text("shorter")},
        {"chosen_option", kNull}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    Log log;
    log.record({{"approval.requested", approval_stream("ap"),
                 R"({"approval_id":"ap","subject":{"kind":"creative","id":"c"},"type":"t","risk_level":"low",)"
                 R"("title":"T","expires_at":"2026-11-13T12:00:00Z"})"}});
    const RowBatch batch = project(Approvals{}, log.record({{c.type, approval_stream("ap"), c.payload}}, "user:rita"));
    const std::vector<const RowOp*> ops = ops_of(batch, Approvals::table());
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
    Described expected = c.expected;
    expected.emplace("tenant_id", text(kTenant));
    expected.emplace("approval_id", text("ap"));
    expected.emplace("resolved_at", ts(1));
    expected.emplace("updated_at", ts(1));
    EXPECT_EQ(columns_of(*ops[0]), expected);
  }
}

TEST(ApprovalsProjection, ExpiryRecordMarksExpiredAndEscalatedInOnePatch) {
  Log log;
  log.record({{"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested}});
  const DecodedRecord& timer = log.record(
      {{"approval.expired", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"expires_at":"2026-11-13T12:00:00Z"})"},
       {"approval.escalated", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},)"
        R"("escalated_at":"2026-11-13T12:00:05.125Z","reason":"expired"})"}},
      "system");
  const RowBatch batch = project(Approvals{}, timer);
  const std::vector<const RowOp*> ops = ops_of(batch, Approvals::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"approval_id", text("mb-1:approval")},
                                            {"status", text("expired")},
                                            {"resolved_at", ts(1)},
                                            {"escalated_at", "ts:2026-11-13T12:00:05.125Z"},
                                            {"updated_at", ts(1)}}));
}

// ------------------------------------------------------------------ one record, several projections

TEST(WorkflowProjections, ApprovalOutcomeAndItsBuysMoveInOneRecordTouchBothTables) {
  Log log;
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated},
              {"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested}});
  const DecodedRecord& decided = log.record(
      {{"approval.approved", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"reviewed_by":"rita"})"},
       {"media_buy.approved", buy_stream("mb-1"),
        R"({"media_buy_id":"mb-1","approval_id":"mb-1:approval","reviewed_by":"rita"})"}},
      "user:rita");

  const RowBatch buys = project(MediaBuys{}, decided);
  ASSERT_EQ(buys.op_count(), 1u);
  EXPECT_EQ(columns_of(*ops_of(buys, MediaBuys::buys_table()).at(0)),
            (Described{{"tenant_id", text(kTenant)},
                       {"media_buy_id", text("mb-1")},
                       {"status", text("approved")},
                       {"status_reason", kNull},
                       {"approval_id", text("mb-1:approval")},
                       {"updated_at", ts(1)}}));

  const RowBatch approvals = project(Approvals{}, decided);
  ASSERT_EQ(approvals.op_count(), 1u);
  const Described approval = columns_of(*ops_of(approvals, Approvals::table()).at(0));
  EXPECT_EQ(approval.at("status"), text("approved"));
  EXPECT_EQ(approval.at("reviewed_by"), text("rita"));
  EXPECT_EQ(approval.at("resolved_at"), ts(1));

  EXPECT_TRUE(project(Activities{}, decided).empty());
  EXPECT_TRUE(project(ActivityRuns{}, decided).empty());
  const RowBatch audit = project(AuditLog{}, decided);
  const std::vector<const RowOp*> audit_rows = ops_of(audit, AuditLog::table());
  ASSERT_EQ(audit_rows.size(), 2u);
  EXPECT_EQ(columns_of(*audit_rows[0]).at("operation"), text("approval.approved"));
  EXPECT_EQ(columns_of(*audit_rows[1]).at("operation"), text("media_buy.approved"));
  EXPECT_EQ(columns_of(*audit_rows[1]).at("principal_id"), text("user:rita"));
}

TEST(WorkflowProjections, RejectionOfAnActivityGateReachesTheActivityInTheSameRecord) {
  Log log;
  log.record({{"activity.created", activity_stream("a-1"), kActivityCreated}});
  log.record({{"activity.started", activity_stream("a-1"), R"({"activity_id":"a-1"})"}});
  log.record({{"activity.submitted_for_approval", activity_stream("a-1"),
               R"({"activity_id":"a-1","approval_id":"a-1:approval:1"})"},
              {"approval.requested", approval_stream("a-1:approval:1"),
               R"({"approval_id":"a-1:approval:1","subject":{"kind":"activity","id":"a-1"},"type":"activity_review",)"
               R"("risk_level":"medium","title":"Review copy","expires_at":"2026-11-13T12:00:00Z"})"}});
  const DecodedRecord& rejected = log.record(
      {{"approval.rejected", approval_stream("a-1:approval:1"),
        R"({"approval_id":"a-1:approval:1","subject":{"kind":"activity","id":"a-1"},"reviewed_by":"rita","notes":"too long"})"},
       {"activity.rejected", activity_stream("a-1"),
        R"({"activity_id":"a-1","approval_id":"a-1:approval:1","reviewed_by":"rita","rejection_note":"too long"})"}},
      "user:rita");

  const RowBatch activities = project(Activities{}, rejected);
  ASSERT_EQ(activities.op_count(), 1u);
  EXPECT_EQ(columns_of(*ops_of(activities, Activities::table()).at(0)),
            (Described{{"tenant_id", text(kTenant)},
                       {"activity_id", text("a-1")},
                       {"status", text("rejected")},
                       {"approval_id", text("a-1:approval:1")},
                       {"rejection_note", text("too long")},
                       {"updated_at", ts(3)}}));
  const RowBatch approvals = project(Approvals{}, rejected);
  ASSERT_EQ(approvals.op_count(), 1u);
  const Described approval = columns_of(*ops_of(approvals, Approvals::table()).at(0));
  EXPECT_EQ(approval.at("status"), text("rejected"));
  EXPECT_EQ(approval.at("reviewer_notes"), text("too long"));
  EXPECT_TRUE(project(MediaBuys{}, rejected).empty());

  // Folding the whole log: the activity's insert absorbs every later change.
  const RowBatch folded = project_all(Activities{}, log);
  const std::vector<const RowOp*> rows = ops_of(folded, Activities::table());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*rows[0]).at("status"), text("rejected"));
  EXPECT_EQ(columns_of(*rows[0]).at("created_at"), ts(0));
}

// ------------------------------------------------------------------ activities

TEST(ActivitiesProjection, CreatedInsertsWithItsPriorityRankAndDueDate) {
  Log log;
  const RowBatch batch = project(Activities{}, log.record({{"activity.created", activity_stream("a-1"), kActivityCreated}}));
  const std::vector<const RowOp*> ops = ops_of(batch, Activities::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"activity_id", text("a-1")},
                                            {"title", text("Write copy")},
                                            {"type", text("copywriting")},
                                            {"description", text("Three headlines")},
                                            {"status", text("created")},
                                            {"assignee_type", text("agent")},
                                            {"assignee_agent_role", text("copywriter")},
                                            {"assignee_user_id", kNull},
                                            {"priority", text("high")},
                                            {"priority_rank", "int:1"},
                                            {"is_approval_gate", "bool:true"},
                                            {"approval_id", kNull},
                                            {"rejection_note", kNull},
                                            {"revision_note", kNull},
                                            {"due_date", "date:2026-11-20"},
                                            {"parent_activity_id", text("a-0")},
                                            {"created_at", ts(0)},
                                            {"updated_at", ts(0)},
                                            {"completed_at", kNull}}));
}

TEST(ActivitiesProjection, PriorityRanksUrgentFirstAndDueDateIsOptional) {
  const std::vector<std::pair<std::string, std::string>> priorities = {
      {"urgent", "int:0"}, {"high", "int:1"}, {"medium", "int:2"}, {"low", "int:3"}};
  Log log;
  for (const auto& [priority, rank] : priorities) {
    SCOPED_TRACE(priority);
    const std::string id = "a-" + priority;
    const RowBatch batch = project(
        Activities{}, log.record({{"activity.created", activity_stream(id),
                                   R"({"activity_id":")" + id + R"(","title":"T","type":"t","assignee_type":"human",)"
                                   R"("assignee_user_id":"u-1","priority":")" + priority + R"(","is_approval_gate":false})"}}));
    const Described row = columns_of(*ops_of(batch, Activities::table()).at(0));
    EXPECT_EQ(row.at("priority_rank"), rank);
    EXPECT_EQ(row.at("due_date"), kNull);
    EXPECT_EQ(row.at("description"), kNull);
    EXPECT_EQ(row.at("parent_activity_id"), kNull);
    EXPECT_EQ(row.at("assignee_agent_role"), kNull);
    EXPECT_EQ(row.at("assignee_user_id"), text("u-1"));
  }
  EXPECT_EQ(priority_rank("someday"), std::nullopt);
}

TEST(ActivitiesProjection, EachEventPatchesItsColumns) {
  struct Case {
    const char* type;
    const char* payload;
    Described expected;  // besides the keys and updated_at
  };
  const std::vector<Case> cases = {
      {"activity.assigned", R"({"activity_id":"a-1","assignee_type":"human","assignee_user_id":"u-7","note":"n"})",
       {{"status", text("assigned")}, {"assignee_type", text("human")}, {"assignee_agent_role", kNull},
        {"assignee_user_id", text("u-7")}}},
      {"activity.assigned", R"({"activity_id":"a-1","assignee_type":"agent","assignee_agent_role":"editor"})",
       {{"status", text("assigned")}, {"assignee_type", text("agent")}, {"assignee_agent_role", text("editor")},
        {"assignee_user_id", kNull}}},
      {"activity.started", R"({"activity_id":"a-1","note":"go"})", {{"status", text("in_progress")}}},
      {"activity.submitted_for_approval", R"({"activity_id":"a-1"})", {{"status", text("awaiting_approval")}}},
      {"activity.submitted_for_approval", R"({"activity_id":"a-1","approval_id":"a-1:approval:1"})",
       {{"status", text("awaiting_approval")}, {"approval_id", text("a-1:approval:1")}}},
      {"activity.approved", R"({"activity_id":"a-1","approval_id":"a-1:approval:1","reviewed_by":"rita"})",
       {{"status", text("approved")}, {"approval_id", text("a-1:approval:1")}}},
      {"activity.rejected",
       R"({"activity_id":"a-1","approval_id":"a-1:approval:1","reviewed_by":"rita","rejection_note":"no"})",
       {{"status", text("rejected")}, {"approval_id", text("a-1:approval:1")}, {"rejection_note", text("no")}}},
      {"activity.revision_requested",
       R"({"activity_id":"a-1","approval_id":"a-1:approval:2","reviewed_by":"rita","revision_note":"tighter"})",
       {{"status", text("in_progress")}, {"approval_id", text("a-1:approval:2")}, {"revision_note", text("tighter")}}},
      {"activity.completed", R"({"activity_id":"a-1"})", {{"status", text("completed")}, {"completed_at", ""}}},
      {"activity.failed", R"({"activity_id":"a-1","note":"broken"})", {{"status", text("failed")}}},
      {"activity.cancelled", R"({"activity_id":"a-1"})", {{"status", text("cancelled")}}},
  };
  Log log;
  log.record({{"activity.created", activity_stream("a-1"), kActivityCreated}});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(std::string(cases[i].type) + " " + cases[i].payload);
    const RowBatch batch = project(Activities{}, log.record({{cases[i].type, activity_stream("a-1"), cases[i].payload}}));
    const std::vector<const RowOp*> ops = ops_of(batch, Activities::table());
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
    Described expected = cases[i].expected;
    if (expected.count("completed_at") > 0) expected["completed_at"] = ts(i + 1);
    expected.emplace("tenant_id", text(kTenant));
    expected.emplace("activity_id", text("a-1"));
    expected.emplace("updated_at", ts(i + 1));
    EXPECT_EQ(columns_of(*ops[0]), expected);
  }
}

TEST(ActivitiesProjection, RunEventsAndOtherDomainsAreIgnored) {
  Log log;
  const DecodedRecord& run = log.record(
      {{"activity.run_started", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":40,"reservation_id":"run:r-1","expires_at":"2026-11-10T13:00:00Z"})"},
       {"media_buy.paused", buy_stream("mb-1"), R"({"media_buy_id":"mb-1"})"},
       {"approval.assigned", approval_stream("ap"), R"({"approval_id":"ap","reviewer_id":"r"})"},
       {"command.rejected", audit_stream(),
        R"({"command_type":"activity.start","reason":"invalid_transition","message":"no","target_stream":"activity/a-1"})"}});
  EXPECT_TRUE(project(Activities{}, run).empty());
}

// ------------------------------------------------------------------ activity_runs

TEST(ActivityRunsProjection, StartInsertsARunningRunAndFinishPatchesItsFigures) {
  Log log;
  const DecodedRecord& started = log.record(
      {{"activity.run_started", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":40,"reservation_id":"run:r-1",)"
        R"("deliverable_type":"copy","expires_at":"2026-11-10T13:00:00Z"})"}},
      "agent:copywriter");
  const RowBatch start_batch = project(ActivityRuns{}, started);
  const std::vector<const RowOp*> inserted = ops_of(start_batch, ActivityRuns::table());
  ASSERT_EQ(inserted.size(), 1u);
  EXPECT_EQ(inserted[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*inserted[0]), (Described{{"tenant_id", text(kTenant)},
                                                 {"run_id", text("r-1")},
                                                 {"activity_id", text("a-1")},
                                                 {"status", text("running")},
                                                 {"reservation_id", text("run:r-1")},
                                                 {"credits_reserved", "int:40"},
                                                 {"credits_used", kNull},
                                                 {"credits_charged", kNull},
                                                 {"input_tokens", kNull},
                                                 {"output_tokens", kNull},
                                                 {"duration_ms", kNull},
                                                 {"started_at", ts(0)},
                                                 {"finished_at", kNull}}));

  const DecodedRecord& finished = log.record(
      {{"activity.run_finished", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","status":"completed","credits_used":25,"credits_charged":25,)"
        R"("credits_released":40,"input_tokens":1200,"output_tokens":800,"duration_ms":5300})"}},
      "agent:copywriter");
  const RowBatch finish_batch = project(ActivityRuns{}, finished);
  const std::vector<const RowOp*> patched = ops_of(finish_batch, ActivityRuns::table());
  ASSERT_EQ(patched.size(), 1u);
  EXPECT_EQ(patched[0]->kind, RowOpKind::patch);
  EXPECT_EQ(columns_of(*patched[0]), (Described{{"tenant_id", text(kTenant)},
                                                {"run_id", text("r-1")},
                                                {"status", text("completed")},
                                                {"credits_used", "int:25"},
                                                {"credits_charged", "int:25"},
                                                {"input_tokens", "int:1200"},
                                                {"output_tokens", "int:800"},
                                                {"duration_ms", "int:5300"},
                                                {"finished_at", ts(1)}}));
}

TEST(ActivityRunsProjection, ATimedOutRunWithoutFiguresPatchesNullTokens) {
  Log log;
  log.record({{"activity.run_started", activity_stream("a-1"),
               R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":40,"reservation_id":"run:r-1","expires_at":"2026-11-10T13:00:00Z"})"}});
  const DecodedRecord& timer = log.record(
      {{"activity.run_finished", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","status":"timed_out","credits_used":0,"credits_charged":0,"credits_released":40})"}},
      "system");
  const RowBatch batch = project(ActivityRuns{}, timer);
  const Described row = columns_of(*ops_of(batch, ActivityRuns::table()).at(0));
  EXPECT_EQ(row.at("status"), text("timed_out"));
  EXPECT_EQ(row.at("credits_charged"), "int:0");
  EXPECT_EQ(row.at("input_tokens"), kNull);
  EXPECT_EQ(row.at("duration_ms"), kNull);
}

TEST(ActivityRunsProjection, OtherActivityEventsAreIgnored) {
  Log log;
  const DecodedRecord& record = log.record({{"activity.created", activity_stream("a-1"), kActivityCreated}});
  const DecodedRecord& started = log.record({{"activity.started", activity_stream("a-1"), R"({"activity_id":"a-1"})"}});
  EXPECT_TRUE(project(ActivityRuns{}, record).empty());
  EXPECT_TRUE(project(ActivityRuns{}, started).empty());
  EXPECT_TRUE(project(MediaBuys{}, record).empty());
  EXPECT_TRUE(project(Approvals{}, record).empty());
}

// ------------------------------------------------------------------ audit_log

TEST(AuditLogProjection, AnyOtherEventIsASuccessOnItsStreamWithItsPayloadAsDetails) {
  Log log;
  const std::string payload = R"({"activity_id":"a-1","note":"go"})";
  const DecodedRecord& record = log.record({{"activity.started", activity_stream("a-1"), payload}}, "agent:copywriter");
  const RowBatch batch = project(AuditLog{}, record);
  const std::vector<const RowOp*> ops = ops_of(batch, AuditLog::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"event_id", text(record.events[0].header.event_id)},
                                            {"occurred_at", ts(0)},
                                            {"operation", text("activity.started")},
                                            {"resource_type", text("activity")},
                                            {"resource_id", text("a-1")},
                                            {"principal_id", text("agent:copywriter")},
                                            {"principal_name", kNull},
                                            {"success", "bool:true"},
                                            {"error_message", kNull},
                                            {"details", "json:" + payload},
                                            {"command_id", text("cmd-1")}}));
}

TEST(AuditLogProjection, AuditRecordedTakesEveryFieldFromItsPayload) {
  Log log;
  const DecodedRecord& full = log.record(
      {{"audit.recorded", audit_stream(),
        R"({"operation":"export","resource_type":"report","resource_id":"rep-3","principal_id":"u-9",)"
        R"("principal_name":"Ann Lee","success":false,"error_message":"quota","details":{"rows":12,"format":"csv"}})"}},
      "user:ops");
  const RowBatch full_ops_batch = project(AuditLog{}, full);
  const std::vector<const RowOp*> full_ops = ops_of(full_ops_batch, AuditLog::table());
  ASSERT_EQ(full_ops.size(), 1u);
  EXPECT_EQ(columns_of(*full_ops[0]), (Described{{"tenant_id", text(kTenant)},
                                                 {"event_id", text(full.events[0].header.event_id)},
                                                 {"occurred_at", ts(0)},
                                                 {"operation", text("export")},
                                                 {"resource_type", text("report")},
                                                 {"resource_id", text("rep-3")},
                                                 {"principal_id", text("u-9")},
                                                 {"principal_name", text("Ann Lee")},
                                                 {"success", "bool:false"},
                                                 {"error_message", text("quota")},
                                                 {"details", R"(json:{"rows":12,"format":"csv"})"},
                                                 {"command_id", text("cmd-1")}}));

  const DecodedRecord& bare = log.record(
      {{"audit.recorded", audit_stream(),
        R"({"operation":"login","resource_type":"session","resource_id":"s-1","success":true})"}},
      "user:ops");
  const Described row = columns_of(*ops_of(project(AuditLog{}, bare), AuditLog::table()).at(0));
  EXPECT_EQ(row.at("principal_id"), kNull);  // from the payload, not the actor
  EXPECT_EQ(row.at("principal_name"), kNull);
  EXPECT_EQ(row.at("error_message"), kNull);
  EXPECT_EQ(row.at("details"), kNull);
  EXPECT_EQ(row.at("success"), "bool:true");
}

TEST(AuditLogProjection, CommandRejectedIsAFailureOnItsTargetStream) {
  Log log;
  const std::string payload =
      R"({"command_type":"media_buy.pause","reason":"invalid_transition","message":"mb-1 is pending",)"
      R"("target_stream":"media_buy/mb-1"})";
  const DecodedRecord& record = log.record({{"command.rejected", audit_stream(), payload}}, "user:ana");
  const RowBatch ops_batch = project(AuditLog{}, record);
  const std::vector<const RowOp*> ops = ops_of(ops_batch, AuditLog::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"event_id", text(record.events[0].header.event_id)},
                                            {"occurred_at", ts(0)},
                                            {"operation", text("media_buy.pause")},
                                            {"resource_type", text("media_buy")},
                                            {"resource_id", text("mb-1")},
                                            {"principal_id", text("user:ana")},
                                            {"principal_name", kNull},
                                            {"success", "bool:false"},
                                            {"error_message", text("invalid_transition: mb-1 is pending")},
                                            {"details", "json:" + payload},
                                            {"command_id", text("cmd-1")}}));
}

TEST(AuditLogProjection, CommandRejectedWithoutATargetStreamNamesTheCommandsDomain) {
  Log log;
  const DecodedRecord& record = log.record(
      {{"command.rejected", audit_stream(),
        R"({"command_type":"credits.reserve","reason":"invalid_payload","message":"credits must be positive"})"}},
      "system");
  const Described row = columns_of(*ops_of(project(AuditLog{}, record), AuditLog::table()).at(0));
  EXPECT_EQ(row.at("operation"), text("credits.reserve"));
  EXPECT_EQ(row.at("resource_type"), text("credits"));
  EXPECT_EQ(row.at("resource_id"), kNull);
  EXPECT_EQ(row.at("principal_id"), text("system"));
  EXPECT_EQ(row.at("success"), "bool:false");
  EXPECT_EQ(row.at("error_message"), text("invalid_payload: credits must be positive"));
}

TEST(AuditLogProjection, EveryEventOfARecordGetsItsOwnRow) {
  Log log;
  const DecodedRecord& record = log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated},
                                            {"approval.requested", approval_stream("mb-1:approval"),
                                             kBuyApprovalRequested}});
  const RowBatch ops_batch = project(AuditLog{}, record);
  const std::vector<const RowOp*> ops = ops_of(ops_batch, AuditLog::table());
  ASSERT_EQ(ops.size(), 2u);
  const Described buy = columns_of(*ops[0]);
  const Described approval = columns_of(*ops[1]);
  EXPECT_EQ(buy.at("event_id"), text(record.events[0].header.event_id));
  EXPECT_EQ(buy.at("resource_type"), text("media_buy"));
  EXPECT_EQ(approval.at("event_id"), text(record.events[1].header.event_id));
  EXPECT_EQ(approval.at("resource_type"), text("approval"));
  EXPECT_EQ(approval.at("resource_id"), text("mb-1:approval"));
  EXPECT_EQ(approval.at("details"), std::string("json:") + kBuyApprovalRequested);
}

TEST(AuditLogProjection, StreamsSplitAtTheFirstSlash) {
  auto split = [](std::string_view stream) {
    const std::pair<Value, Value> resource = stream_resource(stream);
    return describe(resource.first) + " " + describe(resource.second);
  };
  EXPECT_EQ(split("media_buy/mb-1"), "text:media_buy text:mb-1");
  EXPECT_EQ(split("approval/a/b"), "text:approval text:a/b");
  EXPECT_EQ(split("activity/"), "text:activity null");  // a finish_run of an unknown run
  EXPECT_EQ(split("orphan"), "text:orphan null");
}

// ------------------------------------------------------------------ registry

TEST(WorkflowProjections, RegisteredAfterTheCreditsProjections) {
  std::vector<std::string> names;
  for (const auto& projection : all_projections()) {
    names.emplace_back(projection->name());
    // credit_balances 2: billing periods as dates.
    EXPECT_EQ(projection->version(), projection->name() == "credit_balances" ? 2 : 1);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"credit_balances", "credit_ledger", "credit_reservations", "event_log",
                                             "media_buys", "approvals", "activities", "activity_runs",
                                             "audit_log"}));
  ASSERT_NE(make_projection("media_buys"), nullptr);
  EXPECT_EQ(make_projection("media_buys")->tables().size(), 2u);
  EXPECT_NE(make_projection("audit_log"), nullptr);
}

// ------------------------------------------------------------------ through the engine

// The partition core decides a whole workflow; the projections fold its
// records to the end state.
TEST(WorkflowProjections, FoldOfTheEnginesRecordsReachesTheEndState) {
  engine::PartitionCore core(0, "engine", engine::PartitionOptions{}, UlidGenerator(5));
  std::vector<DecodedRecord> records;
  int64_t offset = 0;
  auto run = [&](const std::string& type, const std::string& payload, const std::string& actor = "user:ana",
                 ResultStatus expected = ResultStatus::accepted) {
    auto built = lf::testing::build_command(type, kTenant, "c" + std::to_string(offset), payload, actor, kNow);
    auto outcome = core.decide(built.envelope, SourcePosition{"ledgerflow.commands", 0, offset}, kNow);
    ++offset;
    EXPECT_EQ(outcome.result.status, expected) << type << ": " << outcome.result.reason << " " << outcome.result.message;
    for (engine::Decided& decided : outcome.records) {
      Result<DecodedRecord> record = decode_commit_record(decided.json, kRecordLimits);
      ASSERT_TRUE(record.ok());
      records.push_back(std::move(record).value());
    }
  };
  run("credits.allocate",
      R"({"credits_monthly":1000,"period_start":"2026-11-01T00:00:00Z","period_end":"2026-12-01T00:00:00Z"})");
  run("media_buy.create",
      R"({"media_buy_id":"mb-1","principal_id":"acme","campaign_name":"Spring","start_date":"2026-12-01",)"
      R"("end_date":"2026-12-31","packages":[{"package_id":"p1","product_id":"display","budget":700}],)"
      R"("requires_approval":true})");
  run("approval.approve", R"({"approval_id":"mb-1:approval","reviewed_by":"rita"})", "user:rita");
  run("activity.create",
      R"({"activity_id":"a-1","title":"Copy","type":"copywriting","assignee_type":"agent",)"
      R"("assignee_agent_role":"copywriter","priority":"urgent","is_approval_gate":false})");
  run("activity.start", R"({"activity_id":"a-1"})");
  run("activity.start_run", R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":50})");
  run("activity.finish_run", R"({"run_id":"r-1","status":"completed","credits_used":30})");
  run("media_buy.pause", R"({"media_buy_id":"mb-1"})", "user:ana", ResultStatus::rejected);  // approved, not active

  std::vector<const DecodedRecord*> pointers;
  for (const DecodedRecord& record : records) pointers.push_back(&record);
  const Described buy = columns_of(*ops_of(project(MediaBuys{}, pointers), MediaBuys::buys_table()).at(0));
  EXPECT_EQ(buy.at("status"), text("approved"));
  EXPECT_EQ(buy.at("budget_total"), "int:700");
  const Described approval = columns_of(*ops_of(project(Approvals{}, pointers), Approvals::table()).at(0));
  EXPECT_EQ(approval.at("status"), text("approved"));
  EXPECT_EQ(approval.at("subject_id"), text("mb-1"));
  const Described activity = columns_of(*ops_of(project(Activities{}, pointers), Activities::table()).at(0));
  EXPECT_EQ(activity.at("status"), text("in_progress"));
  EXPECT_EQ(activity.at("priority_rank"), "int:0");
  const Described run_row = columns_of(*ops_of(project(ActivityRuns{}, pointers), ActivityRuns::table()).at(0));
  EXPECT_EQ(run_row.at("status"), text("completed"));
  EXPECT_EQ(run_row.at("credits_charged"), "int:30");
  EXPECT_EQ(run_row.at("credits_reserved"), "int:50");

  std::size_t events = 0;
  for (const DecodedRecord& record : records) events += record.events.size();
  const RowBatch audit_batch = project(AuditLog{}, pointers);
  const std::vector<const RowOp*> audit = ops_of(audit_batch, AuditLog::table());
  ASSERT_EQ(audit.size(), events);
  const Described rejected = columns_of(*audit.back());
  EXPECT_EQ(rejected.at("operation"), text("media_buy.pause"));
  EXPECT_EQ(rejected.at("resource_type"), text("media_buy"));
  EXPECT_EQ(rejected.at("resource_id"), text("mb-1"));
  EXPECT_EQ(rejected.at("success"), "bool:false");
}

}  // namespace
}  // namespace lf::projections
