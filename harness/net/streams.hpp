// The stream implementations, one per file, behind the Stream interface.
#pragma once

#include <openssl/base.h>

#include <memory>
#include <string>

#include "net/stream.hpp"

namespace hopcost {

std::unique_ptr<Stream> make_plain_stream(Socket socket, TlsSide side, NodeStats& stats);
std::unique_ptr<Stream> make_tls_stream(Socket socket, SSL_CTX* ctx, TlsSide side,
                                        const std::string& server_name, NodeStats& stats);

}  // namespace hopcost
