// Hashed containers keyed by std::string for the engine's per-tenant state.
//
// The hash is transparent, so a lookup by std::string_view builds no string.
// And libstdc++ (GCC 12) treats any hash type other than
// std::hash<std::string> as fast: a table of up to 20 entries is then
// searched through its bucket, not by comparing the key with every entry in
// turn. That walk touches every node, and a tenant's state is usually cold
// when its next command comes (decide_bench: the recently closed
// reservation ids alone took a tenth of a decision that way).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace lf {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

}  // namespace lf
