// The workflow events' upcasters: for each workflow event type changed since
// v1, one pure step per version, from_version -> from_version + 1. Each step
// states the change field by field; docs/domains/workflow.md keeps the
// types' version history. Adding a version: add
// schemas/events/<type>.v<N>.json, a step from N-1 here, and make the decider
// write N.
#include <array>
#include <string_view>

#include "events/upcast.hpp"

namespace lf {
namespace {

// activity.run_finished v1 -> v2: what the run reported about itself moves
// into one `usage` object, always present (empty when nothing was reported,
// as for a timed_out run), so new meters join it without widening the top
// level:
//   input_tokens  -> usage.input_tokens   (only when present)
//   output_tokens -> usage.output_tokens  (only when present)
//   duration_ms   -> usage.duration_ms    (only when present)
// Every other field is kept as it is.
void run_finished_v1_to_v2(rapidjson::Value& payload, JsonAllocator& allocator) {
  static constexpr std::array<std::string_view, 3> kUsageFields = {"input_tokens", "output_tokens",
                                                                   "duration_ms"};
  rapidjson::Value usage(rapidjson::kObjectType);
  for (const std::string_view field : kUsageFields) {
    const rapidjson::Value name(rapidjson::StringRef(field.data(), field.size()));
    const auto member = payload.FindMember(name);
    if (member == payload.MemberEnd()) continue;
    usage.AddMember(rapidjson::StringRef(field.data(), field.size()), member->value, allocator);
    payload.EraseMember(member);  // keeps the other members in order
  }
  payload.AddMember("usage", usage, allocator);
}

constexpr std::array kUpcasters = {
    Upcaster{"activity.run_finished", 1, &run_finished_v1_to_v2},
};

}  // namespace

std::span<const Upcaster> workflow_upcasters() { return kUpcasters; }

}  // namespace lf
