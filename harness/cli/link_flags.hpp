// Link ends given by flags, shared by the standalone commands (`hopcost origin`, `hop`,
// `load`): a node URL, TLS versions, and the connecting end's trust. Each throws
// ConfigError naming the flag.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "net/link.hpp"
#include "net/url.hpp"
#include "tls/boringssl.hpp"
#include "tls/context.hpp"

namespace hopcost {

NodeUrl parse_flag_url(std::string_view flag, const std::string& text);
std::chrono::nanoseconds parse_flag_rtt(std::string_view flag, const std::string& text);
// --tls: "1.2", "1.3" or "both".
TlsSettings parse_flag_tls(const std::string& text);

// The connecting end of the link at `url` (flag `url_flag`): for TLS, a client context
// that trusts the CA in `ca_file` (required) and checks `server_name`, by default the
// URL's host (tcp) or "localhost" (a Unix socket). `ctx` keeps the context alive.
// With `identity`, the end presents it (mutual TLS).
LinkEnds connecting_end(std::string_view url_flag, const std::string& url, const std::string& ca_file,
                        const std::string& server_name, const TlsSettings& tls, std::chrono::nanoseconds rtt,
                        bssl::UniquePtr<SSL_CTX>& ctx, const Credential* identity = nullptr);

}  // namespace hopcost
