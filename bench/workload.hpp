// A seeded, realistic mix of credits commands over many tenants, for the
// benchmarks and the crash test: allocations first, then reservations (most
// consumed, some released, some refused for lack of credits), top-ups,
// refunds and adjustments.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "events/envelope.hpp"
#include "events/time.hpp"

namespace lf::workload {

class CreditsWorkload {
 public:
  // (tenant key, command JSON)
  using Command = std::pair<std::string, std::string>;

  CreditsWorkload(uint64_t seed, int tenant_count, int64_t now_ms) : random_(seed), now_ms_(now_ms) {
    for (int i = 0; i < tenant_count; ++i) tenants_.push_back(uuid());
  }
  const std::vector<std::string>& tenants() const { return tenants_; }

  Command allocate(const std::string& tenant, int64_t monthly = 50'000) {
    return make(tenant, "credits.allocate", "system",
                "{\"credits_monthly\":" + std::to_string(monthly) + ",\"period_start\":\"" +
                    format_rfc3339_ms(now_ms_ - kMillisPerDay) + "\",\"period_end\":\"" +
                    format_rfc3339_ms(now_ms_ + 20 * kMillisPerDay) + "\"}");
  }

  std::vector<Command> allocations() {
    std::vector<Command> commands;
    for (const std::string& tenant : tenants_) commands.push_back(allocate(tenant));
    return commands;
  }

  Command next() {
    const std::string& tenant = tenants_[random_() % tenants_.size()];
    std::vector<std::string>& open = open_[tenant];
    const int roll = static_cast<int>(random_() % 100);
    if (roll < 40 || open.empty()) {
      const std::string id = "res-" + std::to_string(++counter_);
      open.push_back(id);
      return make(tenant, "credits.reserve", "agent:runner",
                  "{\"reservation_id\":\"" + id + "\",\"credits\":" + std::to_string(100 + random_() % 4000) +
                      ",\"activity_run_id\":\"run-" + std::to_string(counter_) + "\"}");
    }
    if (roll < 70) {
      const std::string id = take(open);
      return make(tenant, "credits.consume", "agent:runner",
                  "{\"reservation_id\":\"" + id + "\",\"credits\":" + std::to_string(random_() % 150) + "}");
    }
    if (roll < 82) {
      return make(tenant, "credits.release", "agent:runner", "{\"reservation_id\":\"" + take(open) + "\"}");
    }
    if (roll < 92) {
      return make(tenant, "credits.topup", "user:billing",
                  "{\"topup_order_id\":\"order-" + std::to_string(++counter_) +
                      "\",\"credits\":" + std::to_string(1000 + random_() % 20000) + "}");
    }
    if (roll < 96) {
      return make(tenant, "credits.refund", "support:desk",
                  "{\"credits\":" + std::to_string(1 + random_() % 50) + ",\"note\":\"refund\"}");
    }
    const int64_t amount = static_cast<int64_t>(random_() % 2000) - 1000;
    return make(tenant, "credits.adjust", "admin:ops",
                "{\"credits\":" + std::to_string(amount == 0 ? 1 : amount) + ",\"note\":\"adjust\"}");
  }

  // The command_id of a command this workload made.
  static std::string command_id(const Command& command) {
    const std::size_t start = command.second.find("\"command_id\":\"") + 14;
    return command.second.substr(start, command.second.find('"', start) - start);
  }

 private:
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
    CommandEnvelope command;
    command.command_id = "cmd-" + std::to_string(++counter_);
    command.type = type;
    command.tenant_id = tenant;
    command.actor = actor;
    command.issued_at_ms = now_ms_;
    return {tenant, encode_command(command, payload)};
  }

  std::mt19937_64 random_;
  int64_t now_ms_;
  std::vector<std::string> tenants_;
  std::map<std::string, std::vector<std::string>> open_;
  int64_t counter_ = 0;
};

}  // namespace lf::workload
