// The soak's workload: a seeded, steady mix of credits and workflow commands
// over many tenants, and for every command the decision the engine must
// make. Each tenant's commands are decided in the order they are sent (one
// partition, one owner at a time), so a model of each tenant, advanced as if
// every prediction held, predicts every decision exactly: the soak checks
// the engine's decisions against it (and tests/unit/soak checks it against
// the real deciders). Pure: no Kafka, no PostgreSQL, no clock reads.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace lf::soak {

// What an accepted command does to its tenant's credits (the client's fold).
enum class Effect : uint8_t {
  none,
  add,      // effective available += amount (allocate, topup, refund, adjust: signed)
  hold,     // a reservation of `amount` (credits.reserve, activity.start_run)
  consume,  // closes the hold made by command `ref`, using `amount` of it
  release,  // closes the hold made by command `ref`, using none
};

// One command to send.
struct Planned {
  uint32_t index = 0;   // its command_id is command_id(index)
  uint32_t tenant = 0;  // index into Workload::tenants()
  std::string type;
  std::string json;  // the command envelope, as sent
  bool expect_accepted = true;
  std::string reason;  // the rejection reason the engine must give (empty: accepted)
  Effect effect = Effect::none;
  int64_t amount = 0;
  uint32_t ref = 0;
  // A re-send of command `*resend_of` (the same bytes): it gets a duplicate
  // result and no decision of its own; `index` is then the original's.
  std::optional<uint32_t> resend_of;
};

// "soak-<index>", and back.
std::string command_id(uint32_t index);
std::optional<uint32_t> command_index(std::string_view command_id);

// A tenant's credits as the model predicts them.
struct Balance {
  int64_t effective_available = 0;
  int64_t reserved = 0;
  int64_t consumed = 0;
  bool operator==(const Balance&) const = default;
};

struct WorkloadOptions {
  uint64_t seed = 1;
  int tenant_count = 200;
  int resend_percent = 3;       // commands re-sent with the same command_id
  int bad_input_per_mille = 5;  // refused by the intake (schema_violation, unknown_command_type)
  int workflow_percent = 45;    // the rest: credits commands
  int64_t monthly_credits = 5'000'000;
};

class Workload {
 public:
  // `start_ms`: the billing periods are the dates around it.
  Workload(const WorkloadOptions& options, int64_t start_ms);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // The next command, issued at `now_ms`. Every tenant's first command is
  // its allocation.
  Planned next(int64_t now_ms);

  const std::vector<std::string>& tenants() const { return tenant_ids_; }
  // Commands planned so far (re-sends not counted).
  uint32_t planned() const { return next_index_; }
  // The model's balance of a tenant after every command planned so far.
  Balance balance(uint32_t tenant) const;

  struct TenantModel;
  struct Flow;
  struct Step;

 private:
  Planned plan(uint32_t tenant, Step step, int64_t now_ms);
  Step credits_step(TenantModel& model);
  std::optional<Step> workflow_step(TenantModel& model);
  std::optional<Step> flow_step(TenantModel& model, Flow& flow);
  Step work_step(TenantModel& model, Flow& flow);
  Step gate_step(TenantModel& model, Flow& flow);
  Step buy_step(TenantModel& model, Flow& flow);
  Step approval_step(TenantModel& model, Flow& flow);
  Step finish_run(TenantModel& model, Flow& flow);
  Step start_run(TenantModel& model, Flow& flow);
  Step bad_input(TenantModel& model);
  std::string reservation_expiry() const;
  uint64_t roll(uint64_t bound) { return random_() % bound; }
  bool chance(int percent) { return static_cast<int>(random_() % 100) < percent; }

  WorkloadOptions options_;
  std::mt19937_64 random_;
  int64_t start_ms_;
  int64_t now_ms_ = 0;
  std::string period_start_;
  std::string period_end_;
  std::vector<std::string> tenant_ids_;
  std::vector<std::unique_ptr<TenantModel>> models_;
  uint32_t next_index_ = 0;
  uint32_t next_unallocated_ = 0;
  // Recently planned commands, for re-sends: (index, tenant, type, json).
  struct Sent {
    uint32_t index;
    uint32_t tenant;
    std::string type;
    std::string json;
  };
  std::deque<Sent> recent_;
};

}  // namespace lf::soak
