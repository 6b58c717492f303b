#include "tls/error_text.hpp"

#include <openssl/err.h>

#include <string>

#include "tls/boringssl.hpp"

namespace hopcost {
namespace {

// Values of the category: a packed BoringSSL error (library << 24 | reason, so at least
// 1 << 24), kVerifyFailed + an X509_V_ERR_* reason, or one of the conditions below,
// which have no packed error.
enum : int { kClosedByPeer = 1, kCloseNotify = 2, kUnknown = 3, kVerifyFailed = 1000 };

class TlsCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int value) const override {
    switch (value) {
      case kClosedByPeer:
        return "peer closed the connection during TLS";
      case kCloseNotify:
        return "peer sent close_notify";
      case kUnknown:
        return "TLS failure with no library error";
      default: {
        if (value >= kVerifyFailed && value < (1 << 24))
          return std::string("certificate verify failed: ") + X509_verify_cert_error_string(value - kVerifyFailed);
        char buf[256];
        ERR_error_string_n(static_cast<uint32_t>(value), buf, sizeof buf);
        return buf;
      }
    }
  }
};

}  // namespace

const boost::system::error_category& tls_category() {
  static const TlsCategory category;
  return category;
}

boost::system::error_code tls_error(const SSL* ssl, int ssl_error, boost::system::error_code transport) {
  // The last error queued is the one at the TLS layer (CERTIFICATE_VERIFY_FAILED); the
  // ones before it are the low-level steps that led there (BAD_SIGNATURE).
  const uint32_t packed = ERR_peek_last_error();
  ERR_clear_error();
  if (packed != 0 && ERR_GET_LIB(packed) == ERR_LIB_SSL && ERR_GET_REASON(packed) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) return {kVerifyFailed + static_cast<int>(verify), tls_category()};
  }
  if (packed != 0) return {static_cast<int>(packed), tls_category()};
  if (transport) return transport;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return {kCloseNotify, tls_category()};
  if (ssl_error == SSL_ERROR_SYSCALL) return {kClosedByPeer, tls_category()};
  return {kUnknown, tls_category()};
}

}  // namespace hopcost
