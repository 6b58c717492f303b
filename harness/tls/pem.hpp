// Certificates and keys as PEM files, for standalone nodes and for real clients (curl
// --cacert, openssl s_client -CAfile).
#pragma once

#include <string>

#include "tls/pki.hpp"

namespace hopcost {

// Writes DIR/STEM.pem (the certificate, then its chain, the leaf's issuer first) and
// DIR/STEM.key (the key, mode 0600); load_credential reads the chain back.
// Throws RunError naming the file.
void write_credential(const std::string& dir, const std::string& stem, const Credential& credential);
void write_certificate(const std::string& path, X509* cert);

// Throws ConfigError naming the file when it is missing, unreadable or not PEM, or when
// the key does not belong to the certificate.
Credential load_credential(const std::string& cert_path, const std::string& key_path);
bssl::UniquePtr<X509> load_certificate(const std::string& path);

}  // namespace hopcost
