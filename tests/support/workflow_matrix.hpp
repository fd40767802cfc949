// The workflow's transition tables as test data (docs/domains/workflow.md):
// the workflow's payload builders in the seed dialect, the commands that
// bring a media buy or an activity to each status, and for every command the
// statuses it may leave and where it leads. The pure-core tests and the
// end-to-end tests check the same tables. Work is an agent's activity; a gate
// (is_approval_gate) is a human review step (Kim's).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/workflow/state.hpp"
#include "tests/support/payloads.hpp"

namespace lf::testing::workflow_matrix {

using engine::workflow::ActivityStatus;
using engine::workflow::BuyStatus;
// The credits payloads the tables use (tests/support/payloads.hpp).
using testing::allocate_payload;
using testing::quoted;

// ---- payload builders --------------------------------------------------------
// (The credits commands' are in tests/support/payloads.hpp.)

inline std::string buy_payload(const std::string& id, bool requires_approval,
                               const std::string& start = "2026-12-01",
                               const std::string& end = "2026-12-31",
                               const std::string& extra = "") {
  return "{\"media_buy_id\":" + quoted(id) +
         ",\"principal_id\":\"adv-1\",\"campaign_name\":\"Winter sale\",\"start_date\":" +
         quoted(start) + ",\"end_date\":" + quoted(end) +
         ",\"packages\":[{\"package_id\":\"p1\",\"product_id\":\"ctv-prime\",\"budget\":\"5000."
         "00\","
         "\"pricing\":{\"model\":\"cpm\",\"rate_micros\":25000000},\"targeting\":{\"geo\":[\"US\"]}"
         "},"
         "{\"package_id\":\"p2\",\"product_id\":\"display\",\"budget\":2500}],"
         "\"requires_approval\":" +
         (requires_approval ? "true" : "false") + extra + "}";
}

inline std::string buy_move(const std::string& id) {
  return "{\"media_buy_id\":" + quoted(id) + "}";
}

inline std::string approval_decision(const std::string& id, const std::string& notes = "") {
  return "{\"approval_id\":" + quoted(id) + ",\"reviewed_by\":\"user:rita\"" +
         (notes.empty() ? "" : ",\"notes\":" + quoted(notes)) + "}";
}

inline std::string approval_request(const std::string& id, const std::string& kind,
                                    const std::string& subject, const std::string& extra = "") {
  return "{\"approval_id\":" + quoted(id) + ",\"subject\":{\"kind\":" + quoted(kind) +
         ",\"id\":" + quoted(subject) +
         "},\"type\":\"content_review\",\"risk_level\":\"high\",\"title\":\"Review\"" + extra + "}";
}

// An agent's work, or (gate) a human review step assigned to user:kim.
inline std::string activity_payload(const std::string& id, bool gate,
                                    const std::string& extra = "") {
  const std::string assignee =
      gate ? "\"assignee_type\":\"human\",\"assignee_user_id\":\"user:kim\","
           : "\"assignee_type\":\"agent\",\"assignee_agent_role\":\"copywriter\",";
  return "{\"activity_id\":" + quoted(id) +
         ",\"title\":\"Write banner copy\",\"type\":\"copywriting\"," + assignee +
         "\"priority\":\"high\",\"is_approval_gate\":" + (gate ? "true" : "false") + extra + "}";
}

inline std::string activity_move(const std::string& id, const std::string& extra = "") {
  return "{\"activity_id\":" + quoted(id) + extra + "}";
}

inline std::string start_run(const std::string& activity, const std::string& run, int64_t estimated,
                             const std::string& extra = "") {
  return "{\"activity_id\":" + quoted(activity) + ",\"run_id\":" + quoted(run) +
         ",\"estimated_credits\":" + std::to_string(estimated) + extra + "}";
}

inline std::string finish_run(const std::string& run, const std::string& status, int64_t used) {
  return "{\"run_id\":" + quoted(run) + ",\"status\":" + quoted(status) +
         ",\"credits_used\":" + std::to_string(used) +
         ",\"input_tokens\":1200,\"output_tokens\":300,\"duration_ms\":4200}";
}

// ---- transition tables -------------------------------------------------------

struct Step {
  std::string type;
  std::string payload;
};

inline const std::vector<BuyStatus>& buy_statuses() {
  static const std::vector<BuyStatus> all{BuyStatus::pending,   BuyStatus::approved,
                                          BuyStatus::active,    BuyStatus::paused,
                                          BuyStatus::completed, BuyStatus::failed};
  return all;
}

// The commands that create buy `id` (no approval needed) and bring it to `status`.
inline std::vector<Step> buy_path(const std::string& id, BuyStatus status) {
  std::vector<Step> steps{{"media_buy.create", buy_payload(id, false)}};
  auto step = [&](const char* type) { steps.push_back({type, buy_move(id)}); };
  switch (status) {
    case BuyStatus::pending:
      break;
    case BuyStatus::approved:
      step("media_buy.approve");
      break;
    case BuyStatus::active:
      step("media_buy.approve");
      step("media_buy.activate");
      break;
    case BuyStatus::paused:
      step("media_buy.approve");
      step("media_buy.activate");
      step("media_buy.pause");
      break;
    case BuyStatus::completed:
      step("media_buy.approve");
      step("media_buy.activate");
      step("media_buy.complete");
      break;
    case BuyStatus::failed:
      step("media_buy.fail");
      break;
  }
  return steps;
}

// command -> (from -> to); every pair not listed is invalid_transition.
inline const std::map<std::string, std::map<BuyStatus, BuyStatus>>& buy_moves() {
  using S = BuyStatus;
  static const std::map<std::string, std::map<S, S>> moves{
      {"media_buy.approve", {{S::pending, S::approved}}},
      {"media_buy.activate", {{S::approved, S::active}}},
      {"media_buy.pause", {{S::active, S::paused}}},
      {"media_buy.resume", {{S::paused, S::active}}},
      {"media_buy.complete", {{S::active, S::completed}, {S::paused, S::completed}}},
      {"media_buy.fail",
       {{S::pending, S::failed},
        {S::approved, S::failed},
        {S::active, S::failed},
        {S::paused, S::failed}}},
  };
  return moves;
}

// "media_buy.approve" -> "media_buy.approved", ...
inline std::string buy_event_of(const std::string& command) {
  return "media_buy." + command.substr(command.find('.') + 1) +
         (command.ends_with('e') ? "d" : "ed");
}

inline const std::vector<ActivityStatus>& activity_statuses() {
  using S = ActivityStatus;
  static const std::vector<S> all{S::created,           S::assigned, S::in_progress,
                                  S::awaiting_approval, S::approved, S::rejected,
                                  S::completed,         S::failed,   S::cancelled};
  return all;
}

// A review step is a human's: assignment leaves it in created, so it never
// reaches assigned (an agent's to-do status).
inline bool reachable(ActivityStatus status, bool gate) {
  return !(gate && status == ActivityStatus::assigned);
}

// The approval and review step a work's first submission opens.
inline std::string first_approval_of(const std::string& id) {
  return id + ":approval:1";
}
inline std::string first_review_step_of(const std::string& id) {
  return id + ":review:1";
}

// The commands that create activity `id` and bring it to `status`.
inline std::vector<Step> activity_path(const std::string& id, ActivityStatus status, bool gate) {
  using S = ActivityStatus;
  std::vector<Step> steps{{"activity.create", activity_payload(id, gate)}};
  auto step = [&](const char* type, std::string payload) {
    steps.push_back({type, std::move(payload)});
  };
  switch (status) {
    case S::created:
      break;
    case S::assigned:
      step("activity.assign",
           activity_move(id, ",\"assignee_type\":\"agent\",\"assignee_agent_role\":\"designer\""));
      break;
    case S::in_progress:
      step("activity.start", activity_move(id));
      break;
    case S::awaiting_approval:
      step("activity.start", activity_move(id));
      step("activity.submit_for_approval", activity_move(id));
      break;
    case S::approved:
    case S::rejected:
      step("activity.start", activity_move(id));
      step("activity.submit_for_approval", activity_move(id));
      step(status == S::approved ? "approval.approve" : "approval.reject",
           approval_decision(first_approval_of(id)));
      break;
    case S::completed:
      step("activity.start", activity_move(id));
      if (gate) {
        step("activity.submit_for_approval", activity_move(id));
        step("approval.approve", approval_decision(first_approval_of(id)));
      }
      step("activity.complete", activity_move(id));
      break;
    case S::failed:
      step("activity.fail", activity_move(id));
      break;
    case S::cancelled:
      step("activity.cancel", activity_move(id));
      break;
  }
  return steps;
}

struct ActivityRule {
  std::string command;
  std::string payload_extra;
  std::set<ActivityStatus> from;  // for activity.complete: see complete_allowed
  ActivityStatus to;
};

// The rules for work (an agent's activity) or a review step (gate).
inline const std::vector<ActivityRule>& activity_rules(bool gate = false) {
  using S = ActivityStatus;
  static const std::set<S> open{S::created,           S::assigned, S::in_progress,
                                S::awaiting_approval, S::approved, S::rejected};
  static const std::vector<ActivityRule> work{
      {"activity.assign",
       ",\"assignee_type\":\"agent\",\"assignee_agent_role\":\"analyst\"",
       {S::created, S::assigned, S::in_progress, S::rejected},
       S::assigned},
      {"activity.start", "", {S::created, S::assigned, S::rejected}, S::in_progress},
      {"activity.submit_for_approval", "", {S::in_progress}, S::awaiting_approval},
      {"activity.fail", "", open, S::failed},
      {"activity.cancel", "", open, S::cancelled},
  };
  static const std::vector<ActivityRule> review_step{
      {"activity.assign",
       ",\"assignee_type\":\"human\",\"assignee_user_id\":\"user:lee\"",
       {S::created, S::assigned, S::in_progress, S::rejected},
       S::created},
      {"activity.start", "", {S::created, S::assigned, S::rejected}, S::in_progress},
      {"activity.submit_for_approval",
       "",
       {S::created, S::assigned, S::in_progress},
       S::awaiting_approval},
      {"activity.fail", "", open, S::failed},
      {"activity.cancel", "", open, S::cancelled},
  };
  return gate ? review_step : work;
}

// activity.complete: a review step only from approved; work from
// in_progress, awaiting_approval or approved.
inline bool complete_allowed(ActivityStatus from, bool gate) {
  using S = ActivityStatus;
  if (gate) return from == S::approved;
  return from == S::in_progress || from == S::awaiting_approval || from == S::approved;
}

// The queues a status lists an activity in (docs/domains/workflow.md
// "Queues"): agents' to-do work, humans' to-do work and reviews.
inline bool in_agent_queue(ActivityStatus status) {
  return status == ActivityStatus::created || status == ActivityStatus::assigned;
}
inline bool in_human_queue(ActivityStatus status) {
  return status == ActivityStatus::created || status == ActivityStatus::awaiting_approval;
}

}  // namespace lf::testing::workflow_matrix
