#include "scenario/scenario.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "report/reporter.hpp"
#include "topologies/plan.hpp"
#include "tls/tickets.hpp"
#include "util/duration.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

constexpr std::array kKeys{
    ScenarioKey{"topology", ValueType::list, "LIST",
                "Chains to compare: presets tls-everywhere, terminate-once, unix-socket (expanded for --hops), mesh "
                "(--hops N services, 3N - 1 links: sidecars with mutual TLS between them), "
                "or an explicit list of link kinds tls, tcp, uds, client first (e.g. tls,tcp,tcp,uds,tcp). "
                "Repeat the flag to give several explicit lists."},
    ScenarioKey{"hops", ValueType::list, "LIST", "Links from client to origin for presets, 1 to 32 (a comma list sweeps)"},
    ScenarioKey{"tls", ValueType::list, "LIST", "TLS versions: 1.2, 1.3 (a comma list compares)"},
    ScenarioKey{"conn", ValueType::list, "LIST",
                "Client connection policy: new (a new connection per request, with a full handshake on the client's link), keepalive, "
                "resume (a new connection per request, resuming the last TLS session), or 0rtt (as resume, the "
                "request sent as TLS 1.3 early data: replayable, so GET only; TLS 1.2 variants leave it out); a comma "
                "list compares"},
    ScenarioKey{"placement", ValueType::list, "LIST",
                "Where nodes run: inproc (each node a thread of this process) or process (each node its own "
                "process, across loopback); a comma list compares"},
    ScenarioKey{"upstream", ValueType::list, "LIST",
                "Relays' upstream connections: 1:1 (one per downstream connection, an L4 proxy) or pool (kept and "
                "reused by any downstream connection, as HAProxy http-reuse and Nginx upstream keepalive); a comma "
                "list compares. A link of an explicit topology may set its own: tcp/upstream=pool"},
    ScenarioKey{"rtt", ValueType::list, "LIST",
                "Emulated network round-trip time of every link, with a unit: 0, 200us, 0.5ms, 1ms (up to 1s; a "
                "comma list sweeps). Each chunk is delivered rtt/2 after it is written, a new connection's first "
                "bytes one rtt later. A link of an explicit topology may set its own: tls/rtt=1ms"},
    ScenarioKey{"key", ValueType::list, "LIST",
                "TLS certificate key types: ecdsa-p256, ecdsa-p384, rsa-2048, rsa-4096, ed25519 (a comma list "
                "compares); a TLS link of an explicit topology may set its own: tls/key=rsa-2048"},
    ScenarioKey{"group", ValueType::list, "LIST",
                "The only TLS key-exchange group offered: x25519, p-256, p-384, cecpq2 (X25519+HRSS, the post-quantum "
                "hybrid of this BoringSSL; TLS 1.3 only); a comma list compares [default: x25519, then p-256]"},
    ScenarioKey{"mtls", ValueType::boolean, "",
                "Mutual TLS on every TLS link: the connecting node presents its own certificate, which the listening "
                "node requires and verifies; a TLS link of an explicit topology may set its own: tls/mtls=on"},
    ScenarioKey{"chain_depth", ValueType::integer, "N",
                "Intermediate CAs between the run's root CA and each certificate (0 to 3)"},
    ScenarioKey{"expired_cert", ValueType::integer, "LINK",
                "A fault: the server of this TLS link (0 is the client's) gets a certificate that expired a day ago, so "
                "that every handshake on it fails, attributed to that link; the run then fails (exit 3)"},
    ScenarioKey{"resume", ValueType::list, "LIST",
                "How TLS 1.2 links resume: ticket (session tickets) or id (session IDs, from the server's session "
                "cache); a comma list compares. TLS 1.3 resumes by tickets only"},
    ScenarioKey{"upstream_resume", ValueType::list, "LIST",
                "Whether relays resume their upstream TLS sessions on each new upstream connection, as HAProxy and "
                "Nginx do: on (default) or off; a comma list compares. A link of an explicit topology may set its "
                "own: tls/resume=off"},
    ScenarioKey{"relay", ValueType::list, "LIST",
                "What program every relay is: hopcost (its own relay), haproxy, nginx, varnish (Hitch in front for "
                "TLS, stunnel behind), stunnel; or article: HAProxy, Varnish, Nginx, then hopcost as the app (5 hops). "
                "A comma list compares; the origin is always hopcost's. A link of an explicit topology may name the "
                "node that listens on it: tcp/node=nginx (docs/real-programs.md)"},
    ScenarioKey{"relay_workers", ValueType::integer, "N",
                "Processes or threads of every real program (HAProxy nbthread, Nginx worker_processes, varnishd "
                "thread_pools and Hitch workers; stunnel has no count and takes 1 only), 1 to 64. The default, 1, "
                "is comparable with hopcost's own nodes, each one thread"},
    ScenarioKey{"varnish_cache", ValueType::text, "on|off",
                "Varnish's cache: off (every request is passed, return(pass), so every request crosses the whole "
                "chain) or on (Varnish's default VCL decides: repeated requests are served from its cache and never "
                "reach the nodes behind it)"},
    ScenarioKey{"relay_config", ValueType::list, "NODE=FILE",
                "A user's own HAProxy or Nginx configuration for one node (relay1 …, which --relay or node= makes "
                "haproxy or nginx), with placeholders hopcost fills in: {{listen}}, {{upstream}}, {{cert}}, {{key}}, "
                "{{ca}}, {{upstream_name}}, {{access_log}} … (docs/real-programs.md); it must pass haproxy -c or "
                "nginx -t. Repeat the flag, or give a comma list, for several nodes"},
    ScenarioKey{"tickets", ValueType::text, "on|off",
                "Whether every TLS server node issues session tickets and keeps a session cache: on (as stock "
                "servers do), or off, so that real clients in front of the chain do full handshakes on reconnect"},
    ScenarioKey{"duration", ValueType::number, "SECONDS", "Seconds measured per variant, after warm-up (0 < s <= 3600)"},
    ScenarioKey{"warmup", ValueType::number, "SECONDS", "Seconds of warm-up per variant, excluded from every figure (0 to 3600)"},
    ScenarioKey{"timeout", ValueType::number, "SECONDS", "Seconds before a request counts as a timeout error (0 < s <= 600)"},
    ScenarioKey{"head_timeout", ValueType::number, "SECONDS",
                "Every hopcost node's request-head timeout: seconds a client has for a whole request from when its "
                "connection is ready or its first byte came (0 < s <= 3600) [default: 10]"},
    ScenarioKey{"idle_timeout", ValueType::number, "SECONDS",
                "Every hopcost node's keep-alive timeout: seconds a connection may wait for its next request before "
                "the node closes it (0 < s <= 3600) [default: 75]"},
    ScenarioKey{"connections", ValueType::integer, "N", "Concurrent client connections (1 to 4096)"},
    ScenarioKey{"rate", ValueType::list, "LIST",
                "Open loop: requests per second over all connections, sent on schedule; latency from the intended "
                "send time. A comma list sweeps the offered load (500,1000,2000), one variant per rate. Without it, "
                "a closed loop"},
    ScenarioKey{"repeat", ValueType::integer, "K",
                "Runs of each variant, interleaved (A B C A B C); figures are medians with 95% intervals (1 to 100)"},
    ScenarioKey{"requests", ValueType::integer, "N",
                "Measure exactly N requests per variant instead of --duration (1 to 10000000)"},
    ScenarioKey{"count_instructions", ValueType::boolean, "",
                "Run under valgrind's callgrind and report instructions per request and per handshake, per node: "
                "exact where times are noisy (needs --requests and --placement inproc; about 50x slower)"},
    ScenarioKey{"cpu_policy", ValueType::text, "POLICY",
                "Where nodes run: spread (the OS places them), pack (all on one CPU), pin:LIST (CPUs round-robin, "
                "client first)"},
    ScenarioKey{"request_bytes", ValueType::integer, "BYTES", "Request body bytes; 0 sends GET (0 to 67108864)"},
    ScenarioKey{"response_bytes", ValueType::integer, "BYTES", "Response body bytes from the origin (0 to 67108864)"},
    ScenarioKey{"name", ValueType::text, "NAME", "Scenario name, used in the results directory name ([A-Za-z0-9._-])"},
    ScenarioKey{"out", ValueType::text, "DIR", "Directory for the reports: report.json, report.csv, report.html (default results/<UTC time>-<name>)"},
    ScenarioKey{"db", ValueType::list, "LIST",
                "The database tail: none (the origin answers alone), pgbouncer (the origin is an app that runs one "
                "query per request through PgBouncer to PostgreSQL) or direct (app to PostgreSQL); a comma list "
                "compares (docs/database.md)"},
    ScenarioKey{"db_link", ValueType::list, "LIST",
                "The app's link to PgBouncer (or to PostgreSQL with --db direct): tls (verify-full against the "
                "run's CA), tcp or uds; a comma list sweeps"},
    ScenarioKey{"db_server_link", ValueType::list, "LIST",
                "PgBouncer's link to PostgreSQL (--db pgbouncer): tls (server_tls_sslmode = verify-full), tcp or "
                "uds; a comma list sweeps"},
    ScenarioKey{"db_policy", ValueType::list, "LIST",
                "How the app holds its database connections: per-request (connect, authenticate with SCRAM-SHA-256 "
                "and query for every request) or pooled (connections kept open); a comma list compares"},
    ScenarioKey{"db_rows", ValueType::integer, "N", "Rows of the table the app's query reads (1 to 100000)"},
    ScenarioKey{"db_row_bytes", ValueType::integer, "BYTES", "Payload bytes of each row (1 to 65536)"},
    ScenarioKey{"format", ValueType::list, "LIST",
                "What to write: table (the console table on stdout), json, csv, html (report.<format> under --out); "
                "a comma list. report.json is written whatever the list says [default: all]"},
};

