// The workflow projections (media_buys, approvals, activities, activity_runs,
// audit_log): commit records built event by event (each payload checked
// against its event schema, then encoded and decoded like any record on
// ledgerflow.events) in, exact row changes out. One test at the end drives
// the engine's partition core through a whole workflow.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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
#include "projections/registry.hpp"
#include "tests/support/built_command.hpp"
#include "tests/support/records.hpp"

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
  for (const DecodedRecord* record : records)
    projection.apply(RecordAt{0, offset++, record}, batch);
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

std::string ts(std::size_t record_index) {
  return "ts:" + format_rfc3339_ms(Log::time_of(record_index));
}
std::string text(const std::string& value) {
  return "text:" + value;
}
const std::string kNull = "null";

// ------------------------------------------------------------------ event payloads

// Payloads at the newest version of each type (the version each EventSpec
// names; the projections only ever see the newest, decoding upcasts older
// ones), checked against its schema by the Log.

std::string buy_stream(const std::string& id) {
  return "media_buy/" + id;
}
std::string approval_stream(const std::string& id) {
  return "approval/" + id;
}
std::string activity_stream(const std::string& id) {
  return "activity/" + id;
}
std::string audit_stream() {
  return std::string("audit/") + kTenant;
}

// media_buy.created v2: budgets in minor units of the buy's currency.
const char* kBuyCreated =
    R"({"media_buy_id":"mb-1","principal_id":"acme","campaign_name":"Spring","buyer_ref":"PO-7",)"
    R"("start_date":"2026-12-01","end_date":"2026-12-31","currency":"USD",)"
    R"("packages":[{"package_id":"p1","product_id":"display","budget_minor":150050,)"
    R"("pricing":{"model":"cpm","rate":250},"targeting":{"geo":["FR","DE"]}},)"
    R"({"package_id":"p2","product_id":"video","budget_minor":50000}],)"
    R"("budget_total_minor":200050,"requires_approval":true,"approval_id":"mb-1:approval"})";

// approval.requested v2.
const char* kBuyApprovalRequested =
    R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"type":"media_buy",)"
    R"("risk_level":"medium","title":"Approve Spring","expires_at":"2026-11-13T12:00:00Z"})";

// activity.created v2: agent work W.
const char* kWorkCreated =
    R"({"activity_id":"w-1","title":"Write copy","type":"write","description":"Three headlines",)"
    R"("assignee_type":"agent","assignee_agent_role":"copywriter","priority":"high",)"
    R"("is_approval_gate":false,"due_date":"2026-11-20","parent_activity_id":"plan-1",)"
    R"("input_data":{"brief":"spring sale","words":30}})";

// activity.created v2 of W's review step R: human, unassigned until a
// reviewer is named.
std::string review_step_created(const std::string& id, const std::optional<std::string>& reviewer) {
  return R"({"activity_id":")" + id +
         R"(","title":"Review: w-1","type":"review","assignee_type":"human",)" +
         (reviewer ? R"("assignee_user_id":")" + *reviewer + "\"," : std::string()) +
         R"("priority":"high","is_approval_gate":true,"parent_activity_id":"w-1"})";
}

// approval.requested v2 of an approval of W with review step R.
std::string work_approval_requested(const std::string& approval_id, const std::string& review_step,
                                    const std::string& extra = "") {
  return R"({"approval_id":")" + approval_id + R"(","activity_id":")" + review_step +
         R"(","subject":{"kind":"activity","id":"w-1"},"type":"content_review","risk_level":"medium",)"
         R"("title":"Review: w-1","expires_at":"2026-11-13T12:00:00Z")" +
         extra + "}";
}

// The events of activity.submit_for_approval on W: W waits, its review step
// R opens (assigned to `reviewer` when given) and waits too, and approval A
// belongs to R with subject W. One commit record.
std::vector<lf::testing::EventSpec> submission(const std::string& approval_id,
                                               const std::string& review_step,
                                               const std::optional<std::string>& reviewer) {
  return {
      {"activity.submitted_for_approval", activity_stream("w-1"),
       R"({"activity_id":"w-1","approval_id":")" + approval_id + R"(","review_activity_id":")" +
           review_step + "\"}",
       2},
      {"activity.created", activity_stream(review_step), review_step_created(review_step, reviewer),
       2},
      {"activity.submitted_for_approval", activity_stream(review_step),
       R"({"activity_id":")" + review_step + R"(","approval_id":")" + approval_id +
           R"(","review_activity_id":")" + review_step + "\"}",
       2},
      {"approval.requested", approval_stream(approval_id),
       work_approval_requested(approval_id, review_step,
                               reviewer ? R"(,"reviewer_id":")" + *reviewer + "\"" : std::string()),
       2}};
}

// ------------------------------------------------------------------ media_buys

TEST(MediaBuysProjection, CreatedInsertsThePendingBuyAndOneRowPerPackageWithExactBudgets) {
  Log log;
  const DecodedRecord& created = log.record(
      {{"media_buy.created", buy_stream("mb-1"), kBuyCreated, 2},
       {"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested, 2}});
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
                                             {"currency", text("USD")},
                                             {"budget_total", text("2000.50")},
                                             {"budget_total_minor", "int:200050"},
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
                                                 {"currency", text("USD")},
                                                 {"budget", text("1500.50")},
                                                 {"budget_minor", "int:150050"},
                                                 {"pricing", R"(json:{"model":"cpm","rate":250})"},
                                                 {"targeting", R"(json:{"geo":["FR","DE"]})"}}));
  EXPECT_EQ(packages[1]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*packages[1]), (Described{{"tenant_id", text(kTenant)},
                                                 {"media_buy_id", text("mb-1")},
                                                 {"package_id", text("p2")},
                                                 {"product_id", text("video")},
                                                 {"currency", text("USD")},
                                                 {"budget", text("500.00")},
                                                 {"budget_minor", "int:50000"},
                                                 {"pricing", kNull},
                                                 {"targeting", kNull}}));
  // The buy's table is touched first, so a batch writes it before its packages.
  ASSERT_EQ(batch.tables().size(), 2u);
  EXPECT_EQ(batch.tables()[0].table, &MediaBuys::buys_table());
  // The amounts are numeric columns: written as their text, never as a double.
  const TableSpec& buys_table = MediaBuys::buys_table();
  EXPECT_EQ(buys_table.columns[buys_table.column_index("budget_total")].type, SqlType::numeric);
  const TableSpec& packages_table = MediaBuys::packages_table();
  EXPECT_EQ(packages_table.columns[packages_table.column_index("budget")].type, SqlType::numeric);
}

