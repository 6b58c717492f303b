#include "tls/context.hpp"

#include "util/check.hpp"

namespace hopcost {
namespace {

bssl::UniquePtr<SSL_CTX> base_ctx(const TlsSettings& s) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  HOPCOST_CHECK(ctx);
  auto wire = [](TlsVersion v) -> uint16_t { return v == TlsVersion::v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION; };
  HOPCOST_CHECK(SSL_CTX_set_min_proto_version(ctx.get(), wire(s.version.value_or(TlsVersion::v1_2))));
  HOPCOST_CHECK(SSL_CTX_set_max_proto_version(ctx.get(), wire(s.version.value_or(TlsVersion::v1_3))));
  HOPCOST_CHECK(SSL_CTX_set_strict_cipher_list(ctx.get(), "ECDHE-ECDSA-AES128-GCM-SHA256"));
  HOPCOST_CHECK(SSL_CTX_set1_curves_list(ctx.get(), "X25519:P-256"));
  return ctx;
}

}  // namespace

bssl::UniquePtr<SSL_CTX> make_server_ctx(const TlsSettings& s, const Credential& identity) {
  auto ctx = base_ctx(s);
  HOPCOST_CHECK(SSL_CTX_use_certificate(ctx.get(), identity.cert.get()));
  HOPCOST_CHECK(SSL_CTX_use_PrivateKey(ctx.get(), identity.key.get()));
  HOPCOST_CHECK(SSL_CTX_check_private_key(ctx.get()));
  if (!s.tickets) {
    // BoringSSL honours SSL_OP_NO_TICKET for TLS 1.3 too: no NewSessionTicket is sent
    // (tests/unit/tls/context_test.cpp); without the cache TLS 1.2 cannot resume by ID.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  }
  return ctx;
}

bssl::UniquePtr<SSL_CTX> make_client_ctx(const TlsSettings& s, X509* trust_anchor) {
  auto ctx = base_ctx(s);
  HOPCOST_CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), trust_anchor));
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  return ctx;
}

}  // namespace hopcost
