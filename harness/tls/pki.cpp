#include "tls/pki.hpp"

#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/obj.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <openssl/rsa.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "util/check.hpp"

namespace hopcost {
namespace {

bssl::UniquePtr<EVP_PKEY> make_p256_key() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  HOPCOST_CHECK(ec && EC_KEY_generate_key(ec.get()));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  HOPCOST_CHECK(key && EVP_PKEY_assign_EC_KEY(key.get(), ec.release()));
  return key;
}

bssl::UniquePtr<EVP_PKEY> make_ec_key(int nid) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(nid));
  HOPCOST_CHECK(ec && EC_KEY_generate_key(ec.get()));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  HOPCOST_CHECK(key && EVP_PKEY_assign_EC_KEY(key.get(), ec.release()));
  return key;
}

bssl::UniquePtr<EVP_PKEY> make_ed25519_key() {
  bssl::UniquePtr<EVP_PKEY_CTX> pctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  HOPCOST_CHECK(pctx && EVP_PKEY_keygen_init(pctx.get()));
  EVP_PKEY* raw = nullptr;
  HOPCOST_CHECK(EVP_PKEY_keygen(pctx.get(), &raw));
  return bssl::UniquePtr<EVP_PKEY>(raw);
}

// RSA key generation is slow (tens of milliseconds for 2048 bits, up to a second for
// 4096), so each process generates one RSA key per size and every leaf of that size
// shares it (a reference, not a copy). A shared key changes nothing measured: the
// handshake's cost is the signature, not whose key it is; the certificates stay distinct.
bssl::UniquePtr<EVP_PKEY> cached_rsa_key(int bits) {
  static std::mutex mutex;
  static std::map<int, bssl::UniquePtr<EVP_PKEY>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[bits];
  if (!slot) {
    bssl::UniquePtr<RSA> rsa(RSA_new());
    bssl::UniquePtr<BIGNUM> e(BN_new());
    HOPCOST_CHECK(rsa && e && BN_set_word(e.get(), RSA_F4));
    HOPCOST_CHECK(RSA_generate_key_ex(rsa.get(), bits, e.get(), nullptr));
    bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
    HOPCOST_CHECK(key && EVP_PKEY_assign_RSA(key.get(), rsa.release()));
    slot = std::move(key);
  }
  EVP_PKEY_up_ref(slot.get());
  return bssl::UniquePtr<EVP_PKEY>(slot.get());
}

bssl::UniquePtr<EVP_PKEY> make_key(KeyType type) {
  switch (type) {
    case KeyType::ecdsa_p256: return make_ec_key(NID_X9_62_prime256v1);
    case KeyType::ecdsa_p384: return make_ec_key(NID_secp384r1);
    case KeyType::rsa_2048: return cached_rsa_key(2048);
    case KeyType::rsa_4096: return cached_rsa_key(4096);
    case KeyType::ed25519: return make_ed25519_key();
  }
  HOPCOST_CHECK(false);
  return nullptr;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  HOPCOST_CHECK(ext && X509_add_ext(cert, ext.get(), -1));
}

// A certificate for `key`: self-signed when `issuer` is null (the root), else signed by
// `issuer_key`; a CA (intermediate) when `is_ca`, else a leaf for the DNS name.
bssl::UniquePtr<X509> make_cert(std::string_view common_name, EVP_PKEY* key, X509* issuer,
                                EVP_PKEY* issuer_key, bool is_ca = false, bool expired = false) {
  bssl::UniquePtr<X509> cert(X509_new());
  HOPCOST_CHECK(cert && X509_set_version(cert.get(), X509_VERSION_3));
  uint8_t serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial number
  bssl::UniquePtr<BIGNUM> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  HOPCOST_CHECK(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())));
  // Valid from an hour ago for 30 days; an expired one ended a day ago.
  HOPCOST_CHECK(X509_gmtime_adj(X509_getm_notBefore(cert.get()), expired ? -31L * 24 * 3600 : -3600));
  HOPCOST_CHECK(X509_gmtime_adj(X509_getm_notAfter(cert.get()), expired ? -24L * 3600 : 30L * 24 * 3600));
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn(common_name);
  HOPCOST_CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                           reinterpret_cast<const uint8_t*>(cn.data()),
                                           static_cast<int>(cn.size()), -1, 0));
  HOPCOST_CHECK(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name));
  HOPCOST_CHECK(X509_set_pubkey(cert.get(), key));
  X509* signer = issuer ? issuer : cert.get();
  if (issuer && !is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    // The node's name, and the loopback addresses, so that real clients (curl,
    // openssl s_client) can verify a node reached as https://127.0.0.1:PORT too.
    add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:" + cn + ",IP:127.0.0.1,IP:::1");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  HOPCOST_CHECK(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()));
  return cert;
}

}  // namespace

Pki::Pki(std::string_view ca_name) {
  ca_.name = std::string(ca_name);
  ca_.key = make_p256_key();
  ca_.cert = make_cert(ca_name, ca_.key.get(), nullptr, nullptr);
}

Credential Pki::issue(std::string_view dns_name, KeyType key, int chain_depth, bool expired) const {
  if (chain_depth < 0 || chain_depth > 3)
    throw std::invalid_argument("chain depth " + std::to_string(chain_depth) + " is outside 0..3");
  Credential c;
  c.name = std::string(dns_name);
  // root -> int1 -> ... -> int<depth> -> leaf; each intermediate is an ECDSA P-256 CA.
  std::vector<Credential> intermediates;
  X509* issuer = ca_.cert.get();
  EVP_PKEY* issuer_key = ca_.key.get();
  for (int i = 1; i <= chain_depth; ++i) {
    Credential ca;
    ca.name = std::string(dns_name) + " intermediate CA " + std::to_string(i);
    ca.key = make_p256_key();
    ca.cert = make_cert(ca.name, ca.key.get(), issuer, issuer_key, /*is_ca=*/true);
    intermediates.push_back(std::move(ca));
    issuer = intermediates.back().cert.get();
    issuer_key = intermediates.back().key.get();
  }
  c.key = make_key(key);
  c.cert = make_cert(dns_name, c.key.get(), issuer, issuer_key, /*is_ca=*/false, expired);
  for (auto it = intermediates.rbegin(); it != intermediates.rend(); ++it) c.chain.push_back(std::move(it->cert));
  return c;
}

}  // namespace hopcost