TEST(MediaBuysProjection, AmountsHaveExactlyTheCurrencysMinorDigits) {
  struct Case {
    const char* currency;
    int64_t minor;
    const char* amount;
  };
  const std::vector<Case> cases = {
      {"USD", 0, "0.00"},
      {"USD", 1, "0.01"},
      {"USD", 500050, "5000.50"},
      {"USD", 999'999'999'999'999, "9999999999999.99"},
      {"EUR", 1'000'000'000'000'000, "10000000000000.00"},  // the largest package budget
      {"JPY", 5000, "5000"},
      {"KWD", 1'234'567, "1234.567"},
      {"CLF", 10'001, "1.0001"},
  };
  Log log;
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.currency) + " " + std::to_string(c.minor));
    const std::string id = "mb-" + std::to_string(log.size());
    const std::string minor = std::to_string(c.minor);
    const RowBatch batch = project(
        MediaBuys{},
        log.record(
            {{"media_buy.created", buy_stream(id),
              R"({"media_buy_id":")" + id +
                  R"(","principal_id":"p","campaign_name":"c",)"
                  R"("start_date":"2026-12-01","end_date":"2026-12-31","currency":")" +
                  c.currency +
                  R"(","packages":[{"package_id":"p1","product_id":"x","budget_minor":)" + minor +
                  R"(}],"budget_total_minor":)" + minor + R"(,"requires_approval":false})",
              2}}));
    const Described buy = columns_of(*ops_of(batch, MediaBuys::buys_table()).at(0));
    EXPECT_EQ(buy.at("currency"), text(c.currency));
    EXPECT_EQ(buy.at("budget_total"), text(c.amount));
    EXPECT_EQ(buy.at("budget_total_minor"), "int:" + minor);
    const Described package = columns_of(*ops_of(batch, MediaBuys::packages_table()).at(0));
    EXPECT_EQ(package.at("currency"), text(c.currency));
    EXPECT_EQ(package.at("budget"), text(c.amount));
    EXPECT_EQ(package.at("budget_minor"), "int:" + minor);
  }
}

// The engine refuses a currency it does not know; were one to reach the
// projection, the amount is left null (the table's NOT NULL then parks the
// stream) rather than guessed.
TEST(MediaBuysProjection, ACurrencyLedgerflowDoesNotKnowGetsNoAmount) {
  Log log;
  const RowBatch batch = project(
      MediaBuys{},
      log.record(
          {{"media_buy.created", buy_stream("mb-z"),
            R"({"media_buy_id":"mb-z","principal_id":"p","campaign_name":"c","start_date":"2026-12-01",)"
            R"("end_date":"2026-12-31","currency":"ZZZ","packages":[{"package_id":"p1","product_id":"x",)"
            R"("budget_minor":100}],"budget_total_minor":100,"requires_approval":false})",
            2}}));
  const Described buy = columns_of(*ops_of(batch, MediaBuys::buys_table()).at(0));
  EXPECT_EQ(buy.at("budget_total"), kNull);
  EXPECT_EQ(buy.at("budget_total_minor"), "int:100");
  EXPECT_EQ(columns_of(*ops_of(batch, MediaBuys::packages_table()).at(0)).at("budget"), kNull);
}

TEST(MediaBuysProjection, EachStatusEventPatchesStatusReasonAndUpdatedAt) {
  struct Case {
    const char* type;
    const char* payload;
    Described expected;  // besides the keys and updated_at
  };
  const std::vector<Case> cases = {
      {"media_buy.approved",
       R"({"media_buy_id":"mb-1","reviewed_by":"rita"})",
       {{"status", text("approved")}, {"status_reason", kNull}}},
      {"media_buy.activated",
       R"({"media_buy_id":"mb-1","reason":"flight starts"})",
       {{"status", text("active")}, {"status_reason", text("flight starts")}}},
      {"media_buy.paused",
       R"({"media_buy_id":"mb-1","reason":"creative swap"})",
       {{"status", text("paused")}, {"status_reason", text("creative swap")}}},
      {"media_buy.resumed",
       R"({"media_buy_id":"mb-1"})",
       {{"status", text("active")}, {"status_reason", kNull}}},
      {"media_buy.completed",
       R"({"media_buy_id":"mb-1"})",
       {{"status", text("completed")}, {"status_reason", kNull}}},
      {"media_buy.failed",
       R"({"media_buy_id":"mb-1","reason":"publisher refused"})",
       {{"status", text("failed")}, {"status_reason", text("publisher refused")}}},
  };
  Log log;
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated, 2}});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].type);
    const DecodedRecord& record =
        log.record({{cases[i].type, buy_stream("mb-1"), cases[i].payload}});
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
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated, 2}});
  const DecodedRecord& failed = log.record(
      {{"media_buy.failed", buy_stream("mb-1"),
        R"({"media_buy_id":"mb-1","reason":"rejected by rita","approval_id":"mb-1:approval:escalation:1"})"}});
  const RowBatch batch = project(MediaBuys{}, failed);
  const std::vector<const RowOp*> ops = ops_of(batch, MediaBuys::buys_table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"media_buy_id", text("mb-1")},
                                            {"status", text("failed")},
                                            {"status_reason", text("rejected by rita")},
                                            {"approval_id", text("mb-1:approval:escalation:1")},
                                            {"updated_at", ts(1)}}));
}

TEST(MediaBuysProjection, CreateAndLaterMovesInOneBatchMergeIntoTheInsert) {
  Log log;
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated, 2}});
  log.record({{"media_buy.approved", buy_stream("mb-1"), R"({"media_buy_id":"mb-1"})"}});
  log.record(
      {{"media_buy.activated", buy_stream("mb-1"), R"({"media_buy_id":"mb-1","reason":"go"})"}});
  const RowBatch batch = project_all(MediaBuys{}, log);
  const std::vector<const RowOp*> buys = ops_of(batch, MediaBuys::buys_table());
  ASSERT_EQ(buys.size(), 1u);
  EXPECT_EQ(buys[0]->kind, RowOpKind::insert);
  const Described row = columns_of(*buys[0]);
  EXPECT_EQ(row.at("status"), text("active"));
  EXPECT_EQ(row.at("status_reason"), text("go"));
  EXPECT_EQ(row.at("budget_total"), text("2000.50"));
  EXPECT_EQ(row.at("created_at"), ts(0));
  EXPECT_EQ(row.at("updated_at"), ts(2));
  EXPECT_EQ(ops_of(batch, MediaBuys::packages_table()).size(), 2u);
}

// ------------------------------------------------------------------ approvals

TEST(ApprovalsProjection, RequestedInsertsAPendingApprovalOfItsSubjectAndReviewStep) {
  Log log;
  const DecodedRecord& record = log.record(
      {{"approval.requested", approval_stream("ap-1"),
        R"({"approval_id":"ap-1","activity_id":"r-1","subject":{"kind":"creative","id":"cr-9"},"type":"creative",)"
        R"("risk_level":"high","title":"Banner v2","content_ref":"s3://bucket/banner.png",)"
        R"("reviewer_id":"rita","escalate_to":"boss","expires_at":"2026-11-13T12:00:00.250Z"})",
        2}});
  const RowBatch batch = project(Approvals{}, record);
  const std::vector<const RowOp*> ops = ops_of(batch, Approvals::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"approval_id", text("ap-1")},
                                            {"activity_id", text("r-1")},
                                            {"subject_kind", text("creative")},
                                            {"subject_id", text("cr-9")},
                                            {"type", text("creative")},
                                            {"risk_level", text("high")},
                                            {"status", text("pending")},
                                            {"title", text("Banner v2")},
                                            {"content_ref", text("s3://bucket/banner.png")},
                                            {"reviewer_id", text("rita")},
                                            {"reviewed_by", kNull},
                                            {"reviewer_notes", kNull},
                                            {"chosen_option", kNull},
                                            {"expires_at", "ts:2026-11-13T12:00:00.250Z"},
                                            {"created_on", ts(0)},
                                            {"resolved_at", kNull},
                                            {"sent_to_client_at", kNull},
                                            {"escalated_at", kNull},
                                            {"escalate_to", text("boss")},
                                            {"escalated_from", kNull},
                                            {"follow_up_approval_id", kNull},
                                            {"updated_at", ts(0)}}));
  // type is the seed's enum.
  const TableSpec& table = Approvals::table();
  const Column& type = table.columns[table.column_index("type")];
  EXPECT_EQ(type.type, SqlType::enumeration);
  EXPECT_EQ(type.enum_type, "approval_type");
}

