// TLS protocol versions hopcost compares. Plain data, no BoringSSL here.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class TlsVersion { v1_2, v1_3 };

inline constexpr EnumTable<TlsVersion, 2> kTlsVersions{{{{TlsVersion::v1_2, "1.2"}, {TlsVersion::v1_3, "1.3"}}}};

inline std::string_view to_string(TlsVersion v) { return kTlsVersions.text(v); }
inline std::optional<TlsVersion> parse_tls_version(std::string_view s) { return kTlsVersions.parse(s); }

}  // namespace hopcost
