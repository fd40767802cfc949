// Enum <-> wire name tables of the domains: one constexpr table per enum,
// read both ways. Internal to engine/.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "events/assert.hpp"

namespace lf::engine {

template <typename Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <typename Enum, std::size_t N>
std::string_view name_in(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [each, name] : table) {
    if (each == value) return name;
  }
  LF_ASSERT_MSG(false, "an enum value without a name");
  return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_in(const NameTable<Enum, N>& table, std::string_view text) {
  for (const auto& [value, name] : table) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace lf::engine