TEST(ApprovalsProjection, AssignedPatchesTheReviewerAndSentToClientItsTime) {
  Log log;
  log.record({{"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested, 2}});
  const DecodedRecord& assigned =
      log.record({{"approval.assigned", approval_stream("mb-1:approval"),
                   R"({"approval_id":"mb-1:approval","reviewer_id":"sam"})"}});
  const RowBatch batch = project(Approvals{}, assigned);
  const std::vector<const RowOp*> ops = ops_of(batch, Approvals::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"approval_id", text("mb-1:approval")},
                                            {"reviewer_id", text("sam")},
                                            {"updated_at", ts(1)}}));

  const DecodedRecord& sent = log.record(
      {{"approval.sent_to_client", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","sent_to_client_at":"2026-11-10T09:30:00-05:00"})"}},
      "user:sam");
  const RowBatch sent_batch = project(Approvals{}, sent);
  ASSERT_EQ(sent_batch.op_count(), 1u);
  EXPECT_EQ(columns_of(*ops_of(sent_batch, Approvals::table()).at(0)),
            (Described{{"tenant_id", text(kTenant)},
                       {"approval_id", text("mb-1:approval")},
                       {"sent_to_client_at", "ts:2026-11-10T14:30:00.000Z"},
                       {"updated_at", ts(2)}}));
}

