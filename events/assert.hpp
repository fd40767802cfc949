// Assertions that stay on in release builds (TigerBeetle and Redpanda's
// vassert): an invariant that fails means the process must stop before it
// writes something wrong.
#pragma once

#include <cstdio>
#include <cstdlib>

#define LF_ASSERT(cond)                                                                   \
  do {                                                                                    \
    if (!(cond)) [[unlikely]] {                                                           \
      std::fprintf(stderr, "ledgerflow: assertion failed: %s (%s:%d)\n", #cond, __FILE__, \
                   __LINE__);                                                             \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

#define LF_ASSERT_MSG(cond, msg)                                                                   \
  do {                                                                                             \
    if (!(cond)) [[unlikely]] {                                                                    \
      std::fprintf(stderr, "ledgerflow: assertion failed: %s: %s (%s:%d)\n", #cond, msg, __FILE__, \
                   __LINE__);                                                                      \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)
