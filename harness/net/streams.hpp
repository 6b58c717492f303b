// The stream implementations, one per file, behind the Stream interface, each on a byte
// pipe (byte_pipe.hpp) it owns.
#pragma once

#include <openssl/base.h>

#include <memory>
#include <string>

#include "net/byte_pipe.hpp"
#include "net/stream.hpp"

namespace hopcost {

std::unique_ptr<Stream> make_plain_stream(std::unique_ptr<BytePipe> pipe, TlsSide side, StatsSink& stats);
std::unique_ptr<Stream> make_tls_stream(std::unique_ptr<BytePipe> pipe, SSL_CTX* ctx, TlsSide side,
                                        const std::string& server_name, StatsSink& stats);

}  // namespace hopcost
