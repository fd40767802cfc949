// The demo's scripts (cli/demo.cpp plays them): the commands of each part,
// built as a producer of the seed platforms would send them, and the CSV
// export of a third platform's ledger that the demo imports.
//
// Shaped like the seed platforms' data (../shared/seeds): Leadmetrics'
// activities (normal priority, review steps in a human queue, runs with
// their model and USD cost), its top-up orders (paise, the payment webhook
// delivered twice, a refund after part of the credits was used) and USD
// spend cap, the Prebid sales agent's media buys (decimal budgets) and
// Stratum AI's audit rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "events/envelope.hpp"
#include "events/json.hpp"
#include "events/time.hpp"

namespace lf::cli::demo {

inline constexpr const char* kAcme = "3f0e8a52-6c1d-4b8e-9a7f-2d5c1e0b9a41";
inline constexpr const char* kGlobex = "b7d24e19-0f3a-4c62-8e15-9a4d7c3b2f60";
inline constexpr const char* kInitech = "5c2e9d47-81a3-4f06-b2d8-6e1f0a7c3b95";

// The tenant's name in the summaries.
std::string tenant_name(std::string_view tenant_id);

struct DemoCommand {
  std::string label;
  std::string tenant_id;
  std::string command_id;
  std::string json;
};

class Script {
 public:
  // Command ids are `<id_prefix><n>` unless given: each script its own prefix.
  Script(int64_t now_ms, std::string id_prefix)
      : now_ms_(now_ms), id_prefix_(std::move(id_prefix)) {}

  void add(const std::string& label, const std::string& tenant, const std::string& type,
           const std::string& actor, const std::string& payload_json, std::string command_id = "") {
    if (command_id.empty()) command_id = id_prefix_ + std::to_string(++counter_);
    CommandEnvelope command = command_envelope(command_id, type, tenant, actor, now_ms_);
    command.correlation_id = "demo";
    commands_.push_back(
        DemoCommand{label, tenant, command_id, encode_command(command, payload_json)});
  }
  const std::vector<DemoCommand>& commands() const { return commands_; }

 private:
  int64_t now_ms_;
  std::string id_prefix_;
  int counter_ = 0;
  std::vector<DemoCommand> commands_;
};

// A JSON object of the fields `fields` writes.
std::string payload(const std::function<void(JsonWriter&)>& fields);

// Two tenants' credits over a working day.
void build_script(Script& script, int64_t now_ms);

// The review nobody decides: it expires this long after it is requested, and
// the engine escalates it to the tenant's escalation reviewer.
inline constexpr int64_t kShortApprovalTtlMs = 4 * kMillisPerSecond;
inline constexpr const char* kShortApproval = "act-banner:approval:1";

// A day of Acme's workflow: a media buy approved and activated, an agent
// activity with a credit-consuming run and a human review, open work in the
// queues.
void build_workflow_day(Script& script, int64_t now_ms);
// The review nobody decides (kShortApproval).
void build_short_approval(Script& script, int64_t now_ms);

// A top-up order's life and the USD spend cap.
void build_money(Script& script);

// Initech's Leadmetrics ledger of this month so far, as `COPY credit_ledger
// TO ... CSV HEADER` writes it, and its credit_balances row: the two CSV
// files written into `dir`, the ledger's times spread over this month up to
// `now_ms`.
void write_initech_export(const std::filesystem::path& dir, int64_t now_ms);

}  // namespace lf::cli::demo
