#include "gate/budgets.hpp"

#include "node/upstream_policy.hpp"
#include "util/duration.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gate/format.hpp"
#include "util/errors.hpp"

namespace hopcost::gate {

std::string_view to_string(Op op) {
  switch (op) {
    case Op::le:
      return "<=";
    case Op::lt:
      return "<";
    case Op::ge:
      return ">=";
    case Op::gt:
      return ">";
    case Op::eq:
      return "==";
  }
  return "?";
}

bool holds(double value, Op op, double limit) {
  switch (op) {
    case Op::le:
      return value <= limit;
    case Op::lt:
      return value < limit;
    case Op::ge:
      return value >= limit;
    case Op::gt:
      return value > limit;
    case Op::eq:
      return value == limit;
  }
  return false;
}

std::string Selector::text() const {
  std::string out;
  auto add = [&](std::string_view key, const std::string& value) {
    if (!out.empty()) out += ' ';
    out.append(key).append("=").append(value);
  };
  if (topology) add("topology", *topology);
  if (hops) add("hops", std::to_string(*hops));
  if (tls) add("tls", *tls);
  if (conn) add("conn", *conn);
  if (placement) add("placement", *placement);
  if (upstream) add("upstream", *upstream);
  if (rtt_us) add("rtt", format_rtt(std::chrono::nanoseconds(static_cast<int64_t>(*rtt_us * 1000))));
  return out.empty() ? "all variants" : out;
}

int Budget::line_of(std::string_view key) const {
  for (const auto& [k, l] : key_lines)
    if (k == key) return l;
  return line;
}

std::string Budget::display_name() const {
  return name.empty() ? fmt::format("budget {}", index) : name;
}

std::string Budget::limit_text() const {
  const std::string op_text(to_string(op));
  switch (kind) {
    case LimitKind::absolute:
      return op_text + " " + format_value(limit, metric_unit(metric));
    case LimitKind::relative:
      return fmt::format("{} {:+}% vs baseline", op_text, std::round(limit * 1e8) / 1e6);
    case LimitKind::ratio:
      return fmt::format("{} {}×", op_text, format_number(limit));
  }
  return {};
}

bool Budgets::needs_baseline() const {
  return std::any_of(budgets.begin(), budgets.end(),
                     [](const Budget& b) { return b.kind == LimitKind::relative; });
}

std::string metric_unit(std::string_view metric) {
  // The first component that names a unit decides: latency_us.p99 is in µs.
  size_t start = 0;
  while (start <= metric.size()) {
    const size_t dot = metric.find('.', start);
    const std::string_view part =
        metric.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.ends_with("_us_per_request")) return "µs/req";
    if (part.ends_with("bytes_per_request")) return "B/req";
    if (part.ends_with("_per_request")) return "/req";
    if (part.ends_with("_vs_floor")) return "×";
    if (part.ends_with("_us")) return "µs";
    if (part.ends_with("_rps")) return "req/s";
    if (part.ends_with("_s")) return "s";
    if (part.starts_with("bytes_") || part.ends_with("_bytes")) return "B";
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

namespace {

constexpr std::array<std::string_view, 9> kBudgetKeys{"name", "topology",  "hops",     "tls", "conn",
                                                      "placement", "upstream", "rtt", "check"};

std::string accepted_keys() {
  std::string out;
  for (auto k : kBudgetKeys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return negative ? -v : v;
}

bool valid_metric(std::string_view m) {
  if (m.empty() || m.front() == '.' || m.back() == '.' || m.find("..") != std::string_view::npos)
    return false;
  return std::all_of(m.begin(), m.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

constexpr std::string_view kCheckForms =
    "expected 'METRIC OP NUMBER' (latency_us.p99 <= 2500), 'METRIC OP ±N%' against a baseline "
    "(latency_us.p50 <= +10%) or 'METRIC: TOPOLOGY / TOPOLOGY OP NUMBER' (cpu_us_per_request: "
    "tls-everywhere / terminate-once <= 3.0), with OP one of <=, <, >=, >, ==";

// Reads a check string into `b`; throws ConfigError with the reason only (the caller adds
// file, line and key).
void parse_check(std::string_view text, Budget& b) {
  // The operator: the first '<' '>' or '=' (metric paths and topology names have none).
  const size_t at = text.find_first_of("<>=");
  if (at == std::string_view::npos)
    throw ConfigError(fmt::format("no comparison operator in '{}'; {}", text, kCheckForms));
  // Two-character operators first, so that "<=" is not read as "<".
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {"<=", Op::le}, {">=", Op::ge}, {"==", Op::eq}, {"<", Op::lt}, {">", Op::gt}};
  size_t len = 0;
  for (const auto& [spelling, op] : kOps) {
    if (text.substr(at, spelling.size()) == spelling) {
      b.op = op;
      len = spelling.size();
      break;
    }
  }
  if (len == 0) throw ConfigError(fmt::format("'=' is not an operator in '{}'; use ==", text));
  const std::string_view lhs = trim(text.substr(0, at));
  const std::string_view rhs = trim(text.substr(at + len));
  if (rhs.find_first_of("<>=") != std::string_view::npos)
    throw ConfigError(fmt::format("more than one operator in '{}'; {}", text, kCheckForms));

  std::string_view metric = lhs;
  if (const size_t colon = lhs.find(':'); colon != std::string_view::npos) {
    b.kind = LimitKind::ratio;
    metric = trim(lhs.substr(0, colon));
    const std::string_view sides = lhs.substr(colon + 1);
    const size_t slash = sides.find('/');
    if (slash == std::string_view::npos || sides.find('/', slash + 1) != std::string_view::npos)
      throw ConfigError(fmt::format(
          "a ratio is written 'METRIC: TOPOLOGY / TOPOLOGY OP NUMBER', got '{}'", text));
    b.numerator = std::string(trim(sides.substr(0, slash)));
    b.denominator = std::string(trim(sides.substr(slash + 1)));
    if (b.numerator.empty() || b.denominator.empty())
      throw ConfigError(
          fmt::format("a ratio needs a topology on each side of '/', got '{}'", text));
    if (b.numerator == b.denominator)
      throw ConfigError(fmt::format("a ratio of '{}' to itself is always 1", b.numerator));
  }
  if (!valid_metric(metric))
    throw ConfigError(
        fmt::format("'{}' is not a metric path (letters, digits, '_', joined by '.', such as "
                    "latency_us.p99); {}",
                    metric, kCheckForms));
  b.metric = std::string(metric);

  if (rhs.ends_with('%')) {
    if (b.kind == LimitKind::ratio)
      throw ConfigError(fmt::format("a ratio's limit is a number, not a percentage: '{}'", rhs));
    const auto pct = parse_number(rhs.substr(0, rhs.size() - 1));
    if (!pct) throw ConfigError(fmt::format("'{}' is not a percentage such as +10% or -5%", rhs));
    if (b.op == Op::eq)
      throw ConfigError(
          "'==' against a baseline compares two noisy measurements exactly; use <=, <, >= or >");
    b.kind = LimitKind::relative;
    b.limit = *pct / 100.0;
    return;
  }
  const auto number = parse_number(rhs);
  if (!number) throw ConfigError(fmt::format("'{}' is not a number; {}", rhs, kCheckForms));
  if (b.kind == LimitKind::ratio && b.op == Op::eq)
    throw ConfigError(
        "'==' on a ratio of two measurements is never reliably true; use <=, <, >= or >");
  if (b.kind == LimitKind::ratio && *number <= 0)
    throw ConfigError(fmt::format("a ratio's limit must be above 0, got {}", rhs));
  b.limit = *number;
}

std::string node_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

}  // namespace

Budgets parse_budgets(std::string_view toml_text, const std::string& path) {
  Budgets out;
  out.path = path;
  toml::table root;
  try {
    root = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
  for (const auto& [k, node] : root) {
    if (k.str() != "budget")
      throw ConfigError(
          fmt::format("{}:{}: unknown key '{}'; a budgets file holds [[budget]] tables only", path,
                      k.source().begin.line, k.str()));
  }
  const toml::node* list = root.get("budget");
  if (!list)
    throw ConfigError(fmt::format(
        "{}: no budget; write each one as a [[budget]] table with a 'check' key", path));
  const toml::array* array = list->as_array();
  if (!array || !array->is_array_of_tables())
    throw ConfigError(
        fmt::format("{}:{}: key 'budget': expected [[budget]] tables (an array of tables), got {}",
                    path, list->source().begin.line, node_type(*list)));
  if (array->empty())
    throw ConfigError(fmt::format("{}:{}: key 'budget': no budget in the array", path,
                                  list->source().begin.line));

  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    Budget b;
    b.index = static_cast<int>(out.budgets.size()) + 1;
    b.line = static_cast<int>(table.source().begin.line);
    const toml::node* check = nullptr;
    // toml++ keeps a table's keys sorted by name; read them in the file's order, so that
    // the first mistake in the file is the one reported.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (const auto& [k, value] : table) entries.emplace_back(&k, &value);
    std::sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) {
      const auto& a = x.first->source().begin;
      const auto& b = y.first->source().begin;
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    for (const auto& [k_ptr, value_ptr] : entries) {
      const toml::key& k = *k_ptr;
      const toml::node& value = *value_ptr;
      const std::string key(k.str());
      const int line = static_cast<int>(k.source().begin.line);
      if (std::find(kBudgetKeys.begin(), kBudgetKeys.end(), key) == kBudgetKeys.end())
        throw ConfigError(fmt::format("{}:{}: unknown key '{}' in budget {}; accepted keys: {}",
                                      path, line, key, b.index, accepted_keys()));
      b.key_lines.emplace_back(key, line);
      auto wrong_type = [&](std::string_view expected) {
        return ConfigError(fmt::format("{}:{}: key '{}': wrong type; expected {}, got {}", path,
                                       line, key, expected, node_type(value)));
      };
      auto text = [&]() -> std::string {
        const auto s = value.value<std::string>();
        if (!s) throw wrong_type("a string");
        if (trim(*s).empty())
          throw ConfigError(fmt::format("{}:{}: key '{}': empty", path, line, key));
        return std::string(trim(*s));
      };
      if (key == "name") {
        b.name = text();
      } else if (key == "topology") {
        b.selector.topology = text();
      } else if (key == "hops") {
        const auto* i = value.as_integer();
        if (!i) throw wrong_type("a whole number of links");
        if (i->get() < 1 || i->get() > 1000)
          throw ConfigError(fmt::format(
              "{}:{}: key 'hops': {} is out of range; accepted: 1 to 1000", path, line, i->get()));
        b.selector.hops = static_cast<int>(i->get());
      } else if (key == "tls") {
        // "1.3" as the report spells it; a bare 1.3 is read the same way.
        std::string v;
        if (const auto* f = value.as_floating_point())
          v = fmt::format("{}", f->get());
        else
          v = text();
        if (v != "1.2" && v != "1.3")
          throw ConfigError(
              fmt::format("{}:{}: key 'tls': unknown TLS version '{}'; accepted: \"1.2\", \"1.3\"",
                          path, line, v));
        b.selector.tls = v;
      } else if (key == "conn") {
        b.selector.conn = text();
      } else if (key == "placement") {
        b.selector.placement = text();
      } else if (key == "upstream") {
        const std::string v = text();
        if (!parse_upstream_policy(v))
          throw ConfigError(fmt::format("{}:{}: key 'upstream': unknown upstream policy '{}'; accepted: {}", path, line, v,
                                        kUpstreamPolicies.accepted()));
        b.selector.upstream = v;
      } else if (key == "rtt") {
        try {
          b.selector.rtt_us = std::chrono::duration<double, std::micro>(parse_rtt(text())).count();
        } catch (const ConfigError& e) {
          throw ConfigError(fmt::format("{}:{}: key 'rtt': {}", path, line, e.what()));
        }
      } else if (key == "check") {
        b.check = text();
        b.check_line = line;
        check = &value;
      }
    }
    if (!check)
      throw ConfigError(fmt::format("{}:{}: budget {} has no 'check' key; {}", path, b.line,
                                    b.index, kCheckForms));
    try {
      parse_check(b.check, b);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}:{}: key 'check': {}", path, b.check_line, e.what()));
    }
    if (b.kind == LimitKind::ratio && b.selector.topology)
      throw ConfigError(fmt::format(
          "{}:{}: key 'topology': a ratio check names its two topologies ('{}' / '{}'); "
          "select the rest with hops, tls, conn, placement, upstream, rtt",
          path, b.line_of("topology"), b.numerator, b.denominator));
    out.budgets.push_back(std::move(b));
  }
  return out;
}

Budgets load_budgets(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw ConfigError(fmt::format("budgets file '{}': no such file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("budgets file '{}': cannot be read", path));
  std::stringstream text;
  text << in.rdbuf();
  return parse_budgets(text.str(), path);
}

}  // namespace hopcost::gate
