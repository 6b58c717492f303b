#include "tls/context.hpp"

#include <string>

#include "tls/session_store.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

// TLS 1.2 suites, one per certificate key family, both AES-128-GCM so that runs with
// different keys stay comparable. BoringSSL's ECDHE-ECDSA suites also cover Ed25519
// certificates (its aECDSA authentication mask includes EdDSA; tests/unit/tls/
// context_test.cpp handshakes Ed25519 over TLS 1.2). Clients list both.
constexpr const char* kEcdsaSuite = "ECDHE-ECDSA-AES128-GCM-SHA256";
constexpr const char* kRsaSuite = "ECDHE-RSA-AES128-GCM-SHA256";
constexpr const char* kClientSuites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

bool is_rsa(KeyType k) { return k == KeyType::rsa_2048 || k == KeyType::rsa_4096; }

// The signature algorithms a verifying side accepts: every key type's (Ed25519 is not in
// BoringSSL's default verify list). TLS 1.3 pairs ECDSA with the curve's own hash.
constexpr uint16_t kVerifyPrefs[] = {
    SSL_SIGN_ED25519,
    SSL_SIGN_ECDSA_SECP256R1_SHA256,
    SSL_SIGN_ECDSA_SECP384R1_SHA384,
    SSL_SIGN_RSA_PSS_RSAE_SHA256,
    SSL_SIGN_RSA_PSS_RSAE_SHA384,
    SSL_SIGN_RSA_PSS_RSAE_SHA512,
    SSL_SIGN_RSA_PKCS1_SHA256,
    SSL_SIGN_RSA_PKCS1_SHA384,
    SSL_SIGN_RSA_PKCS1_SHA512,
};

bssl::UniquePtr<SSL_CTX> base_ctx(const TlsSettings& s, const char* suites) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  HOPCOST_CHECK(ctx);
  auto wire = [](TlsVersion v) -> uint16_t { return v == TlsVersion::v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION; };
  HOPCOST_CHECK(SSL_CTX_set_min_proto_version(ctx.get(), wire(s.version.value_or(TlsVersion::v1_2))));
  HOPCOST_CHECK(SSL_CTX_set_max_proto_version(ctx.get(), wire(s.version.value_or(TlsVersion::v1_3))));
  HOPCOST_CHECK(SSL_CTX_set_strict_cipher_list(ctx.get(), suites));
  // One group when asked for, on both ends, so that it is the one negotiated. CECPQ2
  // (X25519 + HRSS) exists in TLS 1.3 only: a TLS 1.2 handshake with CECPQ2 alone has no
  // shared group and fails, so the flags reject that combination.
  // (SSL_CTX_set1_groups_list does not exist in API 17: FLOORS.md.)
  // Unset: X25519 preferred, P-256 for TLS 1.2 with a P-256 certificate; with an ECDSA
  // P-384 key P-384 too, since TLS 1.2 also requires an ECDSA certificate's curve in the
  // client's list (tests/unit/tls/handshake_matrix_test.cpp): clients must then carry
  // the server's `key` in their settings.
  std::string groups = "X25519:P-256";
  if (s.key == KeyType::ecdsa_p384) groups += ":P-384";
  if (s.group) {
    groups = std::string(library_name(*s.group));
    // TLS 1.2 with an ECDSA certificate: its curve must be listed too (RFC 8422 5.1: the
    // list also says which curves a signature may use). It comes second, so that the
    // key exchange is still the group asked for, as the report's tls_group shows.
    const char* curve = s.key == KeyType::ecdsa_p256 ? "P-256" : s.key == KeyType::ecdsa_p384 ? "P-384" : nullptr;
    // (Not after CECPQ2, which TLS 1.2 cannot use: the handshake must fail, not fall back.)
    if (s.version == TlsVersion::v1_2 && curve && groups != curve && *s.group != TlsGroup::cecpq2)
      groups += std::string(":") + curve;
  }
  HOPCOST_CHECK(SSL_CTX_set1_curves_list(ctx.get(), groups.c_str()));
  return ctx;
}

void set_verify_prefs(SSL_CTX* ctx) {
  HOPCOST_CHECK(SSL_CTX_set_verify_algorithm_prefs(ctx, kVerifyPrefs, sizeof kVerifyPrefs / sizeof kVerifyPrefs[0]));
}

// The certificate, its key and the intermediates (leaf's issuer first), sent together.
void use_identity(SSL_CTX* ctx, const Credential& identity) {
  HOPCOST_CHECK(identity.cert && identity.key);
  HOPCOST_CHECK(SSL_CTX_use_certificate(ctx, identity.cert.get()));
  HOPCOST_CHECK(SSL_CTX_use_PrivateKey(ctx, identity.key.get()));
  HOPCOST_CHECK(SSL_CTX_check_private_key(ctx));
  for (const auto& intermediate : identity.chain) HOPCOST_CHECK(SSL_CTX_add1_chain_cert(ctx, intermediate.get()));
}

}  // namespace

bssl::UniquePtr<SSL_CTX> make_server_ctx(const TlsSettings& s, const Credential& identity, X509* client_trust,
                                         const std::string& client_name) {
  auto ctx = base_ctx(s, is_rsa(s.key) ? kRsaSuite : kEcdsaSuite);
  use_identity(ctx.get(), identity);
  if (!s.tickets) {
    // BoringSSL honours SSL_OP_NO_TICKET for TLS 1.3 too: no NewSessionTicket is sent
    // (tests/unit/tls/context_test.cpp); without the cache TLS 1.2 cannot resume by ID.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  } else if (s.resume_by == ResumeBy::id && s.version == TlsVersion::v1_2) {
    // Session IDs only: no ticket (the client then has none to offer and offers the
    // session's ID), so that resumption goes through the server's session cache.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  }
  if (s.early_data) SSL_CTX_set_early_data_enabled(ctx.get(), 1);
  if (s.mtls) {
    // A client certificate is required, chains to `client_trust` (the client sends its
    // intermediates) and names `client_name`; anything else fails the handshake.
    HOPCOST_CHECK(client_trust != nullptr && !client_name.empty());
    HOPCOST_CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), client_trust));
    HOPCOST_CHECK(X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx.get()), client_name.data(), client_name.size()));
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    set_verify_prefs(ctx.get());
    // Resumed sessions must belong to this context (a session ID context is expected
    // whenever peers are verified).
    static const uint8_t kSessionContext[] = "hopcost mtls";
    HOPCOST_CHECK(SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1));
  }
  return ctx;
}

bssl::UniquePtr<SSL_CTX> make_client_ctx(const TlsSettings& s, X509* trust_anchor, const Credential* identity) {
  auto ctx = base_ctx(s, kClientSuites);
  HOPCOST_CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), trust_anchor));
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  set_verify_prefs(ctx.get());
  if (s.resume) {
    enable_session_store(ctx.get());
    if (s.early_data) SSL_CTX_set_early_data_enabled(ctx.get(), 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  }
  if (s.mtls) {
    HOPCOST_CHECK(identity != nullptr);
    use_identity(ctx.get(), *identity);
  }
  return ctx;
}

}  // namespace hopcost
