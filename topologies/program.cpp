#include "topologies/program.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "topologies/haproxy.hpp"
#include "topologies/nginx.hpp"
#include "topologies/stunnel.hpp"
#include "topologies/varnish.hpp"

namespace hopcost {

std::string ProgramCommand::text() const {
  auto quote = [](const std::string& a) {
    if (!a.empty() && a.find_first_of(" \t\"'$\\;&|<>()*?") == std::string::npos) return a;
    std::string q = "'";
    for (char c : a) {
      if (c == '\'') q += "'\\''";
      else q += c;
    }
    q += '\'';
    return q;
  };
  std::string out = binary;
  for (const auto& a : args) {
    out += ' ';
    out += quote(a);
  }
  return out;
}

UnsupportedSetting::UnsupportedSetting(std::string program_, std::string setting_)
    : ConfigError(fmt::format("{} cannot do {}", program_, setting_)), program(std::move(program_)), setting(std::move(setting_)) {}

MissingProgram::MissingProgram(std::string binary_, std::string package_)
    : ConfigError(fmt::format("{} is not installed (Debian package {}; scripts/bootstrap installs it)", binary_, package_)),
      binary(std::move(binary_)),
      package(std::move(package_)) {}

ProgramConfig program_config(ProgramKind kind, const ProgramNode& node) {
  switch (kind) {
    case ProgramKind::haproxy:
      return haproxy_config(node);
    case ProgramKind::nginx:
      return nginx_config(node);
    case ProgramKind::varnish:
      return varnish_config(node);
    case ProgramKind::stunnel:
      return stunnel_config(node);
  }
  throw ConfigError("unknown program");
}

namespace {

void check_end(std::string_view program, const ProgramEnd& end, std::string_view which, bool listening) {
  const LinkTraits& t = traits(end.kind);
  if (t.transport != end.endpoint.transport)
    throw UnsupportedSetting(std::string(program), fmt::format("a {} {} end on a {} endpoint", t.name, which,
                                                               end.endpoint.transport == Transport::tcp ? "TCP" : "Unix-socket"));
  if (t.transport == Transport::tcp && end.endpoint.port == 0)
    throw UnsupportedSetting(std::string(program), fmt::format("port 0 on its {} end (it needs the port chosen)", which));
  if (t.transport == Transport::uds && end.endpoint.path.empty())
    throw UnsupportedSetting(std::string(program), fmt::format("a Unix socket without a path on its {} end", which));
  if (t.transport == Transport::uds && end.endpoint.path.size() > kMaxSocketPath)
    throw ConfigError(fmt::format("the {} end's Unix socket path is longer than {} bytes: {}", which, kMaxSocketPath,
                                  end.endpoint.path));
  if (!t.tls) return;
  if (end.versions.empty()) throw UnsupportedSetting(std::string(program), fmt::format("TLS with no version on its {} end", which));
  if (listening && (end.cert.empty() || end.key.empty()))
    throw UnsupportedSetting(std::string(program), fmt::format("TLS on its {} end without a certificate and key", which));
  if (!listening && end.ca.empty())
    throw UnsupportedSetting(std::string(program), "TLS upstream without a CA (verification is always on)");
  if (!listening && end.peer_name.empty())
    throw UnsupportedSetting(std::string(program), "TLS upstream without a name to verify (verification is always on)");
  if (listening && end.mtls && end.ca.empty())
    throw UnsupportedSetting(std::string(program), "mutual TLS on its listening end without a client CA");
  if (!listening && end.mtls && (end.cert.empty() || end.key.empty()))
    throw UnsupportedSetting(std::string(program), "mutual TLS upstream without a client certificate and key");
}

}  // namespace

void check_program_node(std::string_view program, const ProgramNode& node) {
  if (node.name.empty() || node.name.find('/') != std::string::npos)
    throw UnsupportedSetting(std::string(program), fmt::format("a node named '{}'", node.name));
  if (node.run_dir.empty()) throw UnsupportedSetting(std::string(program), "a node without a run directory");
  if (node.workers < 1) throw UnsupportedSetting(std::string(program), fmt::format("{} workers", node.workers));
  if (node.request_id_header.empty() ||
      node.request_id_header.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
          std::string::npos)
    throw UnsupportedSetting(std::string(program), fmt::format("a request id header named '{}'", node.request_id_header));
  check_end(program, node.listen, "listening", true);
  check_end(program, node.upstream, "upstream", false);
}

TlsVersion min_version(const std::vector<TlsVersion>& v) { return *std::min_element(v.begin(), v.end()); }
TlsVersion max_version(const std::vector<TlsVersion>& v) { return *std::max_element(v.begin(), v.end()); }

std::string_view openssl_protocol(TlsVersion v) { return v == TlsVersion::v1_2 ? "TLSv1.2" : "TLSv1.3"; }

std::string openssl_group(std::string_view program, TlsGroup g, std::string_view end) {
  switch (g) {
    case TlsGroup::x25519:
      return "X25519";
    case TlsGroup::p256:
      return "P-256";
    case TlsGroup::p384:
      return "P-384";
    case TlsGroup::cecpq2:
      break;
  }
  throw UnsupportedSetting(std::string(program), fmt::format("the group {} on its {} end (OpenSSL 3 has no CECPQ2)",
                                                             to_string(g), end));
}

std::string run_file(const ProgramNode& node, std::string_view suffix) {
  return fmt::format("{}/{}-{}", node.run_dir, node.name, suffix);
}

std::string run_socket(const ProgramNode& node, std::string_view suffix) {
  std::string path = run_file(node, suffix);
  if (path.size() > kMaxSocketPath)
    throw ConfigError(fmt::format("the run directory's path is too long for a Unix socket ({} bytes, at most {}): {}",
                                  path.size(), kMaxSocketPath, path));
  return path;
}

std::optional<std::string> AccessRecord::field(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return std::nullopt;
}

AccessRecord parse_access_line(std::string_view line) {
  AccessRecord r;
  constexpr std::string_view kTag = "hopcost ";
  const size_t start = line.find(kTag);
  if (start == std::string_view::npos) return r;
  line.remove_prefix(start + kTag.size());
  while (!line.empty()) {
    const size_t sp = line.find(' ');
    const std::string_view word = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    const size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    r.fields.emplace_back(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
  }
  const auto id = r.field("id");
  if (!id) return AccessRecord{};
  r.request_id = *id;
  // residence_ms=3 (HAProxy %Ta), residence_s=0.003 (Nginx $request_time), residence_us=3012 (varnishncsa %D)
  for (const auto& [k, v] : r.fields) {
    double scale = 0;
    if (k == "residence_ms") scale = 1e6;
    else if (k == "residence_s") scale = 1e9;
    else if (k == "residence_us") scale = 1e3;
    else continue;
    double value = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec == std::errc{} && p == v.data() + v.size() && value >= 0)
      r.residence = std::chrono::nanoseconds(static_cast<int64_t>(value * scale + 0.5));
  }
  return r;
}

std::vector<AccessRecord> read_access_log(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw RunError(fmt::format("cannot read the access log {}", path));
  std::vector<AccessRecord> out;
  std::string line;
  while (std::getline(in, line)) {
    AccessRecord r = parse_access_line(line);
    if (!r.request_id.empty()) out.push_back(std::move(r));
  }
  return out;
}

NodeResidence residence_from_access_log(const AccessLogPlan& plan) {
  NodeResidence out;
  if (plan.path.empty()) {
    out.unknown_reason = "no access log: " + plan.covers;
    return out;
  }
  std::vector<AccessRecord> records;
  try {
    records = read_access_log(plan.path);
  } catch (const RunError& e) {
    out.unknown_reason = e.what();
    return out;
  }
  for (const auto& r : records) {
    uint64_t id = 0;
    const char* end = r.request_id.data() + r.request_id.size();
    const auto [p, ec] = std::from_chars(r.request_id.data(), end, id);
    if (ec != std::errc{} || p != end || !r.residence) continue;
    out.samples.push_back({id, static_cast<uint64_t>(r.residence->count())});
  }
  if (out.samples.empty()) out.unknown_reason = fmt::format("its access log {} has no request with an id and a residence time", plan.path);
  return out;
}

}  // namespace hopcost
