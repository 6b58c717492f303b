// The key type of a node's certificate (--key). One table of (value, text): the text is
// the flag's spelling, which the report's `key_type` uses too. Plain data.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class KeyType { ecdsa_p256, ecdsa_p384, rsa_2048, rsa_4096, ed25519 };

inline constexpr EnumTable<KeyType, 5> kKeyTypes{{{{KeyType::ecdsa_p256, "ecdsa-p256"},
                                                   {KeyType::ecdsa_p384, "ecdsa-p384"},
                                                   {KeyType::rsa_2048, "rsa-2048"},
                                                   {KeyType::rsa_4096, "rsa-4096"},
                                                   {KeyType::ed25519, "ed25519"}}}};

inline std::string_view to_string(KeyType k) { return kKeyTypes.text(k); }
inline std::optional<KeyType> parse_key_type(std::string_view s) { return kKeyTypes.parse(s); }

}  // namespace hopcost
