// One table per enum gives both directions of its wire spelling.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace sterifleet::protocol::detail {

template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <class Enum, std::size_t N>
constexpr std::string_view name_of(const NameTable<Enum, N>& table, Enum value) noexcept {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> value_of(const NameTable<Enum, N>& table, std::string_view name) noexcept {
  for (const auto& [e, text] : table) {
    if (text == name) return e;
  }
  return std::nullopt;
}

}  // namespace sterifleet::protocol::detail
