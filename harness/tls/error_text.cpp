#include "tls/error_text.hpp"

#include <openssl/err.h>

#include <string>

#include "tls/boringssl.hpp"

namespace hopcost {
namespace {

// Values of the category: a packed BoringSSL error (library and reason), or one of the
// conditions below, which have no packed error.
enum : int { kClosedByPeer = 1, kCloseNotify = 2, kUnknown = 3 };

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

boost::system::error_code tls_error(int ssl_error, boost::system::error_code transport) {
  // The earliest error is the cause; later ones are consequences.
  const uint32_t packed = ERR_get_error();
  ERR_clear_error();
  if (packed != 0) return {static_cast<int>(packed), tls_category()};
  if (transport) return transport;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return {kCloseNotify, tls_category()};
  if (ssl_error == SSL_ERROR_SYSCALL) return {kClosedByPeer, tls_category()};
  return {kUnknown, tls_category()};
}

}  // namespace hopcost
