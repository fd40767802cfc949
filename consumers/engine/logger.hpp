// The engine service's logger ("engine").
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace lf::engine_service {

inline std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("engine");
    return existing ? existing : spdlog::default_logger()->clone("engine");
  }();
  return instance;
}

}  // namespace lf::engine_service
