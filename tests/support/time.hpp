// Times for tests: an RFC 3339 text as epoch milliseconds; a text that does
// not parse fails the test.
#pragma once

#include <cstdint>
#include <optional>

#include <gtest/gtest.h>

#include "events/time.hpp"

namespace lf::testing {

inline int64_t at(const char* rfc3339) {
  const std::optional<int64_t> unix_ms = parse_rfc3339_ms(rfc3339);
  EXPECT_TRUE(unix_ms.has_value()) << rfc3339;
  return unix_ms.value_or(0);
}

}  // namespace lf::testing
