// What workload.cpp and workload_flows.cpp share: the model's bounds, the
// per-tenant model (its holds, flows and books) and the JSON bits payloads
// are made of.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/assert.hpp"
#include "events/time.hpp"
#include "tools/soak/workload.hpp"

namespace lf::soak {

inline constexpr int kFlowsPerTenantMax = 3;
inline constexpr std::size_t kOpenReservationsSoftMax = 24;
inline constexpr std::size_t kClosedKept = 32;  // far below the engine's 10,000 recently closed
inline constexpr std::size_t kOrdersKept = 16;
inline constexpr std::size_t kRecentForResend =
    512;  // far below the engine's de-duplication window
inline constexpr int kReviewRoundsMax = 3;
inline constexpr int64_t kHoldTtlMs = 12 * kMillisPerHour;  // no hold expires during a soak

inline std::string q(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}
inline std::string n(int64_t value) {
  return std::to_string(value);
}

inline std::string id_payload(const char* field, const std::string& id) {
  return "{" + q(field) + ":" + q(id) + "}";
}

struct Hold {
  std::string id;  // reservation id, or run id for a run's hold
  int64_t credits = 0;
  uint32_t command = 0;  // the command that made it
  bool run = false;      // a run's hold: the engine names it "run:<run id>"
  std::string reservation_id() const { return run ? "run:" + id : id; }
};

struct Workload::Step {
  std::string type;
  std::string actor;
  std::string payload;
  bool accepted = true;
  std::string reason;
  Effect effect = Effect::none;
  int64_t amount = 0;
  uint32_t ref = 0;

  static Step accept(std::string type, std::string actor, std::string payload) {
    Step step;
    step.type = std::move(type);
    step.actor = std::move(actor);
    step.payload = std::move(payload);
    return step;
  }
  static Step reject(std::string type, std::string actor, std::string payload, std::string reason) {
    Step step = accept(std::move(type), std::move(actor), std::move(payload));
    step.accepted = false;
    step.reason = std::move(reason);
    return step;
  }
  Step& with(Effect what, int64_t credits, uint32_t holder = 0) {
    effect = what;
    amount = credits;
    ref = holder;
    return *this;
  }
};

struct Workload::Flow {
  enum class Kind { work, gate, buy, approval };
  Kind kind = Kind::work;
  std::string id;
  int stage = 0;
  int round = 0;  // approvals opened so far (ids <id>-ap<round>)
  int runs_left = 0;
  bool requires_approval = false;
  bool extra_done =
      false;  // the flow's one optional extra step (assign, a refused repeat) is spent
  std::optional<Hold> run;
  bool done = false;
};

struct Workload::TenantModel {
  uint32_t index = 0;
  std::string id;
  bool allocated = false;
  Balance balance;
  int64_t refundable = 0;  // consumed and not yet refunded
  std::vector<Hold> open;
  std::deque<std::string> closed;
  std::vector<std::string> orders;
  std::vector<std::unique_ptr<Flow>> flows;
  uint32_t serial = 0;

  std::string next_id(const char* prefix) { return prefix + std::to_string(++serial); }

  void hold(int64_t credits) {
    LF_ASSERT(credits > 0 && credits <= balance.effective_available);
    balance.effective_available -= credits;
    balance.reserved += credits;
  }
  void close(const Hold& held, int64_t used) {
    LF_ASSERT(used >= 0 && used <= held.credits && balance.reserved >= held.credits);
    balance.effective_available += held.credits - used;
    balance.reserved -= held.credits;
    balance.consumed += used;
    refundable += used;
    closed.push_back(held.reservation_id());
    if (closed.size() > kClosedKept) closed.pop_front();
  }
};

}  // namespace lf::soak
