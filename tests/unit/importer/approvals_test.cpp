// The approvals kind from CSV: Leadmetrics' approval rows (the activity as
// the subject) and media-buy or creative approvals (subject_kind,
// subject_id) read into the live approval.request shape with their status,
// outcome and times, pre-checked with the engine's own code; bad rows
// refused with their line.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/workflow/import_approvals.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "importer/plan.hpp"

namespace lf::importer {
namespace {

const std::string kTenant = "44444444-4444-4444-8444-444444444444";
const std::string kHeader =
    "id,tenant_id,activity_id,type,risk_level,status,title,content_ref,reviewer_id,reviewed_by,"
    "reviewer_notes,chosen_option,expires_at,resolved_at,sent_to_client_at,created_on\n";

LoadedRows load(const std::string& text) {
  RowLoader loader(*find_kind("approvals"));
  std::istringstream in(text);
  Result<bool> added = loader.add("approvals.csv", in);
  EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  return loader.take();
}

std::optional<engine::Rejection> precheck(const LoadedRows& loaded,
                                          std::vector<engine::workflow::ImportedApproval>* rows) {
  const KindSpec& kind = *find_kind("approvals");
  const TenantPlan plan =
      plan_tenant(kind, kTenant, loaded.by_tenant.at(kTenant), loaded.files, false, std::nullopt);
  std::optional<engine::Rejection> refused = kind.precheck(
      PrecheckInput{kTenant, plan.payloads, false, *parse_rfc3339_ms("2026-04-20T12:00:00Z")});
  if (rows != nullptr) {
    Result<std::unique_ptr<rapidjson::Document>> document =
        parse_json_bounded(plan.payloads.at(0), JsonLimits{});
    Result<engine::workflow::ApprovalsChunk> chunk =
        engine::workflow::parse_approvals_chunk(document->get());
    EXPECT_TRUE(chunk.ok()) << chunk.error().message;
    *rows = chunk->rows;
  }
  return refused;
}

TEST(ImportApprovalsCsv, LeadmetricsRowsAreTheLiveShapeWithTheirOutcome) {
  const LoadedRows loaded =
      load(kHeader + "ap-1," + kTenant +
           ",a-1,strategy_review,high,approved,\"Q3 plan, v2\",obj-7,u-1,u-2,\"ok, ship\",B,"
           "2026-04-21 09:00:00+00,2026-04-19 10:00:00.5+00,2026-04-18 12:00:00+00,"
           "2026-04-18 09:00:00+00\n"
           "ap-2," +
           kTenant +
           ",a-2,content_review,low,pending,Draft,,,,,,2026-04-23 09:00:00+05:30,,,"
           "2026-04-20 09:00:00+05:30\n");
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  std::vector<engine::workflow::ImportedApproval> rows;
  EXPECT_EQ(precheck(loaded, &rows), std::nullopt);
  ASSERT_EQ(rows.size(), 2u);
  using engine::workflow::ApprovalStatus;
  using engine::workflow::SubjectKind;
  EXPECT_EQ(rows[0].approval.approval_id, "ap-1");
  EXPECT_EQ(rows[0].approval.subject.kind, SubjectKind::activity);
  EXPECT_EQ(rows[0].approval.subject.id, "a-1");
  EXPECT_EQ(rows[0].approval.title, "Q3 plan, v2");
  EXPECT_EQ(rows[0].approval.content_ref, "obj-7");
  EXPECT_EQ(rows[0].status, ApprovalStatus::approved);
  EXPECT_EQ(rows[0].reviewed_by, "u-2");
  EXPECT_EQ(rows[0].reviewer_notes, "ok, ship");
  EXPECT_EQ(rows[0].chosen_option, "B");
  EXPECT_EQ(rows[0].resolved_at_ms, parse_rfc3339_ms("2026-04-19T10:00:00.500Z"));
  EXPECT_EQ(rows[0].sent_to_client_at_ms, parse_rfc3339_ms("2026-04-18T12:00:00Z"));
  EXPECT_EQ(rows[0].created_on_ms, *parse_rfc3339_ms("2026-04-18T09:00:00Z"));
  EXPECT_EQ(rows[1].status, ApprovalStatus::pending);
  EXPECT_EQ(rows[1].approval.expires_at_ms, *parse_rfc3339_ms("2026-04-23T03:30:00Z"));
  EXPECT_FALSE(rows[1].reviewed_by.has_value());
}

TEST(ImportApprovalsCsv, AMediaBuyApprovalNamesItsSubject) {
  const LoadedRows loaded = load(
      "id,tenant_id,subject_kind,subject_id,type,risk_level,status,title,expires_at,"
      "created_at\n"
      "t-1," +
      kTenant +
      ",media_buy,b-1,media_buy,medium,pending,Approve b-1,2026-04-22 00:00:00+00,"
      "2026-04-20 00:00:00+00\n");
  ASSERT_TRUE(loaded.refused.empty()) << loaded.refused[0].message;
  std::vector<engine::workflow::ImportedApproval> rows;
  EXPECT_EQ(precheck(loaded, &rows), std::nullopt);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].approval.subject.kind, engine::workflow::SubjectKind::media_buy);
  EXPECT_EQ(rows[0].approval.subject.id, "b-1");
  EXPECT_EQ(rows[0].approval.type, engine::workflow::ApprovalType::media_buy);
}

TEST(ImportApprovalsCsv, BadRowsAreRefusedWithTheirLineAndStatusRulesBeforeSending) {
  const std::string times = "2026-04-21 09:00:00+00,,,2026-04-18 09:00:00+00\n";
  const LoadedRows loaded =
      load(kHeader + "ap-1," + kTenant + ",a-1,content_review,high,waiting,T,,,,,," + times +
           "ap-2," + kTenant + ",a-1,review,high,pending,T,,,,,," + times + "ap-3," + kTenant +
           ",,content_review,high,pending,T,,,,,," + times + "ap-4," + kTenant +
           ",a-1,content_review,high,pending,T,,,,,,2026-04-21 09:00:00,,,"
           "2026-04-18 09:00:00+00\n");
  ASSERT_EQ(loaded.refused.size(), 4u);
  EXPECT_EQ(loaded.refused[0].line, 2);
  EXPECT_EQ(loaded.refused[0].message,
            "column status: none of pending, approved, rejected, revision_requested, expired");
  EXPECT_EQ(loaded.refused[1].message, "column type: none of the seeds' approval types");
  EXPECT_EQ(loaded.refused[2].message, "no subject (activity_id, or subject_kind and subject_id)");
  EXPECT_EQ(loaded.refused[3].message, "column expires_at: not a timestamp with a time zone");

  // What needs only the file is the CLI's pre-check too: an approved one
  // without its reviewer refuses the tenant before anything is sent.
  const LoadedRows undecided =
      load(kHeader + "ap-5," + kTenant + ",a-1,content_review,high,approved,T,,,,,," + times);
  ASSERT_TRUE(undecided.refused.empty());
  const std::optional<engine::Rejection> refused = precheck(undecided, nullptr);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, "invalid_transition");
  EXPECT_NE(refused->message.find("approvals.csv:2: approval ap-5: approved: a decided approval "
                                  "has its reviewed_by and resolved_at"),
            std::string::npos)
      << refused->message;
}

}  // namespace
}  // namespace lf::importer
