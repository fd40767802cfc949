// Waiting on a condition with a deadline: the one place in the tests where a
// short sleep between checks is allowed (STYLE.md: no bare sleeps).
#pragma once

#include <chrono>
#include <thread>

namespace lf::testing {

// Checks `pred` every `poll_every` until it holds or `deadline` has passed;
// returns its result at the deadline.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds deadline,
                std::chrono::milliseconds poll_every = std::chrono::milliseconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll_every);
  }
  return pred();
}

}  // namespace lf::testing
