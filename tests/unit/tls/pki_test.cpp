#include <catch2/catch.hpp>

#include <openssl/x509v3.h>

#include <cstring>

#include "tls/pki.hpp"

using namespace hopcost;

namespace {
int verify(X509* leaf, X509* anchor, const char* host) {
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), anchor);
  bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx.get()), host, strlen(host));
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}
}  // namespace

TEST_CASE("a leaf verifies against its run's CA under its own name only") {
  const Pki pki;
  const Credential leaf = pki.issue("relay1.hopcost.test");
  CHECK(verify(leaf.cert.get(), pki.ca_cert(), "relay1.hopcost.test") == X509_V_OK);
  CHECK(verify(leaf.cert.get(), pki.ca_cert(), "relay2.hopcost.test") == X509_V_ERR_HOSTNAME_MISMATCH);
  const Pki other;
  CHECK(verify(leaf.cert.get(), other.ca_cert(), "relay1.hopcost.test") != X509_V_OK);
  CHECK(X509_check_private_key(leaf.cert.get(), leaf.key.get()) == 1);
  CHECK(EVP_PKEY_id(leaf.key.get()) == EVP_PKEY_EC);
}
