// What the rebuild's files share: its clock and its logger.
#pragma once

#include <chrono>
#include <memory>

#include <spdlog/spdlog.h>

namespace lf::rebuild {

using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> logger();

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace lf::rebuild
