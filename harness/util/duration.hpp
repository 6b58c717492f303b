// Durations written by users: "0", "250us", "250µs", "0.2ms", "1s" (a unit is required
// unless the value is 0). Used for round-trip times (--rtt, per-link rtt=).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace hopcost {

inline constexpr std::chrono::nanoseconds kMaxRtt = std::chrono::seconds(1);

// Throws ConfigError naming the text and what is accepted (not where it came from: the
// caller adds that). Accepts 0 to kMaxRtt.
std::chrono::nanoseconds parse_rtt(std::string_view text);

// The shortest exact form: "0", "200us", "1ms", "1500us", "1s".
std::string format_rtt(std::chrono::nanoseconds rtt);

}  // namespace hopcost
