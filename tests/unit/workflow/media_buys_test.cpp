// Media buys: every transition allowed and refused, creation's refusals,
// exact budgets in the buy's currency, and the approval that decides a buy
// moving it in the same record.
#include <gtest/gtest.h>

#include "tests/unit/workflow/harness.hpp"

namespace lf::engine::workflow::testing {
namespace {

const int64_t kNow = at("2026-11-20T09:00:00Z");

void walk(Harness& h, const std::vector<Step>& path) {
  for (const Step& step : path) h.accept(step.type, step.payload);
}

// A buy of one package with `budget_member` (e.g. "\"budget\":\"5000.50\"")
// and `extra` members.
std::string one_package_buy(const std::string& id, const std::string& budget_member,
                            const std::string& extra = "") {
  return "{\"media_buy_id\":" + quoted(id) +
         ",\"principal_id\":\"adv-1\",\"campaign_name\":\"Spring\",\"start_date\":\"2026-12-01\","
         "\"end_date\":\"2026-12-31\",\"packages\":[{\"package_id\":\"p1\",\"product_id\":"
         "\"ctv\"," +
         budget_member + "}],\"requires_approval\":false" + extra + "}";
}

// The created buy's first package budget and total, in minor units.
std::pair<int64_t, int64_t> budgets_of(const DecodedRecord& record) {
  const DecodedEvent& created = event_of(record, "media_buy.created");
  const rapidjson::Value* packages = json_member(*created.payload, "packages");
  if (packages == nullptr || !packages->IsArray() || packages->Empty()) return {-1, -1};
  return {json_int64((*packages)[0], "budget_minor").value_or(-1),
          json_int64(*created.payload, "budget_total_minor").value_or(-1)};
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
        EXPECT_EQ(h.accept(command, buy_move(id)), std::vector<std::string>{buy_event_of(command)})
            << command;
        EXPECT_EQ(h.workflow().media_buys.at(id).status, to->second)
            << command << " from " << to_string(from);
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
  h.refuse("media_buy.create", buy_payload("mb-2", false, "2026-12-31", "2026-12-01"),
           "invalid_dates");
  h.refuse("media_buy.create", buy_payload("mb-3", false, "2026-02-30", "2026-03-31"),
           "invalid_dates");
  const std::string twice =
      "{\"media_buy_id\":\"mb-4\",\"principal_id\":\"adv-1\",\"campaign_name\":\"x\",\"start_"
      "date\":\"2026-12-01\","
      "\"end_date\":\"2026-12-02\",\"packages\":[{\"package_id\":\"p\",\"product_id\":\"a\","
      "\"budget\":1},"
      "{\"package_id\":\"p\",\"product_id\":\"b\",\"budget\":2}],\"requires_approval\":false}";
  h.refuse("media_buy.create", twice, "duplicate_package");
  h.refuse("media_buy.create",
           buy_payload("mb-5", true, "2026-12-01", "2026-12-31",
                       ",\"approval_expires_at\":\"2026-11-20T08:59:59Z\""),
           "invalid_expiry");
  h.accept("approval.request", approval_request("mb-6:approval", "creative", "cr-1"));
  h.refuse("media_buy.create", buy_payload("mb-6", true), "duplicate_approval");
  h.refuse(
      "media_buy.create",
      buy_payload("mb-7", true, "2026-12-01", "2026-12-31", ",\"approval_id\":\"mb-6:approval\""),
      "duplicate_approval");
  EXPECT_EQ(h.workflow().media_buys.size(), 1u);
}

TEST(MediaBuyCreate, BudgetTotalIsTheSumOfPackageBudgetsInMinorUnits) {
  Harness h(kNow);
  const DecodedRecord record = h.accept_record("media_buy.create", buy_payload("mb-1", false));
  ASSERT_EQ(record.events.size(), 1u);
  const rapidjson::Value& created = *record.events[0].payload;
  EXPECT_EQ(record.events[0].header.schema_version, 2);
  EXPECT_EQ(json_int64(created, "budget_total_minor"), 750000);  // "5000.00" + 2500 USD
  EXPECT_EQ(json_string(created, "currency"), "USD");
  EXPECT_EQ(json_int64((*json_member(created, "packages"))[1], "budget_minor"), 250000);
  EXPECT_EQ(record.events[0].header.stream, "media_buy/mb-1");
}

// ---- money ----------------------------------------------------------------------

TEST(MediaBuyMoney, DecimalAmountsAreExactMinorUnits) {
  Harness h(kNow);
  EXPECT_EQ(
      budgets_of(h.accept_record("media_buy.create", one_package_buy("a", "\"budget\":5000.5"))),
      std::make_pair(int64_t{500050}, int64_t{500050}));
  EXPECT_EQ(budgets_of(h.accept_record("media_buy.create",
                                       one_package_buy("b", "\"budget\":\"5000.50\""))),
            std::make_pair(int64_t{500050}, int64_t{500050}));
  EXPECT_EQ(budgets_of(h.accept_record("media_buy.create",
                                       one_package_buy("c", "\"budget_minor\":500050"))),
            std::make_pair(int64_t{500050}, int64_t{500050}));
  EXPECT_EQ(
      budgets_of(h.accept_record("media_buy.create", one_package_buy("d", "\"budget\":\"0.10\""))),
      std::make_pair(int64_t{10}, int64_t{10}));
  // A number the parser reads as a double: 0.1 is not a binary fraction, yet
  // its decimal text is what counts.
  EXPECT_EQ(
      budgets_of(h.accept_record("media_buy.create", one_package_buy("e", "\"budget\":19.99"))),
      std::make_pair(int64_t{1999}, int64_t{1999}));
}

TEST(MediaBuyMoney, TheCurrencysMinorUnitDecidesTheDecimals) {
  Harness h(kNow);
  const DecodedRecord yen = h.accept_record(
      "media_buy.create", one_package_buy("jpy", "\"budget\":\"500000\"", ",\"currency\":\"JPY\""));
  EXPECT_EQ(budgets_of(yen), std::make_pair(int64_t{500000}, int64_t{500000}));
  EXPECT_EQ(json_string(*yen.events[0].payload, "currency"), "JPY");
  h.refuse("media_buy.create",
           one_package_buy("jpy-2", "\"budget\":\"5000.5\"", ",\"currency\":\"JPY\""),
           "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("jpy-3", "\"budget\":0.5", ",\"currency\":\"JPY\""),
           "invalid_amount");
  EXPECT_EQ(
      budgets_of(h.accept_record("media_buy.create", one_package_buy("kwd", "\"budget\":\"12.345\"",
                                                                     ",\"currency\":\"KWD\""))),
      std::make_pair(int64_t{12345}, int64_t{12345}));
  h.refuse("media_buy.create",
           one_package_buy("kwd-2", "\"budget\":\"12.3456\"", ",\"currency\":\"KWD\""),
           "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("usd", "\"budget\":\"5000.505\""), "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("usd-2", "\"budget\":5000.505"), "invalid_amount");
}

