// Pacing an import by the projectors (pacer.hpp).
#include "consumers/import/pacer.hpp"

#include <stdexcept>

namespace lf::import_run {

void wait_caught_up(Pacer& pacer, const Options& options, const std::function<void()>& waiting) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.catch_up_timeout_ms);
  while (true) {
    pacer.refresh();
    if (pacer.total_lag() == 0) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error("the read tables did not catch up with " + options.topics.events() +
                               " within " + std::to_string(options.catch_up_timeout_ms) + " ms (" +
                               std::to_string(pacer.total_lag()) + " records behind)");
    }
    waiting();
  }
}

}  // namespace lf::import_run