constexpr uint64_t kMaxBodyBytes = 64ull << 20;

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    size_t pos = 0;
    while (true) {
      const size_t comma = v.find(',', pos);
      std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (item.empty()) throw ConfigError(fmt::format("empty item in '{}'", v));
      out.push_back(std::move(item));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return out;
}

template <typename T>
void push_unique(std::vector<T>& out, T value) {
  if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
}

// A comma list of an enum's texts, each once, in the order given.
template <typename E, size_t N>
std::vector<E> parse_list(const std::vector<std::string>& values, const EnumTable<E, N>& table, std::string_view what) {
  std::vector<E> out;
  for (const auto& v : split_commas(values)) {
    const auto value = table.parse(v);
    if (!value) throw ConfigError(fmt::format("unknown {} '{}'; accepted: {}", what, v, table.accepted()));
    push_unique(out, *value);
  }
  return out;
}

const std::string& single(const std::vector<std::string>& values) {
  if (values.size() != 1) throw ConfigError(fmt::format("takes one value, got {}", values.size()));
  return values.front();
}

double parse_number(const std::string& text, double lo, bool lo_inclusive, double hi) {
  double v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || !std::isfinite(v))
    throw ConfigError(fmt::format("'{}' is not a number", text));
  if ((lo_inclusive ? v < lo : v <= lo) || v > hi)
    throw ConfigError(fmt::format("{} is out of range; accepted: {} {} to {}", text, lo_inclusive ? "from" : "above", lo, hi));
  return v;
}

