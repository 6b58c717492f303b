#include "report/reader.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "report/histogram_json.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

using nlohmann::json;

// "a number", "an array", "null": what a value is, for messages.
std::string kind_of(const json& j) {
  if (j.is_null()) return "null";
  const std::string t = j.type_name();
  return (t == "array" || t == "object" ? "an " : "a ") + t;
}

// How a key that the writer may write as null (a figure it could not know) reads.
enum class Null { reject, as_default };

class Reader;

// An object of the report at `path` ("variants[3].per_hop[1]"; empty for the root).
class Object {
 public:
  Object(const Reader& reader, const json& j, std::string path) : r_(reader), j_(j), path_(std::move(path)) {}

  const json& json_value() const { return j_; }
  const std::string& path() const { return path_; }
  std::string at(std::string_view key) const {
    if (key.empty()) return path_;
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  // The key's value; none when it is missing (or null, unless `keep_null`).
  const json* find(std::string_view key, bool keep_null = false) const {
    const auto it = j_.find(std::string(key));
    if (it == j_.end() || (it->is_null() && !keep_null)) return nullptr;
    return &*it;
  }

  [[noreturn]] void fail(std::string_view key, std::string_view what) const;
  [[noreturn]] void expected(std::string_view key, std::string_view what, const json& found) const {
    fail(key, fmt::format("expected {}, found {}", what, kind_of(found)));
  }
  // Null where the writer never writes it.
  const json* present(std::string_view key, Null nulls, std::string_view what) const {
    const json* v = find(key, true);
    if (v && v->is_null()) {
      if (nulls == Null::reject) expected(key, what, *v);
      return nullptr;
    }
    return v;
  }

  std::string text(std::string_view key, std::string fallback = {}, Null nulls = Null::reject) const {
    const json* v = present(key, nulls, "a string");
    if (!v) return fallback;
    if (!v->is_string()) expected(key, "a string", *v);
    return v->get<std::string>();
  }
  std::optional<std::string> optional_text(std::string_view key) const {
    if (!find(key)) return std::nullopt;
    return text(key);
  }
  double number(std::string_view key, double fallback = 0, Null nulls = Null::reject) const {
    const json* v = present(key, nulls, "a number");
    if (!v) return fallback;
    if (!v->is_number()) expected(key, "a number", *v);
    return v->get<double>();
  }
  std::optional<double> optional_number(std::string_view key) const {
    if (!find(key)) return std::nullopt;
    return number(key);
  }
  int integer(std::string_view key, int fallback = 0) const {
    const json* v = present(key, Null::reject, "a whole number");
    if (!v) return fallback;
    if (!v->is_number_integer() ||
        (v->is_number_unsigned() ? v->get<uint64_t>() > uint64_t(std::numeric_limits<int>::max())
                                 : v->get<int64_t>() < std::numeric_limits<int>::min() ||
                                       v->get<int64_t>() > std::numeric_limits<int>::max()))
      expected(key, "a whole number", *v);
    return v->get<int>();
  }
  std::optional<int> optional_integer(std::string_view key) const {
    if (!find(key)) return std::nullopt;
    return integer(key);
  }
  uint64_t count(std::string_view key, uint64_t fallback = 0, Null nulls = Null::reject) const {
    const json* v = present(key, nulls, "a whole number, 0 or more");
    if (!v) return fallback;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
      expected(key, "a whole number, 0 or more", *v);
    return v->get<uint64_t>();
  }
  std::optional<uint64_t> optional_count(std::string_view key) const {
    if (!find(key)) return std::nullopt;
    return count(key);
  }
  bool flag(std::string_view key, bool fallback = false) const {
    const json* v = present(key, Null::reject, "true or false");
    if (!v) return fallback;
    if (!v->is_boolean()) expected(key, "true or false", *v);
    return v->get<bool>();
  }
  // The object at `key`; none when it is missing or null.
  std::optional<Object> object(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_object()) expected(key, "an object", *v);
    return Object(r_, *v, at(key));
  }
  // The array at `key`; none when it is missing or null.
  const json* array(std::string_view key) const {
    const json* v = find(key);
    if (v && !v->is_array()) expected(key, "an array", *v);
    return v;
  }
  // Each element of the array at `key` as an object.
  template <typename F>
  void each_object(std::string_view key, F&& f) const {
    const json* a = array(key);
    if (!a) return;
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string item = fmt::format("{}[{}]", key, i);
      if (!(*a)[i].is_object()) expected(item, "an object", (*a)[i]);
      f(Object(r_, (*a)[i], at(item)));
    }
  }
  std::vector<std::string> texts(std::string_view key) const {
    std::vector<std::string> out;
    const json* a = array(key);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_string()) expected(fmt::format("{}[{}]", key, i), "a string", (*a)[i]);
      out.push_back((*a)[i].get<std::string>());
    }
    return out;
  }
  std::vector<double> numbers(std::string_view key) const {
    std::vector<double> out;
    const json* a = array(key);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_number()) expected(fmt::format("{}[{}]", key, i), "a number", (*a)[i]);
      out.push_back((*a)[i].get<double>());
    }
    return out;
  }
  // An object of texts by name ("programs", "first_errors").
  std::map<std::string, std::string> text_map(std::string_view key) const {
    std::map<std::string, std::string> out;
    if (const auto o = object(key))
      for (const auto& [name, value] : o->json_value().items()) out[name] = o->text(name);
    return out;
  }
  std::map<std::string, double> number_map(std::string_view key) const {
    std::map<std::string, double> out;
    if (const auto o = object(key))
      for (const auto& [name, value] : o->json_value().items()) out[name] = o->number(name);
    return out;
  }

 private:
  const Reader& r_;
  const json& j_;
  std::string path_;
};

