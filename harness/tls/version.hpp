// TLS protocol versions hopcost compares. Plain data, no BoringSSL here.
#pragma once

#include <optional>
#include <string_view>

namespace hopcost {

enum class TlsVersion { v1_2, v1_3 };

inline std::string_view to_string(TlsVersion v) { return v == TlsVersion::v1_2 ? "1.2" : "1.3"; }
inline std::optional<TlsVersion> parse_tls_version(std::string_view s) {
  if (s == "1.2") return TlsVersion::v1_2;
  if (s == "1.3") return TlsVersion::v1_3;
  return std::nullopt;
}

}  // namespace hopcost
