// Parsing media buy and approval commands: exact budgets in the buy's
// currency, subjects, the seeds' review types.
#include "engine/workflow/parsers.hpp"
#include "events/money.hpp"

namespace lf::engine::workflow {

namespace {

constexpr const char* kDefaultCurrency = "USD";
constexpr int64_t kBudgetMinorMax = 1'000'000'000'000'000;  // 10^15 minor units per package
constexpr rapidjson::SizeType kPackagesMax = 100;

constexpr std::pair<std::string_view, BuyMove> kBuyMoves[] = {
    {"media_buy.approve", BuyMove::approved},   {"media_buy.activate", BuyMove::activated},
    {"media_buy.pause", BuyMove::paused},       {"media_buy.resume", BuyMove::resumed},
    {"media_buy.complete", BuyMove::completed}, {"media_buy.fail", BuyMove::failed},
};
constexpr std::pair<std::string_view, ReviewOutcome> kOutcomes[] = {
    {"approval.approve", ReviewOutcome::approved},
    {"approval.reject", ReviewOutcome::rejected},
    {"approval.request_revision", ReviewOutcome::revision_requested},
};

// A package's budget in minor units: `budget` (the amount, a number or a
// decimal string, at most `digits` decimals) or `budget_minor`, exactly one.
int64_t package_budget_minor(Fields& package, int32_t digits, std::size_t index) {
  const std::string field = "packages[" + std::to_string(index) + "].budget";
  const bool amount = package.has("budget");
  if (amount == package.has("budget_minor")) {
    package.fail("invalid_amount", field + ": give exactly one of budget and budget_minor");
    return 0;
  }
  if (!amount) {
    const std::optional<int64_t> minor = json_int64(package.payload(), "budget_minor");
    if (!minor || *minor < 0 || *minor > kBudgetMinorMax) {
      package.fail("invalid_amount", field + "_minor must be an integer from 0 to " +
                                         std::to_string(kBudgetMinorMax));
      return 0;
    }
    return *minor;
  }
  Result<int64_t> minor = json_scaled_decimal(*json_member(package.payload(), "budget"), digits, 0,
                                              kBudgetMinorMax, field);
  if (!minor) {
    package.fail(minor.error().code, minor.error().message);
    return 0;
  }
  return minor.value();
}

std::vector<Package> parse_packages(Fields& in, int32_t digits) {
  std::vector<Package> packages;
  const rapidjson::Value* list = json_member(in.payload(), "packages");
  if (list == nullptr || !list->IsArray() || list->Empty() || list->Size() > kPackagesMax) {
    in.fail(kInvalidPayloadCode,
            "packages must be an array of 1 to " + std::to_string(kPackagesMax) + " packages");
    return packages;
  }
  for (const rapidjson::Value& item : list->GetArray()) {
    if (!item.IsObject()) {
      in.fail(kInvalidPayloadCode, "a package must be an object");
      continue;
    }
    Fields package(item);
    Package parsed;
    parsed.package_id = package.text("package_id");
    parsed.product_id = package.text("product_id");
    parsed.budget_minor = package_budget_minor(package, digits, packages.size());
    parsed.pricing_json = package.raw_object("pricing");
    parsed.targeting_json = package.raw_object("targeting");
    in.absorb(package);
    packages.push_back(std::move(parsed));
  }
  return packages;
}

Result<Command> parse_create_buy(Fields& in) {
  CreateBuy c;
  c.media_buy_id = in.text("media_buy_id");
  c.principal_id = in.text("principal_id");
  c.campaign_name = in.text("campaign_name", kTitleLengthMax);
  c.buyer_ref = in.optional_text("buyer_ref");
  if (!in.has("start_date") || !in.has("end_date"))
    in.fail(kInvalidPayloadCode, "start_date and end_date are required");
  c.start_date = in.optional_date("start_date", "invalid_dates").value_or("");
  c.end_date = in.optional_date("end_date", "invalid_dates").value_or("");
  c.start_days = parse_date_days(c.start_date).value_or(0);
  c.end_days = parse_date_days(c.end_date).value_or(0);
  c.currency = in.optional_text("currency", 3).value_or(kDefaultCurrency);
  const std::optional<int32_t> digits = currency_minor_digits(c.currency);
  if (!digits)
    in.fail("invalid_currency",
            "currency " + c.currency + " is not an ISO 4217 code ledgerflow knows");
  c.packages = parse_packages(in, digits.value_or(0));
  c.requires_approval = in.flag("requires_approval");
  c.approval = parse_approval_options(in);
  return in.finish<Command>(std::move(c));
}

Subject parse_subject(Fields& in) {
  const rapidjson::Value* member = json_member(in.payload(), "subject");
  if (member == nullptr || !member->IsObject()) {
    in.fail(kInvalidPayloadCode, "subject must be an object with kind and id");
    return {};
  }
  Fields subject(*member);
  Subject parsed{subject.named("kind", &parse_subject_kind, SubjectKind::creative),
                 subject.text("id")};
  in.absorb(subject);
  return parsed;
}

Result<Command> parse_request_approval(Fields& in) {
  RequestApproval c;
  c.approval_id = in.text("approval_id");
  c.subject = parse_subject(in);
  c.activity_id = in.optional_text("activity_id");
  c.type = approval_type_of(in.text("type", kTypeLengthMax), c.subject.kind);
  c.risk_level = in.named("risk_level", &parse_risk_level, RiskLevel::medium);
  c.title = in.text("title", kTitleLengthMax);
  c.content_ref = in.optional_text("content_ref", kNoteLengthMax);
  c.reviewer_id = in.optional_text("reviewer_id");
  c.escalate_to = in.optional_text("escalate_to");
  c.expires_at_ms = in.optional_timestamp("expires_at", "invalid_expiry");
  return in.finish<Command>(std::move(c));
}

Result<Command> parse_decide_approval(ReviewOutcome outcome, Fields& in) {
  DecideApproval c;
  c.outcome = outcome;
  c.approval_id = in.text("approval_id");
  c.reviewed_by = in.text("reviewed_by");
  c.notes = in.note("notes");
  c.chosen_option = in.optional_text("chosen_option", kChosenOptionLengthMax);
  return in.finish<Command>(std::move(c));
}

}  // namespace

ApprovalOptions parse_approval_options(Fields& in) {
  ApprovalOptions options;
  options.approval_id = in.optional_text("approval_id");
  options.risk_level = in.optional_named("risk_level", &parse_risk_level);
  options.reviewer_id = in.optional_text("reviewer_id");
  options.escalate_to = in.optional_text("escalate_to");
  options.expires_at_ms = in.optional_timestamp("approval_expires_at", "invalid_expiry");
  return options;
}

Result<Command> parse_buy_command(std::string_view type, Fields& in) {
  if (type == "media_buy.create") return parse_create_buy(in);
  for (const auto& [name, move] : kBuyMoves) {
    if (name != type) continue;
    MoveBuy c{move, in.text("media_buy_id"), in.note("reason")};
    return in.finish<Command>(std::move(c));
  }
  return make_error("unknown_command_type", "no media buy command is called " + std::string(type));
}

Result<Command> parse_approval_command(std::string_view type, Fields& in) {
  if (type == "approval.request") return parse_request_approval(in);
  if (type == "approval.assign") {
    AssignApproval c{in.text("approval_id"), in.text("reviewer_id")};
    return in.finish<Command>(std::move(c));
  }
  if (type == "approval.send_to_client") {
    SendToClient c{in.text("approval_id"),
                   in.optional_timestamp("sent_to_client_at", kInvalidPayloadCode)};
    return in.finish<Command>(std::move(c));
  }
  for (const auto& [name, outcome] : kOutcomes) {
    if (name == type) return parse_decide_approval(outcome, in);
  }
  return make_error("unknown_command_type", "no approval command is called " + std::string(type));
}

}  // namespace lf::engine::workflow
