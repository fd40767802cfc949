// What a harness asserts beyond "no crash": a property that fails prints what
// broke and aborts, which libFuzzer reports as a crash and saves the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace lf::fuzz {

[[noreturn]] inline void property_failed(const char* condition, const std::string& detail,
                                         const char* file, int line) {
  std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n  %s\n", condition, file, line,
               detail.c_str());
  std::abort();
}

// The input as a string_view.
inline std::string_view as_text(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace lf::fuzz

#define LF_FUZZ_CHECK(cond, detail)                                     \
  do {                                                                  \
    if (!(cond)) [[unlikely]]                                           \
      ::lf::fuzz::property_failed(#cond, (detail), __FILE__, __LINE__); \
  } while (0)
