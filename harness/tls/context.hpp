// The SSL_CTX factory: the one place where TLS settings become BoringSSL configuration.
#pragma once

#include "tls/boringssl.hpp"
#include "tls/pki.hpp"
#include <optional>

#include <string>

#include "tls/group.hpp"
#include "tls/key_type.hpp"
#include "tls/resumption.hpp"
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
  // The server's key type (--key): TLS 1.2 offers the ECDHE suite that signs with it; a
  // verifying side accepts the signature algorithms every key type needs (Ed25519
  // included).
  KeyType key = KeyType::ecdsa_p256;
  // The only key-exchange group offered and accepted (--group); none: X25519 preferred,
  // P-256 too (a TLS 1.2 client with a P-256 certificate needs it: FLOORS.md).
  std::optional<TlsGroup> group{};
  // Mutual TLS (--mtls): the server requires a client certificate and verifies its chain
  // and name; the client presents one.
  bool mtls = false;
  // Clients: keep the newest session the server gave and offer it on the next
  // connection (`--conn resume`, `--upstream-resume on`). Sessions live in the client
  // context's store (session_store.hpp): one per link end.
  bool resume = false;
  // Servers whose only version is TLS 1.2: `id` issues no tickets, so that clients resume
  // by session ID from the server's session cache (BoringSSL's default cache, on unless
  // `tickets` is false). TLS 1.3 resumes by tickets only.
  ResumeBy resume_by = ResumeBy::ticket;
  // TLS 1.3 0-RTT (`--conn 0rtt`). Servers: accept early data, and say so in their
  // tickets. Clients: with a session that allows it, send the first write as early data.
  bool early_data = false;
};

// A server context presenting `identity` (its chain sent with it). Session tickets and
// the session cache stay on, as on a stock server, unless `settings.tickets` is false.
// With `settings.mtls`, clients must present a certificate that chains to
// `client_trust` and carries `client_name`.
bssl::UniquePtr<SSL_CTX> make_server_ctx(const TlsSettings& settings, const Credential& identity,
                                         X509* client_trust = nullptr, const std::string& client_name = {});

// A client context that verifies the peer's chain against `trust_anchor`, and offers
// sessions for resumption only with `settings.resume`. The name is checked per connection (tls_stream.cpp).
// With `settings.mtls`, it presents `identity` (required then).
bssl::UniquePtr<SSL_CTX> make_client_ctx(const TlsSettings& settings, X509* trust_anchor,
                                         const Credential* identity = nullptr);

}  // namespace hopcost