class Reader {
 public:
  explicit Reader(const std::string& name) : name_(name) {}
  [[noreturn]] void fail(const std::string& path, std::string_view what) const {
    throw ConfigError(fmt::format("{}: {}: {}", name_, path, what));
  }
  [[noreturn]] void not_a_report(std::string_view why) const {
    throw ConfigError(fmt::format("{}: not a hopcost report: {}", name_, why));
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

void Object::fail(std::string_view key, std::string_view what) const { r_.fail(at(key), what); }

ErrorCounts read_errors(const Object& parent, std::string_view key) {
  ErrorCounts e;
  const auto o = parent.object(key);
  if (!o) return e;
  for (int k = 0; k < kErrorKinds; ++k) e.by_kind[k] = o->count(kErrorKindNames[k]);
  (void)o->count("total");  // the sum of the kinds: derived, but it must be a count
  return e;
}

LatencySummary read_latency(const Object& o) {
  return {o.number("p50"), o.number("p90"), o.number("p99"), o.number("p999"), o.number("max"), o.number("mean")};
}

Percentiles read_percentiles(const Object& o) { return {o.number("p50"), o.number("p99")}; }

Interval read_interval(const Object& o) { return {o.number("low"), o.number("high")}; }

std::optional<HistogramBuckets> read_histogram(const Object& parent, std::string_view key) {
  const auto o = parent.object(key);
  if (!o) return std::nullopt;
  try {
    return histogram_from_json(o->json_value());
  } catch (const json::exception& e) {
    // "[json.exception.type_error.302] type must be number, but is string": the part after "] ".
    const std::string what = e.what();
    const size_t close = what.find("] ");
    o->fail("", close == std::string::npos ? what : what.substr(close + 2));
  } catch (const std::invalid_argument& e) {
    o->fail("", e.what());
  }
}

NodeResult read_node(const Object& o) {
  NodeResult n;
  n.name = o.text("name");
  n.role = o.text("role");
  n.implementation = o.text("implementation", n.implementation);
  n.version = o.optional_text("version");
  n.handshakes = o.count("handshakes");
  n.handshake_cpu_us = o.number("handshake_cpu_us");
  n.cpu_us = o.number("cpu_us");
  n.cpu_us_per_request = o.number("cpu_us_per_request");
  n.bytes_per_request = o.number("bytes_per_request");
  n.cpu = o.optional_integer("cpu");
  n.instructions_per_request = o.optional_number("instructions_per_request");
  n.instructions_per_handshake = o.optional_number("instructions_per_handshake");
  n.errors = read_errors(o, "errors");
  n.first_errors = o.text_map("first_errors");
  n.upstream_connections_opened = o.optional_count("upstream_connections_opened");
  n.upstream_reuses = o.optional_count("upstream_reuses");
  n.upstream_retries = o.optional_count("upstream_retries");
  n.upstream_pool_peak = o.optional_count("upstream_pool_peak");
  // Absent before schema 3's guard: none, as for a node that keeps no such counts.
  const auto refused = o.object("http_errors");
  const auto timeouts = o.object("timeouts");
  if (refused || timeouts) {
    n.guard.emplace();
    for (int i = 0; refused && i < kRefusals; ++i) n.guard->refused[i] = refused->count(std::to_string(kRefusalStatus[i]));
    for (int i = 0; timeouts && i < kTimeouts; ++i) n.guard->timeouts[i] = timeouts->count(kTimeoutNames[i]);
  }
  if (o.array("helpers")) {
    n.helpers.emplace();
    o.each_object("helpers", [&](const Object& h) {
      n.helpers->push_back({h.text("process"), h.number("cpu_us_per_request")});
    });
  }
  return n;
}

// The two ends' figures of a link, {client, server}; null where an end is a real program.
void read_ends(const Object& link, std::string_view key, double& client, double& server) {
  if (const auto o = link.object(key)) {
    client = o->number("client", 0, Null::as_default);
    server = o->number("server", 0, Null::as_default);
  }
}
void read_ends(const Object& link, std::string_view key, std::optional<double>& client, std::optional<double>& server) {
  if (const auto o = link.object(key)) {
    client = o->optional_number("client");
    server = o->optional_number("server");
  }
}

LinkResult read_link(const Object& o) {
  LinkResult l;
  l.link = o.integer("link");
  l.kind = o.text("kind");
  l.rtt_us = o.number("rtt_us");
  l.tls_group = o.optional_text("tls_group");
  l.key_type = o.optional_text("key_type");
  l.mtls = o.flag("mtls");
  if (const auto e = o.object("handshake_errors")) {
    l.handshake_errors_client = e->count("client", 0, Null::as_default);
    l.handshake_errors_server = e->count("server", 0, Null::as_default);
  }
  l.handshake_error = o.optional_text("handshake_error");
  if (const auto p = o.object("added_latency_us")) l.added_latency_us = read_percentiles(*p);
  if (const auto p = o.object("added_latency_own_us")) l.added_latency_own_us = read_percentiles(*p);
  l.unknown_reason = o.optional_text("unknown_reason");
  l.added_latency_resolution_us = o.number("added_latency_resolution_us", l.added_latency_resolution_us);
  if (const auto joint = o.object("added_latency_joint_us")) {
    l.added_latency_joint_us = read_percentiles(*joint);
    l.joint_last_link = joint->integer("last_link");
    l.joint_includes_origin = joint->flag("includes_origin");
  }
  l.client_end = o.text("client_end", l.client_end);
  l.server_end = o.text("server_end", l.server_end);
  l.uncounted_reason = o.optional_text("uncounted_reason");
  l.counted_at = o.optional_text("counted_at");
  read_ends(o, "handshake_cpu_us", l.handshake_cpu_us_client, l.handshake_cpu_us_server);
  l.handshake_bytes = o.number("handshake_bytes", 0, Null::as_default);
  l.resume = o.flag("resume");
  l.handshakes_full = o.number("handshakes_full", 0, Null::as_default);
  l.handshakes_resumed = o.number("handshakes_resumed", 0, Null::as_default);
  l.handshake_bytes_full = o.optional_number("handshake_bytes_full");
  l.handshake_bytes_resumed = o.optional_number("handshake_bytes_resumed");
  read_ends(o, "handshake_cpu_us_full", l.handshake_cpu_us_full_client, l.handshake_cpu_us_full_server);
  read_ends(o, "handshake_cpu_us_resumed", l.handshake_cpu_us_resumed_client, l.handshake_cpu_us_resumed_server);
  l.sessions_offered = o.number("sessions_offered", 0, Null::as_default);
  l.early_data_accepted = o.number("early_data_accepted", 0, Null::as_default);
  l.early_data_rejected = o.number("early_data_rejected", 0, Null::as_default);
  l.bytes_per_request = o.number("bytes_per_request", 0, Null::as_default);
  l.overhead_bytes_per_request = o.number("overhead_bytes_per_request", 0, Null::as_default);
  l.added_latency_vs_floor = o.optional_number("added_latency_vs_floor");
  return l;
}

// The variant's identity, checked here so that a message names the key; read_key() reads it.
VariantKey read_identity(const Object& o) {
  for (const char* key : {"topology", "tls", "conn", "placement"})
    if (!o.find(key, true)) o.fail(key, "missing: a variant is named by its topology, hops, tls, conn and placement");
  if (!o.find("hops", true)) o.fail("hops", "missing: a variant is named by its topology, hops, tls, conn and placement");
  for (const char* key : {"topology", "tls", "conn", "placement"}) (void)o.text(key);
  (void)o.integer("hops");
  for (const char* key : {"upstream", "key", "group", "mtls", "resume", "upstream_resume", "relay"}) (void)o.optional_text(key);
  (void)o.optional_number("rtt_us");
  (void)o.number("chain_rtt_us");
  (void)o.numbers("link_rtt_us");
  (void)o.integer("chain_depth");
  (void)o.texts("links");
  try {
    return read_key(o.json_value());
  } catch (const json::exception& e) {
    const std::string what = e.what();
    const size_t close = what.find("] ");
    o.fail("", close == std::string::npos ? what : what.substr(close + 2));
  }
}

VariantResult read_variant(const Object& o) {
  VariantResult v;
  static_cast<VariantKey&>(v) = read_identity(o);
  v.links = o.texts("links");
  v.tls_version = o.optional_text("tls_version");
  v.tls_cipher = o.optional_text("tls_cipher");
  v.tls_group = o.optional_text("tls_group");
  v.cpu_policy = o.text("cpu_policy", v.cpu_policy);
  v.connections = o.integer("connections");
  v.requests = o.count("requests");
  v.errors = read_errors(o, "errors");
  v.warmup_errors = read_errors(o, "warmup_errors");
  v.warmup_extended_s = o.number("warmup_extended_s");
  v.connections_established = o.optional_integer("connections_established");
  v.exhausted = o.count("exhausted");
  v.first_exhausted = o.optional_text("first_exhausted");
  v.measured_s = o.number("measured_s");
  v.throughput_rps = o.number("throughput_rps");
  v.requested_rps = o.optional_number("requested_rps");
  if (const auto l = o.object("latency_us")) v.latency_us = read_latency(*l);
  v.network_floor_us = o.optional_number("network_floor_us");
  v.latency_vs_network_floor = o.optional_number("latency_vs_network_floor");
  if (const auto l = o.object("uncorrected_latency_us")) v.uncorrected_latency_us = read_latency(*l);
  v.latency_out_of_range = o.count("latency_out_of_range");
  v.latency_histogram = read_histogram(o, "latency_histogram");
  v.uncorrected_latency_histogram = read_histogram(o, "uncorrected_latency_histogram");
  v.db_connections_per_request = o.optional_number("db_connections_per_request");
  if (const auto d = o.object("db_figures")) {
    VariantResult::DbFigures f;
    f.rows = d->integer("rows");
    f.row_bytes = d->integer("row_bytes");
    f.queries_per_request = d->number("queries_per_request");
    f.app_connections_per_request = d->number("app_connections_per_request");
    f.server_connections_per_request = d->number("server_connections_per_request");
    f.connect_us = d->optional_number("connect_us");
    f.authentication_us = d->optional_number("authentication_us");
    f.query_us = d->number("query_us");
    v.db_figures = f;
  }
  v.handshakes_per_request = o.number("handshakes_per_request");
  // null: a real program at a link's end (its handshake CPU is inside its node's).
  v.handshake_cpu_us = o.number("handshake_cpu_us", 0, Null::as_default);
  v.handshakes_per_second = o.number("handshakes_per_second");
  v.handshakes_resumed_share = o.number("handshakes_resumed_share");
  if (const auto c = o.object("certificates"))
    v.certificates = {c->integer("server"), c->integer("client"), c->integer("ca"), c->integer("intermediate"),
                      c->integer("total")};
  v.handshake_cpu_vs_floor = o.optional_number("handshake_cpu_vs_floor");
  v.cpu_us_per_request = o.number("cpu_us_per_request");
  v.tls_cpu_share = o.number("tls_cpu_share");
  v.instructions_per_request = o.optional_number("instructions_per_request");
  v.handshake_instructions = o.optional_number("handshake_instructions");
  o.each_object("per_hop", [&](const Object& l) { v.per_hop.push_back(read_link(l)); });
  if (const auto p = o.object("origin_us")) v.origin_us = read_percentiles(*p);
  v.origin_unknown_reason = o.optional_text("origin_unknown_reason");
  v.attribution_samples = o.count("attribution_samples");
  v.attribution_negative = o.count("attribution_negative");
  v.repeats = o.integer("repeats", v.repeats);
  if (const auto values = o.object("repeat_values"))
    for (const auto& [name, list] : values->json_value().items()) v.repeat_values[name] = values->numbers(name);
  if (const auto ci = o.object("ci95"))
    for (const auto& [name, interval] : ci->json_value().items()) {
      const auto i = ci->object(name);
      if (!i) ci->expected(name, "an object", interval);
      v.ci95[name] = read_interval(*i);
    }
  o.each_object("nodes", [&](const Object& n) { v.nodes.push_back(read_node(n)); });
  const bool failed = o.flag("failed");
  v.failure = o.optional_text("failure");
  if (failed && !v.failure) o.fail("failure", "missing: the variant failed (\"failed\": true) and says not why");
  return v;
}

Context read_context(const Object& o) {
  Context c;
  c.hopcost_version = o.text("hopcost_version");
  c.git_revision = o.text("git_revision");
  c.build_type = o.text("build_type");
  c.compiler = o.text("compiler");
  c.tls_library = o.text("tls_library");
  c.cpu_model = o.text("cpu_model");
  c.cores = o.integer("cores");
  c.cpu_governor = o.text("cpu_governor", {}, Null::as_default);  // null: it could not be read
  c.kernel = o.text("kernel");
  c.hostname = o.text("hostname");
  c.started_at = o.text("started_at");
  c.programs = o.text_map("programs");
  return c;
}

FloorFigures read_floors(const Object& o) {
  FloorFigures f;
  f.handshake_tls12_cpu_us = o.number("handshake_tls12_cpu_us");
  f.handshake_tls13_cpu_us = o.number("handshake_tls13_cpu_us");
  f.loopback_tcp_rtt_us = o.number("loopback_tcp_rtt_us");
  f.loopback_uds_rtt_us = o.number("loopback_uds_rtt_us");
  f.loopback_tcp_rtt_cross_cpu_us = o.optional_number("loopback_tcp_rtt_cross_cpu_us");
  f.loopback_uds_rtt_cross_cpu_us = o.optional_number("loopback_uds_rtt_cross_cpu_us");
  f.spread = o.number_map("spread");
  f.rounds = o.integer("rounds");
  f.pinned_cpu = o.optional_integer("pinned_cpu");
  f.handshake_cpu_us_by_setup = o.number_map("handshake_cpu_us_by_setup");
  return f;
}

Marginal read_marginal(const Object& o) {
  Marginal m;
  m.placement = o.text("placement");
  m.tls = o.text("tls");
  m.conn = o.text("conn");
  m.upstream = o.optional_text("upstream");
  m.rtt_us = o.optional_number("rtt_us");
  m.tls_setup = o.text("tls_setup");
  auto figure = [&](std::string_view key) {
    MarginalFigure f;
    if (const auto fo = o.object(key)) {
      f.value = fo->number("value");
      if (const auto ci = fo->object("ci95")) f.ci95 = read_interval(*ci);
    }
    return f;
  };
  m.latency_us_p50 = figure("latency_us_p50");
  m.latency_us_p99 = figure("latency_us_p99");
  m.cpu_us_per_request = figure("cpu_us_per_request");
  m.handshake_cpu_us = figure("handshake_cpu_us");
  m.points = o.integer("points");
  m.hops_held_equal = o.flag("hops_held_equal");
  m.confounded = o.flag("confounded_with_hops");
  m.rate = o.optional_number("rate");
  return m;
}

std::string readable_versions() {
  std::string out;
  for (int v : kReadableSchemaVersions) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out;
}

// Parses `text`, or throws naming the line and column of the first error.
template <typename Json>
Json parse(std::string_view text, const std::string& name) {
  try {
    return Json::parse(text);
  } catch (const json::parse_error& e) {
    // Line and column from the byte offset, so that the message points into the file.
    const size_t at = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const auto before = text.substr(0, at);
    const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    const size_t line_start = before.rfind('\n');
    const size_t column = at - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    std::string detail = e.what();
    if (const auto p = detail.find("column "); p != std::string::npos)
      if (const auto colon = detail.find(": ", p); colon != std::string::npos) detail = detail.substr(colon + 2);
    throw ConfigError(fmt::format("{}:{}:{}: not valid JSON: {}", name, line, column, detail));
  } catch (const json::out_of_range& e) {
    // A number beyond a double's range (1e400), which the parser reports without a position.
    std::string detail = e.what();
    if (const auto p = detail.find("] "); p != std::string::npos) detail = detail.substr(p + 2);
    throw ConfigError(fmt::format("{}: not valid JSON: {}", name, detail));
  }
}

}  // namespace

Report read_report(std::string_view text, const std::string& name) {
  const json doc = parse<json>(text, name);
  const Reader reader(name);
  if (!doc.is_object()) reader.not_a_report(fmt::format("expected a JSON object, found {}", kind_of(doc)));
  const Object root(reader, doc, "");
  // The version first: a report of another schema is named as such, whatever else it changed.
  if (!root.find("schema_version", true)) reader.not_a_report("no \"schema_version\"");
  Report r;
  r.schema_version = root.integer("schema_version");
  const auto& readable = kReadableSchemaVersions;
  if (std::find(std::begin(readable), std::end(readable), r.schema_version) == std::end(readable))
    throw ConfigError(fmt::format("{}: schema_version {} is not one this build reads ({}){}", name, r.schema_version,
                                  readable_versions(), r.schema_version > kSchemaVersion ? ": written by a newer hopcost" : ""));
  if (!root.find("variants")) reader.not_a_report("no \"variants\" array");
  if (!root.find("context")) reader.not_a_report("no \"context\" object");

  const auto context = root.object("context");
  r.context = read_context(*context);
  if (context->find("configuration")) {
    (void)context->object("configuration");  // its type
    // Its keys in their order, as written (the reader's json sorts them).
    const auto configuration = parse<nlohmann::ordered_json>(text, name)["context"]["configuration"];
    r.configuration = configuration.dump();
    // The one scenario field a rendering names the report by.
    if (const auto it = configuration.find("name"); it != configuration.end() && it->is_string())
      r.scenario.name = it->get<std::string>();
  } else {
    r.configuration = "{}";  // unknown: nothing is made up
  }
  if (const auto floors = root.object("floors")) r.floors = read_floors(*floors);
  root.each_object("marginal_tls_hop", [&](const Object& m) { r.marginal_tls_hop.push_back(read_marginal(m)); });
  r.warnings = root.texts("warnings");
  (void)root.array("variants");
  root.each_object("variants", [&](const Object& v) { r.variants.push_back(read_variant(v)); });
  return r;
}

std::string report_file_path(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return (std::filesystem::path(path) / "report.json").string();
  return path;
}

Report load_report_file(const std::string& path, std::string_view role) {
  const std::string file = report_file_path(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw ConfigError(fmt::format("{} '{}': no such file", role, file));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{} '{}': cannot be read", role, file));
  std::stringstream text;
  text << in.rdbuf();
  return read_report(text.str(), file);
}

}  // namespace hopcost
