// What the import runtime's files share: its logger ("import"), its clock
// and its pacing and progress intervals.
#pragma once

#include <chrono>
#include <memory>

#include <spdlog/spdlog.h>

namespace lf::import_run {

using Clock = std::chrono::steady_clock;

constexpr int kPacingRefreshMs = 100;
constexpr int kProgressEveryMs = 200;
constexpr int kWaitingNoticeEveryMs = 10'000;

inline double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

inline std::shared_ptr<spdlog::logger> logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("import");
    return existing ? existing : spdlog::default_logger()->clone("import");
  }();
  return instance;
}

}  // namespace lf::import_run