TEST(ApprovalsProjection, EachOutcomePatchesStatusReviewerNotesOptionAndResolvedAt) {
  struct Case {
    const char* type;
    const char* payload;
    Described expected;  // besides the keys, resolved_at and updated_at
  };
  const std::vector<Case> cases = {
      {"approval.approved",
       R"({"approval_id":"ap","activity_id":"r","subject":{"kind":"creative","id":"c"},"reviewed_by":"rita",)"
       R"("notes":"ok","chosen_option":"Direction B: bold"})",
       {{"status", text("approved")},
        {"reviewed_by", text("rita")},
        {"reviewer_notes", text("ok")},
        {"chosen_option", text("Direction B: bold")}}},
      {"approval.rejected",
       R"({"approval_id":"ap","subject":{"kind":"creative","id":"c"},"reviewed_by":"sam"})",
       {{"status", text("rejected")},
        {"reviewed_by", text("sam")},
        {"reviewer_notes", kNull},
        {"chosen_option", kNull}}},
      {"approval.revision_requested",
       R"({"approval_id":"ap","subject":{"kind":"creative","id":"c"},"reviewed_by":"kim","notes":"shorter"})",
       {{"status", text("revision_requested")},
        {"reviewed_by", text("kim")},
        {"reviewer_notes", text("shorter")},
        {"chosen_option", kNull}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    Log log;
    log.record(
        {{"approval.requested", approval_stream("ap"),
          R"({"approval_id":"ap","activity_id":"r","subject":{"kind":"creative","id":"c"},"type":"creative",)"
          R"("risk_level":"low","title":"T","expires_at":"2026-11-13T12:00:00Z"})",
          2}});
    const RowBatch batch = project(
        Approvals{}, log.record({{c.type, approval_stream("ap"), c.payload, 2}}, "user:rita"));
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

// The timer's record: A expires and escalates, and its follow-up A' opens for
// the escalation target, linked both ways.
TEST(ApprovalsProjection, ExpiryRecordExpiresEscalatesAndOpensTheLinkedFollowUp) {
  Log log;
  log.record({{"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested, 2}});
  const DecodedRecord& timer = log.record(
      {{"approval.expired", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"expires_at":"2026-11-13T12:00:00Z"})"},
       {"approval.escalated", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},)"
        R"("escalated_at":"2026-11-13T12:00:05.125Z","reason":"expired","escalated_to":"boss",)"
        R"("follow_up_approval_id":"mb-1:approval:escalation:1"})",
        2},
       {"approval.requested", approval_stream("mb-1:approval:escalation:1"),
        R"({"approval_id":"mb-1:approval:escalation:1","subject":{"kind":"media_buy","id":"mb-1"},)"
        R"("type":"media_buy","risk_level":"medium","title":"Approve Spring","reviewer_id":"boss",)"
        R"("escalated_from":"mb-1:approval","expires_at":"2026-11-16T12:00:05.125Z"})",
        2}},
      "system");
  const RowBatch batch = project(Approvals{}, timer);
  const std::vector<const RowOp*> ops = ops_of(batch, Approvals::table());
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
  EXPECT_EQ(columns_of(*ops[0]),
            (Described{{"tenant_id", text(kTenant)},
                       {"approval_id", text("mb-1:approval")},
                       {"status", text("expired")},
                       {"resolved_at", ts(1)},
                       {"escalated_at", "ts:2026-11-13T12:00:05.125Z"},
                       {"follow_up_approval_id", text("mb-1:approval:escalation:1")},
                       {"updated_at", ts(1)}}));
  EXPECT_EQ(ops[1]->kind, RowOpKind::insert);
  const Described follow_up = columns_of(*ops[1]);
  EXPECT_EQ(follow_up.at("approval_id"), text("mb-1:approval:escalation:1"));
  EXPECT_EQ(follow_up.at("status"), text("pending"));
  EXPECT_EQ(follow_up.at("reviewer_id"), text("boss"));
  EXPECT_EQ(follow_up.at("escalated_from"), text("mb-1:approval"));
  EXPECT_EQ(follow_up.at("created_on"), ts(1));
  EXPECT_EQ(follow_up.at("expires_at"), "ts:2026-11-16T12:00:05.125Z");
}

// An expiry whose subject no longer waits opens no follow-up.
TEST(ApprovalsProjection, AnEscalationWithoutFollowUpLeavesTheLinkNull) {
  Log log;
  log.record({{"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested, 2}});
  const DecodedRecord& timer = log.record(
      {{"approval.expired", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"expires_at":"2026-11-13T12:00:00Z"})"},
       {"approval.escalated", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},)"
        R"("escalated_at":"2026-11-13T12:00:05Z","reason":"expired"})",
        2}},
      "system");
  const Described row = columns_of(*ops_of(project(Approvals{}, timer), Approvals::table()).at(0));
  EXPECT_EQ(row.at("status"), text("expired"));
  EXPECT_EQ(row.at("follow_up_approval_id"), kNull);
}

// ------------------------------------------------------------------ one record, several
// projections

TEST(WorkflowProjections, ApprovalOutcomeAndItsBuysMoveInOneRecordTouchBothTables) {
  Log log;
  log.record({{"media_buy.created", buy_stream("mb-1"), kBuyCreated, 2},
              {"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested, 2}});
  const DecodedRecord& decided = log.record(
      {{"approval.approved", approval_stream("mb-1:approval"),
        R"({"approval_id":"mb-1:approval","subject":{"kind":"media_buy","id":"mb-1"},"reviewed_by":"rita"})",
        2},
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

// ------------------------------------------------------------------ activities

TEST(ActivitiesProjection, CreatedInsertsWithItsPriorityInputDataAndDueDate) {
  Log log;
  const RowBatch batch = project(
      Activities{}, log.record({{"activity.created", activity_stream("w-1"), kWorkCreated, 2}}));
  const std::vector<const RowOp*> ops = ops_of(batch, Activities::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*ops[0]),
            (Described{{"tenant_id", text(kTenant)},
                       {"activity_id", text("w-1")},
                       {"title", text("Write copy")},
                       {"type", text("write")},
                       {"description", text("Three headlines")},
                       {"status", text("created")},
                       {"assignee_type", text("agent")},
                       {"assignee_agent_role", text("copywriter")},
                       {"assignee_user_id", kNull},
                       {"priority", text("high")},
                       {"is_approval_gate", "bool:false"},
                       {"approval_id", kNull},
                       {"input_data", R"(json:{"brief":"spring sale","words":30})"},
                       {"output_summary", kNull},
                       {"output_ref", kNull},
                       {"rejection_note", kNull},
                       {"revision_note", kNull},
                       {"due_date", "date:2026-11-20"},
                       {"parent_activity_id", text("plan-1")},
                       {"created_at", ts(0)},
                       {"updated_at", ts(0)},
                       {"started_on", kNull},
                       {"completed_on", kNull}}));
}

TEST(ActivitiesProjection, PriorityIsTheSeedsEnumAndOptionalFieldsAreNull) {
  const TableSpec& table = Activities::table();
  const Column& priority_column = table.columns[table.column_index("priority")];
  EXPECT_EQ(priority_column.type, SqlType::enumeration);
  EXPECT_EQ(priority_column.enum_type, "activity_priority");
  Log log;
  for (const char* const name : {"urgent", "high", "normal", "low"}) {
    const std::string priority(name);
    SCOPED_TRACE(priority);
    const std::string id = "a-" + priority;
    const RowBatch batch = project(
        Activities{}, log.record({{"activity.created", activity_stream(id),
                                   R"({"activity_id":")" + id +
                                       R"(","title":"T","type":"other","assignee_type":"human",)"
                                       R"("assignee_user_id":"u-1","priority":")" +
                                       priority + R"(","is_approval_gate":false})",
                                   2}}));
    const Described row = columns_of(*ops_of(batch, Activities::table()).at(0));
    EXPECT_EQ(row.at("priority"), text(priority));
    EXPECT_EQ(row.at("due_date"), kNull);
    EXPECT_EQ(row.at("description"), kNull);
    EXPECT_EQ(row.at("parent_activity_id"), kNull);
    EXPECT_EQ(row.at("input_data"), kNull);
    EXPECT_EQ(row.at("assignee_agent_role"), kNull);
    EXPECT_EQ(row.at("assignee_user_id"), text("u-1"));
  }
}

TEST(ActivitiesProjection, EachEventPatchesItsColumns) {
  struct Case {
    lf::testing::EventSpec event;
    Described expected;  // besides the keys and updated_at; "now" stands for the record's time
  };
  const std::string now = "now";
  const std::vector<Case> cases = {
      {{"activity.assigned", activity_stream("w-1"),
        R"({"activity_id":"w-1","assignee_type":"human","assignee_user_id":"u-7","status":"created","note":"n"})",
        2},
       {{"status", text("created")},
        {"assignee_type", text("human")},
        {"assignee_agent_role", kNull},
        {"assignee_user_id", text("u-7")}}},
      {{"activity.assigned", activity_stream("w-1"),
        R"({"activity_id":"w-1","assignee_type":"agent","assignee_agent_role":"editor","status":"assigned"})",
        2},
       {{"status", text("assigned")},
        {"assignee_type", text("agent")},
        {"assignee_agent_role", text("editor")},
        {"assignee_user_id", kNull}}},
      {{"activity.started", activity_stream("w-1"), R"({"activity_id":"w-1","note":"go"})"},
       {{"status", text("in_progress")}, {"started_on", now}}},
      {{"activity.submitted_for_approval", activity_stream("w-1"),
        R"({"activity_id":"w-1","approval_id":"w-1:approval:1","review_activity_id":"w-1:review:1"})",
        2},
       {{"status", text("awaiting_approval")}, {"approval_id", text("w-1:approval:1")}}},
      {{"activity.approved", activity_stream("w-1"),
        R"({"activity_id":"w-1","approval_id":"w-1:approval:1","reviewed_by":"rita"})"},
       {{"status", text("approved")}, {"approval_id", text("w-1:approval:1")}}},
      {{"activity.rejected", activity_stream("w-1"),
        R"({"activity_id":"w-1","approval_id":"w-1:approval:1","reviewed_by":"rita","rejection_note":"no"})"},
       {{"status", text("rejected")},
        {"approval_id", text("w-1:approval:1")},
        {"rejection_note", text("no")}}},
      {{"activity.revision_requested", activity_stream("w-1"),
        R"({"activity_id":"w-1","approval_id":"w-1:approval:2","reviewed_by":"rita","revision_note":"tighter",)"
        R"("status":"assigned"})",
        2},
       {{"status", text("assigned")},
        {"approval_id", text("w-1:approval:2")},
        {"revision_note", text("tighter")}}},
      {{"activity.revision_requested", activity_stream("w-1"),
        R"({"activity_id":"w-1","approval_id":"w-1:approval:3","reviewed_by":"rita","revision_note":"again",)"
        R"("status":"created"})",
        2},
       {{"status", text("created")},
        {"approval_id", text("w-1:approval:3")},
        {"revision_note", text("again")}}},
      {{"activity.completed", activity_stream("w-1"),
        R"({"activity_id":"w-1","note":"done","output_summary":{"headlines":3},"output_ref":"64f1c0ffee"})",
        2},
       {{"status", text("completed")},
        {"completed_on", now},
        {"output_summary", R"(json:{"headlines":3})"},
        {"output_ref", text("64f1c0ffee")}}},
      {{"activity.completed", activity_stream("w-1"), R"({"activity_id":"w-1"})", 2},
       {{"status", text("completed")},
        {"completed_on", now},
        {"output_summary", kNull},
        {"output_ref", kNull}}},
      {{"activity.failed", activity_stream("w-1"), R"({"activity_id":"w-1","note":"broken"})"},
       {{"status", text("failed")}}},
      {{"activity.cancelled", activity_stream("w-1"), R"({"activity_id":"w-1"})"},
       {{"status", text("cancelled")}}},
  };
  Log log;
  log.record({{"activity.created", activity_stream("w-1"), kWorkCreated, 2}});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].event.type + " " + cases[i].event.payload);
    const RowBatch batch = project(Activities{}, log.record({cases[i].event}));
    const std::vector<const RowOp*> ops = ops_of(batch, Activities::table());
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
    Described expected = cases[i].expected;
    for (auto& [column, value] : expected) {
      if (value == now) value = ts(i + 1);
    }
    expected.emplace("tenant_id", text(kTenant));
    expected.emplace("activity_id", text("w-1"));
    expected.emplace("updated_at", ts(i + 1));
    EXPECT_EQ(columns_of(*ops[0]), expected);
  }
}

// activity.submit_for_approval on agent work W: one record opens the review
// step R and approval A; W and R both wait on A, R in its reviewer's queue.
TEST(ActivitiesProjection, SubmissionOpensAReviewStepAndLinksTheApprovalToWorkAndStep) {
  Log log;
  log.record({{"activity.created", activity_stream("w-1"), kWorkCreated, 2}});
  log.record({{"activity.started", activity_stream("w-1"), R"({"activity_id":"w-1"})"}});
  const DecodedRecord& submitted =
      log.record(submission("w-1:approval:1", "w-1:review:1", "rita"), "agent:copywriter");
  const RowBatch batch = project(Activities{}, submitted);
  const std::vector<const RowOp*> ops = ops_of(batch, Activities::table());
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::patch);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"activity_id", text("w-1")},
                                            {"status", text("awaiting_approval")},
                                            {"approval_id", text("w-1:approval:1")},
                                            {"updated_at", ts(2)}}));
  EXPECT_EQ(ops[1]->kind, RowOpKind::insert);  // the step's later changes merged into its insert
  const Described step = columns_of(*ops[1]);
  EXPECT_EQ(step.at("activity_id"), text("w-1:review:1"));
  EXPECT_EQ(step.at("status"), text("awaiting_approval"));
  EXPECT_EQ(step.at("is_approval_gate"), "bool:true");
  EXPECT_EQ(step.at("assignee_type"), text("human"));
  EXPECT_EQ(step.at("assignee_user_id"), text("rita"));
  EXPECT_EQ(step.at("parent_activity_id"), text("w-1"));
  EXPECT_EQ(step.at("approval_id"), text("w-1:approval:1"));
  EXPECT_EQ(step.at("started_on"), kNull);
  EXPECT_EQ(queue_of("human", "awaiting_approval"), std::optional<std::string_view>("human_queue"));
  EXPECT_EQ(queue_of("agent", "awaiting_approval"),
            std::nullopt);  // W waits out of the agent's queue
}

