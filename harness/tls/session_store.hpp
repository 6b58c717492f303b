// A connecting end's session store (client side of resumption): the newest session its
// peers gave it, offered on its next connection. One per client context, which is one
// per link end (a context verifies one server name), shared by the connections of any
// thread. BoringSSL keeps no client cache of its own: this is the external cache its
// documentation asks for (ssl.h, "Session caching").
#pragma once

#include <openssl/base.h>

namespace hopcost {

// Makes `ctx` keep the newest session (a TLS 1.3 ticket arrives after the handshake,
// inside SSL_read; a TLS 1.2 session at the handshake's end) in a store of its own.
void enable_session_store(SSL_CTX* ctx);

// Sets the store's session on `ssl` (a client not yet connected) if its context has a
// store holding one; returns whether a session was offered.
bool offer_stored_session(SSL* ssl);

}  // namespace hopcost
