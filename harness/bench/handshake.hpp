// The handshake floor's configurations (bench/handshake.cpp): the defaults are registered
// statically (BM_Handshake/tls12, /tls13, and their resumed floors /tls12_resumed,
// /tls12_resumed_id, /tls13_resumed); a run whose TLS links use another key, group,
// mutual TLS or chain depth registers its own, so that every variant's handshake CPU is
// read against the floor of its own configuration.
#pragma once

#include <optional>
#include <string>

#include "tls/context.hpp"
#include "tls/resumption.hpp"

namespace hopcost {

struct HandshakeConfig {
  TlsSettings tls;      // version (set), key, group, mtls
  int chain_depth = 0;  // intermediates between the root and each leaf
  // Resumed handshakes: every timed handshake offers the session of one full handshake
  // done before timing, by a ticket (TLS 1.3; TLS 1.2 `ticket`) or by its session ID from
  // the server's session cache (TLS 1.2 `id`), and must resume. None: full handshakes.
  std::optional<ResumeBy> resumed{};
};

// Registers "BM_Handshake/<name>" (name: letters, digits, '_') for `config`, once per
// process and name; the same counters as the defaults.
void register_handshake_floor(const std::string& name, const HandshakeConfig& config);

}  // namespace hopcost
