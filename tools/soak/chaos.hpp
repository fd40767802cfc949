// When the soak kills, and whom: every `kill_every` on average (uniformly
// jittered between half and one and a half times it, seeded), one random
// service; sometimes two at once; sometimes the one just restarted again,
// a moment after its restart. Pure: the driver does the killing.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace lf::soak {

class Chaos {
 public:
  Chaos(uint64_t seed, int64_t kill_every_ms, std::vector<std::string> services, int64_t start_ms);

  // The services to kill -9 (and start again) at `now_ms`; empty when none is due.
  std::vector<std::string> due(int64_t now_ms);

  int64_t double_kills() const { return double_kills_; }
  int64_t kills_right_after_restart() const { return rekills_; }

 private:
  std::mt19937_64 random_;
  int64_t kill_every_ms_;
  std::vector<std::string> services_;
  int64_t next_ms_;
  std::optional<std::pair<int64_t, std::string>> rekill_;  // (when, whom)
  int64_t double_kills_ = 0;
  int64_t rekills_ = 0;
};

}  // namespace lf::soak