// Whatever the order of the events in the record, the approval reaches a
// review step opened in the same record.
TEST(ActivitiesProjection, AnApprovalRequestedBeforeItsReviewStepInTheRecordStillLinksIt) {
  Log log;
  log.record({{"activity.created", activity_stream("w-1"), kWorkCreated, 2}});
  std::vector<lf::testing::EventSpec> events =
      submission("w-1:approval:1", "w-1:review:1", std::nullopt);
  std::rotate(events.begin(), events.end() - 1, events.end());  // approval.requested first
  ASSERT_EQ(events.front().type, "approval.requested");
  const RowBatch batch = project(Activities{}, log.record(events));
  const std::vector<const RowOp*> ops = ops_of(batch, Activities::table());
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(columns_of(*ops[0]).at("approval_id"), text("w-1:approval:1"));
  EXPECT_EQ(ops[1]->kind, RowOpKind::insert);
  const Described step = columns_of(*ops[1]);
  EXPECT_EQ(step.at("approval_id"), text("w-1:approval:1"));
  EXPECT_EQ(step.at("assignee_user_id"), kNull);  // unassigned until approval.assign
  EXPECT_EQ(step.at("status"), text("awaiting_approval"));
}

TEST(ActivitiesProjection, ApprovalsLinkOnlyTheActivitiesTheyName) {
  Log log;
  log.record(
      {{"activity.created", activity_stream("r-9"),
        R"({"activity_id":"r-9","title":"Approve buy","type":"approve","assignee_type":"human",)"
        R"("assignee_user_id":"rita","priority":"urgent","is_approval_gate":true})",
        2}});
  // A media buy's approval with a review step: only the step is an activity.
  const RowBatch with_step = project(
      Activities{},
      log.record(
          {{"approval.requested", approval_stream("mb-1:approval"),
            R"({"approval_id":"mb-1:approval","activity_id":"r-9","subject":{"kind":"media_buy","id":"mb-1"},)"
            R"("type":"media_buy","risk_level":"high","title":"Approve","expires_at":"2026-11-13T12:00:00Z"})",
            2}}));
  ASSERT_EQ(with_step.op_count(), 1u);
  EXPECT_EQ(columns_of(*ops_of(with_step, Activities::table()).at(0)),
            (Described{{"tenant_id", text(kTenant)},
                       {"activity_id", text("r-9")},
                       {"approval_id", text("mb-1:approval")},
                       {"updated_at", ts(1)}}));
  // A review step's own approval (subject and step are the same activity): one patch.
  const RowBatch itself = project(
      Activities{},
      log.record(
          {{"approval.requested", approval_stream("r-9:approval:1"),
            R"({"approval_id":"r-9:approval:1","activity_id":"r-9","subject":{"kind":"activity","id":"r-9"},)"
            R"("type":"strategy_review","risk_level":"high","title":"Approve","expires_at":"2026-11-13T12:00:00Z"})",
            2}}));
  ASSERT_EQ(itself.op_count(), 1u);
  EXPECT_EQ(columns_of(*ops_of(itself, Activities::table()).at(0)).at("approval_id"),
            text("r-9:approval:1"));
  // A creative's approval without a step, and a media buy's: no activity.
  EXPECT_TRUE(
      project(Activities{}, log.record({{"approval.requested", approval_stream("mb-1:approval"),
                                         kBuyApprovalRequested, 2}}))
          .empty());
  EXPECT_TRUE(
      project(
          Activities{},
          log.record(
              {{"approval.requested", approval_stream("cr"),
                R"({"approval_id":"cr","subject":{"kind":"creative","id":"c"},"type":"creative",)"
                R"("risk_level":"low","title":"T","expires_at":"2026-11-13T12:00:00Z"})",
                2}}))
          .empty());
}

// The reviewer asks for a revision: W goes back to its agent's queue with
// the note, and the review step R is completed by the decision.
TEST(ActivitiesProjection, ARevisionSendsTheWorkBackToItsQueueAndCompletesTheReviewStep) {
  Log log;
  log.record({{"activity.created", activity_stream("w-1"), kWorkCreated, 2}});
  log.record({{"activity.started", activity_stream("w-1"), R"({"activity_id":"w-1"})"}});
  log.record(submission("w-1:approval:1", "w-1:review:1", "rita"));
  log.record(
      {{"approval.revision_requested", approval_stream("w-1:approval:1"),
        R"({"approval_id":"w-1:approval:1","activity_id":"w-1:review:1","subject":{"kind":"activity","id":"w-1"},)"
        R"("reviewed_by":"rita","notes":"tighter"})",
        2},
       {"activity.revision_requested", activity_stream("w-1"),
        R"({"activity_id":"w-1","approval_id":"w-1:approval:1","reviewed_by":"rita","revision_note":"tighter",)"
        R"("status":"assigned"})",
        2},
       {"activity.completed", activity_stream("w-1:review:1"),
        R"({"activity_id":"w-1:review:1","approval_id":"w-1:approval:1","review_outcome":"revision_requested"})",
        2}},
      "user:rita");
  const RowBatch folded = project_all(Activities{}, log);
  const std::vector<const RowOp*> rows = ops_of(folded, Activities::table());
  ASSERT_EQ(rows.size(), 2u);
  const Described work = columns_of(*rows[0]);
  EXPECT_EQ(work.at("status"), text("assigned"));
  EXPECT_EQ(work.at("revision_note"), text("tighter"));
  EXPECT_EQ(work.at("approval_id"), text("w-1:approval:1"));
  EXPECT_EQ(work.at("started_on"), ts(1));
  EXPECT_EQ(queue_of("agent", "assigned"), std::optional<std::string_view>("agent_queue"));
  const Described step = columns_of(*rows[1]);
  EXPECT_EQ(step.at("status"), text("completed"));
  EXPECT_EQ(step.at("completed_on"), ts(3));
  EXPECT_EQ(queue_of("human", "completed"), std::nullopt);
}