double parse_number(const std::vector<std::string>& values, double lo, bool lo_inclusive, double hi) {
  return parse_number(single(values), lo, lo_inclusive, hi);
}

int64_t parse_integer(const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size())
    throw ConfigError(fmt::format("'{}' is not a whole number", text));
  if (v < lo || v > hi) throw ConfigError(fmt::format("{} is out of range; accepted: {} to {}", text, lo, hi));
  return v;
}

std::string format_seconds(Seconds s) { return fmt::format("{}", s.count()); }

}  // namespace

std::span<const ScenarioKey> scenario_keys() { return kKeys; }

std::string flag_name(std::string_view key) {
  std::string flag = "--" + std::string(key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

void set_scenario_value(Scenario& s, std::string_view key, const std::vector<std::string>& values) {
  if (values.empty()) throw ConfigError("needs a value");
  if (key == "topology") {
    s.topologies.clear();
    for (const auto& v : values)
      for (auto& t : parse_topologies(v)) push_unique(s.topologies, std::move(t));
  } else if (key == "hops") {
    s.hops.clear();
    for (const auto& v : split_commas(values)) push_unique(s.hops, static_cast<int>(parse_integer(v, kMinHops, kMaxHops)));
  } else if (key == "tls") {
    s.tls = parse_list(values, kTlsVersions, "TLS version");
  } else if (key == "conn") {
    s.conn = parse_list(values, kConnPolicies, "connection policy");
  } else if (key == "placement") {
    s.placement = parse_list(values, kPlacements, "placement");
  } else if (key == "upstream") {
    s.upstream = parse_list(values, kUpstreamPolicies, "upstream policy");
  } else if (key == "key") {
    s.key = parse_list(values, kKeyTypes, "key type");
  } else if (key == "group") {
    s.group.clear();
    for (const auto& v : split_commas(values)) {
      const auto g = parse_tls_group(v);
      if (!g)
        throw ConfigError(fmt::format("unknown group '{}'; accepted: {}{}", v, kTlsGroups.accepted(),
                                      v.find("kem") != std::string::npos || v.find("kyber") != std::string::npos
                                          ? " (this BoringSSL, API 17, has no ML-KEM: its post-quantum hybrid is cecpq2)"
                                          : ""));
      push_unique(s.group, *g);
    }
  } else if (key == "mtls") {
    const std::string& v = single(values);
    if (v != "true" && v != "false") throw ConfigError(fmt::format("'{}' is not true or false", v));
    s.mtls = v == "true";
  } else if (key == "chain_depth") {
    s.chain_depth = static_cast<int>(parse_integer(single(values), 0, 3));
  } else if (key == "expired_cert") {
    s.expired_cert = static_cast<int>(parse_integer(single(values), 0, kMaxHops - 1));
  } else if (key == "rtt") {
    s.rtt.clear();
    for (const auto& v : split_commas(values)) push_unique(s.rtt, parse_rtt(v));
  } else if (key == "resume") {
    s.resume = parse_list(values, kResumeBy, "resumption");
  } else if (key == "upstream_resume") {
    s.upstream_resume = parse_list(values, kOnOff, "value");
  } else if (key == "relay") {
    s.relay.clear();
    for (const auto& v : split_commas(values)) {
      if (!valid_relay_choice(v)) throw ConfigError(fmt::format("unknown relay '{}'; accepted: {}", v, relay_choices()));
      push_unique(s.relay, v);
    }
  } else if (key == "relay_workers") {
    s.relay_workers = static_cast<int>(parse_integer(single(values), 1, 64));
  } else if (key == "db") {
    s.db = parse_list(values, kDbModes, "database tail");
  } else if (key == "db_link" || key == "db_server_link") {
    auto& into = key == "db_link" ? s.db_link : s.db_server_link;
    into.clear();
    for (const auto& v : split_commas(values)) {
      const auto kind = parse_link_kind(v);
      if (!kind || !db_link_kind(*kind))
        throw ConfigError(fmt::format("'{}' is not a database link kind; accepted: tls, tcp, uds{}", v,
                                      kind == LinkKind::tls_uds ? " (PostgreSQL and PgBouncer speak TLS over TCP only)" : ""));
      push_unique(into, *kind);
    }
  } else if (key == "db_policy") {
    s.db_policy = parse_list(values, kDbPolicies, "database connection policy");
  } else if (key == "db_rows") {
    s.db_rows = static_cast<int>(parse_integer(single(values), 1, 100'000));
  } else if (key == "db_row_bytes") {
    s.db_row_bytes = static_cast<int>(parse_integer(single(values), 1, 65'536));
  } else if (key == "varnish_cache") {
    const auto on = kOnOff.parse(single(values));
    if (!on) throw ConfigError(fmt::format("unknown value '{}'; accepted: {}", single(values), kOnOff.accepted()));
    s.varnish_cache = *on;
  } else if (key == "relay_config") {
    s.relay_config.clear();
    for (const auto& v : split_commas(values)) {
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
        throw ConfigError(fmt::format("'{}' is not NODE=FILE (e.g. relay1=my-nginx.conf)", v));
      const std::string node = v.substr(0, eq), file = v.substr(eq + 1);
      if (std::any_of(s.relay_config.begin(), s.relay_config.end(), [&](const auto& c) { return c.first == node; }))
        throw ConfigError(fmt::format("node {} is given two configurations", node));
      std::error_code ec;
      if (!std::filesystem::is_regular_file(file, ec))
        throw ConfigError(fmt::format("configuration file '{}' for node {}: no such file", file, node));
      s.relay_config.emplace_back(node, file);
    }
  } else if (key == "tickets") {
    const auto tickets = parse_tickets(single(values));
    if (!tickets) throw ConfigError(fmt::format("unknown value '{}'; accepted: {}", single(values), kTickets.accepted()));
    s.tickets = *tickets;
  } else if (key == "duration") {
    s.duration = Seconds(parse_number(values, 0, false, 3600));
  } else if (key == "warmup") {
    s.warmup = Seconds(parse_number(values, 0, true, 3600));
  } else if (key == "timeout") {
    s.timeout = Seconds(parse_number(values, 0, false, 600));
  } else if (key == "head_timeout") {
    s.head_timeout = Seconds(parse_number(values, 0, false, 3600));
  } else if (key == "idle_timeout") {
    s.idle_timeout = Seconds(parse_number(values, 0, false, 3600));
  } else if (key == "connections") {
    s.connections = static_cast<int>(parse_integer(single(values), 1, 4096));
  } else if (key == "rate") {
    // Each rate is one variant: a repeated one would run the same variant twice.
    std::vector<double> rates;
    for (const auto& v : split_commas(values)) {
      const double rate = parse_number(v, 0, false, 10'000'000);
      if (std::find(rates.begin(), rates.end(), rate) != rates.end())
        throw ConfigError(fmt::format("{} is given twice; each rate is one variant", v));
      rates.push_back(rate);
    }
    s.rate = std::move(rates);
  } else if (key == "repeat") {
    s.repeat = static_cast<int>(parse_integer(single(values), 1, 100));
  } else if (key == "requests") {
    s.requests = static_cast<uint64_t>(parse_integer(single(values), 1, 10'000'000));
  } else if (key == "count_instructions") {
    const std::string& v = single(values);
    if (v != "true" && v != "false") throw ConfigError(fmt::format("'{}' is not true or false", v));
    s.count_instructions = v == "true";
  } else if (key == "cpu_policy") {
    s.cpu_policy = parse_cpu_policy(single(values));
  } else if (key == "request_bytes") {
    s.request_bytes = static_cast<uint64_t>(parse_integer(single(values), 0, kMaxBodyBytes));
  } else if (key == "response_bytes") {
    s.response_bytes = static_cast<uint64_t>(parse_integer(single(values), 0, kMaxBodyBytes));
  } else if (key == "name") {
    const std::string& name = single(values);
    const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
    if (!ok) throw ConfigError(fmt::format("'{}' is not a valid name; accepted: letters, digits, '.', '_', '-'", name));
    s.name = name;
  } else if (key == "out") {
    const std::string& out = single(values);
    if (out.empty()) throw ConfigError("needs a directory");
    s.out = out;
  } else if (key == "format") {
    const auto formats = reporter_formats();
    s.format.clear();
    for (const auto& v : split_commas(values)) {
      if (std::find(formats.begin(), formats.end(), v) == formats.end())
        throw ConfigError(fmt::format("'{}' is not one of {}", v, fmt::join(formats, ", ")));
      push_unique(s.format, v);
    }
  } else {
    HOPCOST_CHECK(false && "key missing from set_scenario_value");
  }
}

namespace {

std::string accepted_keys() {
  std::vector<std::string_view> keys;
  for (const auto& k : kKeys) keys.push_back(k.key);
  return fmt::format("{}", fmt::join(keys, ", "));
}

std::string describe_type(ValueType t) {
  switch (t) {
    case ValueType::list: return "a string, number, or array of them";
    case ValueType::number: return "a number";
    case ValueType::integer: return "a whole number";
    case ValueType::text: return "a string";
    case ValueType::boolean: return "true or false";
  }
  return "?";
}

// One TOML value as text, if its type suits `type`.
std::optional<std::string> scalar_text(const toml::node& node, ValueType type) {
  if (auto v = node.as_boolean(); v && type == ValueType::boolean) return std::string(v->get() ? "true" : "false");
  if (auto v = node.as_string(); v && (type == ValueType::text || type == ValueType::list)) return v->get();
  if (auto v = node.as_integer(); v && type != ValueType::text && type != ValueType::boolean) return std::to_string(v->get());
  if (auto v = node.as_floating_point(); v && (type == ValueType::number || type == ValueType::list))
    return fmt::format("{}", v->get());
  return std::nullopt;
}

}  // namespace

Scenario load_scenario_file(const std::string& path) {
  Scenario s;
  s.name = std::filesystem::path(path).stem().string();
  toml::table table;
  {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw ConfigError(fmt::format("scenario file '{}': no such file", path));
  }
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description()));
  }
  for (const auto& [k, node] : table) {
    const auto line = node.source().begin.line;
    const std::string key(k.str());
    const auto* entry = std::find_if(kKeys.begin(), kKeys.end(), [&](const ScenarioKey& e) { return e.key == key; });
    if (entry == kKeys.end())
      throw ConfigError(fmt::format("{}:{}: unknown key '{}'; accepted keys: {}", path, k.source().begin.line, key,
                                    accepted_keys()));
    std::vector<std::string> values;
    bool typed = true;
    if (const auto* array = node.as_array(); array && entry->type == ValueType::list) {
      for (const auto& element : *array) {
        auto text = scalar_text(element, entry->type);
        if (!text) typed = false; else values.push_back(*text);
      }
      if (values.empty() && typed) typed = false;
    } else if (auto text = scalar_text(node, entry->type)) {
      values.push_back(*text);
    } else {
      typed = false;
    }
    if (!typed)
      throw ConfigError(fmt::format("{}:{}: key '{}': wrong type; expected {}", path, line, key, describe_type(entry->type)));
    try {
      set_scenario_value(s, key, values);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}:{}: key '{}': {}", path, line, key, e.what()));
    }
  }
  return s;
}

std::string scenario_value_text(const Scenario& s, std::string_view key) {
  auto join = [](const auto& items, auto fn) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + std::string(fn(item));
    return out;
  };
  if (key == "topology") {
    std::string out;
    for (const auto& t : s.topologies) out += (out.empty() ? "" : " ") + t.name();
    return out;
  }
  if (key == "hops") return join(s.hops, [](int h) { return std::to_string(h); });
  if (key == "tls") return join(s.tls, [](TlsVersion v) { return to_string(v); });
  if (key == "conn") return join(s.conn, [](ConnPolicy c) { return to_string(c); });
  if (key == "placement") return join(s.placement, [](Placement p) { return to_string(p); });
  if (key == "upstream") return join(s.upstream, [](UpstreamPolicy p) { return to_string(p); });
  if (key == "rtt") return join(s.rtt, [](std::chrono::nanoseconds r) { return format_rtt(r); });
  if (key == "key") return join(s.key, [](KeyType k) { return to_string(k); });
  if (key == "group") return join(s.group, [](TlsGroup g) { return to_string(g); });
  if (key == "mtls") return s.mtls ? "true" : "false";
  if (key == "chain_depth") return std::to_string(s.chain_depth);
  if (key == "expired_cert") return s.expired_cert ? std::to_string(*s.expired_cert) : "";
  if (key == "tickets") return std::string(tickets_text(s.tickets));
  if (key == "relay_workers") return std::to_string(s.relay_workers);
  if (key == "db") return join(s.db, [](DbMode m) { return to_string(m); });
  if (key == "db_link") return join(s.db_link, [](LinkKind k) { return to_string(k); });
  if (key == "db_server_link") return join(s.db_server_link, [](LinkKind k) { return to_string(k); });
  if (key == "db_policy") return join(s.db_policy, [](DbPolicy p) { return to_string(p); });
  if (key == "db_rows") return std::to_string(s.db_rows);
  if (key == "db_row_bytes") return std::to_string(s.db_row_bytes);
  if (key == "varnish_cache") return std::string(kOnOff.text(s.varnish_cache));
  if (key == "relay_config") {
    std::string out;
    for (const auto& [node, file] : s.relay_config) {
      if (!out.empty()) out += ',';
      out.append(node).append("=").append(file);
    }
    return out;
  }
  if (key == "relay") return join(s.relay, [](const std::string& r) { return r; });
  if (key == "resume") return join(s.resume, [](ResumeBy r) { return to_string(r); });
  if (key == "upstream_resume") return join(s.upstream_resume, [](bool on) { return kOnOff.text(on); });
  if (key == "duration") return format_seconds(s.duration);
  if (key == "warmup") return format_seconds(s.warmup);
  if (key == "timeout") return format_seconds(s.timeout);
  if (key == "head_timeout") return format_seconds(s.head_timeout);
  if (key == "idle_timeout") return format_seconds(s.idle_timeout);
  if (key == "connections") return std::to_string(s.connections);
  if (key == "rate") return join(s.rate, [](double r) { return fmt::format("{}", r); });
  if (key == "repeat") return std::to_string(s.repeat);
  if (key == "cpu_policy") return s.cpu_policy.text();
  if (key == "requests") return s.requests ? std::to_string(s.requests) : "";
  if (key == "count_instructions") return s.count_instructions ? "true" : "false";
  if (key == "request_bytes") return std::to_string(s.request_bytes);
  if (key == "response_bytes") return std::to_string(s.response_bytes);
  if (key == "name") return s.name;
  if (key == "out") return s.out;
  if (key == "format") return join(s.format, [](const std::string& f) { return f; });
  HOPCOST_CHECK(false && "key missing from scenario_value_text");
}

nlohmann::ordered_json scenario_to_json(const Scenario& s) {
  nlohmann::ordered_json j;
  auto names = [](const auto& items) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& i : items) a.push_back(std::string(to_string(i)));
    return a;
  };
  nlohmann::ordered_json topologies = nlohmann::ordered_json::array();
  for (const auto& t : s.topologies) topologies.push_back(t.name());
  j["topology"] = topologies;
  j["hops"] = s.hops;
  j["tls"] = names(s.tls);
  j["conn"] = names(s.conn);
  j["placement"] = names(s.placement);
  j["upstream"] = names(s.upstream);
  nlohmann::ordered_json rtts = nlohmann::ordered_json::array();
  for (auto r : s.rtt) rtts.push_back(format_rtt(r));
  j["rtt"] = rtts;
  j["key"] = names(s.key);
  j["group"] = names(s.group);
  j["mtls"] = s.mtls;
  j["chain_depth"] = s.chain_depth;
  j["expired_cert"] = s.expired_cert ? nlohmann::ordered_json(*s.expired_cert) : nlohmann::ordered_json(nullptr);
  j["tickets"] = std::string(tickets_text(s.tickets));
  j["relay"] = s.relay;
  j["relay_workers"] = s.relay_workers;
  j["db"] = names(s.db);
  j["db_link"] = names(s.db_link);
  j["db_server_link"] = names(s.db_server_link);
  j["db_policy"] = names(s.db_policy);
  j["db_rows"] = s.db_rows;
  j["db_row_bytes"] = s.db_row_bytes;
  j["varnish_cache"] = std::string(kOnOff.text(s.varnish_cache));
  j["relay_config"] = nlohmann::ordered_json::object();
  for (const auto& [node, file] : s.relay_config) j["relay_config"][node] = file;
  j["resume"] = names(s.resume);
  j["upstream_resume"] = nlohmann::ordered_json::array();
  for (bool on : s.upstream_resume) j["upstream_resume"].push_back(std::string(kOnOff.text(on)));
  j["duration"] = s.duration.count();
  j["warmup"] = s.warmup.count();
  j["timeout"] = s.timeout.count();
  j["head_timeout"] = s.head_timeout.count();
  j["idle_timeout"] = s.idle_timeout.count();
  j["connections"] = s.connections;
  j["rate"] = s.rate;  // empty: a closed loop
  j["repeat"] = s.repeat;
  j["cpu_policy"] = s.cpu_policy.text();
  j["requests"] = s.requests ? nlohmann::ordered_json(s.requests) : nlohmann::ordered_json(nullptr);
  j["count_instructions"] = s.count_instructions;
  j["request_bytes"] = s.request_bytes;
  j["response_bytes"] = s.response_bytes;
  j["name"] = s.name;
  j["out"] = s.out;
  j["format"] = s.format;  // empty: every format
  return j;
}

