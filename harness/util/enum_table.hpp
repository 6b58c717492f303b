// One table of (value, text) per enum: parsing, printing and the "accepted:" list of
// --help and of error messages all read it, so that a new value cannot print the wrong
// name (tests/unit/guard_test.cpp walks every table). Plain data.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace hopcost {

template <typename E, size_t N>
struct EnumTable {
  std::array<std::pair<E, std::string_view>, N> rows;

  constexpr std::string_view text(E value) const {
    for (const auto& [v, t] : rows)
      if (v == value) return t;
    return "?";
  }
  constexpr std::optional<E> parse(std::string_view s) const {
    for (const auto& [v, t] : rows)
      if (t == s) return v;
    return std::nullopt;
  }
  // "new, keepalive"
  std::string accepted() const {
    std::string out;
    for (const auto& [v, t] : rows) out += (out.empty() ? "" : ", ") + std::string(t);
    return out;
  }
};

}  // namespace hopcost
