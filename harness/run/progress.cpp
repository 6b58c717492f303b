#include "run/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace hopcost {
namespace {

// Terminal cells of UTF-8 text: continuation bytes take none ("µs" is two cells).
size_t cells(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The first `n` cells of `s`, cut between characters.
std::string_view first_cells(std::string_view s, size_t n) {
  size_t i = 0, seen = 0;
  for (; i < s.size(); ++i) {
    if ((s[i] & 0xC0) != 0x80 && seen++ == n) break;
  }
  return s.substr(0, i);
}

}  // namespace

RunProgress::Seconds remaining(const RunProgress& p) {
  if (p.finished >= p.total) return RunProgress::Seconds(0);
  const RunProgress::Seconds per = p.finished > 0 ? p.spent / static_cast<double>(p.finished) : p.planned;
  const auto left = per * static_cast<double>(p.total - p.finished) - p.current;
  return std::max(left, RunProgress::Seconds(0));
}

std::string eta_text(RunProgress::Seconds left) {
  const auto s = static_cast<long long>(std::ceil(std::max(left.count(), 0.0)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string progress_line(size_t index, size_t count, int repeat, int repeats, std::string_view label,
                          RunProgress::Seconds left, size_t width) {
  const std::string digits = std::to_string(count);
  const std::string position =
      repeats > 1 ? fmt::format("[repeat {}/{}, {:>{}}/{}] ", repeat + 1, repeats, index + 1, digits.size(), count)
                  : fmt::format("[{:>{}}/{}] ", index + 1, digits.size(), count);
  const std::string eta = " · ETA " + eta_text(left);
  std::string text(label);
  if (width > 0 && cells(position) + cells(text) + cells(eta) > width) {
    const size_t fixed = cells(position) + cells(eta) + 1;  // 1: the "…"
    text = width > fixed ? std::string(first_cells(text, width - fixed)) + "…" : "…";
  }
  return position + text + eta;
}

}  // namespace hopcost
