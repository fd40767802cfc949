// The dry run (engine/dry_run.hpp) decides as the partition decides: from the
// same state, the same commands at the same times give the same decisions
// and leave the same state, due timers included.
#include "engine/dry_run.hpp"

#include <gtest/gtest.h>

#include "engine/partition.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "tests/support/built_command.hpp"

namespace lf::engine {
namespace {

using lf::testing::build_command;

constexpr const char* kTenant = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
const int64_t kNow = *parse_rfc3339_ms("2026-11-10T12:00:00Z");
constexpr int64_t kMinute = 60'000;

struct Step {
  std::string type;
  std::string payload;
  int64_t at_ms;
};

// Allocations, holds (one expiring between two commands, so its timer fires
// before the next), a use, a refusal, an activity and its run.
std::vector<Step> steps() {
  const std::string expiring = format_rfc3339_ms(kNow + 5 * kMinute);
  return {
      {"credits.allocate",
       R"({"credits_monthly":1000,"period_start":"2026-11-01T00:00:00Z","period_end":"2026-12-01T00:00:00Z"})",
       kNow},
      {"credits.reserve",
       R"({"reservation_id":"r1","credits":300,"expires_at":")" + expiring + "\"}", kNow + kMinute},
      {"credits.reserve", R"({"reservation_id":"r2","credits":200})", kNow + 2 * kMinute},
      {"credits.consume", R"({"reservation_id":"r2","credits":150})", kNow + 3 * kMinute},
      {"credits.reserve", R"({"reservation_id":"r3","credits":5000})", kNow + 4 * kMinute},
      {"credits.reserve", R"({"reservation_id":"r4","credits":100})", kNow + 10 * kMinute},
      {"activity.create",
       R"({"activity_id":"w-1","title":"Write","type":"write","assignee_type":"agent","assignee_agent_role":"copywriter"})",
       kNow + 11 * kMinute},
      {"credits.release", R"({"reservation_id":"r1"})", kNow + 12 * kMinute},
  };
}

std::string json_of(const TenantState& state) {
  JsonWriter writer;
  write_tenant_state(writer, state);
  return writer.str();
}

TenantState read(const std::string& json) {
  std::unique_ptr<rapidjson::Document> document = std::move(parse_json_trusted(json).value());
  return std::move(read_tenant_state(*document).value());
}

// Decides `steps` [from, to) on both, checking decisions and states agree
// after each.
void decide_both(PartitionCore& core, DryRun& dry, const std::vector<Step>& all, std::size_t from,
                 std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    const Step& step = all[i];
    const std::string id = "c" + std::to_string(i);
    CommandOutcome live =
        core.decide(build_command(step.type, kTenant, id, step.payload).envelope,
                    SourcePosition{"commands", 0, static_cast<int64_t>(i)}, step.at_ms);
    Decision decided = dry.decide(build_command(step.type, kTenant, id, step.payload).envelope,
                                  Context{step.at_ms, nullptr});
    EXPECT_EQ(decided.accepted(), live.result.status == ResultStatus::accepted)
        << step.type << " " << live.result.message;
    if (!decided.accepted()) {
      EXPECT_EQ(decided.rejection().reason, live.result.reason);
    }
    ASSERT_EQ(json_of(dry.state()), core.tenant_state_json(kTenant)) << "after " << id;
  }
}

TEST(DryRun, DecidesAndLeavesTheStateAsThePartitionDoes) {
  const std::vector<Step> all = steps();
  PartitionCore core(0, "engine-a", PartitionOptions{}, UlidGenerator(1));
  DryRun dry(kTenant, TenantState{});
  decide_both(core, dry, all, 0, all.size());
  // r1 expired by its timer before r4 was decided: released, not open.
  EXPECT_FALSE(dry.state().credits.reservations.contains("r1"));
}

TEST(DryRun, GoesOnFromTheStateASnapshotHolds) {
  const std::vector<Step> all = steps();
  PartitionCore core(0, "engine-a", PartitionOptions{}, UlidGenerator(1));
  DryRun before(kTenant, TenantState{});
  decide_both(core, before, all, 0, 3);
  // As `ledgerflow import` starts: the tenant's snapshot JSON, read back.
  DryRun dry(kTenant, read(core.tenant_state_json(kTenant)));
  decide_both(core, dry, all, 3, all.size());
}

}  // namespace
}  // namespace lf::engine
