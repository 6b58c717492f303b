// TLS failures become error codes of one category, and error codes become text, in
// exactly one place (after BoringSSL's tool/transport_common.cc): a peer that closed, a
// close_notify, a system call error and a library error each read differently.
#pragma once

#include <boost/system/error_code.hpp>

namespace hopcost {

const boost::system::error_category& tls_category();

// Turns the outcome of a failed SSL_* call (`ssl_error` from SSL_get_error) into an error
// code, draining BoringSSL's thread-local error queue. `transport` is the error of the
// socket operation that failed underneath, if any.
boost::system::error_code tls_error(int ssl_error, boost::system::error_code transport = {});

}  // namespace hopcost
