// How a TLS 1.2 link resumes (`--resume ticket|id`): by session tickets, or by session IDs
// that the server keeps in its session cache. TLS 1.3 resumes by tickets only. One table
// of (value, text), shared by every flag and scenario key that takes it. Plain data.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class ResumeBy { ticket, id };

inline constexpr EnumTable<ResumeBy, 2> kResumeBy{{{{ResumeBy::ticket, "ticket"}, {ResumeBy::id, "id"}}}};

inline std::string_view to_string(ResumeBy r) { return kResumeBy.text(r); }
inline std::optional<ResumeBy> parse_resume_by(std::string_view s) { return kResumeBy.parse(s); }

// `--upstream-resume on|off`.
inline constexpr EnumTable<bool, 2> kOnOff{{{{true, "on"}, {false, "off"}}}};

}  // namespace hopcost
