// An in-memory PKI: a CA made fresh for each run, and a leaf key and certificate for
// each node, with the node's name in subjectAltName. Nothing touches the disk.
#pragma once

#include <string>
#include <string_view>

#include <vector>

#include "tls/boringssl.hpp"
#include "tls/key_type.hpp"

namespace hopcost {

struct Credential {
  std::string name;  // the DNS name in subjectAltName, which clients verify
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> cert;
  // Intermediate CAs between `cert` and the root, the leaf's issuer first (--chain-depth);
  // sent with the leaf in the handshake. Empty at depth 0.
  std::vector<bssl::UniquePtr<X509>> chain;
};

class Pki {
 public:
  // A new CA with an ECDSA P-256 key, valid from an hour ago for 30 days.
  explicit Pki(std::string_view ca_name = "hopcost run CA");

  // A leaf for `dns_name` (serverAuth and clientAuth) with a `key` key, signed by the CA
  // through `chain_depth` intermediate CAs (0 to 3), with subjectAltName DNS:dns_name,
  // IP:127.0.0.1 and IP:::1. The CAs stay ECDSA P-256: `key` is the leaf's.
  // With `expired`, the leaf's validity ended a day ago (the --expired-cert fault).
  Credential issue(std::string_view dns_name, KeyType key = KeyType::ecdsa_p256, int chain_depth = 0,
                   bool expired = false) const;

  X509* ca_cert() const { return ca_.cert.get(); }
  const Credential& ca() const { return ca_; }

 private:
  Credential ca_;
};

}  // namespace hopcost
