#include "cli/link_flags.hpp"

#include <fmt/format.h>

#include "tls/pem.hpp"
#include "util/duration.hpp"
#include "util/errors.hpp"

namespace hopcost {

NodeUrl parse_flag_url(std::string_view flag, const std::string& text) {
  try {
    return parse_node_url(text);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", flag, e.what()));
  }
}

std::chrono::nanoseconds parse_flag_rtt(std::string_view flag, const std::string& text) {
  try {
    return parse_rtt(text);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", flag, e.what()));
  }
}

TlsSettings parse_flag_tls(const std::string& text) {
  if (text == "both") return TlsSettings{std::nullopt};
  if (const auto v = parse_tls_version(text)) return TlsSettings{*v};
  throw ConfigError(fmt::format("--tls: unknown value '{}'; accepted: {}, both", text, kTlsVersions.accepted()));
}

LinkEnds connecting_end(std::string_view url_flag, const std::string& url, const std::string& ca_file,
                        const std::string& server_name, const TlsSettings& tls, std::chrono::nanoseconds rtt,
                        bssl::UniquePtr<SSL_CTX>& ctx, const Credential* identity) {
  const NodeUrl target = parse_flag_url(url_flag, url);
  LinkEnds end;
  end.kind = target.kind;
  end.endpoint = target.endpoint;
  end.rtt = rtt;
  if (!traits(end.kind).tls) {
    if (identity) throw ConfigError(fmt::format("--upstream-cert: {} {} is not TLS", url_flag, url));
    return end;
  }
  if (ca_file.empty()) throw ConfigError(fmt::format("{} {} is TLS: give --ca to verify it", url_flag, url));
  const auto ca = load_certificate(ca_file);
  TlsSettings settings = tls;
  settings.mtls = identity != nullptr;
  ctx = make_client_ctx(settings, ca.get(), identity);
  end.client_ctx = ctx.get();
  end.server_name = !server_name.empty()                          ? server_name
                    : end.endpoint.transport == Transport::tcp ? end.endpoint.host
                                                               : "localhost";
  return end;
}

}  // namespace hopcost
