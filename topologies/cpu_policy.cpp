#include "topologies/cpu_policy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

#include "util/errors.hpp"

namespace hopcost {

std::string CpuPolicy::text() const {
  switch (kind) {
    case Kind::spread: return "spread";
    case Kind::pack: return "pack";
    case Kind::pin: return fmt::format("pin:{}", fmt::join(cpus, ","));
  }
  return "?";
}

CpuPolicy parse_cpu_policy(std::string_view text) {
  const auto allowed = allowed_cpus();
  const std::string accepted = fmt::format("accepted: spread, pack, pin:LIST with CPUs from {{{}}}", fmt::join(allowed, ","));
  if (text == "spread") return {};
  if (text == "pack") return {CpuPolicy::Kind::pack, {}};
  if (text.substr(0, 4) != "pin:") throw ConfigError(fmt::format("unknown CPU policy '{}'; {}", text, accepted));
  CpuPolicy p{CpuPolicy::Kind::pin, {}};
  std::string_view list = text.substr(4);
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    int cpu = -1;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), cpu);
    if (item.empty() || ec != std::errc{} || ptr != item.data() + item.size())
      throw ConfigError(fmt::format("'{}' in '{}' is not a CPU number; {}", item, text, accepted));
    if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end())
      throw ConfigError(fmt::format("CPU {} is not available to this process; {}", cpu, accepted));
    p.cpus.push_back(cpu);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return p;
}

std::vector<std::optional<int>> assign_cpus(const CpuPolicy& policy, size_t nodes) {
  std::vector<std::optional<int>> out(nodes);
  if (policy.kind == CpuPolicy::Kind::pack) {
    const auto allowed = allowed_cpus();
    for (auto& c : out) c = allowed.empty() ? 0 : allowed.front();
  } else if (policy.kind == CpuPolicy::Kind::pin) {
    for (size_t i = 0; i < nodes; ++i) out[i] = policy.cpus[i % policy.cpus.size()];
  }
  return out;
}

}  // namespace hopcost