TEST(MediaBuyMoney, ABudgetIsOneNonNegativeDecimalNumber) {
  Harness h(kNow);
  h.refuse("media_buy.create", one_package_buy("a", "\"budget\":\"-1.00\""), "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("b", "\"budget\":-5"), "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("c", "\"budget\":\"five\""), "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("d", "\"budget\":\"1,000.00\""), "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("e", "\"budget\":\"\""), "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("f", "\"budget\":\"10.00\",\"budget_minor\":1000"),
           "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("g", "\"pricing\":{\"model\":\"cpm\"}"),
           "invalid_amount");
  h.refuse("media_buy.create", one_package_buy("h", "\"budget\":\"10000000000000.01\""),
           "invalid_amount");
  EXPECT_TRUE(h.workflow().media_buys.empty());
}

TEST(MediaBuyMoney, AnUnknownCurrencyIsRefused) {
  Harness h(kNow);
  h.refuse("media_buy.create", one_package_buy("a", "\"budget\":1", ",\"currency\":\"XYZ\""),
           "invalid_currency");
  h.refuse("media_buy.create", one_package_buy("b", "\"budget\":1", ",\"currency\":\"usd\""),
           "invalid_currency");
  h.refuse("media_buy.create", one_package_buy("c", "\"budget\":1", ",\"currency\":\"XAU\""),
           "invalid_currency");
}

