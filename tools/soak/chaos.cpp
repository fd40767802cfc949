// The soak's kill schedule (chaos.hpp).
#include "tools/soak/chaos.hpp"

#include "events/assert.hpp"

namespace lf::soak {

namespace {

constexpr int kDoublePercent = 15;
constexpr int kRekillPercent = 15;
constexpr int64_t kRekillDelayMsMin = 200;
constexpr int64_t kRekillDelayMsSpan = 1300;

}  // namespace

Chaos::Chaos(uint64_t seed, int64_t kill_every_ms, std::vector<std::string> services,
             int64_t start_ms)
    : random_(seed ^ 0x9e3779b97f4a7c15ULL),
      kill_every_ms_(kill_every_ms),
      services_(std::move(services)),
      next_ms_(start_ms + kill_every_ms) {
  LF_ASSERT(kill_every_ms > 0 && !services_.empty());
}

std::vector<std::string> Chaos::due(int64_t now_ms) {
  if (rekill_ && now_ms >= rekill_->first) {
    std::vector<std::string> victims{rekill_->second};
    rekill_.reset();
    ++rekills_;
    return victims;
  }
  if (now_ms < next_ms_) return {};
  next_ms_ = now_ms + kill_every_ms_ / 2 +
             static_cast<int64_t>(random_() % static_cast<uint64_t>(kill_every_ms_ + 1));
  const int roll = static_cast<int>(random_() % 100);
  const std::string first = services_[random_() % services_.size()];
  if (roll < kDoublePercent && services_.size() > 1) {
    std::string second = first;
    while (second == first) second = services_[random_() % services_.size()];
    ++double_kills_;
    return {first, second};
  }
  if (roll < kDoublePercent + kRekillPercent && !rekill_) {
    rekill_ = std::make_pair(
        now_ms + kRekillDelayMsMin + static_cast<int64_t>(random_() % kRekillDelayMsSpan), first);
  }
  return {first};
}

}  // namespace lf::soak
