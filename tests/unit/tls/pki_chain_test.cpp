// Key types and chain depths of Pki::issue (issue #10): every leaf verifies against the
// root through its intermediates, and not without them; the CAs stay ECDSA P-256; the
// chain survives a PEM round trip (write_credential / load_credential).
#include <catch2/catch.hpp>

#include <openssl/x509v3.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "tls/pem.hpp"
#include "tls/pki.hpp"

using namespace hopcost;

namespace {

int verify(const Credential& leaf, X509* root, bool with_chain) {
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(store.get(), root));
  bssl::UniquePtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  if (with_chain)
    for (const auto& c : leaf.chain) REQUIRE(sk_X509_push(untrusted.get(), X509_dup(c.get())));
  bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.cert.get(), untrusted.get()));
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx.get()), leaf.name.data(), leaf.name.size());
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

int expected_pkey_id(KeyType k) {
  switch (k) {
    case KeyType::ecdsa_p256:
    case KeyType::ecdsa_p384: return EVP_PKEY_EC;
    case KeyType::rsa_2048:
    case KeyType::rsa_4096: return EVP_PKEY_RSA;
    case KeyType::ed25519: return EVP_PKEY_ED25519;
  }
  return -1;
}

int expected_bits(KeyType k) {
  switch (k) {
    case KeyType::ecdsa_p256: return 256;
    case KeyType::ecdsa_p384: return 384;
    case KeyType::rsa_2048: return 2048;
    case KeyType::rsa_4096: return 4096;
    case KeyType::ed25519: return 253;
  }
  return -1;
}

}  // namespace

TEST_CASE("every key type and chain depth 0..3: the leaf verifies through its intermediates only") {
  const Pki pki;
  const auto key = GENERATE(KeyType::ecdsa_p256, KeyType::ecdsa_p384, KeyType::rsa_2048, KeyType::rsa_4096,
                            KeyType::ed25519);
  const int depth = GENERATE(0, 1, 2, 3);
  INFO(to_string(key) << ", depth " << depth);
  const Credential leaf = pki.issue("relay1.hopcost.test", key, depth);
  CHECK(EVP_PKEY_id(leaf.key.get()) == expected_pkey_id(key));
  CHECK(EVP_PKEY_bits(leaf.key.get()) == expected_bits(key));
  CHECK(X509_check_private_key(leaf.cert.get(), leaf.key.get()) == 1);
  REQUIRE(leaf.chain.size() == static_cast<size_t>(depth));
  // The leaf's issuer first, each intermediate a CA with an ECDSA P-256 key.
  X509* child = leaf.cert.get();
  for (const auto& intermediate : leaf.chain) {
    CHECK(X509_check_issued(intermediate.get(), child) == X509_V_OK);
    CHECK(X509_check_ca(intermediate.get()) == 1);
    bssl::UniquePtr<EVP_PKEY> pub(X509_get_pubkey(intermediate.get()));
    CHECK(EVP_PKEY_id(pub.get()) == EVP_PKEY_EC);
    child = intermediate.get();
  }
  CHECK(X509_check_issued(pki.ca_cert(), child) == X509_V_OK);
  CHECK(verify(leaf, pki.ca_cert(), true) == X509_V_OK);
  if (depth > 0) {
    CHECK(verify(leaf, pki.ca_cert(), false) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  }
  const Pki other;
  CHECK(verify(leaf, other.ca_cert(), true) != X509_V_OK);
}

TEST_CASE("a chain depth outside 0..3 is refused") {
  const Pki pki;
  CHECK_THROWS_AS(pki.issue("a", KeyType::ecdsa_p256, -1), std::invalid_argument);
  CHECK_THROWS_AS(pki.issue("a", KeyType::ecdsa_p256, 4), std::invalid_argument);
}

TEST_CASE("the chain round-trips through the PEM file after the leaf") {
  std::string dir = (std::filesystem::temp_directory_path() / "hopcost-chain-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()));
  const Pki pki;
  const Credential issued = pki.issue("relay1.hopcost.test", KeyType::ed25519, 2);
  write_credential(dir, "relay1", issued);
  const Credential loaded = load_credential(dir + "/relay1.pem", dir + "/relay1.key");
  std::filesystem::remove_all(dir);
  CHECK(X509_cmp(loaded.cert.get(), issued.cert.get()) == 0);
  REQUIRE(loaded.chain.size() == 2);
  CHECK(X509_cmp(loaded.chain[0].get(), issued.chain[0].get()) == 0);
  CHECK(X509_cmp(loaded.chain[1].get(), issued.chain[1].get()) == 0);
  CHECK(EVP_PKEY_id(loaded.key.get()) == EVP_PKEY_ED25519);
}
