#include "node/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace hopcost {

NodeSnapshot snapshot_of(const NodeStats& stats, std::string name, Role role, uint64_t cpu_ns) {
  NodeSnapshot s{std::move(name), role, stats.snapshot(), cpu_ns, stats.negotiated(), {}, stats.first_exhausted()};
  for (int k = 0; k < kErrorKinds; ++k) s.first_errors[k] = stats.first_error(static_cast<ErrorKind>(k));
  s.negotiated_upstream = stats.negotiated(TlsSide::client);
  return s;
}

namespace {

constexpr std::string_view kSideKeys[] = {"handshakes",     "handshake_cpu_ns", "handshake_bytes", "wire_bytes",
                                          "app_bytes",      "record_cpu_ns",    "handshake_errors", "resumed",
                                          "resumed_cpu_ns", "resumed_bytes",    "sessions_offered", "early_accepted",
                                          "early_rejected"};

// SideCounters as an array of its fields, in kSideKeys order.
std::array<uint64_t*, 13> fields(SideCounters& c) {
  return {&c.handshakes,       &c.handshake_cpu_ns, &c.handshake_bytes, &c.wire_bytes,     &c.app_bytes,
          &c.record_cpu_ns,    &c.handshake_errors, &c.resumed,         &c.resumed_cpu_ns, &c.resumed_bytes,
          &c.sessions_offered, &c.early_accepted,   &c.early_rejected};
}

nlohmann::ordered_json side_json(SideCounters c) {
  nlohmann::ordered_json j;
  const auto f = fields(c);
  for (size_t i = 0; i < f.size(); ++i) j[std::string(kSideKeys[i])] = *f[i];
  return j;
}

SideCounters side_from_json(const nlohmann::json& j) {
  SideCounters c;
  const auto f = fields(c);
  // The first six are in every snapshot; the later ones not in older ones (0 then).
  for (size_t i = 0; i < f.size(); ++i)
    *f[i] = i < 6 ? j.at(std::string(kSideKeys[i])).get<uint64_t>() : j.value(std::string(kSideKeys[i]), uint64_t{0});
  return c;
}

}  // namespace

nlohmann::ordered_json to_json(const NodeSnapshot& s) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["role"] = std::string(to_string(s.role));
  j["cpu_ns"] = s.cpu_ns;
  j["messages"] = s.counters.messages;
  j["server"] = side_json(s.counters.server);
  j["client"] = side_json(s.counters.client);
  nlohmann::ordered_json errors, first = nlohmann::ordered_json::object();
  for (int k = 0; k < kErrorKinds; ++k) {
    errors[std::string(kErrorKindNames[k])] = s.counters.errors.by_kind[k];
    if (!s.first_errors[k].empty()) first[std::string(kErrorKindNames[k])] = s.first_errors[k];
  }
  j["errors"] = errors;
  j["first_errors"] = first;
  j["exhausted"] = s.counters.exhausted;
  j["first_exhausted"] = s.first_exhausted;
  j["upstream_opened"] = s.counters.upstream_opened;
  j["upstream_reuses"] = s.counters.upstream_reuses;
  j["upstream_retries"] = s.counters.upstream_retries;
  j["upstream_pool_peak"] = s.counters.upstream_pool_peak;
  nlohmann::ordered_json refused, timeouts;
  for (int i = 0; i < kRefusals; ++i) refused[std::to_string(kRefusalStatus[i])] = s.counters.guard.refused[i];
  for (int i = 0; i < kTimeouts; ++i) timeouts[std::string(kTimeoutNames[i])] = s.counters.guard.timeouts[i];
  j["http_errors"] = refused;
  j["timeouts"] = timeouts;
  auto negotiated = [](const std::optional<Negotiated>& n) {
    return n ? nlohmann::ordered_json{{"version", n->version}, {"cipher", n->cipher}, {"group", n->group}}
             : nlohmann::ordered_json(nullptr);
  };
  j["negotiated"] = negotiated(s.negotiated);
  j["negotiated_upstream"] = negotiated(s.negotiated_upstream);
  return j;
}

NodeSnapshot snapshot_from_json(const nlohmann::json& j) {
  NodeSnapshot s;
  s.name = j.at("name").get<std::string>();
  const auto role = kRoles.parse(j.at("role").get<std::string>());
  if (!role) throw nlohmann::json::other_error::create(501, "unknown role '" + j.at("role").get<std::string>() + "'", &j);
  s.role = *role;
  s.cpu_ns = j.at("cpu_ns").get<uint64_t>();
  s.counters.messages = j.at("messages").get<uint64_t>();
  s.counters.server = side_from_json(j.at("server"));
  s.counters.client = side_from_json(j.at("client"));
  for (int k = 0; k < kErrorKinds; ++k) {
    const std::string kind(kErrorKindNames[k]);
    s.counters.errors.by_kind[k] = j.at("errors").at(kind).get<uint64_t>();
    if (j.at("first_errors").contains(kind)) s.first_errors[k] = j["first_errors"][kind].get<std::string>();
  }
  s.counters.exhausted = j.value("exhausted", uint64_t{0});
  s.first_exhausted = j.value("first_exhausted", std::string());
  // Absent in lines from before upstream pools: 0.
  s.counters.upstream_opened = j.value("upstream_opened", uint64_t{0});
  s.counters.upstream_reuses = j.value("upstream_reuses", uint64_t{0});
  s.counters.upstream_retries = j.value("upstream_retries", uint64_t{0});
  s.counters.upstream_pool_peak = j.value("upstream_pool_peak", uint64_t{0});
  // Absent in lines from before the guard (node/guard.hpp): 0.
  if (j.contains("http_errors"))
    for (int i = 0; i < kRefusals; ++i)
      s.counters.guard.refused[i] = j["http_errors"].value(std::to_string(kRefusalStatus[i]), uint64_t{0});
  if (j.contains("timeouts"))
    for (int i = 0; i < kTimeouts; ++i)
      s.counters.guard.timeouts[i] = j["timeouts"].value(std::string(kTimeoutNames[i]), uint64_t{0});
  if (const auto& n = j.at("negotiated"); !n.is_null())
    s.negotiated = Negotiated{n.at("version"), n.at("cipher"), n.at("group")};
  if (j.contains("negotiated_upstream") && !j["negotiated_upstream"].is_null()) {
    const auto& n = j["negotiated_upstream"];
    s.negotiated_upstream = Negotiated{n.at("version"), n.at("cipher"), n.at("group")};
  }
  return s;
}

}  // namespace hopcost
