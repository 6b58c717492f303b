#include "tls/pki.hpp"

#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/obj.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <string>

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

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  HOPCOST_CHECK(ext && X509_add_ext(cert, ext.get(), -1));
}

bssl::UniquePtr<X509> make_cert(std::string_view common_name, EVP_PKEY* key, X509* issuer,
                                EVP_PKEY* issuer_key) {
  bssl::UniquePtr<X509> cert(X509_new());
  HOPCOST_CHECK(cert && X509_set_version(cert.get(), X509_VERSION_3));
  uint8_t serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial number
  bssl::UniquePtr<BIGNUM> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  HOPCOST_CHECK(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())));
  HOPCOST_CHECK(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600));
  HOPCOST_CHECK(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600));
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn(common_name);
  HOPCOST_CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                           reinterpret_cast<const uint8_t*>(cn.data()),
                                           static_cast<int>(cn.size()), -1, 0));
  HOPCOST_CHECK(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name));
  HOPCOST_CHECK(X509_set_pubkey(cert.get(), key));
  X509* signer = issuer ? issuer : cert.get();
  if (issuer) {
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
  HOPCOST_CHECK(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()));
  return cert;
}

}  // namespace

Pki::Pki(std::string_view ca_name) {
  ca_.name = std::string(ca_name);
  ca_.key = make_p256_key();
  ca_.cert = make_cert(ca_name, ca_.key.get(), nullptr, nullptr);
}

Credential Pki::issue(std::string_view dns_name) const {
  Credential c;
  c.name = std::string(dns_name);
  c.key = make_p256_key();
  c.cert = make_cert(dns_name, c.key.get(), ca_.cert.get(), ca_.key.get());
  return c;
}

}  // namespace hopcost
