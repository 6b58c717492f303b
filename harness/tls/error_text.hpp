// TLS failures become error codes of one category, and error codes become text, in
// exactly one place (after BoringSSL's tool/transport_common.cc): a peer that closed, a
// close_notify, a system call error and a library error each read differently.
#pragma once

#include <openssl/base.h>

#include <boost/system/error_code.hpp>

namespace hopcost {

const boost::system::error_category& tls_category();

// Turns the outcome of a failed SSL_* call on `ssl` (`ssl_error` from SSL_get_error) into
// an error code, draining BoringSSL's thread-local error queue. A failed certificate
// verification reads as its X509 reason ("certificate verify failed: certificate has
// expired"). `transport` is the error of the socket operation underneath, if any.
boost::system::error_code tls_error(const ssl_st* ssl, int ssl_error, boost::system::error_code transport = {});

}  // namespace hopcost