TEST(MediaBuyMoney, ATotalBeyondWhatJsonHoldsExactlyIsALimit) {
  Harness h(kNow);
  std::string packages;
  for (int i = 0; i < 10; ++i) {
    packages += std::string(i ? "," : "") + "{\"package_id\":\"p" + std::to_string(i) +
                "\",\"product_id\":\"x\",\"budget_minor\":1000000000000000}";
  }
  const std::string payload =
      "{\"media_buy_id\":\"big\",\"principal_id\":\"a\",\"campaign_name\":\"c\",\"start_date\":"
      "\"2026-12-01\","
      "\"end_date\":\"2026-12-02\",\"packages\":[" +
      packages + "],\"requires_approval\":false}";
  h.refuse("media_buy.create", payload, "limit_exceeded");
}

// ---- media buys through their approval --------------------------------------

TEST(MediaBuyApproval, CreateOpensTheApprovalInTheSameRecord) {
  Harness h(kNow);
  const DecodedRecord record = h.accept_record(
      "media_buy.create",
      buy_payload("mb-1", true, "2026-12-01", "2026-12-31", ",\"escalate_to\":\"user:boss\""));
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[0].header.type, "media_buy.created");
  EXPECT_EQ(json_string(*record.events[0].payload, "approval_id"), "mb-1:approval");
  const DecodedEvent& requested = record.events[1];
  EXPECT_EQ(requested.header.type, "approval.requested");
  EXPECT_EQ(requested.header.schema_version, 2);
  EXPECT_EQ(requested.header.stream, "approval/mb-1:approval");
  EXPECT_EQ(json_string(*requested.payload, "type"), "media_buy");
  EXPECT_EQ(json_string(*requested.payload, "risk_level"), "medium");
  EXPECT_EQ(json_string(*requested.payload, "escalate_to"), "user:boss");
  EXPECT_EQ(json_member(*requested.payload, "activity_id"), nullptr);
  // Default expiry: 72 h after issued_at.
  EXPECT_EQ(parse_rfc3339_ms(json_string(*requested.payload, "expires_at").value_or("")),
            kNow + 72 * kHourMs);
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").pending_approval_id, "mb-1:approval");
  EXPECT_TRUE(h.approval("mb-1:approval").linked);
}

TEST(MediaBuyApproval, ALongCampaignNameGivesATitleWithinItsLimit) {
  Harness h(kNow);
  std::string name;
  for (int i = 0; i < 500; ++i) name += "\xC3\xA9";  // 500 two-byte characters
  const DecodedRecord record = h.accept_record(
      "media_buy.create",
      "{\"media_buy_id\":\"mb\",\"principal_id\":\"p\",\"campaign_name\":\"" + name +
          "\",\"start_date\":\"2026-12-01\",\"end_date\":\"2026-12-02\",\"packages\":[{"
          "\"package_id\":\"p\",\"product_id\":\"x\",\"budget\":1}],\"requires_approval\":true}");
  ASSERT_EQ(record.events.size(), 2u);
  const std::string title(json_string(*record.events[1].payload, "title").value_or(""));
  EXPECT_EQ(title.rfind("Approve media buy ", 0), 0u);
  EXPECT_EQ(title.size(), std::string("Approve media buy ").size() + 2 * (500 - 18));
}

TEST(MediaBuyApproval, ApprovalOutcomeMovesTheBuyAtomically) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.refuse("media_buy.approve", buy_move("mb-1"), "approval_required");
  EXPECT_EQ(h.accept("approval.approve", approval_decision("mb-1:approval", "looks good")),
            (std::vector<std::string>{"approval.approved", "media_buy.approved"}));
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").status, BuyStatus::approved);
  EXPECT_EQ(h.approval("mb-1:approval").status, ApprovalStatus::approved);
  EXPECT_FALSE(h.approval("mb-1:approval").review.has_value());
  h.refuse("approval.reject", approval_decision("mb-1:approval"), "invalid_transition");
  h.accept("media_buy.activate", buy_move("mb-1"));
}

