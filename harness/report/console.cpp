// The console table: one aligned row per variant, and each variant's ratio to the
// cheapest variant of the same placement, TLS version and connection policy, so that the
// cost of TLS on every hop reads as a multiple.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <utility>

#include "report/reporter.hpp"

namespace hopcost {
namespace {

struct Column {
  std::string_view title;
  bool left;  // left-aligned (text) or right-aligned (numbers)
};

// "offered": the open loop's rate; shown only where some variant has one.
constexpr Column kColumns[] = {
    {"topology", true}, {"hops", false},   {"TLS", true},        {"conn", true},      {"placement", true},
    {"relay", true},    {"upstream", true}, {"rtt µs", false}, {"certificates", true}, {"offered", false}, {"db", true}, {"req/s", false},
    {"p50 µs", false},  {"p99 µs", false}, {"p99.9 µs", false}, {"hs/req", false},   {"hs CPU µs", false},
    {"CPU µs/req", false}, {"TLS CPU", false}, {"×CPU", false}, {"×p50", false},    {"×net", false},
    {"errors", false},
};
constexpr size_t kColumnCount = std::size(kColumns);
constexpr size_t kOfferedColumn = 9;
static_assert(kColumns[kOfferedColumn].title == "offered");
constexpr size_t kDbColumn = kOfferedColumn + 1;
static_assert(kColumns[kDbColumn].title == "db");

// Display width in terminal cells: UTF-8 continuation bytes take none.
size_t width(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The database tail as the db column shows it: "pgbouncer tls/tcp pooled", "-" without one.
std::string db_text(const VariantKey& v) {
  if (!v.db) return "-";
  return fmt::format("{} {}{} {}", v.db->mode, v.db->link, v.db->server_link ? "/" + *v.db->server_link : "", v.db->policy);
}

std::string pad(std::string_view s, size_t w, bool left) {
  const std::string fill(w > width(s) ? w - width(s) : 0, ' ');
  return left ? std::string(s) + fill : fill + std::string(s);
}

// The headline: what one more TLS link costs, per group of comparable variants.
std::string headline(const Report& r) {
  if (r.marginal_tls_hop.empty()) return "";
  std::string out = "Cost of one TLS link (least-squares slope over the variants' number of TLS links; 95% interval):\n";
  for (const auto& m : r.marginal_tls_hop) {
    const std::string group = marginal_group(m);
    out += fmt::format("  {}: p50 {}, p99 {}, CPU {}, handshake CPU {}{}\n", group,
                       marginal_figure_text(m.latency_us_p50, "µs"), marginal_figure_text(m.latency_us_p99, "µs"),
                       marginal_figure_text(m.cpu_us_per_request, "µs/req"), marginal_figure_text(m.handshake_cpu_us, "µs/req"),
                       m.confounded ? " (TLS links grew only with hops: includes a plain hop's cost)" : "");
  }
  return out + "\n";
}

// What each hop adds at p50, paired by request id, and the origin's own time.
std::string per_hop(const Report& r) {
  std::string out;
  for (const auto& v : r.variants) {
    if (v.failure || v.per_hop.empty() || v.attribution_samples == 0) continue;
    if (out.empty()) out = "\nPer hop: p50 µs each link adds (client's first, the relay's work included), then the origin's own time:\n";
    std::string hops;
    std::string unknown;
    for (const auto& l : v.per_hop) {
      // "~": from a log of milliseconds (HAProxy, Nginx): the share is that coarse.
      hops += l.unknown_reason ? fmt::format("{} ? · ", l.kind)
                               : fmt::format("{} {}{:.0f} · ", l.kind, l.added_latency_resolution_us >= 100 ? "~" : "",
                                             l.added_latency_us.p50);
      if (l.added_latency_joint_us)
        unknown += fmt::format("; links {} to {}{} together: {:.0f} ({})", l.link, l.joint_last_link,
                               l.joint_includes_origin ? " and the origin" : "", l.added_latency_joint_us->p50,
                               l.unknown_reason.value_or("?"));
    }
    const std::string origin = v.origin_unknown_reason ? "origin ?" : fmt::format("origin {:.0f}", v.origin_us.p50);
    out += fmt::format("  {}: {}{}  ({} requests paired{})\n", v.label(), hops, origin, v.attribution_samples, unknown);
  }
  return out;
}

// Where TLS links resume: the share of each one's handshakes that resumed, and 0-RTT's
// early data accepted and rejected, per request.
std::string resumption(const Report& r) {
  std::string out;
  for (const auto& v : r.variants) {
    if (v.failure) continue;
    std::string links;
    for (const auto& l : v.per_hop) {
      const double all = l.handshakes_full + l.handshakes_resumed;
      if (!l.resume || all <= 0) continue;
      links += fmt::format("{}link {} {:.0f}%", links.empty() ? "" : " · ", l.link, 100 * l.handshakes_resumed / all);
      if (l.early_data_accepted + l.early_data_rejected > 0)
        links += fmt::format(" (0-RTT accepted {:.0f}%, rejected {:.0f}%)", 100 * l.early_data_accepted, 100 * l.early_data_rejected);
    }
    if (links.empty()) continue;
    if (out.empty()) out = "\nResumption: the share of each resuming TLS link's handshakes that resumed a session:\n";
    out += fmt::format("  {}: {}\n", v.label(), links);
  }
  return out;
}

// --count-instructions: what each node executed per request, exact where times are noisy.
std::string instructions(const Report& r) {
  std::string out;
  for (const auto& v : r.variants) {
    if (!v.instructions_per_request) continue;
    if (out.empty()) out = "\nInstructions (callgrind), per request: all nodes, then each; per link handshake, both sides:\n";
    std::string nodes;
    for (const auto& n : v.nodes)
      if (n.instructions_per_request) nodes += fmt::format(" · {} {:.0f}", n.name, *n.instructions_per_request);
    out += fmt::format("  {}: {:.0f}{}{}\n", v.label(), *v.instructions_per_request, nodes,
                       v.handshake_instructions ? fmt::format("; handshake {:.0f}", *v.handshake_instructions) : "");
  }
  return out;
}

std::string ratio(double value, double best) {
  if (best <= 0 || value <= 0) return "-";
  return fmt::format("{:.2f}", value / best);
}

class ConsoleReporter final : public Reporter {
 public:
  std::string render(const Report& r) const override {
    std::string out;
    const auto& c = r.context;
    const auto& s = r.scenario;
    // First of all: figures taken while nodes were starved of file descriptors or memory.
    const auto starved = std::count_if(r.variants.begin(), r.variants.end(), [](const VariantResult& v) { return v.exhausted > 0; });
    if (starved > 0)
      out += fmt::format("ERROR: nodes ran out of file descriptors or memory in {} of {} variants: their figures are not "
                         "to be trusted (the warnings below say where)\n",
                         starved, r.variants.size());
    out += fmt::format("hopcost {} ({}) · {} · {} cores · {} · {} build\n", c.hopcost_version, c.git_revision,
                       c.cpu_model, c.cores, c.tls_library, c.build_type);
    std::string placements;
    for (auto p : s.placement) placements += (placements.empty() ? "" : ", ") + std::string(to_string(p));
    const std::string loop = !s.rate.empty() ? fmt::format("open loop at {} req/s over {} connections",
                                                           fmt::join(s.rate, ", "), s.connections)
                                             : fmt::format("closed loop, {} connections", s.connections);
    const std::string length = s.requests ? fmt::format("{} requests", s.requests)
                                          : fmt::format("{} s", s.duration.count());
    out += fmt::format("{} placement · {} · {} measured after {} s warm-up per variant\n", placements, loop, length,
                       s.warmup.count());
    if (r.floors) {
      const auto& f = *r.floors;
      out += fmt::format("floors: handshake CPU {:.0f} µs (TLS 1.2), {:.0f} µs (TLS 1.3); loopback round trip {:.1f} µs TCP, "
                         "{:.1f} µs Unix socket on one CPU",
                         f.handshake_tls12_cpu_us, f.handshake_tls13_cpu_us, f.loopback_tcp_rtt_us, f.loopback_uds_rtt_us);
      if (f.loopback_tcp_rtt_cross_cpu_us && f.loopback_uds_rtt_cross_cpu_us)
        out += fmt::format(", {:.1f} µs and {:.1f} µs across CPUs", *f.loopback_tcp_rtt_cross_cpu_us,
                           *f.loopback_uds_rtt_cross_cpu_us);
      out += "\n";
    }
    for (const auto& w : r.warnings) out += fmt::format("WARNING: {}\n", w);
    out += "\n";
    out += headline(r);

    // The cheapest CPU and p50 among variants of the same placement, TLS version and policy.
    // Comparable variants differ only in topology and hops.
    auto group_of = [](const VariantResult& v) {
      return fmt::format("{}/{}/{}/{}/{}/{}/{}/{}", v.placement, v.tls, v.conn, v.upstream.value_or("1:1"), v.chain_rtt_us,
                         v.tls_setup(), v.rate ? fmt::format("{}", *v.rate) : "closed", db_text(v));
    };
    std::map<std::string, std::pair<double, double>> best;
    for (const auto& v : r.variants) {
      if (v.requests == 0 || v.failure) continue;
      auto [it, fresh] = best.try_emplace(group_of(v), v.cpu_us_per_request, v.latency_us.p50);
      if (!fresh) {
        it->second.first = std::min(it->second.first, v.cpu_us_per_request);
        it->second.second = std::min(it->second.second, v.latency_us.p50);
      }
    }

    std::vector<std::array<std::string, kColumnCount>> rows;
    for (const auto& v : r.variants) {
      const auto b = best.count(group_of(v)) ? best.at(group_of(v)) : std::pair{0.0, 0.0};
      const bool ok = v.requests > 0;
      std::string tls = v.tls_version.value_or(v.has_tls_links() ? "?" : "none");
      const std::string upstream = v.upstream.value_or("-");
      // The TLS links' certificates and key exchange: "ecdsa-p256", "rsa-2048 group cecpq2 mtls".
      std::string setup = !v.key ? "-" : v.tls_setup().empty() ? *v.key : v.tls_setup();
      const std::string rtt = fmt::format("{:g}{}", v.chain_rtt_us, v.rtt_us ? "" : "*");  // *: a link has its own
      const std::string offered = v.rate ? fmt::format("{:.0f}", *v.rate) : "-";
      if (v.failure) {  // its figures are partial: none is shown
        rows.push_back({v.topology, std::to_string(v.hops), tls, v.conn, v.placement, v.relay.value_or("-"), upstream, rtt, setup,
                        offered, db_text(v), "-", "-", "-", "-", "-",
                        "-", "-", "-", "-", "-", "-", "FAILED"});
        continue;
      }
      // A real program's handshakes are not timed: no chain-wide handshake CPU then.
      const bool real = std::any_of(v.nodes.begin(), v.nodes.end(), [](const NodeResult& n) { return n.implementation != "hopcost"; });
      rows.push_back({v.topology, std::to_string(v.hops), tls, v.conn, v.placement, v.relay.value_or("-"), upstream, rtt, setup,
                      offered, db_text(v), fmt::format("{:.0f}", v.throughput_rps),
                      ok ? fmt::format("{:.0f}", v.latency_us.p50) : "-", ok ? fmt::format("{:.0f}", v.latency_us.p99) : "-",
                      ok ? fmt::format("{:.0f}", v.latency_us.p999) : "-", fmt::format("{:.2f}", v.handshakes_per_request),
                      v.handshake_cpu_us > 0 && !real ? fmt::format("{:.0f}", v.handshake_cpu_us) : "-",
                      ok ? fmt::format("{:.0f}", v.cpu_us_per_request) : "-",
                      ok ? fmt::format("{:.0f}%", 100 * v.tls_cpu_share) : "-",
                      ok ? ratio(v.cpu_us_per_request, b.first) : "-", ok ? ratio(v.latency_us.p50, b.second) : "-",
                      v.latency_vs_network_floor ? fmt::format("{:.2f}", *v.latency_vs_network_floor) : "-",
                      std::to_string(v.errors.total())});
    }
    const bool open_loop = std::any_of(r.variants.begin(), r.variants.end(), [](const VariantResult& v) { return v.rate.has_value(); });
    std::array<bool, kColumnCount> shown;
    shown.fill(true);
    shown[kOfferedColumn] = open_loop;
    shown[kDbColumn] = std::any_of(r.variants.begin(), r.variants.end(), [](const VariantResult& v) { return v.db.has_value(); });
    std::array<size_t, kColumnCount> widths{};
    for (size_t i = 0; i < kColumnCount; ++i) {
      widths[i] = width(kColumns[i].title);
      for (const auto& row : rows) widths[i] = std::max(widths[i], width(row[i]));
    }
    auto line = [&](auto cell) {
      std::string l;
      for (size_t i = 0; i < kColumnCount; ++i)
        if (shown[i]) l += (l.empty() ? "" : "  ") + pad(cell(i), widths[i], kColumns[i].left);
      while (!l.empty() && l.back() == ' ') l.pop_back();
      return l + "\n";
    };
    out += line([&](size_t i) { return std::string(kColumns[i].title); });
    std::string previous_group;
    for (size_t k = 0; k < rows.size(); ++k) {
      const auto& v = r.variants[k];
      const std::string group = group_of(v);
      if (k > 0 && group != previous_group) out += "\n";
      previous_group = group;
      out += line([&](size_t i) { return rows[k][i]; });
    }

    for (const auto& v : r.variants)
      if (v.failure)
        out += fmt::format("\nFAILED: {}: {}\n", v.label(), *v.failure);

    out += per_hop(r);
    out += resumption(r);
    out += instructions(r);

    bool any_errors = false;
    for (const auto& v : r.variants) {
      for (const auto& n : v.nodes) {
        for (const auto& [kind, text] : n.first_errors) {
          if (!any_errors) out += "\nErrors (the first of each kind, where it was counted):\n";
          any_errors = true;
          out += fmt::format("  {}: {} {}: {}\n", v.label(), n.name, kind, text);
        }
      }
    }
    out +=
        "\nlatency: client side, request start to last response byte (with conn=new, resume or 0rtt it includes "
        "connect and handshakes; resume resumes the last TLS session, 0rtt also sends the request as early data).\nhs/req: TLS handshakes per request over all links. hs CPU µs: one link's handshake, both "
        "sides. CPU µs/req: all nodes, client included. TLS CPU: its share spent in TLS.\n×CPU, ×p50: ratio to the cheapest variant of the same "
        "placement, TLS version, connection policy, upstream policy and rtt. rtt µs: the links' emulated round-trip time (*: some "
        "link has its own, in report.json's link_rtt_us). ×net: p50 over the network floor (the round trips an infinitely fast "
        "chain would wait, at the links' rtt).\n";
    if (open_loop)
      out += "offered: the open loop's rate (--rate), requests per second over all connections; req/s: what the chain "
             "achieved; ×CPU and ×p50 compare variants of the same offered rate.\n";
    return out;
  }
  std::string_view file_name() const override { return ""; }
};

}  // namespace

std::unique_ptr<Reporter> make_console_reporter() { return std::make_unique<ConsoleReporter>(); }

}  // namespace hopcost
