#include "tls/pem.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/errors.hpp"

namespace hopcost {
namespace {

// Opens `path` for writing with `mode` (the mode applies from the first byte on).
FILE* create(const std::string& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  ::fchmod(fd, mode);  // an existing file keeps its old mode otherwise
  return ::fdopen(fd, "w");
}

FILE* open_for_reading(const std::string& path, std::string_view what) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw ConfigError(fmt::format("cannot read {} '{}': {}", what, path, std::strerror(errno)));
  return f;
}

}  // namespace

void write_certificate(const std::string& path, X509* cert) {
  FILE* f = create(path, 0644);
  const bool ok = PEM_write_X509(f, cert) == 1;
  if (std::fclose(f) != 0 || !ok) throw RunError(fmt::format("cannot write {}", path));
}

void write_credential(const std::string& dir, const std::string& stem, const Credential& c) {
  // The leaf, then its intermediates (the leaf's issuer first), as servers send them.
  const std::string cert_path = dir + "/" + stem + ".pem";
  FILE* cf = create(cert_path, 0644);
  bool cert_ok = PEM_write_X509(cf, c.cert.get()) == 1;
  for (const auto& intermediate : c.chain) cert_ok = cert_ok && PEM_write_X509(cf, intermediate.get()) == 1;
  if (std::fclose(cf) != 0 || !cert_ok) throw RunError(fmt::format("cannot write {}", cert_path));
  const std::string key_path = dir + "/" + stem + ".key";
  FILE* f = create(key_path, 0600);
  const bool ok = PEM_write_PrivateKey(f, c.key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (std::fclose(f) != 0 || !ok) throw RunError(fmt::format("cannot write {}", key_path));
}

bssl::UniquePtr<X509> load_certificate(const std::string& path) {
  FILE* f = open_for_reading(path, "certificate");
  bssl::UniquePtr<X509> cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  ERR_clear_error();
  if (!cert) throw ConfigError(fmt::format("certificate '{}' is not a PEM certificate", path));
  return cert;
}

Credential load_credential(const std::string& cert_path, const std::string& key_path) {
  Credential c;
  c.cert = load_certificate(cert_path);
  {
    // Any certificates after the first are the chain (write_credential's order).
    FILE* cf = open_for_reading(cert_path, "certificate");
    bssl::UniquePtr<X509> leaf(PEM_read_X509(cf, nullptr, nullptr, nullptr));
    while (X509* next = PEM_read_X509(cf, nullptr, nullptr, nullptr)) c.chain.emplace_back(next);
    std::fclose(cf);
    ERR_clear_error();
  }
  FILE* f = open_for_reading(key_path, "key");
  c.key.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  ERR_clear_error();
  if (!c.key) throw ConfigError(fmt::format("key '{}' is not a PEM private key", key_path));
  if (X509_check_private_key(c.cert.get(), c.key.get()) != 1) {
    ERR_clear_error();
    throw ConfigError(fmt::format("key '{}' does not match certificate '{}'", key_path, cert_path));
  }
  return c;
}

}  // namespace hopcost
