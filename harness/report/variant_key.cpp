#include "report/variant_key.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace hopcost {

std::vector<VariantKey::Part> VariantKey::parts() const {
  std::vector<Part> out = {{"topology", topology},
                           {"hops", fmt::format("{} hop{}", hops, hops == 1 ? "" : "s")},
                           {"tls", "TLS " + tls},
                           {"conn", conn},
                           {"placement", placement}};
  if (relay && *relay != "hopcost") out.push_back({"relay", "relay " + *relay});
  if (upstream && *upstream != "1:1") out.push_back({"upstream", *upstream});
  if (const auto setup = tls_setup(); !setup.empty()) out.push_back({"setup", setup});
  if (resume && *resume != "ticket") out.push_back({"resume", "resume " + *resume});
  if (upstream_resume && *upstream_resume != "on") out.push_back({"upstream_resume", "upstream-resume " + *upstream_resume});
  if (chain_rtt_us > 0) out.push_back({"rtt", fmt::format("rtt {:g} µs", chain_rtt_us)});
  std::string own;
  for (size_t i = 0; i < link_rtt_us.size(); ++i)
    if (link_rtt_us[i] != chain_rtt_us) own += fmt::format("{}link {}: {:g} µs", own.empty() ? "" : ", ", i, link_rtt_us[i]);
  if (!own.empty()) out.push_back({"link_rtt", "(" + own + ")"});
  if (rate) out.push_back({"rate", fmt::format("rate {}/s", *rate)});
  // "db pgbouncer tls/tcp pooled": the app's link, then PgBouncer's.
  if (db) out.push_back({"db", fmt::format("db {} {}{} {}", db->mode, db->link, db->server_link ? "/" + *db->server_link : "", db->policy)});
  return out;
}

std::string VariantKey::label() const {
  std::string out;
  for (const auto& p : parts()) out += (out.empty() ? "" : " ") + p.text;
  return out;
}

std::string VariantKey::tls_setup() const {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
  if (key && *key != "ecdsa-p256") add(*key);
  if (group) add("group " + *group);
  if (mtls && *mtls != "off") add(*mtls == "on" ? "mtls" : "mtls mixed");
  if (chain_depth > 0) add(fmt::format("chain {}", chain_depth));
  return out;
}

std::string VariantKey::resumed_configuration() const {
  const std::string setup = tls_setup();
  return tls + (setup.empty() ? "" : " " + setup) + " resumed" + (resume && *resume == "id" ? " id" : "");
}

VariantKey VariantKey::with_topology(std::string other) const {
  VariantKey k = *this;
  k.topology = std::move(other);
  return k;
}

void write_key(nlohmann::ordered_json& j, const VariantKey& k) {
  j["topology"] = k.topology;
  j["hops"] = k.hops;
  j["tls"] = k.tls;
  j["conn"] = k.conn;
  j["placement"] = k.placement;
  j["upstream"] = k.upstream ? nlohmann::ordered_json(*k.upstream) : nlohmann::ordered_json(nullptr);
  j["rtt_us"] = k.rtt_us ? nlohmann::ordered_json(*k.rtt_us) : nlohmann::ordered_json(nullptr);
  j["link_rtt_us"] = k.link_rtt_us;
  j["chain_rtt_us"] = k.chain_rtt_us;
  auto text = [](const std::optional<std::string>& s) { return s ? nlohmann::ordered_json(*s) : nlohmann::ordered_json(nullptr); };
  j["key"] = text(k.key);
  j["group"] = text(k.group);
  j["mtls"] = text(k.mtls);
  j["chain_depth"] = k.chain_depth;
  j["resume"] = text(k.resume);
  j["upstream_resume"] = text(k.upstream_resume);
  j["relay"] = text(k.relay);
  j["rate"] = k.rate ? nlohmann::ordered_json(*k.rate) : nlohmann::ordered_json(nullptr);
  if (k.db)
    j["db"] = {{"mode", k.db->mode},
               {"link", k.db->link},
               {"server_link", k.db->server_link ? nlohmann::ordered_json(*k.db->server_link) : nlohmann::ordered_json(nullptr)},
               {"policy", k.db->policy}};
  else
    j["db"] = nullptr;
}