// The timer's record: A expires, escalates, its follow-up A' opens, and the
// review step moves to the escalation target, still awaiting approval; the
// work now waits on A'.
TEST(ActivitiesProjection, AnEscalationReassignsTheReviewStepAndMovesBothToTheFollowUp) {
  Log log;
  log.record({{"activity.created", activity_stream("w-1"), kWorkCreated, 2}});
  log.record(submission("w-1:approval:1", "w-1:review:1", "rita"));
  const DecodedRecord& timer = log.record(
      {{"approval.expired", approval_stream("w-1:approval:1"),
        R"({"approval_id":"w-1:approval:1","subject":{"kind":"activity","id":"w-1"},"expires_at":"2026-11-13T12:00:00Z"})"},
       {"approval.escalated", approval_stream("w-1:approval:1"),
        R"({"approval_id":"w-1:approval:1","subject":{"kind":"activity","id":"w-1"},"escalated_at":"2026-11-13T12:00:01Z",)"
        R"("reason":"expired","escalated_to":"boss","follow_up_approval_id":"w-1:approval:1:escalation:1"})",
        2},
       {"approval.requested", approval_stream("w-1:approval:1:escalation:1"),
        work_approval_requested("w-1:approval:1:escalation:1", "w-1:review:1",
                                R"(,"reviewer_id":"boss","escalated_from":"w-1:approval:1")"),
        2},
       {"activity.reassigned", activity_stream("w-1:review:1"),
        R"({"activity_id":"w-1:review:1","assignee_type":"human","assignee_user_id":"boss",)"
        R"("approval_id":"w-1:approval:1:escalation:1","reason":"escalated"})"}},
      "system");
  const RowBatch batch = project(Activities{}, timer);
  const std::vector<const RowOp*> ops = ops_of(batch, Activities::table());
  ASSERT_EQ(ops.size(), 2u);
  // The step first (its reassignment), then the work (linked to A').
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"activity_id", text("w-1:review:1")},
                                            {"assignee_type", text("human")},
                                            {"assignee_agent_role", kNull},
                                            {"assignee_user_id", text("boss")},
                                            {"approval_id", text("w-1:approval:1:escalation:1")},
                                            {"updated_at", ts(2)}}));
  EXPECT_EQ(columns_of(*ops[1]), (Described{{"tenant_id", text(kTenant)},
                                            {"activity_id", text("w-1")},
                                            {"approval_id", text("w-1:approval:1:escalation:1")},
                                            {"updated_at", ts(2)}}));
}

TEST(ActivitiesProjection, QueueMembershipFollowsAssigneeTypeAndStatus) {
  const std::vector<std::string_view> statuses = {"created",           "assigned", "in_progress",
                                                  "awaiting_approval", "approved", "rejected",
                                                  "completed",         "failed",   "cancelled"};
  std::vector<std::string> agent;
  std::vector<std::string> human;
  for (const std::string_view status : statuses) {
    if (queue_of("agent", status) == std::optional<std::string_view>("agent_queue"))
      agent.emplace_back(status);
    if (queue_of("human", status) == std::optional<std::string_view>("human_queue"))
      human.emplace_back(status);
    EXPECT_NE(queue_of("agent", status), std::optional<std::string_view>("human_queue"));
    EXPECT_NE(queue_of("human", status), std::optional<std::string_view>("agent_queue"));
  }
  EXPECT_EQ(agent, (std::vector<std::string>{"created", "assigned"}));
  EXPECT_EQ(human, (std::vector<std::string>{"created", "awaiting_approval"}));
}

TEST(ActivitiesProjection, RunEventsAndOtherDomainsAreIgnored) {
  Log log;
  const DecodedRecord& run = log.record(
      {{"activity.run_started", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":40,"reservation_id":"run:r-1","expires_at":"2026-11-10T13:00:00Z"})",
        2},
       {"media_buy.paused", buy_stream("mb-1"), R"({"media_buy_id":"mb-1"})"},
       {"approval.assigned", approval_stream("ap"), R"({"approval_id":"ap","reviewer_id":"r"})"},
       {"approval.sent_to_client", approval_stream("ap"),
        R"({"approval_id":"ap","sent_to_client_at":"2026-11-10T12:00:00Z"})"},
       {"command.rejected", audit_stream(),
        R"({"command_type":"activity.start","reason":"invalid_transition","message":"no","target_stream":"activity/a-1"})"}});
  EXPECT_TRUE(project(Activities{}, run).empty());
}

TEST(ActivitiesProjection, UnknownActivityEventsAndNewerApprovalRequestsPark) {
  const Activities activities;
  EXPECT_EQ(activities.unknown_event_policy("activity.paused"), UnknownEventPolicy::park);
  EXPECT_EQ(activities.unknown_event_policy("approval.requested"), UnknownEventPolicy::park);
  EXPECT_EQ(activities.unknown_event_policy("approval.reminded"), UnknownEventPolicy::skip);
  EXPECT_EQ(activities.unknown_event_policy("media_buy.created"), UnknownEventPolicy::skip);
}

// ------------------------------------------------------------------ activity_runs

TEST(ActivityRunsProjection, StartInsertsARunningRunAndFinishPatchesItsFigures) {
  Log log;
  const DecodedRecord& started = log.record(
      {{"activity.run_started", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":40,"reservation_id":"run:r-1",)"
        R"("deliverable_type":"copy","adapter_type":"claude","model_id":"claude-sonnet-4",)"
        R"("session_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","expires_at":"2026-11-10T13:00:00Z"})",
        2}},
      "agent:copywriter");
  const RowBatch start_batch = project(ActivityRuns{}, started);
  const std::vector<const RowOp*> inserted = ops_of(start_batch, ActivityRuns::table());
  ASSERT_EQ(inserted.size(), 1u);
  EXPECT_EQ(inserted[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*inserted[0]),
            (Described{{"tenant_id", text(kTenant)},
                       {"run_id", text("r-1")},
                       {"activity_id", text("a-1")},
                       {"status", text("running")},
                       {"adapter_type", text("claude")},
                       {"model_id", text("claude-sonnet-4")},
                       {"session_id", text("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")},
                       {"reservation_id", text("run:r-1")},
                       {"credits_reserved", "int:40"},
                       {"credits_used", kNull},
                       {"credits_charged", kNull},
                       {"input_tokens", kNull},
                       {"output_tokens", kNull},
                       {"cost_usd", kNull},
                       {"duration_ms", kNull},
                       {"error", kNull},
                       {"started_on", ts(0)},
                       {"ended_on", kNull}}));

  const DecodedRecord& finished = log.record(
      {{"activity.run_finished", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","status":"completed","credits_used":25,"credits_charged":25,)"
        R"("credits_released":40,"usage":{"input_tokens":1200,"output_tokens":800,"duration_ms":5300,)"
        R"("cost_usd_micros":4215}})",
        3}},
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
                                                {"cost_usd", text("0.004215")},
                                                {"duration_ms", "int:5300"},
                                                {"error", kNull},
                                                {"ended_on", ts(1)}}));
  EXPECT_EQ(ActivityRuns::table().columns[ActivityRuns::table().column_index("cost_usd")].type,
            SqlType::numeric);
}

