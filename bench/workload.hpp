// A seeded, realistic mix of credits commands over many tenants, for the
// benchmarks and the crash test: allocations first, then reservations (most
// consumed, some released, some refused for lack of credits), top-ups,
// refunds and adjustments. With a runs share, that part of the commands are
// agent activities' runs instead (activity.start_run reserving,
// activity.finish_run consuming or releasing, some refused).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/commands.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/workflow_matrix.hpp"

namespace lf::workload {

class CreditsWorkload {
 public:
  // (tenant key, command JSON)
  using Command = std::pair<std::string, std::string>;

  CreditsWorkload(uint64_t seed, int tenant_count, int64_t now_ms)
      : random_(seed), now_ms_(now_ms) {
    for (int i = 0; i < tenant_count; ++i) tenants_.push_back(uuid());
  }
  const std::vector<std::string>& tenants() const { return tenants_; }
  // Percentage of next()'s commands that drive activity runs (0: credits only).
  void set_runs_share(int percent) { runs_share_ = percent; }

  Command allocate(const std::string& tenant, int64_t monthly = 50'000) {
    return make(tenant, "credits.allocate", "system", testing::allocate_around(monthly, now_ms_));
  }

  std::vector<Command> allocations() {
    std::vector<Command> commands;
    for (const std::string& tenant : tenants_) commands.push_back(allocate(tenant));
    return commands;
  }

  // A top-up of a random tenant: always accepted, one credit_ledger row.
  Command topup() { return topup(tenants_[random_() % tenants_.size()]); }
  Command topup(const std::string& tenant) {
    const std::string order = "order-" + std::to_string(++counter_);
    const int64_t credits = static_cast<int64_t>(1000 + random_() % 20000);
    return make(tenant, "credits.topup", "user:billing", testing::topup_payload(order, credits));
  }

  Command next() {
    const std::string& tenant = tenants_[random_() % tenants_.size()];
    if (runs_share_ > 0 && static_cast<int>(random_() % 100) < runs_share_) return next_run(tenant);
    std::vector<std::string>& open = open_[tenant];
    const int roll = static_cast<int>(random_() % 100);
    if (roll < 40 || open.empty()) {
      const std::string id = "res-" + std::to_string(++counter_);
      open.push_back(id);
      const int64_t credits = static_cast<int64_t>(100 + random_() % 4000);
      return make(
          tenant, "credits.reserve", "agent:runner",
          testing::reserve_payload(
              id, credits, ",\"activity_run_id\":\"run-" + std::to_string(counter_) + "\""));
    }
    if (roll < 70) {
      const std::string id = take(open);
      return make(tenant, "credits.consume", "agent:runner",
                  testing::consume_payload(id, static_cast<int64_t>(random_() % 150)));
    }
    if (roll < 82) {
      return make(tenant, "credits.release", "agent:runner", testing::release_payload(take(open)));
    }
    if (roll < 92) return topup(tenant);
    if (roll < 96) {
      return make(tenant, "credits.refund", "support:desk",
                  testing::amount_payload(static_cast<int64_t>(1 + random_() % 50), "refund"));
    }
    const int64_t amount = static_cast<int64_t>(random_() % 2000) - 1000;
    return make(tenant, "credits.adjust", "admin:ops",
                testing::amount_payload(amount == 0 ? 1 : amount, "adjust"));
  }

  // The command_id of a command this workload made.
  static std::string command_id(const Command& command) {
    const std::size_t start = command.second.find("\"command_id\":\"") + 14;
    return command.second.substr(start, command.second.find('"', start) - start);
  }

 private:
  struct RunTrack {
    int stage = 0;                                      // 0: no activity, 1: created, 2: started
    std::vector<std::pair<std::string, int64_t>> open;  // run id, estimated credits
  };

  Command next_run(const std::string& tenant) {
    RunTrack& track = runs_[tenant];
    if (track.stage == 0) {
      track.stage = 1;
      return make(tenant, "activity.create", "user:planner",
                  "{\"activity_id\":\"agent-work\",\"title\":\"Generate ad "
                  "variants\",\"type\":\"generation\","
                  "\"assignee_type\":\"agent\",\"assignee_agent_role\":\"copywriter\",\"priority\":"
                  "\"medium\","
                  "\"is_approval_gate\":false}");
    }
    if (track.stage == 1) {
      track.stage = 2;
      return make(tenant, "activity.start", "agent:copywriter", "{\"activity_id\":\"agent-work\"}");
    }
    if (track.open.empty() || random_() % 2 == 0) {
      const std::string run = "run-" + std::to_string(++counter_);
      const int64_t estimated = 100 + static_cast<int64_t>(random_() % 3000);
      track.open.emplace_back(run, estimated);
      return make(tenant, "activity.start_run", "agent:copywriter",
                  testing::workflow_matrix::start_run("agent-work", run, estimated));
    }
    const std::size_t index = random_() % track.open.size();
    const auto [run, estimated] = track.open[index];
    track.open[index] = track.open.back();
    track.open.pop_back();
    const int roll = static_cast<int>(random_() % 10);
    const char* status = roll < 7 ? "completed" : roll < 9 ? "failed" : "timed_out";
    // Now and then more than the estimate: refused (exceeds_reservation).
    const int64_t used = static_cast<int64_t>(random_() % static_cast<uint64_t>(estimated + 60));
    return make(tenant, "activity.finish_run", "agent:copywriter",
                "{\"run_id\":\"" + run + "\",\"status\":\"" + status +
                    "\",\"credits_used\":" + std::to_string(used) +
                    ",\"input_tokens\":" + std::to_string(random_() % 20000) +
                    ",\"output_tokens\":" + std::to_string(random_() % 4000) + "}");
  }

  std::string uuid() {
    static const char* hex = "0123456789abcdef";
    std::string id = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
    for (char& c : id) {
      if (c == 'x') c = hex[random_() % 16];
    }
    return id;
  }
  std::string take(std::vector<std::string>& open) {
    const std::size_t index = random_() % open.size();
    std::string id = open[index];
    open[index] = open.back();
    open.pop_back();
    return id;
  }
  Command make(const std::string& tenant, const std::string& type, const std::string& actor,
               const std::string& payload) {
    return {tenant, testing::command_json(type, tenant, "cmd-" + std::to_string(++counter_),
                                          payload, actor, now_ms_)};
  }

  std::mt19937_64 random_;
  int64_t now_ms_;
  std::vector<std::string> tenants_;
  std::map<std::string, std::vector<std::string>> open_;
  std::map<std::string, RunTrack> runs_;
  int runs_share_ = 0;
  int64_t counter_ = 0;
};

}  // namespace lf::workload
