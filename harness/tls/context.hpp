// The SSL_CTX factory: the one place where TLS settings become BoringSSL configuration.
#pragma once

#include "tls/boringssl.hpp"
#include "tls/pki.hpp"
#include <optional>

#include "tls/version.hpp"

namespace hopcost {

// The exact suites compared (issue #2): TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256, TLS 1.3
// TLS_AES_128_GCM_SHA256 (BoringSSL API 17 cannot restrict TLS 1.3 suites; it prefers
// AES-128-GCM on hardware with AES instructions, and the negotiated suite is recorded).
// Key exchange X25519 is preferred; P-256 stays in the list because a TLS 1.2 client
// with a P-256 certificate needs it (FLOORS.md, "Traps").
struct TlsSettings {
  std::optional<TlsVersion> version = TlsVersion::v1_3;  // empty: TLS 1.2 and 1.3 both
  // Servers only. false (`--tickets off`): no session tickets (TLS 1.2 and 1.3:
  // SSL_OP_NO_TICKET) and no session cache, so that every client does full handshakes.
  bool tickets = true;
};

// A server context presenting `identity`. Session tickets and the session cache stay on,
// as on a stock server, unless `settings.tickets` is false.
bssl::UniquePtr<SSL_CTX> make_server_ctx(const TlsSettings& settings, const Credential& identity);

// A client context that verifies the peer's chain against `trust_anchor` and never
// offers a session for resumption. The name is checked per connection (tls_stream.cpp).
bssl::UniquePtr<SSL_CTX> make_client_ctx(const TlsSettings& settings, X509* trust_anchor);

}  // namespace hopcost
