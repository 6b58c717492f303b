// The key-exchange group of a link (--group). One table of (value, flag text), and
// BoringSSL's name for each (what SSL_get_curve_name reports, and the report's
// `tls_group`). CECPQ2 (X25519 + HRSS) is the only post-quantum hybrid of this BoringSSL
// (API 17); it has no ML-KEM. Plain data.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class TlsGroup { x25519, p256, p384, cecpq2 };

inline constexpr EnumTable<TlsGroup, 4> kTlsGroups{
    {{{TlsGroup::x25519, "x25519"}, {TlsGroup::p256, "p-256"}, {TlsGroup::p384, "p-384"}, {TlsGroup::cecpq2, "cecpq2"}}}};
inline constexpr EnumTable<TlsGroup, 4> kTlsGroupLibraryNames{
    {{{TlsGroup::x25519, "X25519"}, {TlsGroup::p256, "P-256"}, {TlsGroup::p384, "P-384"}, {TlsGroup::cecpq2, "CECPQ2"}}}};

inline std::string_view to_string(TlsGroup g) { return kTlsGroups.text(g); }
inline std::optional<TlsGroup> parse_tls_group(std::string_view s) { return kTlsGroups.parse(s); }
inline std::string_view library_name(TlsGroup g) { return kTlsGroupLibraryNames.text(g); }

}  // namespace hopcost
