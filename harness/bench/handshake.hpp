// The handshake floor's configurations (bench/handshake.cpp): the two defaults are
// registered statically (BM_Handshake/tls12, /tls13); a run whose TLS links use another
// key, group, mutual TLS or chain depth registers its own, so that every variant's
// handshake CPU is read against the floor of its own configuration.
#pragma once

#include <string>

#include "tls/context.hpp"

namespace hopcost {

struct HandshakeConfig {
  TlsSettings tls;      // version (set), key, group, mtls
  int chain_depth = 0;  // intermediates between the root and each leaf
};

// Registers "BM_Handshake/<name>" (name: letters, digits, '_') for `config`, once per
// process and name; the same counters as the defaults.
void register_handshake_floor(const std::string& name, const HandshakeConfig& config);

}  // namespace hopcost
