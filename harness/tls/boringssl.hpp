// The one way into BoringSSL's headers. OpenSSL's headers may be installed on the same
// machine; this refuses to compile if <openssl/ssl.h> is not BoringSSL's.
#pragma once

#include <openssl/is_boringssl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "hopcost must be built against BoringSSL (/usr/include/android first on the include path)"
#endif