TEST(ActivityRunsProjection, CostIsExactMicroDollars) {
  const std::vector<std::pair<int64_t, std::string>> costs = {
      {0, "0.000000"}, {1, "0.000001"}, {1'500'000, "1.500000"}, {9'999'999'999, "9999.999999"}};
  Log log;
  for (const auto& [micros, dollars] : costs) {
    SCOPED_TRACE(dollars);
    const RowBatch batch = project(
        ActivityRuns{},
        log.record({{"activity.run_finished", activity_stream("a-1"),
                     R"({"activity_id":"a-1","run_id":"r-1","status":"completed","credits_used":1,)"
                     R"("credits_charged":1,"credits_released":1,"usage":{"cost_usd_micros":)" +
                         std::to_string(micros) + "}}",
                     3}}));
    EXPECT_EQ(columns_of(*ops_of(batch, ActivityRuns::table()).at(0)).at("cost_usd"),
              text(dollars));
  }
}

TEST(ActivityRunsProjection, AFailedRunRecordsItsErrorAndATimedOutOneNoFigures) {
  Log log;
  log.record(
      {{"activity.run_started", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","estimated_credits":40,"reservation_id":"run:r-1","expires_at":"2026-11-10T13:00:00Z"})",
        2}});
  const DecodedRecord& failed = log.record(
      {{"activity.run_finished", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-1","status":"failed","credits_used":12,"credits_charged":0,)"
        R"("credits_released":40,"error":"rate limited\nretry after 30 s","usage":{"input_tokens":900}})",
        3}},
      "agent:copywriter");
  const Described failed_row =
      columns_of(*ops_of(project(ActivityRuns{}, failed), ActivityRuns::table()).at(0));
  EXPECT_EQ(failed_row.at("status"), text("failed"));
  EXPECT_EQ(failed_row.at("credits_used"), "int:12");
  EXPECT_EQ(failed_row.at("credits_charged"), "int:0");
  EXPECT_EQ(failed_row.at("error"), text("rate limited\nretry after 30 s"));
  EXPECT_EQ(failed_row.at("input_tokens"), "int:900");
  EXPECT_EQ(failed_row.at("cost_usd"), kNull);

  const DecodedRecord& timer = log.record(
      {{"activity.run_finished", activity_stream("a-1"),
        R"({"activity_id":"a-1","run_id":"r-2","status":"timed_out","credits_used":0,"credits_charged":0,)"
        R"("credits_released":40,"usage":{}})",
        3}},
      "system");
  const Described row =
      columns_of(*ops_of(project(ActivityRuns{}, timer), ActivityRuns::table()).at(0));
  EXPECT_EQ(row.at("status"), text("timed_out"));
  EXPECT_EQ(row.at("credits_charged"), "int:0");
  EXPECT_EQ(row.at("input_tokens"), kNull);
  EXPECT_EQ(row.at("duration_ms"), kNull);
  EXPECT_EQ(row.at("cost_usd"), kNull);
  EXPECT_EQ(row.at("error"), kNull);
  EXPECT_EQ(row.at("ended_on"), ts(2));
}

TEST(ActivityRunsProjection, OtherActivityEventsAreIgnored) {
  Log log;
  const DecodedRecord& record =
      log.record({{"activity.created", activity_stream("w-1"), kWorkCreated, 2}});
  const DecodedRecord& started =
      log.record({{"activity.started", activity_stream("w-1"), R"({"activity_id":"w-1"})"}});
  EXPECT_TRUE(project(ActivityRuns{}, record).empty());
  EXPECT_TRUE(project(ActivityRuns{}, started).empty());
  EXPECT_TRUE(project(MediaBuys{}, record).empty());
  EXPECT_TRUE(project(Approvals{}, record).empty());
}

// ------------------------------------------------------------------ audit_log

TEST(AuditLogProjection, AnyOtherEventIsASuccessOnItsStreamWithItsPayloadAsDetails) {
  Log log;
  const std::string payload = R"({"activity_id":"a-1","note":"go"})";
  const DecodedRecord& record =
      log.record({{"activity.started", activity_stream("a-1"), payload}}, "agent:copywriter");
  const RowBatch batch = project(AuditLog{}, record);
  const std::vector<const RowOp*> ops = ops_of(batch, AuditLog::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]->kind, RowOpKind::insert);
  EXPECT_EQ(columns_of(*ops[0]), (Described{{"tenant_id", text(kTenant)},
                                            {"event_id", text(record.events[0].header.event_id)},
                                            {"occurred_at", ts(0)},
                                            {"recorded_at", ts(0)},
                                            {"operation", text("activity.started")},
                                            {"resource_type", text("activity")},
                                            {"resource_id", text("a-1")},
                                            {"principal_id", text("agent:copywriter")},
                                            {"principal_name", kNull},
                                            {"adapter_id", kNull},
                                            {"success", "bool:true"},
                                            {"error_message", kNull},
                                            {"details", "json:" + payload},
                                            {"ip_address", kNull},
                                            {"user_agent", kNull},
                                            {"request_id", kNull},
                                            {"endpoint", kNull},
                                            {"http_method", kNull},
                                            {"old_value", kNull},
                                            {"new_value", kNull},
                                            {"changed_fields", kNull},
                                            {"command_id", text("cmd-1")}}));
}

TEST(AuditLogProjection, AuditRecordedTakesEveryFieldFromItsPayload) {
  Log log;
  const DecodedRecord& full = log.record(
      {{"audit.recorded", audit_stream(),
        R"({"operation":"update","event_type":"campaign.updated","action":"update","resource_type":"campaign",)"
        R"("resource_id":"cmp-3","principal_id":"u-9","principal_name":"Ann Lee","adapter_id":"gam-1",)"
        R"("success":false,"error_message":"quota","details":{"rows":12,"format":"csv"},)"
        R"("occurred_at":"2026-11-10T12:55:00.5+01:00","ip_address":"2001:db8::7","user_agent":"curl/8.0",)"
        R"("request_id":"req-42","endpoint":"/api/campaigns/cmp-3","http_method":"PATCH",)"
        R"("old_value":{"budget":"5000.00"},"new_value":{"budget":"5500.00"},"changed_fields":["budget"]})",
        2}},
      "user:ops");
  const RowBatch full_ops_batch = project(AuditLog{}, full);
  const std::vector<const RowOp*> full_ops = ops_of(full_ops_batch, AuditLog::table());
  ASSERT_EQ(full_ops.size(), 1u);
  EXPECT_EQ(columns_of(*full_ops[0]), (Described{{"tenant_id", text(kTenant)},
                                                 {"event_id", text(full.events[0].header.event_id)},
                                                 {"occurred_at", "ts:2026-11-10T11:55:00.500Z"},
                                                 {"recorded_at", ts(0)},
                                                 {"operation", text("update")},
                                                 {"resource_type", text("campaign")},
                                                 {"resource_id", text("cmp-3")},
                                                 {"principal_id", text("u-9")},
                                                 {"principal_name", text("Ann Lee")},
                                                 {"adapter_id", text("gam-1")},
                                                 {"success", "bool:false"},
                                                 {"error_message", text("quota")},
                                                 {"details", R"(json:{"rows":12,"format":"csv"})"},
                                                 {"ip_address", text("2001:db8::7")},
                                                 {"user_agent", text("curl/8.0")},
                                                 {"request_id", text("req-42")},
                                                 {"endpoint", text("/api/campaigns/cmp-3")},
                                                 {"http_method", text("PATCH")},
                                                 {"old_value", R"(json:{"budget":"5000.00"})"},
                                                 {"new_value", R"(json:{"budget":"5500.00"})"},
                                                 {"changed_fields", R"(json:["budget"])"},
                                                 {"command_id", text("cmd-1")}}));
  EXPECT_EQ(AuditLog::table().columns[AuditLog::table().column_index("ip_address")].type,
            SqlType::inet);

  // A Prebid row: no resource, no time of its own; a change given as JSON null
  // is kept as such.
  const DecodedRecord& bare = log.record(
      {{"audit.recorded", audit_stream(),
        R"({"operation":"get_products","success":true,"ip_address":"203.0.113.9","old_value":null})",
        2}},
      "user:ops");
  const Described row = columns_of(*ops_of(project(AuditLog{}, bare), AuditLog::table()).at(0));
  EXPECT_EQ(row.at("occurred_at"), ts(1));
  EXPECT_EQ(row.at("recorded_at"), ts(1));
  EXPECT_EQ(row.at("resource_type"), kNull);
  EXPECT_EQ(row.at("resource_id"), kNull);
  EXPECT_EQ(row.at("principal_id"), kNull);  // from the payload, not the actor
  EXPECT_EQ(row.at("principal_name"), kNull);
  EXPECT_EQ(row.at("error_message"), kNull);
  EXPECT_EQ(row.at("details"), kNull);
  EXPECT_EQ(row.at("success"), "bool:true");
  EXPECT_EQ(row.at("ip_address"), text("203.0.113.9"));
  EXPECT_EQ(row.at("old_value"), "json:null");
  EXPECT_EQ(row.at("new_value"), kNull);
}

TEST(AuditLogProjection, CommandRejectedIsAFailureOnItsTargetStream) {
  Log log;
  const std::string payload =
      R"({"command_type":"media_buy.pause","reason":"invalid_transition","message":"mb-1 is pending",)"
      R"("target_stream":"media_buy/mb-1"})";
  const DecodedRecord& record =
      log.record({{"command.rejected", audit_stream(), payload}}, "user:ana");
  const RowBatch ops_batch = project(AuditLog{}, record);
  const std::vector<const RowOp*> ops = ops_of(ops_batch, AuditLog::table());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(columns_of(*ops[0]),
            (Described{{"tenant_id", text(kTenant)},
                       {"event_id", text(record.events[0].header.event_id)},
                       {"occurred_at", ts(0)},
                       {"recorded_at", ts(0)},
                       {"operation", text("media_buy.pause")},
                       {"resource_type", text("media_buy")},
                       {"resource_id", text("mb-1")},
                       {"principal_id", text("user:ana")},
                       {"principal_name", kNull},
                       {"adapter_id", kNull},
                       {"success", "bool:false"},
                       {"error_message", text("invalid_transition: mb-1 is pending")},
                       {"details", "json:" + payload},
                       {"ip_address", kNull},
                       {"user_agent", kNull},
                       {"request_id", kNull},
                       {"endpoint", kNull},
                       {"http_method", kNull},
                       {"old_value", kNull},
                       {"new_value", kNull},
                       {"changed_fields", kNull},
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
  const DecodedRecord& record = log.record(
      {{"media_buy.created", buy_stream("mb-1"), kBuyCreated, 2},
       {"approval.requested", approval_stream("mb-1:approval"), kBuyApprovalRequested, 2}});
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

TEST(WorkflowProjections, RegisteredAfterTheCreditsProjectionsAtTheSeedDialectsVersion) {
  std::vector<std::string> names;
  std::map<std::string, int32_t> versions;
  for (const auto& projection : all_projections()) {
    names.emplace_back(projection->name());
    versions.emplace(projection->name(), projection->version());
  }
  // Later domains' projections follow (usage: tests/unit/usage/projections_test.cpp).
  ASSERT_GE(names.size(), 9u);
  names.resize(9);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "credit_balances", "credit_ledger", "credit_reservations", "event_log",
                       "media_buys", "approvals", "activities", "activity_runs", "audit_log"}));
  // Version 2: the seed dialect's tables (005_billing_periods.sql, 006_seed_dialect.sql).
  for (const char* name :
       {"credit_balances", "media_buys", "approvals", "activities", "activity_runs", "audit_log"}) {
    EXPECT_EQ(versions.at(name), 2) << name;
  }
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
  auto run = [&](const std::string& type, const std::string& payload,
                 const std::string& actor = "user:ana",
                 ResultStatus expected = ResultStatus::accepted) {
    auto built = lf::testing::build_command(type, kTenant, "c" + std::to_string(offset), payload,
                                            actor, kNow);
    auto outcome =
        core.decide(built.envelope, SourcePosition{"ledgerflow.commands", 0, offset}, kNow);
    ++offset;
    EXPECT_EQ(outcome.result.status, expected)
        << type << ": " << outcome.result.reason << " " << outcome.result.message;
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
  run("media_buy.pause", R"({"media_buy_id":"mb-1"})", "user:ana",
      ResultStatus::rejected);  // approved, not active

  std::vector<const DecodedRecord*> pointers;
  for (const DecodedRecord& record : records) pointers.push_back(&record);
  const Described buy =
      columns_of(*ops_of(project(MediaBuys{}, pointers), MediaBuys::buys_table()).at(0));
  EXPECT_EQ(buy.at("status"), text("approved"));
  EXPECT_EQ(buy.at("currency"), text("USD"));
  EXPECT_EQ(buy.at("budget_total"), text("700.00"));  // the seed's budget is the amount
  EXPECT_EQ(buy.at("budget_total_minor"), "int:70000");
  const Described approval =
      columns_of(*ops_of(project(Approvals{}, pointers), Approvals::table()).at(0));
  EXPECT_EQ(approval.at("status"), text("approved"));
  EXPECT_EQ(approval.at("subject_id"), text("mb-1"));
  const Described activity =
      columns_of(*ops_of(project(Activities{}, pointers), Activities::table()).at(0));
  EXPECT_EQ(activity.at("status"), text("in_progress"));
  EXPECT_EQ(activity.at("priority"), text("urgent"));
  EXPECT_EQ(activity.at("started_on"), activity.at("updated_at"));
  const Described run_row =
      columns_of(*ops_of(project(ActivityRuns{}, pointers), ActivityRuns::table()).at(0));
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