TEST(MediaBuyApproval, RejectionFailsTheBuyWithTheReviewersNotes) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  const DecodedRecord record =
      h.accept_record("approval.reject", approval_decision("mb-1:approval", "budget too high"));
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[1].header.type, "media_buy.failed");
  EXPECT_EQ(json_string(*record.events[1].payload, "reason"), "budget too high");
  EXPECT_EQ(json_string(*record.events[1].payload, "approval_id"), "mb-1:approval");
  EXPECT_EQ(h.workflow().media_buys.at("mb-1").status, BuyStatus::failed);
}

TEST(MediaBuyApproval, RevisionLeavesThePendingBuyFreeForANewApproval) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  // While its approval is pending, a second approval cannot take the buy.
  h.refuse("approval.request", approval_request("a-2", "media_buy", "mb-1"), "invalid_transition");
  EXPECT_EQ(
      h.accept("approval.request_revision", approval_decision("mb-1:approval", "fix targeting")),
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

TEST(MediaBuyApproval, AReviewStepNamedForABuysApprovalIsCompletedByTheDecision) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", true));
  h.accept("approval.request_revision", approval_decision("mb-1:approval", "fix targeting"));
  h.accept("activity.create", activity_payload("check-mb", true));
  EXPECT_EQ(h.accept("approval.request",
                     approval_request("a-2", "media_buy", "mb-1", ",\"activity_id\":\"check-mb\"")),
            (std::vector<std::string>{"activity.submitted_for_approval", "approval.requested"}));
  EXPECT_EQ(h.status_of("check-mb"), ActivityStatus::awaiting_approval);
  EXPECT_EQ(
      h.accept("approval.approve", approval_decision("a-2")),
      (std::vector<std::string>{"approval.approved", "activity.completed", "media_buy.approved"}));
  EXPECT_EQ(h.status_of("check-mb"), ActivityStatus::completed);
}

TEST(Limits, ACommandWhoseRecordWouldBeTooLargeIsRejected) {
  Harness h(kNow);
  std::string packages;
  const std::string big(
      9'500, 'x');  // 100 x 9.5 kB: under the 1 MiB command limit, over the 900 KiB record limit
  for (int i = 0; i < 100; ++i) {
    if (i > 0) packages += ",";
    packages += "{\"package_id\":\"p" + std::to_string(i) +
                "\",\"product_id\":\"x\",\"budget\":1,\"targeting\":{\"note\":\"" + big + "\"}}";
  }
  const std::string payload =
      "{\"media_buy_id\":\"huge\",\"principal_id\":\"a\",\"campaign_name\":\"c\",\"start_date\":"
      "\"2026-12-01\","
      "\"end_date\":\"2026-12-02\",\"packages\":[" +
      packages + "],\"requires_approval\":false}";
  ASSERT_GT(payload.size(), 921'600u);
  ASSERT_LT(payload.size(), 1'048'576u);
  h.refuse("media_buy.create", payload, "limit_exceeded");
  EXPECT_TRUE(h.workflow().media_buys.empty());
}

TEST(ExpectedVersion, ChecksTheAddressedStream) {
  Harness h(kNow);
  h.accept("media_buy.create", buy_payload("mb-1", false));
  lf::testing::BuiltCommand stale = lf::testing::build_command(
      "media_buy.approve", kTenant, "v1", buy_move("mb-1"), "user:alice", kNow, int64_t{2});
  CommandOutcome outcome =
      h.core().decide(stale.envelope, SourcePosition{"ledgerflow.commands", 0, 1000}, kNow);
  EXPECT_EQ(outcome.result.reason, "version_conflict");
  lf::testing::BuiltCommand current = lf::testing::build_command(
      "media_buy.approve", kTenant, "v2", buy_move("mb-1"), "user:alice", kNow, int64_t{1});
  outcome = h.core().decide(current.envelope, SourcePosition{"ledgerflow.commands", 0, 1001}, kNow);
  EXPECT_EQ(outcome.result.status, ResultStatus::accepted);
}

}  // namespace
}  // namespace lf::engine::workflow::testing