VariantKey read_key(const nlohmann::json& j) {
  VariantKey k;
  k.topology = j.at("topology").get<std::string>();
  k.hops = j.at("hops").get<int>();
  k.tls = j.at("tls").get<std::string>();
  k.conn = j.at("conn").get<std::string>();
  k.placement = j.at("placement").get<std::string>();
  if (!j.contains("upstream")) {
    if (k.hops > 1) k.upstream = "1:1";
  } else if (!j["upstream"].is_null()) {
    k.upstream = j["upstream"].get<std::string>();
  }
  if (!j.contains("rtt_us"))
    k.rtt_us = 0.0;
  else if (!j["rtt_us"].is_null())
    k.rtt_us = j["rtt_us"].get<double>();
  if (j.contains("link_rtt_us"))
    k.link_rtt_us = j["link_rtt_us"].get<std::vector<double>>();
  else
    k.link_rtt_us.assign(static_cast<size_t>(std::max(k.hops, 0)), k.rtt_us.value_or(0.0));
  k.chain_rtt_us = j.contains("chain_rtt_us") ? j["chain_rtt_us"].get<double>() : k.rtt_us.value_or(0.0);
  // Reports older than these: ECDSA P-256, the default groups, no mTLS, no intermediates
  // (on TLS links; "links" lists the kinds).
  const bool tls = !j.contains("links") || std::any_of(j["links"].begin(), j["links"].end(), [](const nlohmann::json& l) {
    return l.get<std::string>().rfind("tls", 0) == 0;
  });
  auto text = [&](const char* name, const char* old_default) -> std::optional<std::string> {
    if (!j.contains(name)) return tls && old_default ? std::optional<std::string>(old_default) : std::nullopt;
    return j[name].is_null() ? std::nullopt : std::optional<std::string>(j[name].get<std::string>());
  };
  k.key = text("key", "ecdsa-p256");
  k.group = text("group", nullptr);
  k.mtls = text("mtls", "off");
  k.chain_depth = j.value("chain_depth", 0);
  k.resume = text("resume", k.tls == "1.2" ? "ticket" : nullptr);
  // Old reports: relays did not resume; whether a relay was the client of a TLS link is
  // read off the link kinds.
  bool relay_tls = false;
  if (j.contains("links"))
    for (size_t i = 1; i < j["links"].size(); ++i) relay_tls |= j["links"][i].get<std::string>().rfind("tls", 0) == 0;
  k.upstream_resume = j.contains("upstream_resume") ? text("upstream_resume", nullptr)
                      : relay_tls                   ? std::optional<std::string>("off")
                                                    : std::nullopt;
  // Reports older than `relay`: every relay was hopcost's.
  k.relay = j.contains("relay") ? text("relay", nullptr) : k.hops > 1 ? std::optional<std::string>("hopcost") : std::nullopt;
  // Reports older than `rate` had one rate per run, the variants' requested_rps.
  const char* rate = j.contains("rate") ? "rate" : "requested_rps";
  if (j.contains(rate) && !j[rate].is_null()) k.rate = j[rate].get<double>();
  // Reports older than `db` had no database tail.
  if (j.contains("db") && !j["db"].is_null()) {
    const auto& d = j["db"];
    k.db = VariantKey::Db{d.at("mode").get<std::string>(), d.at("link").get<std::string>(),
                          d.at("server_link").is_null() ? std::nullopt : std::optional<std::string>(d["server_link"].get<std::string>()),
                          d.at("policy").get<std::string>()};
  }
  return k;
}

}  // namespace hopcost