std::string Variant::label() const { return variant_key(*this, make_plan(*this, Scenario{})).label(); }

std::vector<Variant> expand(const Scenario& s) {
  std::vector<Variant> out;
  bool any_relay = false;
  // No --group: one value, the default list.
  std::vector<std::optional<TlsGroup>> groups;
  for (auto g : s.group) groups.emplace_back(g);
  if (groups.empty()) groups.emplace_back();
  const bool any_tls13 = std::find(s.tls.begin(), s.tls.end(), TlsVersion::v1_3) != s.tls.end();
  const bool any_tls12 = std::find(s.tls.begin(), s.tls.end(), TlsVersion::v1_2) != s.tls.end();
  if (std::find(s.conn.begin(), s.conn.end(), ConnPolicy::zero_rtt) != s.conn.end() && !any_tls13)
    throw ConfigError("--conn 0rtt needs --tls 1.3: early data (0-RTT) is a TLS 1.3 feature");
  if (std::find(s.resume.begin(), s.resume.end(), ResumeBy::id) != s.resume.end() && !any_tls12)
    throw ConfigError("--resume id needs --tls 1.2: TLS 1.3 resumes by tickets only (accepted with TLS 1.3: ticket)");
  // The matrix's axes, outermost first (the report's order), walked as one mixed-radix
  // counter: a new dimension is one more axis here and one more field below.
  // No --rate: one value, the closed loop.
  std::vector<std::optional<double>> rates(s.rate.begin(), s.rate.end());
  if (rates.empty()) rates.emplace_back();
  enum Axis {
    kPlacement, kTls, kConn, kUpstream, kRtt, kRate, kKey, kGroup, kResume, kUpstreamResume, kRelay,
    kDb, kDbLink, kDbServerLink, kDbPolicy, kHops, kTopology, kAxes
  };
  const std::array<size_t, kAxes> sizes{s.placement.size(), s.tls.size(),     s.conn.size(),   s.upstream.size(),
                                        s.rtt.size(),       rates.size(),     s.key.size(),    groups.size(),
                                        s.resume.size(),    s.upstream_resume.size(), s.relay.size(),
                                        s.db.size(),        s.db_link.size(), s.db_server_link.size(), s.db_policy.size(),
                                        s.hops.size(),      s.topologies.size()};
  if (std::find(sizes.begin(), sizes.end(), size_t{0}) != sizes.end()) return out;
  // One point of the matrix: its variant, or none when the point would repeat another
  // (a setting that changes nothing for this chain) or does not exist (TLS 1.3's only).
  auto point = [&](const std::array<size_t, kAxes>& at) -> std::optional<Variant> {
    const TlsVersion tls = s.tls[at[kTls]];
    const ConnPolicy conn = s.conn[at[kConn]];
    const auto& group = groups[at[kGroup]];
    const auto& topology = s.topologies[at[kTopology]];
    const int hops = s.hops[at[kHops]];
    if (conn == ConnPolicy::zero_rtt && tls == TlsVersion::v1_2) return std::nullopt;  // TLS 1.3 only
    if (tls == TlsVersion::v1_3 && at[kResume] > 0) return std::nullopt;               // one resumption: tickets
    if (topology.is_explicit() && at[kHops] > 0) return std::nullopt;                   // its length is its own
    if (topology.preset == Preset::mesh && hops > kMaxMeshServices)
      throw ConfigError(fmt::format("--hops {} with --topology mesh: a mesh of N services has 3N - 1 links; accepted: 1 "
                                    "to {} services",
                                    hops, kMaxMeshServices));
    auto links = topology.links_for(hops);
    const bool relays = links.size() > 1;
    any_relay |= relays;
    // Settings of relays change nothing without them; upstream resumption nothing without
    // a TLS link behind a relay.
    if (!relays && (at[kUpstream] > 0 || at[kRelay] > 0)) return std::nullopt;
    const bool relay_tls = std::any_of(links.begin() + 1, links.end(), [](LinkKind k) { return traits(k).tls; });
    if (!relay_tls && at[kUpstreamResume] > 0) return std::nullopt;
    // The TLS 1.2 resumption mechanism changes nothing where no link resumes.
    const bool any_resumes = resumes(conn) || (relay_tls && s.upstream_resume[at[kUpstreamResume]]);
    if (!any_resumes && at[kResume] > 0) return std::nullopt;
    // The database's links and policy change nothing without one; PgBouncer's server link
    // nothing with --db direct.
    const DbMode db = s.db[at[kDb]];
    if (db == DbMode::none && (at[kDbLink] > 0 || at[kDbServerLink] > 0 || at[kDbPolicy] > 0)) return std::nullopt;
    if (db == DbMode::direct && at[kDbServerLink] > 0) return std::nullopt;
    const std::string& relay = s.relay[at[kRelay]];
    if (relays && relay == kArticleRelays && links.size() != article_relays().size() + 1)
      throw ConfigError(fmt::format("--relay article is the article's 5-hop stack (HAProxy, Varnish, Nginx, then hopcost "
                                    "as the app): '{}' has {} links; use --hops 5",
                                    topology.name(), links.size()));
    const bool any_tls = std::any_of(links.begin(), links.end(), [](LinkKind k) { return traits(k).tls; });
    if (s.expired_cert && (*s.expired_cert >= static_cast<int>(links.size()) || !traits(links[*s.expired_cert]).tls))
      throw ConfigError(fmt::format("--expired-cert {}: link {} of '{}' ({} links) is not a TLS link", *s.expired_cert,
                                    *s.expired_cert, topology.name(), links.size()));
    if (s.mtls && !any_tls) throw ConfigError(fmt::format("--mtls: the chain '{}' has no TLS link", topology.name()));
    if (group == TlsGroup::cecpq2 && tls == TlsVersion::v1_2 && any_tls) {
      if (!any_tls13) throw ConfigError("--group cecpq2 needs --tls 1.3: the post-quantum hybrid is a TLS 1.3 group");
      return std::nullopt;  // TLS 1.3's only: the TLS 1.3 variants have it
    }
    Variant v{topology, std::move(links), tls, conn, s.placement[at[kPlacement]]};
    if (relays) v.upstream = s.upstream[at[kUpstream]];
    v.rtt = s.rtt[at[kRtt]];
    v.key = s.key[at[kKey]];
    v.group = group;
    v.resume = tls == TlsVersion::v1_3 ? ResumeBy::ticket : s.resume[at[kResume]];
    v.upstream_resume = s.upstream_resume[at[kUpstreamResume]];
    v.relay = relays ? relay : "hopcost";
    v.rate = rates[at[kRate]];
    if (db != DbMode::none)
      v.db = DbTail{db, s.db_link[at[kDbLink]], db == DbMode::pgbouncer ? s.db_server_link[at[kDbServerLink]] : LinkKind::tcp,
                    s.db_policy[at[kDbPolicy]], s.db_rows, s.db_row_bytes};
    return v;
  };
  for (std::array<size_t, kAxes> at{};;) {
    if (auto v = point(at)) out.push_back(std::move(*v));
    size_t axis = kAxes;  // the innermost axis moves fastest
    while (axis > 0 && ++at[axis - 1] == sizes[axis - 1]) at[--axis] = 0;
    if (axis == 0) break;
  }
  if (!any_relay && std::any_of(s.relay.begin(), s.relay.end(), [](const std::string& r) { return r != "hopcost"; }))
    throw ConfigError("--relay: no chain of this run has a relay (every chain has 1 hop): the relays' program changes "
                      "nothing");
  // The database tail's settings change nothing without one: a run that gives them expects one.
  if (std::all_of(s.db.begin(), s.db.end(), [](DbMode m) { return m == DbMode::none; })) {
    const Scenario defaults;
    for (const auto& [changed, flag] : {std::pair{s.db_link != defaults.db_link, "--db-link"},
                                        std::pair{s.db_server_link != defaults.db_server_link, "--db-server-link"},
                                        std::pair{s.db_policy != defaults.db_policy, "--db-policy"},
                                        std::pair{s.db_rows != defaults.db_rows, "--db-rows"},
                                        std::pair{s.db_row_bytes != defaults.db_row_bytes, "--db-row-bytes"}})
      if (changed)
        throw ConfigError(fmt::format("{} goes with --db pgbouncer or --db direct: every variant of this run has --db none",
                                      flag));
  }
  if (!any_relay && std::find(s.upstream.begin(), s.upstream.end(), UpstreamPolicy::pool) != s.upstream.end())
    throw ConfigError("--upstream pool: no chain of this run has a relay (every chain has 1 hop); pooling is a relay's");
  return out;
}

}  // namespace hopcost
