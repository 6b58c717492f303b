// An in-memory PKI: a CA made fresh for each run, and a leaf key and certificate for
// each node, with the node's name in subjectAltName. Nothing touches the disk.
#pragma once

#include <string>
#include <string_view>

#include "tls/boringssl.hpp"

namespace hopcost {

struct Credential {
  std::string name;  // the DNS name in subjectAltName, which clients verify
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> cert;
};

class Pki {
 public:
  // A new CA with an ECDSA P-256 key, valid from an hour ago for 30 days.
  explicit Pki(std::string_view ca_name = "hopcost run CA");

  // A leaf for `dns_name` (ECDSA P-256, serverAuth and clientAuth), signed by the CA,
  // with subjectAltName DNS:dns_name, IP:127.0.0.1 and IP:::1.
  Credential issue(std::string_view dns_name) const;

  X509* ca_cert() const { return ca_.cert.get(); }
  const Credential& ca() const { return ca_; }

 private:
  Credential ca_;
};

}  // namespace hopcost
