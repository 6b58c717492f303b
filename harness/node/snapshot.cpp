#include "node/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace hopcost {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::client: return "client";
    case Role::relay: return "relay";
    case Role::origin: return "origin";
  }
  return "?";
}

NodeSnapshot snapshot_of(const NodeStats& stats, std::string name, Role role, uint64_t cpu_ns) {
  NodeSnapshot s{std::move(name), role, stats.snapshot(), cpu_ns, stats.negotiated(), {}};
  for (int k = 0; k < kErrorKinds; ++k) s.first_errors[k] = stats.first_error(static_cast<ErrorKind>(k));
  return s;
}

nlohmann::ordered_json to_json(const NodeSnapshot& s) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["role"] = std::string(to_string(s.role));
  j["cpu_ns"] = s.cpu_ns;
  const auto& c = s.counters;
  j["handshakes_server"] = c.handshakes_server;
  j["handshakes_client"] = c.handshakes_client;
  j["handshake_cpu_ns_server"] = c.handshake_cpu_ns_server;
  j["handshake_cpu_ns_client"] = c.handshake_cpu_ns_client;
  j["messages"] = c.messages;
  j["bytes_read"] = c.bytes_read;
  j["bytes_written"] = c.bytes_written;
  nlohmann::ordered_json errors, first;
  for (int k = 0; k < kErrorKinds; ++k) {
    errors[std::string(kErrorKindNames[k])] = c.errors.by_kind[k];
    if (!s.first_errors[k].empty()) first[std::string(kErrorKindNames[k])] = s.first_errors[k];
  }
  j["errors"] = errors;
  j["first_errors"] = first.is_null() ? nlohmann::ordered_json::object() : first;
  if (s.negotiated)
    j["negotiated"] = {{"version", s.negotiated->version}, {"cipher", s.negotiated->cipher}, {"group", s.negotiated->group}};
  else
    j["negotiated"] = nullptr;
  return j;
}

NodeSnapshot snapshot_from_json(const nlohmann::json& j) {
  NodeSnapshot s;
  s.name = j.at("name").get<std::string>();
  const auto role = j.at("role").get<std::string>();
  s.role = role == "origin" ? Role::origin : role == "client" ? Role::client : Role::relay;
  s.cpu_ns = j.at("cpu_ns").get<uint64_t>();
  auto& c = s.counters;
  c.handshakes_server = j.at("handshakes_server").get<uint64_t>();
  c.handshakes_client = j.at("handshakes_client").get<uint64_t>();
  c.handshake_cpu_ns_server = j.at("handshake_cpu_ns_server").get<uint64_t>();
  c.handshake_cpu_ns_client = j.at("handshake_cpu_ns_client").get<uint64_t>();
  c.messages = j.at("messages").get<uint64_t>();
  c.bytes_read = j.at("bytes_read").get<uint64_t>();
  c.bytes_written = j.at("bytes_written").get<uint64_t>();
  for (int k = 0; k < kErrorKinds; ++k) {
    const std::string kind(kErrorKindNames[k]);
    c.errors.by_kind[k] = j.at("errors").at(kind).get<uint64_t>();
    if (j.at("first_errors").contains(kind)) s.first_errors[k] = j["first_errors"][kind].get<std::string>();
  }
  if (const auto& n = j.at("negotiated"); !n.is_null())
    s.negotiated = Negotiated{n.at("version"), n.at("cipher"), n.at("group")};
  return s;
}

}  // namespace hopcost
